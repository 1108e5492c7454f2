// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"strconv"
	"strings"
	"time"
)

// evalContext is what a trust policy is evaluated against: who asks, for
// which action, and the request's condition keys (lower-cased, since IAM
// condition keys are case-insensitive). A key absent from the map is absent
// from the request.
type evalContext struct {
	caller *principal
	action string
	keys   map[string]string
}

// allows evaluates a trust policy the way IAM does for one request: an
// explicit Deny wins, otherwise some Allow must match, otherwise the request
// is implicitly denied. Only the principal, action and condition elements are
// considered; trust policies have no Resource.
func (pd *policyDoc) allows(ctx evalContext) bool {
	allowed := false
	for _, st := range pd.statements {
		if !st.matches(ctx) {
			continue
		}
		if st.effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func (st statement) matches(ctx evalContext) bool {
	switch {
	case st.hasAction && !anyWildcardMatch(st.action, ctx.action):
		return false
	case st.hasNotAction && anyWildcardMatch(st.notAction, ctx.action):
		return false
	case st.principal != nil && !st.principal.matches(ctx.caller):
		return false
	case st.notPrincipal != nil && st.notPrincipal.matches(ctx.caller):
		return false
	case st.principal == nil && st.notPrincipal == nil:
		return false
	}
	for op, keys := range st.condition {
		for key, vals := range keys {
			if !evalCondition(op, key, vals, ctx.keys) {
				return false
			}
		}
	}
	return true
}

// matches reports whether the caller is one of the principals. For "AWS"
// principals: "*" is anyone; an account id or arn:...:root is any principal
// of that account; a role ARN matches sessions of that role; a user or
// assumed-role ARN matches exactly. Service, Federated and CanonicalUser
// principals never match an AssumeRole caller.
func (ps *principalSpec) matches(c *principal) bool {
	if ps.wildcard {
		return true
	}
	for _, v := range ps.byType["AWS"] {
		switch {
		case v == "*":
			return true
		case twelveDigits.MatchString(v):
			if v == c.account {
				return true
			}
		case rootARNRE.MatchString(v):
			if rootARNRE.FindStringSubmatch(v)[1] == c.account {
				return true
			}
		case c.roleARN != "" && arnEqual(v, c.roleARN):
			return true
		case arnEqual(v, c.arn):
			return true
		}
	}
	return false
}

// arnEqual compares ARNs ignoring the partition and the case of the resource
// part (IAM names are case-insensitive).
func arnEqual(a, b string) bool {
	strip := func(s string) string {
		parts := strings.SplitN(s, ":", 6)
		if len(parts) != 6 {
			return s
		}
		return parts[2] + ":" + parts[4] + ":" + strings.ToLower(parts[5])
	}
	return strip(a) == strip(b)
}

// evalCondition evaluates one operator/key pair. The operators cover what
// trust policies use in practice; an operator the emulator does not know
// never matches, so an unsupported condition fails closed.
func evalCondition(op, key string, want []string, keys map[string]string) bool {
	got, present := keys[strings.ToLower(key)]
	// Set operators: keys here are single-valued, so ForAnyValue behaves as
	// the plain operator and ForAllValues is also true for an absent key.
	if rest, ok := strings.CutPrefix(op, "ForAnyValue:"); ok {
		op = rest
	} else if rest, ok := strings.CutPrefix(op, "ForAllValues:"); ok {
		if !present {
			return true
		}
		op = rest
	}
	if op == "Null" {
		// {"Null": {"k": "true"}} means the key must be absent.
		for _, w := range want {
			if (w == "true") == present {
				return false
			}
		}
		return true
	}
	ifExists := false
	if rest, ok := strings.CutSuffix(op, "IfExists"); ok {
		op, ifExists = rest, true
	}
	if !present {
		if ifExists {
			return true
		}
		// Negated operators are true when the key is missing; positive ones
		// false (IAM's documented behaviour).
		return strings.Contains(op, "Not")
	}
	anyMatch := func(match func(w string) bool) bool {
		for _, w := range want {
			if match(w) {
				return true
			}
		}
		return false
	}
	switch op {
	case "StringEquals", "ArnEquals":
		return anyMatch(func(w string) bool { return w == got })
	case "StringNotEquals", "ArnNotEquals":
		return !anyMatch(func(w string) bool { return w == got })
	case "StringEqualsIgnoreCase":
		return anyMatch(func(w string) bool { return strings.EqualFold(w, got) })
	case "StringNotEqualsIgnoreCase":
		return !anyMatch(func(w string) bool { return strings.EqualFold(w, got) })
	case "StringLike", "ArnLike":
		return anyMatch(func(w string) bool { return wildcardMatch(w, got, false) })
	case "StringNotLike", "ArnNotLike":
		return !anyMatch(func(w string) bool { return wildcardMatch(w, got, false) })
	case "Bool":
		return anyMatch(func(w string) bool { return strings.EqualFold(w, got) })
	}
	if cmp, ok := dateOperators[op]; ok {
		at, ok := parseConditionDate(got)
		if !ok {
			return false
		}
		if strings.HasPrefix(op, "DateNot") {
			return !anyMatch(func(w string) bool { v, ok := parseConditionDate(w); return ok && at.Equal(v) })
		}
		return anyMatch(func(w string) bool { v, ok := parseConditionDate(w); return ok && cmp(at, v) })
	}
	return false
}

// dateOperators compare the request's time (the key) with the policy's (the value).
var dateOperators = map[string]func(got, want time.Time) bool{
	"DateEquals":            func(got, want time.Time) bool { return got.Equal(want) },
	"DateNotEquals":         nil, // the negation of DateEquals, in evalCondition
	"DateLessThan":          func(got, want time.Time) bool { return got.Before(want) },
	"DateLessThanEquals":    func(got, want time.Time) bool { return !got.After(want) },
	"DateGreaterThan":       func(got, want time.Time) bool { return got.After(want) },
	"DateGreaterThanEquals": func(got, want time.Time) bool { return !got.Before(want) },
}

// parseConditionDate reads a date as IAM takes it: ISO 8601 (a date and time with its zone, or a
// date alone) or seconds since the epoch. A value it cannot read matches nothing: fail closed.
func parseConditionDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0).UTC(), true
	}
	return time.Time{}, false
}

func anyWildcardMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		// Action names are case-insensitive in IAM.
		if wildcardMatch(p, s, true) {
			return true
		}
	}
	return false
}

// wildcardMatch matches s against an IAM pattern where '*' is any run of
// characters and '?' any one character.
func wildcardMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
