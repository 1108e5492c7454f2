// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package rolegrant

import (
	"errors"
	"strings"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

func TestTrustOf(t *testing.T) {
	withPrincipal := &client.Customer{Name: "a.com", DiagAccount: "Diag3", DiagAccountID: "111122223333",
		DiagAccountPrincipalARN: "arn:aws:iam::111122223333:role/virtco-collector", ExternalID: "ext-1"}
	tr, err := TrustOf(withPrincipal)
	if err != nil || tr.Principal != withPrincipal.DiagAccountPrincipalARN || tr.ExternalID != "ext-1" || tr.Customer != withPrincipal {
		t.Fatalf("%+v %v", tr, err)
	}
	if want, _ := awsrole.TrustPolicy(tr.Principal, "ext-1"); tr.Policy != want {
		t.Errorf("policy %s, want %s", tr.Policy, want)
	}
	root := &client.Customer{Name: "a.com", DiagAccount: "Diag4", DiagAccountID: "444455556666", ExternalID: "ext-1"}
	if tr, err := TrustOf(root); err != nil || tr.Principal != "arn:aws:iam::444455556666:root" {
		t.Errorf("no principal ARN: %+v %v", tr, err)
	}
	if _, err := TrustOf(&client.Customer{Name: "a.com"}); !errors.Is(err, ErrNoDiagAccount) {
		t.Errorf("no diag account: %v", err)
	}
	if _, err := TrustOf(&client.Customer{Name: "a.com", DiagAccount: "Diag9"}); err == nil || errors.Is(err, ErrNoDiagAccount) ||
		!strings.Contains(err.Error(), "neither a principal ARN nor an account id") {
		t.Errorf("diag account without an id: %v", err)
	}
}

func TestTargetOwns(t *testing.T) {
	tg := Target{AccountID: "123456789012", RoleName: "r"}
	for arn, want := range map[string]bool{
		"arn:aws:iam::123456789012:role/r":        true,
		"arn:aws-cn:iam::123456789012:role/r":     true,
		"arn:aws:iam::123456789012:role/virtco/r": false, // another path
		"arn:aws:iam::210987654321:role/r":        false,
		"arn:aws:iam::123456789012:role/other-r":  false,
		"":                                        false,
	} {
		if got := tg.owns(arn); got != want {
			t.Errorf("owns(%q) = %v", arn, got)
		}
	}
	tg.Path = "/virtco/"
	if !tg.owns("arn:aws:iam::123456789012:role/virtco/r") {
		t.Error("a role with a path")
	}
}
