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
