// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"testing"
)

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		fold, want bool
	}{
		{"sts:AssumeRole", "sts:AssumeRole", false, true},
		{"sts:assumerole", "sts:AssumeRole", true, true},
		{"sts:assumerole", "sts:AssumeRole", false, false},
		{"sts:*", "sts:AssumeRole", false, true},
		{"*", "", false, true},
		{"sts:Assume?ole", "sts:AssumeRole", false, true},
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"*Role", "sts:AssumeRoleWithSAML", false, false},
	} {
		if got := wildcardMatch(tc.pattern, tc.s, tc.fold); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q, %v) = %v", tc.pattern, tc.s, tc.fold, got)
		}
	}
}

func TestTrustEvaluation(t *testing.T) {
	user := userPrincipal("111122223333")
	other := userPrincipal("444455556666")
	sess := sessionPrincipal(&session{account: "111122223333", roleName: "collector", roleARN: "arn:aws:iam::111122223333:role/ops/collector", roleID: "AROAX", sessionName: "s"})
	withExt := map[string]string{"sts:externalid": "ext"}
	noKeys := map[string]string{}

	for _, tc := range []struct {
		name   string
		policy string
		caller *principal
		keys   map[string]string
		want   bool
	}{
		{"account id", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}`, user, noKeys, true},
		{"root arn, other account", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}}`, other, noKeys, false},
		{"exact user arn", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/emulator"},"Action":"sts:AssumeRole"}}`, user, noKeys, true},
		{"role arn matches its sessions", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ops/collector"},"Action":"sts:AssumeRole"}}`, sess, noKeys, true},
		{"role arn, wrong path", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/collector"},"Action":"sts:AssumeRole"}}`, sess, noKeys, false},
		{"assumed-role arn", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/collector/s"},"Action":"sts:AssumeRole"}}`, sess, noKeys, true},
		{"service principal", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`, user, noKeys, false},
		{"other action only", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:TagSession"}}`, user, noKeys, false},
		{"NotAction", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","NotAction":"sts:TagSession"}}`, user, noKeys, true},
		{"NotPrincipal deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*"},{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:*"}]}`, other, noKeys, false},
		{"NotPrincipal deny spares", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*"},{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:*"}]}`, user, noKeys, true},
		{"external id", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":["x","ext"]}}}}`, user, withExt, true},
		{"external id missing", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext"}}}}`, user, noKeys, false},
		{"key case", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"STS:EXTERNALID":"ext"}}}}`, user, withExt, true},
		{"StringLike", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:ExternalId":"e*"}}}}`, user, withExt, true},
		{"StringNotEquals absent", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"sts:ExternalId":"ext"}}}}`, user, noKeys, true},
		{"IfExists absent", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"sts:ExternalId":"ext"}}}}`, user, noKeys, true},
		{"Null", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Null":{"sts:ExternalId":"false"}}}}`, user, noKeys, false},
		{"unknown operator fails closed", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"NumericLessThan":{"sts:ExternalId":"3"}}}}`, user, withExt, false},
		{"two conditions, both needed", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext","aws:PrincipalAccount":"444455556666"}}}}`, user, withExt, false},
	} {
		pd, err := validateTrustPolicy(tc.policy)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		keys := map[string]string{"aws:principalaccount": tc.caller.account}
		for k, v := range tc.keys {
			keys[k] = v
		}
		if got := pd.allows(evalContext{caller: tc.caller, action: "sts:AssumeRole", keys: keys}); got != tc.want {
			t.Errorf("%s: allows = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNormalizeTrustPolicy(t *testing.T) {
	in := `{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow",
	  "Principal": { "AWS": ["111122223333", "arn:aws:iam::444455556666:root"] }, "Action": "sts:AssumeRole",
	  "Condition": {"StringEquals": {"sts:ExternalId": "a<b>&c"}} } ] }`
	want := `{"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"a<b>&c"}},"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:root"]}}],"Version":"2012-10-17"}`
	if got := normalizeTrustPolicy(in); got != want {
		t.Errorf("normalizeTrustPolicy:\n got %s\nwant %s", got, want)
	}
}

func TestPolicySize(t *testing.T) {
	if n := policySize("{ \"a\" :\n\t1 }"); n != 7 {
		t.Errorf("policySize = %d, want 7 (whitespace does not count)", n)
	}
}

func TestDateConditions(t *testing.T) {
	user := userPrincipal("111122223333")
	policy := func(op, value string) string {
		return `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"` +
			op + `":{"aws:CurrentTime":"` + value + `"}}}}`
	}
	now := map[string]string{"aws:currenttime": "2030-01-01T12:00:00Z"}
	for _, tc := range []struct {
		op, value string
		keys      map[string]string
		want      bool
	}{
		{"DateLessThan", "2030-01-01T12:00:01Z", now, true},
		{"DateLessThan", "2030-01-01T12:00:00Z", now, false},
		{"DateLessThan", "2030-01-01T13:00:00+02:00", now, false}, // 11:00Z
		{"DateLessThan", "2030-01-02", now, true},
		{"DateLessThan", "1893499200", now, false}, // 2030-01-01T12:00:00Z in epoch seconds
		{"DateLessThan", "1893499201", now, true},
		{"DateLessThan", "next week", now, false},
		{"DateLessThanEquals", "2030-01-01T12:00:00Z", now, true},
		{"DateGreaterThan", "2030-01-01T11:59:59Z", now, true},
		{"DateGreaterThan", "2030-01-01T12:00:00Z", now, false},
		{"DateGreaterThanEquals", "2030-01-01T12:00:00Z", now, true},
		{"DateEquals", "2030-01-01T12:00:00.000Z", now, true},
		{"DateNotEquals", "2030-01-01T12:00:00Z", now, false},
		{"DateNotEquals", "2031-01-01T12:00:00Z", now, true},
		{"DateLessThan", "2031-01-01T00:00:00Z", map[string]string{}, false},
		{"DateLessThanIfExists", "2020-01-01T00:00:00Z", map[string]string{}, true},
		{"DateLessThan", "2031-01-01T00:00:00Z", map[string]string{"aws:currenttime": "garbage"}, false},
	} {
		pd, err := validateTrustPolicy(policy(tc.op, tc.value))
		if err != nil {
			t.Fatalf("%s %s: %v", tc.op, tc.value, err)
		}
		if got := pd.allows(evalContext{caller: user, action: "sts:AssumeRole", keys: tc.keys}); got != tc.want {
			t.Errorf("%s %s with %v: allows = %v, want %v", tc.op, tc.value, tc.keys, got, tc.want)
		}
	}
}
