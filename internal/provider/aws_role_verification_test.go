// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// The platform's verification of the role (ARCHITECTURE.md, "Verification"), through the
// Terraform CLI, a virtco-server process acting as Diag3's collector, and the emulator.

// startVerifying starts the emulator and a server that verifies roles against it, acting as
// Diag3 through profile (the collector's when empty), and marks the test parallel.
func startVerifying(t *testing.T, profile string, args ...string) *awsTest {
	t.Helper()
	preCheck(t)
	t.Parallel()
	emu := acctest.StartAWS(t, awsemu.Faults{})
	p := acctest.StartPlatformWith(t, acctest.PlatformOptions{AWS: emu, Profile: profile, Args: args})
	return &awsTest{testServer: &testServer{p}, aws: emu}
}

// roleConfig is a role of customer with the user token key, and extra in its block.
func (a *awsTest) roleConfig(key, customer, extra string) string {
	return a.config(key, acctest.Account) + fmt.Sprintf(`
resource "virtco_aws_role" "r" {
  customer = %q
%s}

output "verification_state" {
  value = virtco_aws_role.r.verification_state
}
`, customer, extra)
}

// planExit runs terraform plan -detailed-exitcode and returns its exit status and output.
func planExit(t *testing.T, ws *acctest.Workspace) (int, string) {
	t.Helper()
	out, err := ws.Run("plan", "-detailed-exitcode")
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out
	case errors.As(err, &exit):
		return exit.ExitCode(), out
	}
	t.Fatalf("terraform plan: %v\n%s", err, out)
	return 0, ""
}

func wantWords(t *testing.T, what, out string, phrases ...string) {
	t.Helper()
	for _, p := range phrases {
		if !acctest.Words(p).MatchString(out) {
			t.Errorf("%s does not say %q:\n%s", what, p, acctest.Tail(out, 6000))
		}
	}
}

func wantVerification(state client.VerificationState, contains string) func(client.Verification) error {
	return func(v client.Verification) error {
		if v.State != state || !strings.Contains(v.Message, contains) {
			return fmt.Errorf("want %s with %q", state, contains)
		}
		return nil
	}
}

// awaitCollector waits until the emulator lets Diag3's collector in: with an assume-role delay,
// a role is refused for a while after its creation, the collector as well as the customer's.
func (a *awsTest) awaitCollector(t *testing.T) {
	t.Helper()
	for a.aws.Assume(a.aws.STS(acctest.Diag3Account), acctest.Diag3Principal, "") != nil {
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAccAWSRole_verification: the apply waits, through IAM's propagation delay, until the
// platform has assumed the role; a trust changed outside Terraform fails the platform's next
// verification, which the plan shows and the apply repairs; the data source shows the verdict.
func TestAccAWSRole_verification(t *testing.T) {
	a := startVerifying(t, "", "--verify-interval", "0")
	const customer = "verify.example.com"
	joe := a.Provision(customer, "Diag3", "joe")["joe"]
	ext := a.ExternalID(customer)
	a.aws.Emulator.SetFaults(awsemu.Faults{AssumeRoleDelay: awsemu.Duration{Duration: 3 * time.Second}})
	a.awaitCollector(t)
	a.aws.Emulator.ResetCalls()

	ws := acctest.NewWorkspace(t)
	ws.Write(a.roleConfig(joe, customer, ""))
	start := time.Now()
	out := ws.MustRun("apply", "-auto-approve")
	took := time.Since(start)
	wantWords(t, "the apply", out, `verification_state = "verified"`)
	if strings.Contains(out, "Warning: AWS role") {
		t.Errorf("the apply warns:\n%s", out)
	}
	calls := a.aws.Emulator.Calls()
	refused := calls.Errors["AccessDenied"]
	// One AssumeRole of the collector by the server's SDK (its credentials are cached), then one
	// per attempt of the verification (the refused ones and the one that got in), then one without
	// the external id, which the role refuses too.
	attempts := calls.Action("sts", "AssumeRole") - 1
	t.Logf("measure: apply with a 3s assume-role delay: %v to verified, %d AssumeRole attempts (%d refused)", took, attempts, refused)
	if refused < 1 || attempts != refused+1 {
		t.Errorf("the verification did not retry through the delay: %d AssumeRole attempts, %d refused", attempts, refused)
	}
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	if err := a.Verification(customer, acctest.Account, wantVerification(client.Verified, arn)); err != nil {
		t.Error(err)
	}
	state := ws.MustRun("state", "show", "virtco_aws_role.r")
	wantWords(t, "the state", state, `verification_state = "verified"`, `verified_at = "20`,
		`verification_message = "the platform assumed `+arn+` as diagnostic account Diag3 (111122223333)`)
	if code, out := planExit(t, ws); code != 0 {
		t.Errorf("the plan after the apply is not empty (%d):\n%s", code, out)
	}

	// Someone changes the trust's external id outside Terraform; the platform's next
	// verification (here asked for at once) fails with AWS's words.
	trust, err := awsrole.TrustPolicy(acctest.Diag3Principal, "not-"+ext)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.aws.IAM(acctest.Account).UpdateAssumeRolePolicy(t.Context(), &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String(awsrole.DefaultRoleName), PolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	rec, err := acctest.NewClient(t, a.URL, joe).AWSAccounts.Verify(t.Context(), customer, acctest.Account)
	if err != nil {
		t.Fatal(err)
	}
	if err := wantVerification(client.VerificationFailed, "AccessDenied")(rec.Verification); err != nil {
		t.Fatalf("%v: %+v", err, rec.Verification)
	}
	code, out := planExit(t, ws)
	if code != 2 {
		t.Errorf("the plan after a failed verification shows no change (%d):\n%s", code, out)
	}
	wantWords(t, "the plan", out, `Warning: AWS role verification failed`, `AccessDenied`,
		`~ verification_state = "failed" -> (known after apply)`, `~ trust_policy_json`)

	a.aws.Emulator.ResetCalls()
	start = time.Now()
	out = ws.MustRun("apply", "-auto-approve")
	took = time.Since(start)
	wantWords(t, "the repairing apply", out, `verification_state = "verified"`)
	calls = a.aws.Emulator.Calls()
	t.Logf("measure: repair with a 3s assume-role delay: %v to verified, %d AssumeRole calls (%d refused)",
		took, calls.Action("sts", "AssumeRole"), calls.Errors["AccessDenied"])
	if err := a.aws.CheckRole(acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal,
		ExternalID: ext, Actions: acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})}); err != nil {
		t.Error(err)
	}
	if err := a.Verification(customer, acctest.Account, wantVerification(client.Verified, arn)); err != nil {
		t.Error(err)
	}
	if code, out := planExit(t, ws); code != 0 {
		t.Errorf("the plan after the repair is not empty (%d):\n%s", code, out)
	}

	// The external id removed from the trust outside Terraform: the platform still gets in, but
	// so would anyone it acts for, and the verification fails; apply puts the condition back.
	open, err := awsrole.TrustPolicy(acctest.Diag3Principal, ext)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(open), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["Statement"].([]any)[0].(map[string]any), "Condition")
	withoutCondition, _ := json.Marshal(doc)
	if _, err := a.aws.IAM(acctest.Account).UpdateAssumeRolePolicy(t.Context(), &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String(awsrole.DefaultRoleName), PolicyDocument: aws.String(string(withoutCondition))}); err != nil {
		t.Fatal(err)
	}
	// Past the emulator's delay after a trust change, so that what the platform meets is the
	// trust itself.
	for collector := a.aws.CollectorSession(); a.aws.Assume(collector, arn, ext) != nil; {
		time.Sleep(100 * time.Millisecond)
	}
	rec, err = a.Ops.AWSAccounts.Verify(t.Context(), customer, acctest.Account)
	if err != nil {
		t.Fatal(err)
	}
	if err := wantVerification(client.VerificationFailed, "without the customer's external id")(rec.Verification); err != nil {
		t.Fatalf("%v: %+v", err, rec.Verification)
	}
	ws.MustRun("apply", "-auto-approve")
	if err := a.Verification(customer, acctest.Account, wantVerification(client.Verified, arn)); err != nil {
		t.Error(err)
	}

	// A refusal that the trust Terraform controls does not explain (here IAM still propagating
	// the role for an hour; for real, an SCP): apply finds nothing to put back, asks the platform
	// once, and fails with AWS's words, the state keeping the verdict. (The server's SDK keeps the
	// collector's credentials, so that the delay does not reach them.)
	a.aws.Emulator.SetFaults(awsemu.Faults{AssumeRoleDelay: awsemu.Duration{Duration: time.Hour}})
	if rec, err := a.Ops.AWSAccounts.Verify(t.Context(), customer, acctest.Account); err != nil ||
		rec.Verification.State != client.VerificationFailed {
		t.Fatalf("verify during an hour's delay: %v %+v", err, rec)
	}
	a.aws.Emulator.ResetCalls()
	out, err = ws.Run("apply", "-auto-approve")
	if err == nil {
		t.Errorf("the apply of a role still refused succeeded:\n%s", out)
	}
	wantWords(t, "the apply of a role still refused", out, `Error: AWS role verification failed`, `AccessDenied`)
	if n := a.aws.Emulator.Calls().Action("sts", "AssumeRole"); n != 1 {
		t.Errorf("a refusal of an unchanged trust was asked %d times, want once", n)
	}
	wantWords(t, "the state", ws.MustRun("state", "show", "virtco_aws_role.r"), `verification_state = "failed"`)
	a.aws.Emulator.SetFaults(awsemu.Faults{})
	wantWords(t, "the apply after the cause is gone", ws.MustRun("apply", "-auto-approve"), `verification_state = "verified"`)
	if code, out := planExit(t, ws); code != 0 {
		t.Errorf("the plan after the second repair is not empty (%d):\n%s", code, out)
	}

	// The data source shows each account's verification.
	ws.Write(a.roleConfig(joe, customer, "") + fmt.Sprintf(`
data "virtco_customer" "c" {
  name       = %q
  depends_on = [virtco_aws_role.r]
}

output "account_verification" {
  value = "${data.virtco_customer.c.accounts[0].verification_state} ${data.virtco_customer.c.accounts[0].verified_at != null}"
}
`, customer))
	out = ws.MustRun("apply", "-auto-approve")
	wantWords(t, "the data source", out, `account_verification = "verified true"`, `0 added, 0 changed, 0 destroyed`)

	ws.MustRun("destroy", "-auto-approve")
	if err := a.aws.NoRoles(acctest.Account); err != nil {
		t.Error(err)
	}
	if err := a.AccountGone(customer, acctest.Account); err != nil {
		t.Error(err)
	}
}

// TestAccAWSRole_verificationFailsAtCreate: the server acts as a plain user of Diag3, not as the
// collector the trust names, so AWS refuses it until --verify-timeout ends: the create fails
// with AWS's words, and the role stays in the state, for the destroy that removes it.
func TestAccAWSRole_verificationFailsAtCreate(t *testing.T) {
	a := startVerifying(t, acctest.CollectorKeysProfile, "--verify-timeout", "2s", "--verify-interval", "0")
	const customer = "refused.example.com"
	joe := a.Provision(customer, "Diag3", "joe")["joe"]
	ws := acctest.NewWorkspace(t)
	ws.Write(a.roleConfig(joe, customer, ""))
	out, err := ws.Run("apply", "-auto-approve")
	if err == nil {
		t.Fatalf("the apply succeeded:\n%s", out)
	}
	wantWords(t, "the apply", out, `Error: AWS role verification failed`, `AccessDenied`,
		`is not authorized to perform: sts:AssumeRole`, `Check the role's trust policy`, `trusted_principal`,
		`no SCP or permissions boundary denies sts:AssumeRole`, `The role is kept in the state`)
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	if err := a.Account(customer, acctest.Account, client.RoleDone, arn); err != nil {
		t.Error(err)
	}
	if err := a.Verification(customer, acctest.Account, wantVerification(client.VerificationFailed, "AccessDenied")); err != nil {
		t.Error(err)
	}
	if _, ok := a.aws.Emulator.Role(acctest.Account, awsrole.DefaultRoleName); !ok {
		t.Error("the role is not in the emulator")
	}
	// Terraform taints a create that failed: a fixed apply replaces the role.
	wantWords(t, "the state", ws.MustRun("state", "show", "virtco_aws_role.r"), `virtco_aws_role.r: (tainted)`,
		`verification_state = "failed"`, `role_arn = "`+arn+`"`)
	ws.MustRun("destroy", "-auto-approve")
	if err := a.aws.NoRoles(acctest.Account); err != nil {
		t.Error(err)
	}
	if err := a.AccountGone(customer, acctest.Account); err != nil {
		t.Error(err)
	}
}

// TestAccAWSRole_verificationNotAwaited: wait_for_verification = false returns while the
// platform still tries (its retry window here is an hour, and it acts as a user the trust does
// not let in); a server with verification off gives a warning, and the role is kept.
func TestAccAWSRole_verificationNotAwaited(t *testing.T) {
	t.Run("wait_for_verification = false", func(t *testing.T) {
		a := startVerifying(t, acctest.CollectorKeysProfile, "--verify-timeout", "1h", "--verify-interval", "0")
		const customer = "nowait.example.com"
		joe := a.Provision(customer, "Diag3", "joe")["joe"]
		ws := acctest.NewWorkspace(t)
		ws.Write(a.roleConfig(joe, customer, "  wait_for_verification = false\n"))
		out := ws.MustRun("apply", "-auto-approve")
		wantWords(t, "the apply", out, `verification_state = "pending"`)
		if err := a.Verification(customer, acctest.Account, wantVerification(client.VerificationPending, "")); err != nil {
			t.Error(err)
		}
		if code, out := planExit(t, ws); code != 0 {
			t.Errorf("the plan of a pending verification is not empty (%d):\n%s", code, out)
		}
		ws.MustRun("destroy", "-auto-approve")
		if err := a.aws.NoRoles(acctest.Account); err != nil {
			t.Error(err)
		}
	})
	t.Run("verification off", func(t *testing.T) {
		preCheck(t)
		t.Parallel()
		emu := acctest.StartAWS(t, awsemu.Faults{})
		a := &awsTest{testServer: &testServer{acctest.StartPlatformWith(t, acctest.PlatformOptions{Args: []string{"--verify-roles=false"}})}, aws: emu}
		const customer = "off.example.com"
		joe := a.Provision(customer, "Diag3", "joe")["joe"]
		ws := acctest.NewWorkspace(t)
		ws.Write(a.roleConfig(joe, customer, ""))
		out := ws.MustRun("apply", "-auto-approve")
		wantWords(t, "the apply", out, `Warning: AWS role verification unavailable`, `--verify-roles=false`,
			`verification_state = "unavailable"`)
		arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
		if err := a.Account(customer, acctest.Account, client.RoleDone, arn); err != nil {
			t.Error(err)
		}
		if code, out := planExit(t, ws); code != 0 {
			t.Errorf("the plan after the apply is not empty (%d):\n%s", code, out)
		}
		ws.MustRun("destroy", "-auto-approve")
		if err := a.aws.NoRoles(acctest.Account); err != nil {
			t.Error(err)
		}
	})
}

// TestAccAWSRole_handMadeRoleVerified: a role made by hand from virtco_aws_role_policy's trust
// policy, and registered done with a user token, is verified by the platform with one
// AssumeRole. (cmd/virtco-server's TestVerificationProcesses covers a wrong external id.)
func TestAccAWSRole_handMadeRoleVerified(t *testing.T) {
	a := startVerifying(t, "", "--verify-interval", "0")
	const customer = "byhand.example.com"
	joe := a.Provision(customer, "Diag3", "joe")["joe"]
	ws := acctest.NewWorkspace(t)
	ws.Write(a.config(joe, acctest.Account) + fmt.Sprintf(`
data "virtco_aws_role_policy" "p" {
  customer = %q
}

output "trust" {
  value = data.virtco_aws_role_policy.p.trust_policy_json
}
`, customer))
	ws.MustRun("apply", "-auto-approve")
	trust := strings.TrimSpace(ws.MustRun("output", "-raw", "trust"))
	made, err := a.aws.IAM(acctest.Account).CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String("made-by-hand"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	a.aws.Emulator.ResetCalls()
	arn := aws.ToString(made.Role.Arn)
	if _, _, err := acctest.NewClient(t, a.URL, joe).AWSAccounts.Put(t.Context(), customer, acctest.Account,
		client.AWSAccountPutOptions{RoleARN: arn, State: client.RoleDone}); err != nil {
		t.Fatal(err)
	}
	v, err := a.AwaitVerdict(customer, acctest.Account)
	if err != nil {
		t.Fatal(err)
	}
	if v.State != client.Verified || !strings.HasPrefix(v.AssumedRoleARN, "arn:aws:sts::"+acctest.Account+":assumed-role/made-by-hand/") {
		t.Errorf("verification of the hand-made role: %+v", v)
	}
	calls := a.aws.Emulator.Calls()
	t.Logf("measure: a hand-made role: %d AssumeRole calls in all (the collector's included)", calls.Action("sts", "AssumeRole"))
	// The only refusal is the one the platform asks for: the role without the external id.
	if n := calls.Errors["AccessDenied"]; n != 1 {
		t.Errorf("%d refusals, want 1", n)
	}
}
