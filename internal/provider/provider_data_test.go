// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

func TestAddAPIError(t *testing.T) {
	d := &providerData{endpoint: "http://127.0.0.1:9"}
	unreachable := fmt.Errorf("GET /v1/x: %w", client.ErrUnreachable)
	tests := []struct {
		name    string
		err     error
		need    access
		attrs   fields
		want    []string
		wantAt  string
		summary string
	}{
		{name: "unreachable", err: unreachable, summary: "VIRT-CO API unreachable",
			want: []string{"The VIRT-CO API at http://127.0.0.1:9 could not be reached while doing it", "endpoint (or VIRTCO_ENDPOINT)", "virtco-server is running"}},
		{name: "401", err: &client.APIError{StatusCode: 401, Code: "unauthenticated", Message: "the API key is not valid"}, summary: "API key refused",
			want: []string{"refused the API key (401) while doing it: the API key is not valid", "api_key / api_key_file (or VIRTCO_API_KEY / VIRTCO_API_KEY_FILE)"}},
		{name: "403 ops", err: &client.APIError{StatusCode: 403, Code: "permission_denied", Message: "provisioning users needs the ops key; this request used the user token of a@b.com"},
			need: needsOps, summary: "Permission denied doing it",
			want: []string{"refused doing it (403): provisioning users needs the ops key; this request used the user token of a@b.com.", "This needs the ops key"}},
		{name: "403 read all", err: &client.APIError{StatusCode: 403, Message: "x"}, need: needsReadAll, want: []string{"the ops key or the master token"}},
		{name: "403 customer", err: &client.APIError{StatusCode: 403, Message: "x"}, need: needsCustomer, want: []string{"A user token may only read its own customer"}},
		{name: "400 at the attribute", err: &client.APIError{StatusCode: 400, Message: `diag_account "Nope" does not exist; known: Diag3`, Field: "diag_account"},
			attrs: customerFields, wantAt: "diag_account", want: []string{`refused doing it (400): diag_account "Nope" does not exist; known: Diag3`}},
		{name: "400 about the name", err: &client.APIError{StatusCode: 400, Message: `"x" is not a customer name`, Field: "customer"},
			attrs: customerFields, wantAt: "name"},
		{name: "400 about a field without an attribute", err: &client.APIError{StatusCode: 400, Message: `unknown field "x"`, Field: "x"},
			attrs: customerFields},
		{name: "400 whose message starts with a field", err: &client.APIError{StatusCode: 400, Message: `diag_account "Nope" does not exist`},
			attrs: customerFields},
		{name: "400 without an attribute", err: &client.APIError{StatusCode: 400, Message: `the request body is not valid JSON`}, attrs: customerFields},
		{name: "5xx", err: &client.APIError{StatusCode: 503, Message: "the database does not answer"}, summary: "VIRT-CO API error",
			want: []string{"failed while doing it (503): the database does not answer", "max_retries (VIRTCO_MAX_RETRIES)"}},
		{name: "409", err: &client.APIError{StatusCode: 409, Message: "conflict"}, want: []string{"answered 409 while doing it: conflict"}},
		{name: "other", err: errors.New("boom"), want: []string{"Doing it failed: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var diags diag.Diagnostics
			d.addAPIError(&diags, "doing it", tt.need, tt.attrs, tt.err)
			if len(diags) != 1 || !diags.HasError() {
				t.Fatalf("diagnostics: %v", diags)
			}
			got := diags[0]
			for _, w := range tt.want {
				if !strings.Contains(got.Detail(), w) {
					t.Errorf("detail does not say %q:\n%s", w, got.Detail())
				}
			}
			if tt.summary != "" && got.Summary() != tt.summary {
				t.Errorf("summary %q, want %q", got.Summary(), tt.summary)
			}
			wp, ok := got.(diag.DiagnosticWithPath)
			switch {
			case tt.wantAt == "" && ok:
				t.Errorf("the diagnostic is at %s", wp.Path())
			case tt.wantAt != "" && (!ok || !wp.Path().Equal(path.Root(tt.wantAt))):
				t.Errorf("the diagnostic is not at %s: %v", tt.wantAt, got)
			}
		})
	}
}

func TestAPIClientWithoutConfiguration(t *testing.T) {
	var diags diag.Diagnostics
	var none *providerData
	if none.apiClient(&diags, "reading") != nil || !strings.Contains(diagText(diags), "was not configured") {
		t.Errorf("nil provider data: %v", diags)
	}
	diags = nil
	unknown := &providerData{unknown: []string{"endpoint", "api_key"}}
	if unknown.apiClient(&diags, "reading customer \"a.b\"") != nil ||
		!strings.Contains(diagText(diags), "the provider's endpoint, api_key depend(s) on values that are known only after apply") {
		t.Errorf("unknown settings: %v", diagText(diags))
	}
}
