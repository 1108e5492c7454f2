// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestTrustPolicyUntil: an expiry adds DateLessThan aws:CurrentTime beside the external id, in
// UTC to the second; it reads back, passes the guard rail, and the CloudFormation template
// carries it.
func TestTrustPolicyUntil(t *testing.T) {
	const ext, principal = "5f0c3a8e-2b1d-4c7e-9a6f-1e2d3c4b5a69", "arn:aws:iam::111122223333:root"
	at := time.Date(2030, 1, 31, 19, 0, 0, 500, time.FixedZone("CET", 3600))
	doc, err := TrustPolicyUntil(principal, ext, &at)
	if err != nil {
		t.Fatal(err)
	}
	_, stmts := parseDoc(t, doc)
	want := map[string]map[string]any{
		"StringEquals": {"sts:ExternalId": ext},
		"DateLessThan": {"aws:CurrentTime": "2030-01-31T18:00:00Z"},
	}
	if len(stmts) != 1 || !reflect.DeepEqual(stmts[0].Condition, want) {
		t.Fatalf("conditions %+v, want %+v", stmts, want)
	}
	if err := CheckTrustPolicy(doc); err != nil {
		t.Errorf("CheckTrustPolicy: %v", err)
	}
	if got, err := TrustPolicyExpiry(doc); err != nil || got == nil || !got.Equal(time.Date(2030, 1, 31, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("TrustPolicyExpiry = %v, %v", got, err)
	}
	if p, e, err := TrustPolicyParams(doc); err != nil || p != principal || e != ext {
		t.Errorf("TrustPolicyParams = %q, %q, %v", p, e, err)
	}
	plain, _ := TrustPolicy(principal, ext)
	if got, err := TrustPolicyExpiry(plain); err != nil || got != nil {
		t.Errorf("TrustPolicyExpiry of a policy without one = %v, %v", got, err)
	}
	if eq, _ := PoliciesEqual(plain, doc); eq {
		t.Error("the policy with an expiry equals the one without")
	}
	later := at.Add(time.Hour)
	if moved, _ := TrustPolicyUntil(principal, ext, &later); moved == doc {
		t.Error("another expiry gives the same policy")
	}

	spec := RoleSpec{Name: DefaultRoleName, TrustPolicy: doc, PermissionsPolicy: mustPermissions(t)}
	tmpl, err := CloudFormationTemplate(spec)
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Resources map[string]struct {
			Properties struct {
				AssumeRolePolicyDocument struct{ Statement []stmt }
			}
		}
	}
	if err := json.Unmarshal([]byte(tmpl), &parsed); err != nil {
		t.Fatal(err)
	}
	st := parsed.Resources[CloudFormationLogicalID].Properties.AssumeRolePolicyDocument.Statement
	if len(st) != 1 || !reflect.DeepEqual(st[0].Condition, want) {
		t.Errorf("the template's trust: %+v", st)
	}
}

func TestTrustPolicyExpiryRefuses(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"},"DateLessThan":{"aws:CurrentTime":"soon"}}}]}`
	if _, err := TrustPolicyExpiry(doc); err == nil || !strings.Contains(err.Error(), "soon") {
		t.Errorf("TrustPolicyExpiry of a bad date: %v", err)
	}
}

func mustPermissions(t *testing.T) string {
	t.Helper()
	doc, err := PermissionsPolicy(DefaultDataSources(), PermissionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
