// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package names

import (
	"errors"
	"strings"
	"testing"
)

func TestRules(t *testing.T) {
	l63, l64 := strings.Repeat("a", 63), strings.Repeat("a", 64)
	// 63+1+63+1+63+1+61 = 253 characters.
	long253 := l63 + "." + l63 + "." + l63 + "." + strings.Repeat("b", 61)
	for _, tc := range []struct {
		rule       Rule
		good, bad  []string
		wantNoun   string
		wantPrefix string
	}{
		{
			rule: CustomerName,
			good: []string{"acme.com", "a.b", "0.0", "x-1.example.co.uk", "a-b.c-d", "9a.b9", l63 + ".com", long253},
			bad: []string{"", "acme", "Acme.com", "ACME.COM", "acme_corp.com", "-acme.com", "acme-.com", "acme.-com", "acme.com-",
				"acme..com", ".acme.com", "acme.com.", ".", "..", l64 + ".com", "acme." + l64, long253 + "b", long253[:252] + ".b",
				"joe@acme.com", "acme.com/x", "acme com.org", "jöe.com", "acme.cöm", "acme.com\n", "\u0430cme.com"},
			wantNoun: "a customer name",
		},
		{
			rule: UserName,
			good: []string{"joe", "Joe.Smith", "a", "x_y-z", "...a", "a...", ".a.", "-", "_", "0", l64, "A-Z.a-z_0-9"},
			bad:  []string{"", ".", "..", "...", "joe smith", "joe@acme.com", "jöe", "Jöe", l64 + "u", "a/b", "a\\b", "a+b", "\u0430", "joe\n"},
		},
		{
			rule: DiagAccountName,
			good: []string{"Diag3", "diag-3", "d.i_a-g", ".x", l64},
			bad:  []string{"", "....", "Diag!3", "Diag 3", l64 + "d", "Diäg"},
		},
		{
			rule: AccountID,
			good: []string{"123456789012", "000000000000"},
			bad:  []string{"", "1234", "12345678901", "1234567890123", "12345678901a", "-12345678901", " 123456789012", "１２３４５６７８９０１２"},
		},
		{
			rule: RegionName,
			good: []string{"us-east-1", "eu-west-2", "ap-southeast-3", "us-gov-west-1", "us-isob-east-1", "cn-north-1", "me-central-12"},
			bad:  []string{"", "us-east", "US-EAST-1", "moon", "moon-1", "us-east-1a", "mars-north-1x", "u-east-1", "us-east-1 ", "us_east_1"},
		},
		{
			rule: RoleName,
			good: []string{"r", "virtco-diagnostics-readonly", "a+b=c,d.e@f_g-h", l64, "R2D2"},
			bad:  []string{"", "no spaces", l64 + "r", "a/b", "rôle", "a:b", "a*b"},
		},
	} {
		t.Run(tc.rule.String(), func(t *testing.T) {
			for _, v := range tc.good {
				if err := tc.rule.Check(v); err != nil {
					t.Errorf("%q refused: %v", v, err)
				}
			}
			for _, v := range tc.bad {
				err := tc.rule.Check(v)
				var ne *Error
				if !errors.As(err, &ne) || ne.Rule != tc.rule || ne.Value != v {
					t.Errorf("%q: error %#v, want an *Error of rule %s", v, err, tc.rule)
				}
			}
		})
	}
}

// The messages are the one text the server and the provider use; they change only on purpose.
func TestMessages(t *testing.T) {
	for _, tc := range []struct {
		rule  Rule
		value string
		want  string
	}{
		{CustomerName, "ACME.com", `"ACME.com" is not a customer name: a customer name is a lower-case DNS domain such as acme.com: ` +
			`at least two labels separated by dots, each 1-63 characters of a-z, 0-9 and '-' (not starting or ending with '-'), ` +
			`at most 253 characters in all`},
		{UserName, "joe smith", `"joe smith" is not a user name: a user name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-', not only dots`},
		{DiagAccountName, "Diag!3", `"Diag!3" is not a diag account name: a diag account name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-', not only dots`},
		{AccountID, "1234", `"1234" is not an AWS account id: an AWS account id is exactly 12 digits`},
		{RegionName, "moon", `"moon" is not an AWS region name: an AWS region name is lower-case, such as us-east-1, eu-west-2 or us-gov-west-1`},
		{RoleName, "no spaces", `"no spaces" is not a role name: a role name is 1 to 64 characters of letters, digits and +=,.@_-`},
		{UserName, "j\"ö\n", `"j\"ö\n" is not a user name: a user name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-', not only dots`},
	} {
		if got := tc.rule.Check(tc.value).Error(); got != tc.want {
			t.Errorf("%s %q:\n got %s\nwant %s", tc.rule, tc.value, got, tc.want)
		}
	}
}

// The Markdown forms are what the attribute descriptions say, word for word.
func TestMarkdown(t *testing.T) {
	for rule, want := range map[Rule]string{
		CustomerName: "labels of 1-63 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`, at least one dot, at most 253 characters",
		UserName:     "1-64 characters of `A-Z`, `a-z`, `0-9`, `.`, `_` and `-`, not only dots",
	} {
		if got := rule.Markdown(); got != want {
			t.Errorf("%s: %q, want %q", rule, got, want)
		}
	}
	for _, r := range []Rule{CustomerName, UserName, DiagAccountName, AccountID, RegionName, RoleName} {
		if r.Markdown() == "" || r.Text() == "" || r.Name() == "" {
			t.Errorf("rule %d lacks a text", r)
		}
	}
}

func TestZeroRule(t *testing.T) {
	var r Rule
	if r.Check("anything") == nil {
		t.Error("the zero rule accepts a value")
	}
}
