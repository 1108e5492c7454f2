// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package names

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// Independent statements of the rules, as regular expressions, for the fuzzer to hold the checks
// to: two ways of writing a rule that agree on every input the fuzzer finds.
var (
	domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	oracles  = map[Rule]func(string) bool{
		CustomerName:    func(s string) bool { return len(s) <= 253 && domainRE.MatchString(s) },
		UserName:        regexp.MustCompile(`^[A-Za-z0-9._-]*[A-Za-z0-9_-][A-Za-z0-9._-]*$`).MatchString,
		DiagAccountName: regexp.MustCompile(`^[A-Za-z0-9._-]*[A-Za-z0-9_-][A-Za-z0-9._-]*$`).MatchString,
		AccountID:       regexp.MustCompile(`^[0-9]{12}$`).MatchString,
	}
)

// FuzzRules: every check agrees with its oracle; what it accepts is short, ASCII and safe as a
// URL path segment; what it refuses gets a message that quotes the value and says the rule.
func FuzzRules(f *testing.F) {
	for _, s := range []string{"acme.com", "ACME.com", "a.b", "-a.com", "joe", "..", "joe smith", "123456789012",
		"12345678901a", "us-east-1", "virtco-diagnostics-readonly", "a%2Fb.com", "jö", strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range []Rule{CustomerName, UserName, DiagAccountName, AccountID, RegionName, RoleName} {
			err := r.Check(s)
			if oracle, ok := oracles[r]; ok {
				want := oracle(s)
				if r == UserName || r == DiagAccountName {
					want = want && len(s) <= 64
				}
				if (err == nil) != want {
					t.Fatalf("%s of %q: check says %v, the oracle %v", r, s, err, want)
				}
			}
			if err != nil {
				if msg := err.Error(); !strings.Contains(msg, r.Text()) || !utf8.ValidString(msg) && utf8.ValidString(s) {
					t.Fatalf("%s of %q: the message %q does not say the rule", r, s, msg)
				}
				continue
			}
			if len(s) == 0 || len(s) > 253 || strings.ContainsFunc(s, func(c rune) bool { return c > 0x7e || c < 0x21 }) {
				t.Fatalf("%s accepts %q", r, s)
			}
			if r != RoleName && r != RegionName && url.PathEscape(s) != s {
				t.Fatalf("%s accepts %q, which a URL path cannot carry as it is", r, s)
			}
		}
	})
}
