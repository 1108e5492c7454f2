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

	// A 204 has no body.
	del := httptest.NewRequest(http.MethodDelete, "http://any.host:1234/v1/customers/acme.com", nil)
	del.Header.Set("x-api-key", "k")
	ex, err = spec.Match(del, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.ValidateResponse(ctx, 204, http.Header{}, nil); err != nil {
		t.Errorf("an empty 204: %v", err)
	}
	if err := ex.ValidateResponse(ctx, 204, h, []byte(`{}`)); err == nil {
		t.Error("a 204 with a body passed")
	}
	// Every operation lists its statuses: none falls back on a default.
	for id, op := range spec.Operations() {
		if op.Responses.Default() != nil {
			t.Errorf("%s has a default response: list the statuses it answers instead", id)
		}
	}
}

// TestFormats: the formats of the spec are checked, not taken on trust.
func TestFormats(t *testing.T) {
	spec := Load(t)
	req := httptest.NewRequest(http.MethodGet, "http://any.host:1234/v1/customers/acme.com", nil)
	req.Header.Set("x-api-key", "k")
	ex, err := spec.Match(req, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	customer := func(externalID string) []byte {
		return []byte(`{"name":"acme.com","diag_account":"","diag_account_id":"","diag_account_principal_arn":"",` +
			`"diag_account_status":"diagnostics_account_unavailable","external_id":"` + externalID + `","aws_region":"us-east-1",` +
			`"regions":[],"auto_run_finders":false,"role_status":"pending","accounts":[],"users":[],` +
			`"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}`)
	}
	h := http.Header{"Content-Type": {"application/json"}, "Etag": {`"c1"`}}
	if err := ex.ValidateResponse(t.Context(), 200, h, customer("0b6f8a1e-3c52-4f4b-9d0e-1a2b3c4d5e6f")); err != nil {
		t.Errorf("a customer with a UUID external_id: %v", err)
	}
	if err := ex.ValidateResponse(t.Context(), 200, h, customer("not-a-uuid")); err == nil {
		t.Error("an external_id that is not a UUID passed")
	}
}
