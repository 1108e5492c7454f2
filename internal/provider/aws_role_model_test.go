// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"strings"
	"testing"
)

func TestParseRoleID(t *testing.T) {
	c, a, r, err := parseRoleID("acme.com/123456789012/virtco-diagnostics-readonly")
	if err != nil || c != "acme.com" || a != "123456789012" || r != "virtco-diagnostics-readonly" {
		t.Errorf("parseRoleID: %q %q %q %v", c, a, r, err)
	}
	for id, want := range map[string]string{
		"acme.com/123456789012":                            "is not of the form customer/account_id/role_name",
		"acme.com/123456789012/a/b":                        "is not of the form customer/account_id/role_name",
		"ACME/123456789012/r":                              "is not a customer name",
		"acme.com/1234/r":                                  `"1234" is not an AWS account id: an AWS account id is exactly 12 digits`,
		"acme.com/123456789012/no spaces":                  `"no spaces" is not a role name`,
		"acme.com/123456789012/" + strings.Repeat("r", 65): "is not a role name",
	} {
		if _, _, _, err := parseRoleID(id); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseRoleID(%q): %v, want %q", id, err, want)
		}
	}
}
