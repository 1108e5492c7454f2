// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package rolegrant_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

// fastPoll keeps the tests' waits short.
var fastPoll = rolegrant.Poll{First: 10 * time.Millisecond, Max: 100 * time.Millisecond}

// verifyingWorld is a world whose server verifies roles against the emulator, acting as Diag3
// through profile.
func verifyingWorld(t *testing.T, profile string, args ...string) *world {
	t.Helper()
	t.Parallel()
	emu := acctest.StartAWS(t, awsemu.Faults{})
	p := acctest.StartPlatformWith(t, acctest.PlatformOptions{AWS: emu, Profile: profile, Args: args})
	p.Provision(customer, "Diag3")
	w := &world{Platform: p, t: t, aws: emu}
	w.grantor = w.grantorWith(p.Ops)
	trust, err := rolegrant.ReadTrust(t.Context(), w.Ops, customer)
	if err != nil {
		t.Fatal(err)
	}
	w.trust = trust
	return w
}

// TestVerification: a granted role is awaited until verified; a trust broken outside fails a
// Reverify at once, and one that propagates is asked again until its deadline, ending with the
// last refusal; a trust put back is verified again.
func TestVerification(t *testing.T) {
	w := verifyingWorld(t, "", "--verify-interval", "0")
	ctx := t.Context()
	if _, err := w.grantor.Grant(ctx, customer, account, w.spec(awsrole.DefaultRoleName)); err != nil {
		t.Fatal(err)
	}
	tg := target(awsrole.DefaultRoleName)
	rec, err := w.grantor.AwaitVerification(ctx, tg, fastPoll)
	if err != nil || rec.Verification.State != client.Verified {
		t.Fatalf("AwaitVerification: %v %+v", err, rec)
	}

	wrong, err := awsrole.TrustPolicy(acctest.Diag3Principal, "not-"+w.trust.ExternalID)
	if err != nil {
		t.Fatal(err)
	}
	setTrust := func(doc string) {
		if _, err := w.aws.IAM(account).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName: aws.String(awsrole.DefaultRoleName), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	setTrust(wrong)
	w.aws.Emulator.ResetCalls()
	rec, err = w.grantor.Reverify(ctx, tg, false, fastPoll)
	if err != nil || rec.Verification.State != client.VerificationFailed {
		t.Fatalf("Reverify of a broken trust: %v %+v", err, rec)
	}
	if n := w.aws.Emulator.Calls().Action("sts", "AssumeRole"); n != 1 {
		t.Errorf("one Reverify made %d AssumeRole calls", n)
	}

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	w.aws.Emulator.ResetCalls()
	rec, err = w.grantor.Reverify(short, tg, true, fastPoll)
	if err != nil || rec == nil || rec.Verification.State != client.VerificationFailed {
		t.Fatalf("Reverify of a propagating trust that stays broken: %v %+v", err, rec)
	}
	if n := w.aws.Emulator.Calls().Action("sts", "AssumeRole"); n < 2 {
		t.Errorf("a propagating trust was asked %d times", n)
	}

	setTrust(w.trust.Policy)
	rec, err = w.grantor.Reverify(ctx, tg, true, fastPoll)
	if err != nil || rec.Verification.State != client.Verified {
		t.Fatalf("Reverify of a trust put back: %v %+v", err, rec)
	}
}

// TestAwaitVerificationTimeout: a verification still pending when the deadline comes is a
// *VerificationTimeoutError carrying the last answer (the server acts as a user the trust does
// not let in, retrying for an hour).
func TestAwaitVerificationTimeout(t *testing.T) {
	w := verifyingWorld(t, acctest.CollectorKeysProfile, "--verify-timeout", "1h", "--verify-interval", "0")
	if _, err := w.grantor.Grant(t.Context(), customer, account, w.spec(awsrole.DefaultRoleName)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	rec, err := w.grantor.AwaitVerification(ctx, target(awsrole.DefaultRoleName), fastPoll)
	var timeout *rolegrant.VerificationTimeoutError
	if !errors.As(err, &timeout) || !errors.Is(err, context.DeadlineExceeded) || timeout.Last == nil ||
		timeout.Last.Verification.State != client.VerificationPending || rec == nil {
		t.Fatalf("AwaitVerification past its deadline: %v %+v", err, rec)
	}
}
