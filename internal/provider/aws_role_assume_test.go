// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// One configuration for the accounts of an AWS organization: the provider's credentials are the
// management account's, and each virtco_aws_role assumes its member account's
// OrganizationAccountAccessRole (assume_role), as an organization's engineer would roll it out.

const (
	orgManagement = "900000000000"
	orgAccessRole = "OrganizationAccountAccessRole"
)

func orgMember(i int) string { return fmt.Sprintf("9100000000%02d", i) }

func orgRoleARN(account string) string { return acctest.RoleARN(account, orgAccessRole) }

// createOrgAccessRole creates member's OrganizationAccountAccessRole, trusting the principals of
// account trusted, as AWS Organizations creates it in the accounts it creates.
func createOrgAccessRole(t *testing.T, a *acctest.AWS, member, trusted string) {
	t.Helper()
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, trusted)
	if _, err := a.IAM(member).CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String(orgAccessRole), AssumeRolePolicyDocument: aws.String(trust),
	}); err != nil {
		t.Fatal(err)
	}
}

// onlyOrgRoles checks every account of the emulator: each member has exactly its
// OrganizationAccountAccessRole, plus the diagnostic role for those of withDiag; Diag3 only its
// collector; any other account (the management account among them) no role at all.
func onlyOrgRoles(a *acctest.AWS, members []string, withDiag ...string) error {
	want := map[string][]string{acctest.Diag3Account: {"virtco-collector"}}
	for _, m := range members {
		want[m] = []string{orgAccessRole}
	}
	for _, m := range withDiag {
		want[m] = append(want[m], awsrole.DefaultRoleName)
	}
	accounts := append(a.Emulator.Accounts(), orgManagement)
	for _, acct := range accounts {
		var got []string
		for _, r := range a.Emulator.Roles(acct) {
			got = append(got, r.Name)
		}
		sort.Strings(got)
		w := want[acct]
		sort.Strings(w)
		if strings.Join(got, ",") != strings.Join(w, ",") {
			return fmt.Errorf("account %s of the emulator has roles %v, want %v", acct, got, w)
		}
	}
	return nil
}

// orgCalls is what the provider paid AWS in one phase, and the platform's own calls (its
// verification: STS calls as Diag3, then as the roles it assumed) apart.
type orgCalls struct {
	iam, sts, throttledIAM, throttledSTS, platform int
	// assumed is how many of the provider's AssumeRoles STS granted.
	assumed int
}

func (c orgCalls) String() string {
	return fmt.Sprintf("%d IAM and %d STS calls (%d AssumeRoles granted), of which %d IAM and %d STS calls throttled and retried; "+
		"the platform's verification: %d STS calls", c.iam, c.sts, c.assumed, c.throttledIAM, c.throttledSTS, c.platform)
}

// takeOrgCalls returns the calls since the last take, and starts counting again. The provider's
// STS calls are the management account's AssumeRoles: it learns each member account from
// AssumeRole's answer, and calls nothing else of STS as the member; every IAM call is its own.
func takeOrgCalls(e *awsemu.Emulator) orgCalls {
	s := e.Calls()
	e.ResetCalls()
	c := orgCalls{iam: s.ByService["iam"], sts: s.ByAccount[orgManagement], throttledIAM: s.ErrorsByService["iam"]["Throttling"]}
	c.throttledSTS = s.ErrorsByAccount[orgManagement]["Throttling"]
	c.assumed = s.ByAccountAction[orgManagement]["sts:AssumeRole"] - c.throttledSTS
	c.platform = s.ByService["sts"] - c.sts
	return c
}

// Twenty member accounts, one configuration: for_each over the account ids, each role assuming
// its member account's OrganizationAccountAccessRole from the management account's credentials.
// One apply creates the twenty roles, each in its own account and verified by the platform, under
// 30% IAM and STS throttling; a plan finds nothing to do; one destroy removes them all; no role is
// ever created in another account. Run through the Terraform CLI with the provider binary, its
// real retries and backoff included, and the calls and wall time of each phase logged.
func TestAccAWSRole_organization(t *testing.T) {
	a := startVerifying(t, "")
	const customer = "org.example.com"
	eng := a.Provision(customer, "Diag3", "eng")["eng"]
	ext := a.ExternalID(customer)
	const n = 20
	members := make([]string, n)
	quoted := make([]string, n)
	for i := range members {
		members[i] = orgMember(i)
		quoted[i] = fmt.Sprintf("%q", members[i])
		createOrgAccessRole(t, a.aws, members[i], orgManagement)
	}
	a.aws.Emulator.SetFaults(awsemu.Faults{ThrottleRate: 0.3, STSThrottleRate: 0.3, Seed: 15})
	a.aws.Emulator.ResetCalls()

	ws := acctest.NewWorkspace(t)
	ws.Write(a.config(eng, orgManagement) + fmt.Sprintf(`
variable "accounts" {
  type    = set(string)
  default = [%s]
}

resource "virtco_aws_role" "member" {
  for_each   = var.accounts
  customer   = %q
  account_id = each.key

  assume_role {
    role_arn     = "arn:aws:iam::${each.key}:role/%s"
    session_name = "virtco-rollout"
  }
}

output "verification" {
  value = { for k, r in virtco_aws_role.member : k => r.verification_state }
}
`, strings.Join(quoted, ", "), customer, orgAccessRole))

	timed := func(args ...string) time.Duration {
		t.Helper()
		start := time.Now()
		ws.MustRun(args...)
		return time.Since(start)
	}

	applyTime := timed("apply", "-auto-approve")
	apply := takeOrgCalls(a.aws.Emulator)
	if err := onlyOrgRoles(a.aws, members, members...); err != nil {
		t.Fatal(err)
	}
	actions := acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})
	for _, m := range members {
		if err := a.aws.CheckRole(acctest.RoleWant{Account: m, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal,
			ExternalID: ext, Actions: actions}); err != nil {
			t.Error(err)
		}
		if err := a.Account(customer, m, client.RoleDone, acctest.RoleARN(m, awsrole.DefaultRoleName)); err != nil {
			t.Error(err)
		}
		if err := a.Verification(customer, m, wantVerification(client.Verified, "")); err != nil {
			t.Error(err)
		}
	}
	if apply.throttledIAM == 0 || apply.throttledSTS == 0 {
		t.Errorf("the throttling did not happen: %s", apply)
	}
	// Terraform's plan and apply each start the provider: each assumes each role once.
	if apply.assumed > 2*n {
		t.Errorf("apply: %d AssumeRoles granted, want at most %d: %s", apply.assumed, 2*n, apply)
	}

	planTime := timed("plan", "-detailed-exitcode") // exit status 0: no changes
	plan := takeOrgCalls(a.aws.Emulator)
	// One provider process plans the twenty roles: each role is assumed once, not once per call.
	if got := plan.assumed; got != n {
		t.Errorf("plan: %d AssumeRoles answered, want %d (one per member account): %s", got, n, plan)
	}

	destroyTime := timed("destroy", "-auto-approve")
	destroy := takeOrgCalls(a.aws.Emulator)
	if destroy.assumed > 2*n {
		t.Errorf("destroy: %d AssumeRoles granted, want at most %d: %s", destroy.assumed, 2*n, destroy)
	}
	if err := onlyOrgRoles(a.aws, members); err != nil {
		t.Error(err)
	}
	if list, err := a.Ops.AWSAccounts.List(t.Context(), customer); err != nil || len(list) != 0 {
		t.Errorf("the platform still has accounts %v (%v)", list, err)
	}
	t.Logf("%d accounts: apply %s: %s", n, applyTime.Round(time.Millisecond), apply)
	t.Logf("%d accounts: plan %s: %s", n, planTime.Round(time.Millisecond), plan)
	t.Logf("%d accounts: destroy %s: %s", n, destroyTime.Round(time.Millisecond), destroy)
}

// assume_role at plan time: a role ARN that is not an IAM role's, a block without one, or an
// invalid session name is refused before AWS is called; an AssumeRole that the member account's
// trust refuses is an error naming the role and its account, and an assumed role of another
// account than account_id is refused; in each case nothing is created, in AWS or on the platform.
// Then a role of a member account that does trust the management account is created there, and
// only there.
func TestAccAWSRole_assumeRoleRefused(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	const customer = "refused.example.com"
	a.Provision(customer, "Diag3")
	ext := a.ExternalID(customer)
	refusing, trusting, other := "920000000001", "920000000002", "920000000003"
	createOrgAccessRole(t, a.aws, refusing, "999999999999") // another organization's management account
	createOrgAccessRole(t, a.aws, trusting, orgManagement)
	createOrgAccessRole(t, a.aws, other, orgManagement)
	members := []string{refusing, trusting, other}
	provider := a.config("", orgManagement)
	role := func(account, assume string) string {
		return provider + fmt.Sprintf(`
resource "virtco_aws_role" "r" {
  customer   = %q
  account_id = %q

  assume_role {
%s
  }
}
`, customer, account, assume)
	}
	nothingCreated := later(func() error {
		if n := a.aws.Emulator.Calls().Action("iam", "CreateRole"); n != 0 {
			return fmt.Errorf("%d CreateRole calls; want none", n)
		}
		if err := onlyOrgRoles(a.aws, members); err != nil {
			return err
		}
		if list, err := a.Ops.AWSAccounts.List(t.Context(), customer); err != nil || len(list) != 0 {
			return fmt.Errorf("the platform has accounts %v (%w)", list, err)
		}
		return nil
	})
	a.aws.Emulator.ResetCalls()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy: checkAll(
			later(func() error { return onlyOrgRoles(a.aws, members) }),
			a.checkAccountGone(customer, trusting),
		),
		Steps: []resource.TestStep{
			{
				Config:      role(refusing, `    role_arn = "arn:aws:sts::920000000001:assumed-role/OrganizationAccountAccessRole/s"`),
				PlanOnly:    true,
				ExpectError: acctest.Words(`must be the ARN of an IAM role: arn:aws:iam::<12-digit account id>:role/<path and name>`),
			},
			{
				Config:      role(refusing, `    session_name = "s"`),
				PlanOnly:    true,
				ExpectError: acctest.Words(`The assume_role block has no role_arn: give the ARN of the role to assume`),
			},
			{
				Config:      role(refusing, `    role_arn = "`+orgRoleARN(refusing)+`"`+"\n    session_name = \"with space\""),
				PlanOnly:    true,
				ExpectError: acctest.Words(`must be made of letters, digits and _+=,.@-`),
			},
			{
				// The member account's trust does not admit the management account: refused at plan
				// time, with the role, its account and the caller's account.
				Config: role(refusing, `    role_arn = "`+orgRoleARN(refusing)+`"`),
				ExpectError: acctest.Words(`Assuming role ` + orgRoleARN(refusing) + ` in AWS account ` + refusing +
					` (assume_role) with the provider's AWS credentials (AWS account ` + orgManagement + `) failed, so nothing was done in that account:`),
			},
			{
				Config:   provider, // nothing: the checks run on what the refused step left
				PlanOnly: true,
				Check:    nothingCreated,
			},
			{
				// An assumed role of another account than account_id.
				Config: role(refusing, `    role_arn = "`+orgRoleARN(trusting)+`"`),
				ExpectError: acctest.Words(`The role assumed with assume_role (` + orgRoleARN(trusting) + `) reaches AWS account ` +
					trusting + `, but the role is for account ` + refusing + `: the provider refuses to create the role in another account`),
			},
			{
				Config:   provider,
				PlanOnly: true,
				Check:    nothingCreated,
			},
			{
				Config: role(trusting, `    role_arn = "`+orgRoleARN(trusting)+`"`),
				Check: checkAll(
					a.checkRole(acctest.RoleWant{Account: trusting, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal,
						ExternalID: ext, Actions: acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})}),
					later(func() error { return onlyOrgRoles(a.aws, members, trusting) }),
					a.checkAccount(customer, trusting, client.RoleDone, acctest.RoleARN(trusting, awsrole.DefaultRoleName)),
					func(*terraform.State) error {
						// the management account only assumed roles; every IAM call acted in the member account
						calls := a.aws.Emulator.Calls()
						for acct, actions := range calls.ByAccountAction {
							for action := range actions {
								if strings.HasPrefix(action, "iam:") && acct != trusting {
									return fmt.Errorf("%s called in account %s", action, acct)
								}
							}
						}
						return nil
					},
				),
			},
			{
				// imported through the role to assume: the id's fourth part
				ResourceName:      "virtco_aws_role.r",
				ImportState:       true,
				ImportStateId:     customer + "/" + trusting + "/" + awsrole.DefaultRoleName + "/" + orgRoleARN(trusting),
				ImportStateVerify: true,
			},
			{
				// without it, the provider's own credentials reach the management account: refused
				ResourceName:  "virtco_aws_role.r",
				ImportState:   true,
				ImportStateId: customer + "/" + trusting + "/" + awsrole.DefaultRoleName,
				ExpectError: acctest.Words(`The provider's AWS credentials reach AWS account ` + orgManagement +
					`, but the role is for account ` + trusting),
			},
			{
				// assume_role changed to a role of another account: the update would act there
				Config: role(trusting, `    role_arn = "`+orgRoleARN(other)+`"`),
				ExpectError: acctest.Words(`The role assumed with assume_role (` + orgRoleARN(other) + `) reaches AWS account ` +
					other + `, but the role is for account ` + trusting + `: the provider refuses to update the role`),
			},
			{
				// ... or to one that refuses the management account
				Config:      role(trusting, `    role_arn = "`+orgRoleARN(refusing)+`"`),
				ExpectError: acctest.Words(`Assuming role ` + orgRoleARN(refusing) + ` in AWS account ` + refusing + ` (assume_role)`),
			},
			{
				Config:   role(trusting, `    role_arn = "`+orgRoleARN(trusting)+`"`),
				PlanOnly: true, // nothing changed by the refused plans
				Check:    later(func() error { return onlyOrgRoles(a.aws, members, trusting) }),
			},
		},
	})
}

// Role chaining, as a CI pipeline rolls an organization out: the provider's own credentials (a CI
// account) assume the management account's deployer role (the aws block's assume_role), and each
// virtco_aws_role assumes its member account's OrganizationAccountAccessRole from that session.
// Each role is created in its member account only, with the customer's trust; the CI and
// management accounts get none; destroy removes them all.
func TestAccAWSRole_chainedAssumeRole(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	const customer, ciAccount = "chain.example.com", "555555555555"
	a.Provision(customer, "Diag3")
	ext := a.ExternalID(customer)
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},`+
		`"Action":"sts:AssumeRole"}]}`, ciAccount)
	if err := call(a.aws.IAM(orgManagement).CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(trust),
	})); err != nil {
		t.Fatal(err)
	}
	members := []string{orgMember(50), orgMember(51)}
	for _, m := range members {
		createOrgAccessRole(t, a.aws, m, orgManagement)
	}
	config := a.providerBlock(a.URL, "", ciAccount, "", fmt.Sprintf(`    assume_role {
      role_arn = "arn:aws:iam::%s:role/deployer"
    }`, orgManagement)) + fmt.Sprintf(`
resource "virtco_aws_role" "m0" {
  customer   = %[1]q
  account_id = %[2]q

  assume_role {
    role_arn = %[3]q
  }
}

resource "virtco_aws_role" "m1" {
  customer   = %[1]q
  account_id = %[4]q

  assume_role {
    role_arn = %[5]q
  }
}
`, customer, members[0], orgRoleARN(members[0]), members[1], orgRoleARN(members[1]))

	onlyMembersHaveIt := func() error {
		for _, m := range members {
			if err := a.aws.CheckRole(acctest.RoleWant{Account: m, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal,
				ExternalID: ext, Actions: acctest.DefaultActions()}); err != nil {
				return err
			}
		}
		for _, acct := range []string{ciAccount, orgManagement} {
			if _, ok := a.aws.Emulator.Role(acct, awsrole.DefaultRoleName); ok {
				return fmt.Errorf("account %s, not a member, has the diagnostic role", acct)
			}
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy: func(*terraform.State) error {
			for _, acct := range append([]string{ciAccount, orgManagement}, members...) {
				if _, ok := a.aws.Emulator.Role(acct, awsrole.DefaultRoleName); ok {
					return fmt.Errorf("the diagnostic role outlived destroy in account %s", acct)
				}
			}
			for _, m := range members {
				if err := a.AccountGone(customer, m); err != nil {
					return err
				}
			}
			return nil
		},
		Steps: []resource.TestStep{{
			PreConfig: func() { a.aws.Emulator.ResetCalls() },
			Config:    config,
			Check: checkAll(
				later(onlyMembersHaveIt),
				a.checkAccount(customer, members[0], client.RoleDone, acctest.RoleARN(members[0], awsrole.DefaultRoleName)),
				a.checkAccount(customer, members[1], client.RoleDone, acctest.RoleARN(members[1], awsrole.DefaultRoleName)),
				later(func() error {
					// the CI account only assumed the deployer role; the members' roles were assumed
					// by the deployer's session, in the management account
					calls := a.aws.Emulator.Calls()
					if got := calls.ByAccountAction[orgManagement]["sts:AssumeRole"]; got < len(members) {
						return fmt.Errorf("the management account assumed %d roles, want at least %d", got, len(members))
					}
					for action, n := range calls.ByAccountAction[ciAccount] {
						if action != "sts:AssumeRole" && action != "sts:GetCallerIdentity" {
							return fmt.Errorf("the CI account's own credentials called %s %d times; they should only assume the deployer role", action, n)
						}
					}
					return nil
				}),
			),
		}},
	})
}
