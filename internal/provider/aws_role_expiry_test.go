// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// advanceEmulatorClock moves the emulator's time through its admin API, as a script would.
func (a *awsTest) advanceEmulatorClock(t *testing.T, d time.Duration) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, a.aws.URL+"/_emu/clock", strings.NewReader(fmt.Sprintf(`{"advance": %q}`, d)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /_emu/clock: %d", resp.StatusCode)
	}
}

// TestAccAWSRole_expiry: a role with expires_at carries DateLessThan aws:CurrentTime in its trust;
// the diagnostic account assumes it before that time and gets AccessDenied after it (the
// emulator's clock moved past it), and so does the platform's verification; moving expires_at
// updates the trust in place and restores access; a past expires_at is a plan-time error;
// valid_for is stable across plans.
func TestAccAWSRole_expiry(t *testing.T) {
	a := startVerifying(t, "", "--verify-interval", "0")
	const customer = "expiry-role.example.com"
	joe := a.Provision(customer, "Diag3", "joe")["joe"]
	ext := a.ExternalID(customer)
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	collector := a.aws.CollectorSession()
	role := func(at time.Time) acctest.RoleWant {
		return acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal,
			ExternalID: ext, Actions: acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"}), ExpiresAt: &at}
	}
	denied := func(err error) bool {
		var ae smithy.APIError
		return errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied"
	}
	ws := acctest.NewWorkspace(t)
	expiresAt := func(at time.Time) string { return fmt.Sprintf("  expires_at = %q\n", at.Format(time.RFC3339)) }

	// Some seconds ahead, on both clocks: the emulator's and the provider's.
	at := time.Now().Add(30 * time.Second).UTC().Truncate(time.Second)
	ws.Write(a.roleConfig(joe, customer, expiresAt(at)))
	out := ws.MustRun("apply", "-auto-approve")
	wantWords(t, "the apply", out, `verification_state = "verified"`)
	if err := a.aws.CheckRole(role(at)); err != nil {
		t.Fatal(err)
	}
	if err := a.aws.Assume(collector, arn, ext); err != nil {
		t.Fatalf("before expires_at: %v", err)
	}

	// Past it on the emulator's clock: AWS refuses, and so does the platform's verification.
	a.advanceEmulatorClock(t, time.Minute)
	if err := a.aws.Assume(collector, arn, ext); !denied(err) {
		t.Fatalf("after expires_at: want AccessDenied, got %v", err)
	}
	// The platform's clock is not the emulator's: to it, expires_at has not come, so the
	// refusal is a failure, not the expiry.
	rec, err := a.Ops.AWSAccounts.Verify(t.Context(), customer, acctest.Account)
	if err != nil {
		t.Fatal(err)
	}
	if err := wantVerification(client.VerificationFailed, "AccessDenied")(rec.Verification); err != nil {
		t.Fatalf("the verification after expires_at: %v: %+v", err, rec.Verification)
	}
	if rec.ExpiresAt == nil || !rec.ExpiresAt.Equal(at) {
		t.Errorf("the platform's record of the account has expires_at %v, want %s", rec.ExpiresAt, at)
	}

	// Moving expires_at updates the trust in place and restores access.
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	ws.Write(a.roleConfig(joe, customer, expiresAt(later)))
	out = ws.MustRun("apply", "-auto-approve")
	wantWords(t, "the apply", out, `1 changed, 0 destroyed`, `verification_state = "verified"`)
	if err := a.aws.CheckRole(role(later)); err != nil {
		t.Fatal(err)
	}
	if err := a.aws.Assume(collector, arn, ext); err != nil {
		t.Fatalf("after moving expires_at: %v", err)
	}
	if err := a.Verification(customer, acctest.Account, wantVerification(client.Verified, arn)); err != nil {
		t.Error(err)
	}
	if code, out := planExit(t, ws); code != 0 {
		t.Errorf("the plan after moving expires_at is not empty (%d):\n%s", code, out)
	}
	// Imported, the role's expires_at is read from its trust: the plan stays empty.
	ws.MustRun("state", "rm", "virtco_aws_role.r")
	ws.MustRun("import", "virtco_aws_role.r", customer+"/"+acctest.Account+"/"+awsrole.DefaultRoleName)
	if code, out := planExit(t, ws); code != 0 {
		t.Errorf("the plan after import is not empty (%d):\n%s", code, out)
	}

	// A past expires_at is refused at plan time, and nothing changes.
	ws.Write(a.roleConfig(joe, customer, expiresAt(time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))))
	if out, err := ws.Run("plan"); err == nil || !acctest.Words("Expiry in the past").MatchString(out) {
		t.Errorf("a past expires_at: %v\n%s", err, out)
	}

	// valid_for: turned into a time once, at apply; later plans are empty.
	ws.Write(a.roleConfig(joe, customer, `  valid_for = "720h"`+"\n"))
	ws.MustRun("apply", "-auto-approve")
	r, ok := a.aws.Emulator.Role(acctest.Account, awsrole.DefaultRoleName)
	if !ok {
		t.Fatal("the role is gone")
	}
	got, err := awsrole.TrustPolicyExpiry(r.TrustPolicy)
	if err != nil || got == nil {
		t.Fatalf("the trust after valid_for: %v %v\n%s", got, err, r.TrustPolicy)
	}
	if d := time.Until(*got); d < 719*time.Hour || d > 721*time.Hour {
		t.Errorf("valid_for 720h gave an expiry %s from now", d)
	}
	time.Sleep(1100 * time.Millisecond) // a second later, valid_for turned into a time again would differ
	if code, out := planExit(t, ws); code != 0 {
		t.Errorf("the plan after valid_for is not empty (%d):\n%s", code, out)
	}
	ws.MustRun("destroy", "-auto-approve")
	if err := a.aws.NoRoles(acctest.Account); err != nil {
		t.Error(err)
	}
}

// The policy data source with expires_at: its trust policy and its CloudFormation template carry
// the DateLessThan condition; a past expires_at is an error.
func TestAccAWSRolePolicyDataSource_expiry(t *testing.T) {
	s := startServer(t)
	eve := s.Provision("byhand-expiry.example.com", "Diag3", "eve")["eve"]
	ext := s.ExternalID("byhand-expiry.example.com")
	at := time.Date(2099, 1, 31, 18, 0, 0, 0, time.UTC)
	want, err := awsrole.TrustPolicyUntil(acctest.Diag3Principal, ext, &at)
	if err != nil {
		t.Fatal(err)
	}
	const d = "data.virtco_aws_role_policy.p"
	config := func(expiresAt string) string {
		return s.providerConfig(eve) + fmt.Sprintf(`
data "virtco_aws_role_policy" "p" {
  customer   = "byhand-expiry.example.com"
  expires_at = %q
}
`, expiresAt)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{
			{
				Config:      config("2001-01-31T18:00:00Z"),
				ExpectError: re("Expiry in the past"),
			},
			{
				Config:      config("next week"),
				ExpectError: re(`"next week" is not a time in RFC 3339`),
			},
			{
				Config: config("2099-01-31T19:00:00+01:00"),
				Check: checkAll(
					resource.TestCheckResourceAttr(d, "trust_policy_json", want),
					resource.TestCheckResourceAttrWith(d, "cloudformation_template", func(v string) error {
						var tmpl struct {
							Resources map[string]struct {
								Properties struct{ AssumeRolePolicyDocument json.RawMessage }
							}
						}
						if err := json.Unmarshal([]byte(v), &tmpl); err != nil {
							return err
						}
						trust := tmpl.Resources[awsrole.CloudFormationLogicalID].Properties.AssumeRolePolicyDocument
						if !samePolicy(string(trust), want) {
							return fmt.Errorf("the template's trust policy: %s", trust)
						}
						return nil
					}),
				),
			},
		},
	})
}

// TestAccAWSRole_expiredPlan: once a role's expires_at has passed (on every clock), AWS refuses
// the platform and its verification fails; the plan then warns that access has expired, with
// the date and what to do, and plans no repair that would only fail again.
func TestAccAWSRole_expiredPlan(t *testing.T) {
	a := startVerifying(t, "", "--verify-interval", "0")
	const customer = "expired-role.example.com"
	joe := a.Provision(customer, "Diag3", "joe")["joe"]
	ext := a.ExternalID(customer)
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	collector := a.aws.CollectorSession()
	ws := acctest.NewWorkspace(t)
	at := time.Now().Add(20 * time.Second).UTC().Truncate(time.Second)
	ws.Write(a.roleConfig(joe, customer, fmt.Sprintf("  expires_at = %q\n", at.Format(time.RFC3339))))
	wantWords(t, "the apply", ws.MustRun("apply", "-auto-approve"), `verification_state = "verified"`)

	// Wait for AWS (the emulator, on its own clock) to refuse the platform.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(250 * time.Millisecond) {
		err := a.aws.Assume(collector, arn, ext)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the role is still assumable after expires_at: %v", err)
		}
	}
	// Past expires_at on the platform's clock too: its verification says expired, not failed.
	rec, err := a.Ops.AWSAccounts.Verify(t.Context(), customer, acctest.Account)
	if err != nil {
		t.Fatal(err)
	}
	if err := wantVerification(client.VerificationExpired, "expired at "+at.Format(time.RFC3339))(rec.Verification); err != nil {
		t.Fatalf("%v: %+v", err, rec.Verification)
	}
	// The only change is the verification_state output's, to "expired".
	_, out := planExit(t, ws)
	if strings.Contains(out, "will be updated in-place") || !strings.Contains(out, "without changing any real infrastructure") {
		t.Errorf("the plan after expiry plans a change of the role:\n%s", out)
	}
	wantWords(t, "the plan after expiry", out, "Warning: Access has expired", "expired at "+at.Format(time.RFC3339),
		"destroy it", "move expires_at")
	if strings.Contains(out, "verification failed") {
		t.Errorf("the plan after expiry asks for a repair:\n%s", out)
	}
	// Moving expires_at restores access: the platform verifies the role again.
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	ws.Write(a.roleConfig(joe, customer, fmt.Sprintf("  expires_at = %q\n", later.Format(time.RFC3339))))
	wantWords(t, "the apply that moves expires_at", ws.MustRun("apply", "-auto-approve"), `verification_state = "verified"`)
	if err := a.Verification(customer, acctest.Account, wantVerification(client.Verified, arn)); err != nil {
		t.Error(err)
	}
	ws.MustRun("destroy", "-auto-approve")
	if err := a.aws.NoRoles(acctest.Account); err != nil {
		t.Error(err)
	}
}
