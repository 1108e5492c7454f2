// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package names holds the naming rules of VIRT-CO (ARCHITECTURE.md, "Names"), each once: the
// server enforces them, the provider checks them at plan time and spells them out in its
// attribute descriptions, and so a bad name gets the same answer wherever it is caught.
package names

import (
	"fmt"
	"regexp"
	"strings"
)

// Rule is one naming rule. Check a value with Check; the zero Rule is no rule at all.
type Rule int

// The rules.
const (
	// CustomerName is a customer's name: a lower-case DNS domain such as acme.com.
	CustomerName Rule = iota + 1
	// UserName is a user's name, such as joe.
	UserName
	// DiagAccountName is a diagnostic account's name, such as Diag3.
	DiagAccountName
	// AccountID is an AWS account id: 12 digits.
	AccountID
	// RegionName is an AWS region name, such as us-east-1.
	RegionName
	// RoleName is an IAM role name, by IAM's rules.
	RoleName
)

// A user name and a diag account name follow the same rule.
const (
	nameText     = "1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-', not only dots"
	nameMarkdown = "1-64 characters of `A-Z`, `a-z`, `0-9`, `.`, `_` and `-`, not only dots"
)

// spec is what a Rule says and how it checks.
type spec struct {
	article, name string
	text          string
	markdown      string
	valid         func(string) bool
}

var specs = map[Rule]spec{
	CustomerName: {
		article: "a", name: "customer name",
		text: "a lower-case DNS domain such as acme.com: at least two labels separated by dots, each 1-63 characters " +
			"of a-z, 0-9 and '-' (not starting or ending with '-'), at most 253 characters in all",
		markdown: "labels of 1-63 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`, at least one dot, " +
			"at most 253 characters",
		valid: validDomain,
	},
	UserName:        {article: "a", name: "user name", text: nameText, markdown: nameMarkdown, valid: validName},
	DiagAccountName: {article: "a", name: "diag account name", text: nameText, markdown: nameMarkdown, valid: validName},
	AccountID: {
		article: "an", name: "AWS account id",
		text: "exactly 12 digits", markdown: "exactly 12 digits",
		valid: func(s string) bool { return len(s) == 12 && strings.Trim(s, "0123456789") == "" },
	},
	RegionName: {
		article: "an", name: "AWS region name",
		text:     "lower-case, such as us-east-1, eu-west-2 or us-gov-west-1",
		markdown: "lower-case, such as `us-east-1`, `eu-west-2` or `us-gov-west-1`",
		valid:    regionRE.MatchString,
	},
	RoleName: {
		article: "a", name: "role name",
		text:     "1 to 64 characters of letters, digits and +=,.@_-",
		markdown: "1 to 64 characters of letters, digits and `+=,.@_-`",
		valid:    roleNameRE.MatchString,
	},
}

var (
	regionRE   = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$`)
	roleNameRE = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
)

// Name is what the rule names, without an article: "customer name", "AWS account id".
func (r Rule) Name() string { return specs[r].name }

// Noun is the rule's name with its article: "a customer name", "an AWS account id".
func (r Rule) Noun() string {
	if s, ok := specs[r]; ok {
		return s.article + " " + s.name
	}
	return "a name"
}

// Text is the rule in words, as the error of a value that breaks it ends:
// "exactly 12 digits".
func (r Rule) Text() string { return specs[r].text }

// Markdown is the rule as attribute descriptions spell it out, with names and characters in
// code spans.
func (r Rule) Markdown() string { return specs[r].markdown }

// String is the rule's name.
func (r Rule) String() string { return r.Name() }

// Check returns nil when value follows the rule, and otherwise an *Error whose text is what the
// API and the provider say about it.
func (r Rule) Check(value string) error {
	if s, ok := specs[r]; ok && s.valid(value) {
		return nil
	}
	return &Error{Rule: r, Value: value}
}

// Error is a value that breaks a rule. Its text says what the value is not and what the rule
// is, such as `"1234" is not an AWS account id: an AWS account id is exactly 12 digits`.
type Error struct {
	Rule  Rule
	Value string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%q is not %s: %s is %s", e.Value, e.Rule.Noun(), e.Rule.Noun(), e.Rule.Text())
}

// validDomain: at least two labels of 1-63 of a-z, 0-9 and '-', not starting or ending with
// '-', at most 253 in all. Byte by byte, so that anything outside ASCII is refused.
func validDomain(s string) bool {
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) < 1 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
	}
	return true
}

// validName: 1-64 of A-Z a-z 0-9 . _ -, not only dots (which a URL path cannot carry as a
// segment).
func validName(s string) bool {
	if len(s) < 1 || len(s) > 64 || strings.Trim(s, ".") == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}
