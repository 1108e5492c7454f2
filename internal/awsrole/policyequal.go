// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/virtasant/terraform-provider-virtco/internal/names"
)

// DecodePolicyDocument returns the JSON text of a policy document as IAM
// hands it back. IAM returns AssumeRolePolicyDocument (GetRole, CreateRole)
// and PolicyDocument (GetRolePolicy) URL-encoded (RFC 3986, spaces as %20),
// and the SDK does not decode them. A document that already is JSON (its
// first non-space character is '{') is returned unchanged, so the function is
// safe to call twice.
//
// Decoding uses path unescaping first (which keeps a literal '+' as '+'), and
// falls back to query unescaping ('+' as space) only when the first result is
// not valid JSON.
func DecodePolicyDocument(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", errors.New("empty policy document")
	}
	if t[0] == '{' {
		return s, nil
	}
	if d, err := url.PathUnescape(t); err == nil && json.Valid([]byte(d)) {
		return d, nil
	}
	if d, err := url.QueryUnescape(t); err == nil && json.Valid([]byte(d)) {
		return d, nil
	}
	return "", errors.New("policy document is neither JSON nor URL-encoded JSON")
}

// PoliciesEqual reports whether two IAM policy documents are semantically
// equal, the way the AWS provider's policy equivalence does it, so that IAM's
// reformatting never shows up as a difference. Either argument may be
// URL-encoded (as GetRole returns it); see DecodePolicyDocument.
//
// What does not matter:
//   - whitespace and the order of keys, statements, and of the values of
//     Action, NotAction, Resource, NotResource, principals and condition
//     values (they are sets in IAM), and repeated values in those sets;
//   - a single string versus a one-element list ("s3:GetObject" equals
//     ["s3:GetObject"]);
//   - an account id principal versus its root ARN ("123456789012" equals
//     "arn:aws:iam::123456789012:root"), and "Principal": "*" versus
//     {"AWS": "*"};
//   - the case of action names ("iam:getrole" equals "iam:GetRole") and of
//     condition keys ("sts:externalid" equals "sts:ExternalId"), which IAM
//     matches without regard to case;
//   - a condition value written as a JSON boolean or number versus as a
//     string (true equals "true").
//
// What does matter: element names ("Action" is not "action", as in IAM),
// Version, Id, Sid, Effect, resources (ARNs), principals other than the
// account/root equivalence, condition operators and values.
//
// Two empty documents are equal; an empty document never equals a non-empty
// one. A document that is not a JSON object, or whose elements have the wrong
// types, is an error.
func PoliciesEqual(a, b string) (bool, error) {
	if strings.TrimSpace(a) == "" || strings.TrimSpace(b) == "" {
		return strings.TrimSpace(a) == strings.TrimSpace(b), nil
	}
	ca, err := canonicalPolicy(a)
	if err != nil {
		return false, fmt.Errorf("policy 1: %w", err)
	}
	cb, err := canonicalPolicy(b)
	if err != nil {
		return false, fmt.Errorf("policy 2: %w", err)
	}
	return ca == cb, nil
}

// canonicalPolicy decodes a policy document and renders it in a canonical
// form: two documents are semantically equal exactly when their canonical
// forms are the same string.
func canonicalPolicy(doc string) (string, error) {
	p, err := parsePolicy(doc)
	if err != nil {
		return "", err
	}
	stmts := make([]string, len(p.Statements))
	for i, st := range p.Statements {
		b, err := json.Marshal(st)
		if err != nil {
			return "", err
		}
		stmts[i] = string(b)
	}
	sort.Strings(stmts)
	out, err := json.Marshal(struct {
		Version    string          `json:"v"`
		ID         string          `json:"i"`
		Other      map[string]any  `json:"o,omitempty"`
		Statements []string        `json:"s"`
		Present    map[string]bool `json:"p"`
	}{p.Version, p.ID, p.Other, stmts, p.present})
	return string(out), err
}

// parsedPolicy is a policy document folded into sets: the form both
// PoliciesEqual and the trust-policy checks work on.
type parsedPolicy struct {
	Version    string
	ID         string
	Other      map[string]any // unknown top-level elements, compared as JSON
	Statements []*parsedStatement
	present    map[string]bool // whether Version was present (IAM defaults it)
}

// parsedStatement is one statement with every set sorted and de-duplicated.
// It is marshalled to JSON to compare statements; the field names are short
// because only equality of that JSON matters.
type parsedStatement struct {
	Sid          string                         `json:"sid,omitempty"`
	Effect       string                         `json:"e"`
	Principal    map[string][]string            `json:"p,omitempty"`
	NotPrincipal map[string][]string            `json:"np,omitempty"`
	Action       []string                       `json:"a,omitempty"`
	NotAction    []string                       `json:"na,omitempty"`
	Resource     []string                       `json:"r,omitempty"`
	NotResource  []string                       `json:"nr,omitempty"`
	Condition    map[string]map[string][]string `json:"c,omitempty"`
	Other        map[string]any                 `json:"o,omitempty"`
	// Has records which of the optional elements were present at all, so
	// that a missing Principal differs from an empty one.
	Has map[string]bool `json:"h"`
}

// parsePolicy decodes (see DecodePolicyDocument) and parses a policy.
func parsePolicy(doc string) (*parsedPolicy, error) {
	d, err := DecodePolicyDocument(doc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(d))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("invalid policy JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid policy JSON: trailing data after the document")
	}
	if top == nil {
		return nil, errors.New("policy document must be a JSON object")
	}
	p := &parsedPolicy{present: map[string]bool{}}
	for k, v := range top {
		switch k {
		case "Version":
			s, ok := v.(string)
			if !ok {
				return nil, errors.New("policy Version must be a string")
			}
			p.Version = s
			p.present[k] = true
		case "Id":
			s, ok := v.(string)
			if !ok {
				return nil, errors.New("policy Id must be a string")
			}
			p.ID = s
		case "Statement":
			var raw []any
			switch t := v.(type) {
			case map[string]any:
				raw = []any{t}
			case []any:
				raw = t
			default:
				return nil, errors.New("policy Statement must be an object or a list of objects")
			}
			for i, r := range raw {
				m, ok := r.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("policy statement %d is not an object", i+1)
				}
				st, err := parseStatement(m)
				if err != nil {
					if st != nil && st.Sid != "" {
						return nil, fmt.Errorf("statement %q: %w", st.Sid, err)
					}
					return nil, fmt.Errorf("statement %d: %w", i+1, err)
				}
				p.Statements = append(p.Statements, st)
			}
		default:
			if p.Other == nil {
				p.Other = map[string]any{}
			}
			p.Other[k] = v
		}
	}
	return p, nil
}

func parseStatement(m map[string]any) (*parsedStatement, error) {
	st := &parsedStatement{Has: map[string]bool{}}
	if s, ok := m["Sid"].(string); ok {
		st.Sid = s
	}
	var err error
	for k, v := range m {
		switch k {
		case "Sid":
			if _, ok := v.(string); !ok {
				return st, errors.New("the Sid must be a string")
			}
		case "Effect":
			s, ok := v.(string)
			if !ok {
				return st, errors.New("the Effect must be a string")
			}
			st.Effect = s
		case "Principal":
			st.Principal, err = parsePrincipal(v)
		case "NotPrincipal":
			st.NotPrincipal, err = parsePrincipal(v)
		case "Action":
			st.Action, err = stringSet(v, k, strings.ToLower)
		case "NotAction":
			st.NotAction, err = stringSet(v, k, strings.ToLower)
		case "Resource":
			st.Resource, err = stringSet(v, k, nil)
		case "NotResource":
			st.NotResource, err = stringSet(v, k, nil)
		case "Condition":
			st.Condition, err = parseCondition(v)
		default:
			if st.Other == nil {
				st.Other = map[string]any{}
			}
			st.Other[k] = v
		}
		if err != nil {
			return st, err
		}
		switch k {
		case "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource":
			st.Has[k] = true
		}
	}
	return st, nil
}

// stringSet folds a string or a list of strings into a sorted set, applying
// norm (if any) to each member.
func stringSet(v any, what string, norm func(string) string) ([]string, error) {
	var in []string
	switch t := v.(type) {
	case string:
		in = []string{t}
	case []any:
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s must be a string or a list of strings", what)
			}
			in = append(in, s)
		}
	default:
		return nil, fmt.Errorf("%s must be a string or a list of strings", what)
	}
	if norm != nil {
		for i := range in {
			in[i] = norm(in[i])
		}
	}
	return sortedUnique(in), nil
}

func sortedUnique(in []string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

var rootPrincipalRE = compileLater(`^arn:aws[a-z-]*:iam::([0-9]{12}):root$`)

// isAccountID tells a principal that is an account id, by the names package's rule.
func isAccountID(s string) bool { return names.AccountID.Check(s) == nil }

// normalizeAWSPrincipal folds the two spellings of "any principal of this
// account" into the account id: IAM itself rewrites "123456789012" to
// "arn:aws:iam::123456789012:root" when it stores a trust policy.
func normalizeAWSPrincipal(s string) string {
	if m := rootPrincipalRE().FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

// parsePrincipal reads "*" or {"AWS": ..., "Service": ..., ...}. "*" is the
// same as {"AWS": "*"} in IAM.
func parsePrincipal(v any) (map[string][]string, error) {
	switch t := v.(type) {
	case string:
		if t != "*" {
			return nil, fmt.Errorf("the Principal %q: a string principal can only be \"*\"", t)
		}
		return map[string][]string{"AWS": {"*"}}, nil
	case map[string]any:
		out := make(map[string][]string, len(t))
		for typ, val := range t {
			var norm func(string) string
			if typ == "AWS" {
				norm = normalizeAWSPrincipal
			}
			set, err := stringSet(val, "Principal "+typ, norm)
			if err != nil {
				return nil, err
			}
			out[typ] = set
		}
		return out, nil
	}
	return nil, errors.New("the Principal must be \"*\" or an object")
}

// parseCondition reads {"Operator": {"key": value | [values]}}. Keys are
// matched by IAM without regard to case, so they are lower-cased; values are
// a set, and booleans and numbers are compared as their string form.
func parseCondition(v any) (map[string]map[string][]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the Condition must be an object")
	}
	out := make(map[string]map[string][]string, len(m))
	for op, block := range m {
		keys, ok := block.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the Condition %s must be an object", op)
		}
		if out[op] == nil {
			out[op] = map[string][]string{}
		}
		for key, raw := range keys {
			items, isList := raw.([]any)
			if !isList {
				items = []any{raw}
			}
			vals := make([]string, 0, len(items))
			for _, it := range items {
				switch x := it.(type) {
				case string:
					vals = append(vals, x)
				case bool:
					vals = append(vals, fmt.Sprint(x))
				case json.Number:
					vals = append(vals, x.String())
				default:
					return nil, fmt.Errorf("the Condition %s %s: values must be strings, numbers or booleans", op, key)
				}
			}
			lk := strings.ToLower(key)
			out[op][lk] = sortedUnique(append(out[op][lk], vals...))
		}
	}
	return out, nil
}

// marshalPolicy renders a policy built by this package: indented, keys in
// the struct order given, no HTML escaping, no trailing newline.
func marshalPolicy(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}
