// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseIfMatch(t *testing.T) {
	for _, c := range []struct {
		header  []string
		present bool
		any     bool
		strong  []string
	}{
		{nil, false, false, nil},
		{[]string{`*`}, true, true, nil},
		{[]string{`"34"`}, true, false, []string{"34"}},
		{[]string{`"1", "34"`}, true, false, []string{"1", "34"}},
		{[]string{`"1"`, `"u7"`}, true, false, []string{"1", "u7"}},
		{[]string{`W/"34"`}, true, false, nil},
		{[]string{`W/"34", "35"`}, true, false, []string{"35"}},
		{[]string{`34`}, true, false, nil},
		{[]string{``}, true, false, nil},
		{[]string{`"a,b"`}, true, false, []string{"a,b"}},
		{[]string{`"a b"`}, true, false, nil},
	} {
		m := parseIfMatch(c.header)
		if m.present != c.present || m.any != c.any || !slices.Equal(m.strong, c.strong) {
			t.Errorf("%q: %+v, want present %v any %v strong %q", c.header, m, c.present, c.any, c.strong)
		}
	}
}

// FuzzIfMatch: any header parses without a panic, and a list of strong tags written out reads
// back as those tags, in order, whatever weak tags and white space stand between them.
func FuzzIfMatch(f *testing.F) {
	f.Add(`"1", W/"2", "u3"`, uint8(3))
	f.Add(`*`, uint8(0))
	f.Add(`"a,"b"`, uint8(1))
	f.Fuzz(func(t *testing.T, header string, n uint8) {
		m := parseIfMatch([]string{header})
		for _, tag := range m.strong {
			if !validOpaque(tag) {
				t.Fatalf("%q gave the tag %q", header, tag)
			}
		}
		var want []string
		var b strings.Builder
		for i := range int(n % 8) {
			tag := fmt.Sprintf("v%d", i)
			want = append(want, tag)
			fmt.Fprintf(&b, ` W/"w%d" , "%s",`, i, tag)
		}
		if got := parseIfMatch([]string{b.String()}); !slices.Equal(got.strong, want) || got.any {
			t.Fatalf("%q read back as %q, want %q", b.String(), got.strong, want)
		}
	})
}
