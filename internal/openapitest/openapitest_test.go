// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package openapitest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestSpec(t *testing.T) {
	spec := Load(t)
	if Load(t) != spec {
		t.Error("the spec is read more than once")
	}
	ops := spec.Operations()
	for _, id := range []string{"getCustomer", "putCustomer", "legacy", "healthz"} {
		if ops[id] == nil {
			t.Errorf("no operation %s among %d", id, len(ops))
		}
	}
	if _, err := spec.Match(httptest.NewRequest(http.MethodGet, "http://any.host:1234/v1/nothing", nil), nil, nil); err == nil {
		t.Error("a path the spec does not have matched")
	}
	req := httptest.NewRequest(http.MethodGet, "http://any.host:1234/healthz", nil)
	ex, err := spec.Match(req, nil, nil)
	if err != nil || ex.Operation.OperationID != "healthz" {
		t.Fatalf("healthz: %v %v", ex, err)
	}
	ctx := t.Context()
	if err := ex.ValidateRequest(ctx); err != nil {
		t.Errorf("request: %v", err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if err := ex.ValidateResponse(ctx, 200, h, []byte(`{"status":"ok"}`)); err != nil {
		t.Errorf("a good answer: %v", err)
	}
	if err := ex.ValidateResponse(ctx, 200, h, []byte(`{"status":1}`)); err == nil {
		t.Error("a bad answer passed")
	}
	if err := ex.ValidateResponse(ctx, 418, h, []byte(`{}`)); err == nil {
		t.Error("an undocumented status passed")
	}
}
