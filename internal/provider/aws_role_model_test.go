// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

func TestParseRoleID(t *testing.T) {
	c, a, r, as, err := parseRoleID("acme.com/123456789012/virtco-diagnostics-readonly")
	if err != nil || c != "acme.com" || a != "123456789012" || r != "virtco-diagnostics-readonly" || as != "" {
		t.Errorf("parseRoleID: %q %q %q %q %v", c, a, r, as, err)
	}
	const assume = "arn:aws:iam::123456789012:role/org/OrganizationAccountAccessRole"
	c, a, r, as, err = parseRoleID("acme.com/123456789012/virtco-diagnostics-readonly/" + assume)
	if err != nil || c != "acme.com" || a != "123456789012" || r != "virtco-diagnostics-readonly" || as != assume {
		t.Errorf("parseRoleID with a role to assume: %q %q %q %q %v", c, a, r, as, err)
	}
	for id, want := range map[string]string{
		"acme.com/123456789012":     "is not of the form customer/account_id/role_name",
		"acme.com/123456789012/a/b": "is not of the form customer/account_id/role_name",
		"acme.com/123456789012/a/arn:aws:sts::123456789012:assumed-role/r/s": "nor customer/account_id/role_name/<ARN of the IAM role to assume>",
		"ACME/123456789012/r":                              "is not a customer name",
		"acme.com/1234/r":                                  `"1234" is not an AWS account id: an AWS account id is exactly 12 digits`,
		"acme.com/123456789012/no spaces":                  `"no spaces" is not a role name`,
		"acme.com/123456789012/" + strings.Repeat("r", 65): "is not a role name",
	} {
		if _, _, _, _, err := parseRoleID(id); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseRoleID(%q): %v, want %q", id, err, want)
		}
	}
}

// checkPlanned: the trust a create or update would give the role must be the one the plan showed;
// what the plan did not know yet (a customer made in the same apply) passes.
func TestCheckPlanned(t *testing.T) {
	trust := &rolegrant.Trust{Customer: &client.Customer{Name: "acme.com"}, Principal: "arn:aws:iam::111122223333:root", ExternalID: "e1"}
	for _, c := range []struct {
		name                  string
		externalID, principal types.String
		ok                    bool
	}{
		{"as planned", types.StringValue("e1"), types.StringValue("arn:aws:iam::111122223333:root"), true},
		{"not known at plan time", types.StringUnknown(), types.StringUnknown(), true},
		{"another external id", types.StringValue("e0"), types.StringValue("arn:aws:iam::111122223333:root"), false},
		{"another diag account", types.StringValue("e1"), types.StringValue("arn:aws:iam::444455556666:root"), false},
	} {
		var diags diag.Diagnostics
		m := &awsRoleResourceModel{ExternalID: c.externalID, TrustedPrincipal: c.principal}
		if ok := m.checkPlanned(trust, &diags); ok != c.ok || diags.HasError() == c.ok {
			t.Errorf("%s: ok %v, diagnostics %v", c.name, ok, diags)
		}
		if !c.ok && !strings.Contains(diags.Errors()[0].Detail(), `Customer "acme.com"'s diagnostic account or external id changed on the platform after the plan was made`) {
			t.Errorf("%s: %v", c.name, diags)
		}
	}
}
