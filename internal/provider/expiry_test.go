// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestExpiryPlan(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	null, unknown, str := types.StringNull(), types.StringUnknown(), types.StringValue
	tests := []struct {
		name string
		e    expiry
		want types.String
		diag string // "": none; else the summary of the one diagnostic
		sev  diag.Severity
	}{
		{"none", expiry{configAt: null, configFor: null, create: true}, null, "", 0},
		{"none after one", expiry{configAt: null, configFor: null, stateAt: str("2030-02-01T00:00:00Z"), stateFor: null}, null, "", 0},
		{"expires_at on create", expiry{configAt: str("2030-02-01T00:00:00Z"), configFor: null, create: true},
			str("2030-02-01T00:00:00Z"), "", 0},
		{"past expires_at on create", expiry{configAt: str("2029-12-31T00:00:00Z"), configFor: null, create: true},
			str("2029-12-31T00:00:00Z"), "Expiry in the past", diag.SeverityError},
		{"now is past", expiry{configAt: str("2030-01-01T13:00:00+01:00"), configFor: null, create: true},
			str("2030-01-01T13:00:00+01:00"), "Expiry in the past", diag.SeverityError},
		{"moved into the past", expiry{configAt: str("2029-12-31T00:00:00Z"), configFor: null, stateAt: str("2030-02-01T00:00:00Z"), stateFor: null},
			str("2029-12-31T00:00:00Z"), "Expiry in the past", diag.SeverityError},
		{"expired and left", expiry{configAt: str("2029-12-31T00:00:00Z"), configFor: null, stateAt: str("2029-12-31T00:00:00Z"), stateFor: null},
			str("2029-12-31T00:00:00Z"), "Access has expired", diag.SeverityWarning},
		{"valid_for on create", expiry{configAt: null, configFor: str("720h"), create: true}, unknown, "", 0},
		{"valid_for kept", expiry{configAt: null, configFor: str("720h"), stateAt: str("2030-01-20T00:00:00Z"), stateFor: str("720h")},
			str("2030-01-20T00:00:00Z"), "", 0},
		{"valid_for changed", expiry{configAt: null, configFor: str("1440h"), stateAt: str("2030-01-20T00:00:00Z"), stateFor: str("720h")},
			unknown, "", 0},
		{"valid_for after expires_at", expiry{configAt: null, configFor: str("1h"), stateAt: str("2030-01-20T00:00:00Z"), stateFor: null},
			unknown, "", 0},
		{"valid_for expired", expiry{configAt: null, configFor: str("1h"), stateAt: str("2030-01-01T11:00:00Z"), stateFor: str("1h")},
			str("2030-01-01T11:00:00Z"), "Access has expired", diag.SeverityWarning},
		{"unknown expires_at", expiry{configAt: unknown, configFor: null, create: true}, unknown, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.e.what = "user \"joe\""
			got, diags := tt.e.plan(now)
			if !got.Equal(tt.want) {
				t.Errorf("planned %s, want %s", got, tt.want)
			}
			switch {
			case tt.diag == "" && len(diags) > 0:
				t.Errorf("diagnostics: %v", diags)
			case tt.diag != "" && (len(diags) != 1 || diags[0].Summary() != tt.diag || diags[0].Severity() != tt.sev):
				t.Errorf("diagnostics %v, want one %q", diags, tt.diag)
			case tt.sev == diag.SeverityWarning && !strings.Contains(diags[0].Detail(), tt.want.ValueString()):
				t.Errorf("the warning does not give the date: %s", diags[0].Detail())
			}
		})
	}
}

func TestResolveExpiry(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 500, time.UTC)
	got, at, err := resolveExpiry(types.StringUnknown(), types.StringValue("90m"), now)
	if err != nil || got.ValueString() != "2030-01-01T13:30:00Z" || at == nil || !at.Equal(time.Date(2030, 1, 1, 13, 30, 0, 0, time.UTC)) {
		t.Fatalf("valid_for: %s %v %v", got, at, err)
	}
	if got, at, err := resolveExpiry(types.StringNull(), types.StringNull(), now); err != nil || !got.IsNull() || at != nil {
		t.Fatalf("none: %s %v %v", got, at, err)
	}
	kept := types.StringValue("2030-02-01T01:00:00+01:00")
	if got, at, err := resolveExpiry(kept, types.StringNull(), now); err != nil || !got.Equal(kept) || !at.Equal(time.Date(2030, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("expires_at: %s %v %v", got, at, err)
	}
	server := time.Date(2030, 2, 1, 0, 0, 0, 0, time.UTC)
	if got := expiryFromAPI(kept, &server); !got.Equal(kept) {
		t.Errorf("the same instant is respelled: %s", got)
	}
	if got := expiryFromAPI(types.StringValue("2030-03-01T00:00:00Z"), &server); got.ValueString() != "2030-02-01T00:00:00Z" {
		t.Errorf("a changed instant: %s", got)
	}
	if got := expiryFromAPI(kept, nil); !got.IsNull() {
		t.Errorf("none on the server: %s", got)
	}
}
