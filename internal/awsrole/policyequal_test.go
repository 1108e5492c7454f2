// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestPoliciesEqual(t *testing.T) {
	const base = `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}`
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		// Equal.
		{"identical", base, base, true},
		{"whitespace", base, indent(base), true},
		{"key order", base, `{"Statement":[{"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Action":["s3:GetObject","s3:ListBucket"],"Effect":"Allow","Sid":"A"}],"Version":"2012-10-17"}`, true},
		{"action order", base, strings.Replace(base, `["s3:GetObject","s3:ListBucket"]`, `["s3:ListBucket","s3:GetObject"]`, 1), true},
		{"resource order", base, strings.Replace(base, `["arn:aws:s3:::b","arn:aws:s3:::b/*"]`, `["arn:aws:s3:::b/*","arn:aws:s3:::b"]`, 1), true},
		{"duplicate action", base, strings.Replace(base, `["s3:GetObject","s3:ListBucket"]`, `["s3:GetObject","s3:ListBucket","s3:GetObject"]`, 1), true},
		{"action case", base, strings.Replace(base, `"s3:GetObject"`, `"S3:getobject"`, 1), true},
		{"string vs list action",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}`, true},
		{"statement object vs list",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, true},
		{"statement order",
			`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"a:A","Resource":"*"},{"Sid":"B","Effect":"Allow","Action":"b:B","Resource":"*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Allow","Action":"b:B","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"a:A","Resource":"*"}]}`, true},
		{"account id vs root arn", trust, strings.Replace(trust, `"123456789012"`, `"arn:aws:iam::123456789012:root"`, 1), true},
		{"account id in list vs root arn", strings.Replace(trust, `"123456789012"`, `["123456789012","arn:aws:iam::111122223333:role/r"]`, 1),
			strings.Replace(trust, `"123456789012"`, `["arn:aws:iam::111122223333:role/r","arn:aws:iam::123456789012:root"]`, 1), true},
		{"principal star vs AWS star",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, true},
		{"condition key case", trust, strings.Replace(trust, `"sts:ExternalId"`, `"sts:externalid"`, 1), true},
		{"condition value list", trust, strings.Replace(trust, `"abc"}`, `["abc"]}`, 1), true},
		{"condition bool vs string",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, true},
		{"condition number vs string",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":10}}}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"10"}}}]}`, true},
		{"condition values order",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}}]}`, true},
		{"url-encoded vs plain", trust, url.PathEscape(trust), true},
		{"url-encoded with %20", base, strings.ReplaceAll(url.QueryEscape(strings.ReplaceAll(base, ",", ", ")), "+", "%20"), true},
		{"url-encoded with +", base, url.QueryEscape(strings.ReplaceAll(base, ",", ", ")), true},
		{"both empty", "", "  ", true},
		{"IAM rewrite of own trust policy",
			mustTrust("111122223333", "ext-1"),
			`{"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}},"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Sid":"VirtcoDiagnosticsAssumeRole"}],"Version":"2012-10-17"}`, true},

		// Not equal.
		{"different action", base, strings.Replace(base, `"s3:ListBucket"`, `"s3:PutObject"`, 1), false},
		{"extra action", base, strings.Replace(base, `"s3:ListBucket"]`, `"s3:ListBucket","s3:PutObject"]`, 1), false},
		{"missing action", base, strings.Replace(base, `["s3:GetObject","s3:ListBucket"]`, `["s3:GetObject"]`, 1), false},
		{"resource case", base, strings.Replace(base, `"arn:aws:s3:::b"`, `"arn:aws:s3:::B"`, 1), false},
		{"different resource", base, strings.Replace(base, `"arn:aws:s3:::b/*"`, `"*"`, 1), false},
		{"effect", base, strings.Replace(base, `"Allow"`, `"Deny"`, 1), false},
		{"effect case", base, strings.Replace(base, `"Allow"`, `"allow"`, 1), false},
		{"sid", base, strings.Replace(base, `"Sid":"A"`, `"Sid":"B"`, 1), false},
		{"sid case", base, strings.Replace(base, `"Sid":"A"`, `"Sid":"a"`, 1), false},
		{"version", base, strings.Replace(base, "2012-10-17", "2008-10-17", 1), false},
		{"version missing", base, strings.Replace(base, `"Version":"2012-10-17",`, ``, 1), false},
		{"element name case", base, strings.Replace(base, `"Action"`, `"action"`, 1), false},
		{"action vs notaction", base, strings.Replace(base, `"Action"`, `"NotAction"`, 1), false},
		{"resource vs notresource", base, strings.Replace(base, `"Resource"`, `"NotResource"`, 1), false},
		{"extra statement", base, strings.Replace(base, `]}]}`, `]},{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`, 1), false},
		{"duplicated statement", base, strings.Replace(base, `"Statement":[{"Sid":"A"`, `"Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},{"Sid":"A"`, 1), false},
		{"other account", trust, strings.Replace(trust, `"123456789012"`, `"arn:aws:iam::123456789013:root"`, 1), false},
		{"root vs role in account", trust, strings.Replace(trust, `"123456789012"`, `"arn:aws:iam::123456789012:role/x"`, 1), false},
		{"wildcard principal", trust, strings.Replace(trust, `{"AWS":"123456789012"}`, `"*"`, 1), false},
		{"principal type", trust, strings.Replace(trust, `"AWS"`, `"Service"`, 1), false},
		{"extra principal", trust, strings.Replace(trust, `"123456789012"`, `["123456789012","444455556666"]`, 1), false},
		{"external id", trust, strings.Replace(trust, `"abc"`, `"abd"`, 1), false},
		{"external id case", trust, strings.Replace(trust, `"abc"`, `"ABC"`, 1), false},
		{"condition dropped", trust, strings.Replace(trust, `,"Condition":{"StringEquals":{"sts:ExternalId":"abc"}}`, ``, 1), false},
		{"condition operator", trust, strings.Replace(trust, `StringEquals`, `StringLike`, 1), false},
		{"condition extra value", trust, strings.Replace(trust, `"abc"}`, `["abc","def"]}`, 1), false},
		{"principal vs notprincipal", trust, strings.Replace(trust, `"Principal"`, `"NotPrincipal"`, 1), false},
		{"id", base, strings.Replace(base, `{"Version"`, `{"Id":"x","Version"`, 1), false},
		{"empty vs not", "", base, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := PoliciesEqual(c.a, c.b)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got != c.want {
				t.Errorf("PoliciesEqual = %v, want %v\na: %s\nb: %s", got, c.want, c.a, c.b)
			}
			if rev, _ := PoliciesEqual(c.b, c.a); rev != got {
				t.Errorf("not symmetric")
			}
		})
	}
}

func TestPoliciesEqualErrors(t *testing.T) {
	ok := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	for name, bad := range map[string]string{
		"not json":         `{"Version":`,
		"array":            `[` + ok + `]`,
		"trailing":         ok + ` {}`,
		"number action":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":3,"Resource":"*"}]}`,
		"statement string": `{"Version":"2012-10-17","Statement":"x"}`,
		"principal string": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"123456789012","Action":"sts:AssumeRole"}]}`,
		"condition list":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":[1]}]}`,
		"not encoded json": `hello%20world`,
		"bad escape":       `%7B%ZZ`,
	} {
		if _, err := PoliciesEqual(ok, bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDecodePolicyDocument(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b/*"}]}`
	for name, in := range map[string]string{
		"plain":           doc,
		"path-escaped":    url.PathEscape(doc),
		"IAM (%20, %2B)":  strings.ReplaceAll(url.QueryEscape(doc), "+", "%20"),
		"query-escaped +": url.QueryEscape(doc),
	} {
		got, err := DecodePolicyDocument(in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got != doc {
			t.Errorf("%s: got %s", name, got)
		}
	}
	// A literal '+' left unescaped (as some encoders do) survives.
	if got, err := DecodePolicyDocument(strings.ReplaceAll(url.PathEscape(doc), "%2B", "+")); err != nil || got != doc {
		t.Errorf("literal +: %q, %v", got, err)
	}
	if _, err := DecodePolicyDocument(""); err == nil {
		t.Error("empty: no error")
	}
}

func indent(doc string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(doc), "\t", "    "); err != nil {
		panic(err)
	}
	return "\n " + buf.String() + "\n"
}

func mustTrust(principal, ext string) string {
	doc, err := TrustPolicy(principal, ext)
	if err != nil {
		panic(err)
	}
	return doc
}
