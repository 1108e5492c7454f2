// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// Entity tags. A customer's is its version, as it always was; a user's and an AWS account's carry
// a letter, so that the tag of one kind of object never matches another's.
const (
	customerTags = ""
	userTags     = "u"
	accountTags  = "a"
)

func entityTag(kind string, version int64) string {
	return `"` + kind + strconv.FormatInt(version, 10) + `"`
}

// precondition reads the If-Match and If-None-Match of a write on an object whose entity tags are
// of kind. A tag of another kind, a weak one or a malformed one can never match, so a header that
// holds only those fails the write rather than being ignored.
func precondition(r *http.Request, kind string) store.Precondition {
	var pre store.Precondition
	if strings.TrimSpace(r.Header.Get("If-None-Match")) == "*" {
		pre.MustNotExist = true
	}
	m := parseIfMatch(r.Header.Values("If-Match"))
	switch {
	case !m.present:
		return pre
	case m.any && len(m.strong) == 0:
		pre.MustExist = true
		return pre
	}
	pre.Versions = []int64{}
	for _, tag := range m.strong {
		if v, err := strconv.ParseInt(strings.TrimPrefix(tag, kind), 10, 64); err == nil && v > 0 && strings.HasPrefix(tag, kind) &&
			(kind != "" || tag[0] >= '0' && tag[0] <= '9') {
			pre.Versions = append(pre.Versions, v)
		}
	}
	return pre
}

// ifMatch is an If-Match header (RFC 9110, section 13.1.1): "*", or a list of entity tags, any of
// which may match.
type ifMatch struct {
	present bool
	any     bool     // "*": the object must exist
	strong  []string // the opaque tags of the strong entity tags, without their quotes
}

// parseIfMatch reads an If-Match header. A write compares entity tags strongly, so a weak tag
// (W/"...") never matches, and neither does anything that is not an entity tag; a header with
// nothing usable in it matches nothing, so that a write under it fails rather than going ahead
// unguarded.
func parseIfMatch(values []string) ifMatch {
	var m ifMatch
	for _, v := range values {
		m.present = true
		for _, part := range splitTags(v) {
			switch {
			case part == "*":
				m.any = true
			case len(part) >= 2 && part[0] == '"' && part[len(part)-1] == '"' && validOpaque(part[1:len(part)-1]):
				m.strong = append(m.strong, part[1:len(part)-1])
			}
		}
	}
	return m
}

// splitTags splits a list of entity tags at the commas between them; a comma inside quotes is
// part of a tag (which is then not valid: etagc excludes it, but it must not split the list).
func splitTags(v string) []string {
	var parts []string
	inQuotes, start := false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			inQuotes = !inQuotes
		case ',':
			if !inQuotes {
				parts = append(parts, strings.TrimSpace(v[start:i]))
				start = i + 1
			}
		}
	}
	return append(parts, strings.TrimSpace(v[start:]))
}

// validOpaque reports whether s is the inside of an opaque tag: etagc = %x21 / %x23-7E / obs-text.
func validOpaque(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c == '"' || c == 0x7f {
			return false
		}
	}
	return true
}
