// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"
)

// policyDoc is a parsed IAM policy document. IAM lets most elements be a
// single string or a list of strings; the parser folds both into slices.
type policyDoc struct {
	version    string
	statements []statement
}

type statement struct {
	sid                     string
	effect                  string // "Allow" or "Deny"
	principal, notPrincipal *principalSpec
	action, notAction       []string
	hasAction, hasNotAction bool
	resource, notResource   []string
	hasResource             bool
	hasNotResource          bool
	// condition maps operator -> condition key -> values.
	condition map[string]map[string][]string
}

// principalSpec is a Principal element: "*" or {"AWS": ..., "Service": ...}.
type principalSpec struct {
	wildcard bool
	byType   map[string][]string // "AWS", "Service", "Federated", "CanonicalUser"
}

// parsePolicy parses and checks the grammar shared by trust and identity
// policies. The messages follow IAM's where IAM's are known.
func parsePolicy(doc string) (*policyDoc, *apiError) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, errMalformedPolicy("This policy contains invalid Json")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errMalformedPolicy("This policy contains invalid Json")
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, errMalformedPolicy("This policy contains invalid Json")
	}
	pd := &policyDoc{}
	switch v := top["Version"].(type) {
	case nil:
		// Real IAM defaults a missing Version to 2008-10-17; the emulator is
		// stricter on purpose so that a generated policy without one fails
		// in tests rather than silently getting legacy semantics in AWS.
		return nil, errMalformedPolicy("Syntax errors in policy. (awsemu requires a Version element)")
	case string:
		if v != "2012-10-17" && v != "2008-10-17" {
			return nil, errMalformedPolicy("The policy failed legacy parsing")
		}
		pd.version = v
	default:
		return nil, errMalformedPolicy("The policy failed legacy parsing")
	}
	var rawStatements []any
	switch v := top["Statement"].(type) {
	case map[string]any:
		rawStatements = []any{v}
	case []any:
		rawStatements = v
	default:
		return nil, errMalformedPolicy("Syntax errors in policy.")
	}
	if len(rawStatements) == 0 {
		return nil, errMalformedPolicy("Syntax errors in policy.")
	}
	for k := range top {
		if k != "Version" && k != "Statement" && k != "Id" {
			return nil, errMalformedPolicy("Syntax errors in policy. (unknown element %q)", k)
		}
	}
	for _, rs := range rawStatements {
		m, ok := rs.(map[string]any)
		if !ok {
			return nil, errMalformedPolicy("Syntax errors in policy.")
		}
		st, err := parseStatement(m)
		if err != nil {
			return nil, err
		}
		pd.statements = append(pd.statements, st)
	}
	return pd, nil
}

func parseStatement(m map[string]any) (statement, *apiError) {
	var st statement
	var err *apiError
	for k, v := range m {
		switch k {
		case "Sid":
			s, ok := v.(string)
			if !ok {
				return st, errMalformedPolicy("Syntax errors in policy.")
			}
			st.sid = s
		case "Effect":
			s, _ := v.(string)
			if s != "Allow" && s != "Deny" {
				return st, errMalformedPolicy("Invalid effect: %v", v)
			}
			st.effect = s
		case "Principal":
			st.principal, err = parsePrincipal(v)
		case "NotPrincipal":
			st.notPrincipal, err = parsePrincipal(v)
		case "Action":
			st.action, err = stringOrList(v)
			st.hasAction = true
		case "NotAction":
			st.notAction, err = stringOrList(v)
			st.hasNotAction = true
		case "Resource":
			st.resource, err = stringOrList(v)
			st.hasResource = true
		case "NotResource":
			st.notResource, err = stringOrList(v)
			st.hasNotResource = true
		case "Condition":
			st.condition, err = parseCondition(v)
		default:
			return st, errMalformedPolicy("Syntax errors in policy. (unknown statement element %q)", k)
		}
		if err != nil {
			return st, err
		}
	}
	if st.effect == "" {
		return st, errMalformedPolicy("Missing required field Effect")
	}
	if st.hasAction && st.hasNotAction {
		return st, errMalformedPolicy("Syntax errors in policy. (both Action and NotAction)")
	}
	if !st.hasAction && !st.hasNotAction {
		return st, errMalformedPolicy("Policy statement must contain actions.")
	}
	if st.principal != nil && st.notPrincipal != nil {
		return st, errMalformedPolicy("Syntax errors in policy. (both Principal and NotPrincipal)")
	}
	return st, nil
}

// stringOrList accepts "x" or ["x", "y"], the two spellings IAM allows.
func stringOrList(v any) ([]string, *apiError) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		if len(t) == 0 {
			return nil, errMalformedPolicy("Syntax errors in policy. (empty list)")
		}
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, errMalformedPolicy("Syntax errors in policy.")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errMalformedPolicy("Syntax errors in policy.")
}

func parsePrincipal(v any) (*principalSpec, *apiError) {
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, errMalformedPolicy("Invalid principal in policy: %q", s)
		}
		return &principalSpec{wildcard: true}, nil
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, errMalformedPolicy("Syntax errors in policy. (Principal)")
	}
	ps := &principalSpec{byType: map[string][]string{}}
	for typ, val := range m {
		switch typ {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return nil, errMalformedPolicy("Invalid principal in policy: %q", typ)
		}
		list, err := stringOrList(val)
		if err != nil {
			return nil, err
		}
		ps.byType[typ] = list
	}
	return ps, nil
}

// parseCondition reads {"Operator": {"key": "v" | ["v", ...] | true | 3}}.
// Values are kept as strings; IAM compares them as strings for the operators
// the emulator evaluates.
func parseCondition(v any) (map[string]map[string][]string, *apiError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errMalformedPolicy("Syntax errors in policy. (Condition)")
	}
	out := map[string]map[string][]string{}
	for op, block := range m {
		keys, ok := block.(map[string]any)
		if !ok {
			return nil, errMalformedPolicy("Syntax errors in policy. (Condition %s)", op)
		}
		out[op] = map[string][]string{}
		for key, raw := range keys {
			var vals []string
			items, isList := raw.([]any)
			if !isList {
				items = []any{raw}
			}
			for _, it := range items {
				switch x := it.(type) {
				case string:
					vals = append(vals, x)
				case bool:
					vals = append(vals, fmt.Sprint(x))
				case json.Number:
					vals = append(vals, x.String())
				default:
					return nil, errMalformedPolicy("Syntax errors in policy. (Condition %s %s)", op, key)
				}
			}
			out[op][key] = vals
		}
	}
	return out, nil
}

var (
	rootARNRE       = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):root$`)
	iamEntityARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):(role|user)(/|/[\x21-\x7e]*/)[\w+=,.@-]{1,128}$`)
	assumedRoleRE   = regexp.MustCompile(`^arn:aws[a-z-]*:sts::([0-9]{12}):assumed-role/[\w+=,.@-]+/[\w+=,.@-]+$`)
	servicePrincRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$`)
	policyActionsRE = regexp.MustCompile(`^([a-zA-Z0-9-]+:[\w*?]+|\*)$`)
)

// validAWSPrincipal reports whether IAM would accept v as an "AWS" principal.
// The emulator does not check that a named user or role exists (real IAM
// does): the demo trusts roles in diagnostic accounts that it never creates.
func validAWSPrincipal(v string) bool {
	return v == "*" || twelveDigits.MatchString(v) || rootARNRE.MatchString(v) ||
		iamEntityARNRE.MatchString(v) || assumedRoleRE.MatchString(v)
}

// validateTrustPolicy checks a role's trust (assume-role) policy.
func validateTrustPolicy(doc string) (*policyDoc, *apiError) {
	pd, err := parsePolicy(doc)
	if err != nil {
		return nil, err
	}
	for _, st := range pd.statements {
		if st.hasResource || st.hasNotResource {
			return nil, errMalformedPolicy("Has prohibited field Resource")
		}
		ps := st.principal
		if ps == nil {
			ps = st.notPrincipal
		}
		if ps == nil {
			return nil, errMalformedPolicy("Missing required field Principal")
		}
		for typ, vals := range ps.byType {
			for _, v := range vals {
				var ok bool
				switch typ {
				case "AWS":
					ok = validAWSPrincipal(v)
				case "Service":
					ok = servicePrincRE.MatchString(v)
				default:
					ok = v != ""
				}
				if !ok {
					return nil, errMalformedPolicy("Invalid principal in policy: %q:%q", typ, v)
				}
			}
		}
		for _, a := range append(append([]string{}, st.action...), st.notAction...) {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "sts:") {
				return nil, errMalformedPolicy("AssumeRole policy may only specify STS AssumeRole actions.")
			}
		}
	}
	return pd, nil
}

// validateIdentityPolicy checks an inline or managed (identity) policy.
func validateIdentityPolicy(doc string) (*policyDoc, *apiError) {
	pd, err := parsePolicy(doc)
	if err != nil {
		return nil, err
	}
	for _, st := range pd.statements {
		if st.principal != nil || st.notPrincipal != nil {
			return nil, errMalformedPolicy("Policy document should not specify a principal.")
		}
		if !st.hasResource && !st.hasNotResource {
			return nil, errMalformedPolicy("Policy statement must contain resources.")
		}
		for _, a := range append(append([]string{}, st.action...), st.notAction...) {
			if !policyActionsRE.MatchString(a) {
				return nil, errMalformedPolicy("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
			}
		}
	}
	return pd, nil
}

// firstPrincipal renders the first principal of a trust policy the way IAM
// quotes it in "Invalid principal in policy" messages.
func firstPrincipal(pd *policyDoc) string {
	for _, st := range pd.statements {
		ps := st.principal
		if ps == nil {
			ps = st.notPrincipal
		}
		if ps == nil {
			continue
		}
		if ps.wildcard {
			return `"*"`
		}
		for _, typ := range []string{"AWS", "Service", "Federated", "CanonicalUser"} {
			if vals := ps.byType[typ]; len(vals) > 0 {
				return fmt.Sprintf("%q:%q", typ, vals[0])
			}
		}
	}
	return `""`
}

// normalizeTrustPolicy re-serialises a trust policy the way IAM hands it
// back: account-id principals become root ARNs ("123456789012" ->
// "arn:aws:iam::123456789012:root") and the document comes back compact.
// The emulator also sorts object keys; real IAM's order differs again. The
// point is that callers must compare policies semantically, never as text.
func normalizeTrustPolicy(doc string) string {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return doc
	}
	stmts, _ := raw["Statement"].([]any)
	if m, ok := raw["Statement"].(map[string]any); ok {
		stmts = []any{m}
	}
	for _, s := range stmts {
		st, _ := s.(map[string]any)
		for _, key := range []string{"Principal", "NotPrincipal"} {
			p, _ := st[key].(map[string]any)
			switch aws := p["AWS"].(type) {
			case string:
				p["AWS"] = accountToRoot(aws)
			case []any:
				for i, v := range aws {
					if s, ok := v.(string); ok {
						aws[i] = accountToRoot(s)
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(raw); err != nil {
		return doc
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func accountToRoot(v string) string {
	if twelveDigits.MatchString(v) {
		return "arn:aws:iam::" + v + ":root"
	}
	return v
}

// policySize counts a policy's characters the way IAM's size quotas do:
// whitespace does not count.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
