// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// awsTest is a role test's control plane and emulator. The provider reaches the emulator through
// its aws block, with static credentials whose access key id is the account the emulator acts as.
type awsTest struct {
	*testServer
	aws *acctest.AWS
}

// startAWS starts a server (marking the test parallel) and an emulator with the given faults.
func startAWS(t *testing.T, faults awsemu.Faults) *awsTest {
	t.Helper()
	return &awsTest{testServer: startServer(t), aws: acctest.StartAWS(t, faults)}
}

// config is a provider block for the server with the given key (the ops key if empty) whose AWS
// credentials act as account in the emulator; extra goes into the provider block.
func (a *awsTest) config(key, account string, extra ...string) string {
	return a.configAt(a.URL, key, account, extra...)
}

// configAt is config with another endpoint, such as a proxy in front of the server.
func (a *awsTest) configAt(endpoint, key, account string, extra ...string) string {
	return a.providerBlock(endpoint, key, account, strings.Join(extra, "\n"), "")
}

// providerBlock is the provider block of config and configAt; awsExtra goes into its aws block.
func (a *awsTest) providerBlock(endpoint, key, account, extra, awsExtra string) string {
	if key == "" {
		key = a.OpsKey
	}
	return fmt.Sprintf(`
provider "virtco" {
  endpoint = %q
  api_key  = %q
%s
  aws {
    access_key = %q
    secret_key = "test"
%s
    endpoints {
      iam = %q
      sts = %q
    }
  }
}
`, endpoint, key, extra, account, awsExtra, a.aws.URL, a.aws.URL)
}

// --- the emulator's and the platform's state, as Terraform test checks

func (a *awsTest) checkRole(w acctest.RoleWant) resource.TestCheckFunc {
	return later(func() error { return a.aws.CheckRole(w) })
}

func (a *awsTest) checkNoRoles(account string) resource.TestCheckFunc {
	return later(func() error { return a.aws.NoRoles(account) })
}

func (a *awsTest) checkAccount(customer, account string, state client.RoleStatus, arn string) resource.TestCheckFunc {
	return later(func() error { return a.Account(customer, account, state, arn) })
}

func (a *awsTest) checkAccountGone(customer, account string) resource.TestCheckFunc {
	return later(func() error { return a.AccountGone(customer, account) })
}

func (a *awsTest) checkAssumeRole(collector *sts.Client, arn, externalID string) resource.TestCheckFunc {
	return later(func() error { return a.aws.OnlyCollectorMayAssume(collector, arn, externalID) })
}

// --- plan checks

// expectDrift checks that the plan's refresh found the resource changed outside Terraform, and
// lets check look at the refreshed values.
type expectDrift struct {
	addr  string
	check func(before, after map[string]any) error
}

func (e expectDrift) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceDrift {
		if rc.Address != e.addr {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		resp.Error = e.check(before, after)
		return
	}
	resp.Error = fmt.Errorf("the plan shows no change of %s outside Terraform", e.addr)
}

// expectPlannedActions checks the planned policy_json: exactly these actions.
type expectPlannedActions struct {
	addr    string
	actions []string
}

func (e expectPlannedActions) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != e.addr {
			continue
		}
		after, _ := rc.Change.After.(map[string]any)
		doc, ok := after["policy_json"].(string)
		if !ok {
			resp.Error = fmt.Errorf("%s: policy_json is not known in the plan", e.addr)
			return
		}
		resp.Error = acctest.SameActions(doc, e.actions)
		return
	}
	resp.Error = fmt.Errorf("no planned change of %s", e.addr)
}

// call keeps the error of an SDK call.
func call[T any](_ T, err error) error { return err }

// The customer's engineer, with a user token of its customer and its own AWS credentials, creates
// the role, imports it, changes it, sees every kind of drift in the plan and has apply put it
// right, gets it re-created when deleted outside Terraform, and destroys it, also when it was
// already deleted. Each step checks the emulator and the control plane, not only the state.
func TestAccAWSRole_lifecycle(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	const customer = "acme.example.com"
	joe := a.Provision(customer, "Diag3", "joe")["joe"]
	ext := a.ExternalID(customer)
	collector := a.aws.CollectorSession()
	const addr = "virtco_aws_role.prod"
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	provider := a.config(joe, acctest.Account)

	defaults := acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})
	wider := acctest.ActionsOf([]string{"cloudwatch", "cloudtrail", "logs"},
		"cur:DescribeReportDefinitions", "bcm-data-exports:GetExport", "bcm-data-exports:ListExports",
		"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation")

	first := provider + `
resource "virtco_aws_role" "prod" {
  customer   = "acme.example.com"
  account_id = "123456789012"
  tags = {
    team = "finops"
  }
}
`
	second := provider + `
resource "virtco_aws_role" "prod" {
  customer             = "acme.example.com"
  account_id           = "123456789012"
  data_sources         = ["cloudtrail", "cloudwatch", "logs", "cur"]
  cur_bucket           = "acme-cur-reports"
  max_session_duration = 7200
  tags = {
    team  = "finops"
    owner = "joe"
  }
}
`
	secondRole := acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal, ExternalID: ext,
		Actions: wider, SessionSecs: 7200, Tags: map[string]string{"team": "finops", "owner": "joe"}}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy: checkAll(
			a.checkNoRoles(acctest.Account),
			a.checkAccountGone(customer, acctest.Account),
			a.checkCustomer(customer, func(c *client.Customer) error {
				if len(c.Accounts) != 0 {
					return fmt.Errorf("customer still has accounts %v", c.Accounts)
				}
				return nil
			}),
		),
		Steps: []resource.TestStep{
			{
				// create: the plan shows the exact policies; the role is exactly what was asked for
				Config: first,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
					expectPlannedActions{addr, defaults},
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("account_id"), knownvalue.StringExact(acctest.Account)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(customer+"/"+acctest.Account+"/"+awsrole.DefaultRoleName)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("trusted_principal"), knownvalue.StringExact(acctest.Diag3Principal)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("external_id"), knownvalue.StringExact(ext)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("trust_policy_json"), knownvalue.StringFunc(func(v string) error {
						want, _ := awsrole.TrustPolicy(acctest.Diag3Principal, ext)
						if v != want {
							return fmt.Errorf("planned trust policy %s", v)
						}
						return nil
					})),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("state"), knownvalue.StringExact("done")),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("role_arn")),
				}},
				Check: checkAll(
					resource.TestCheckResourceAttr(addr, "role_arn", arn),
					resource.TestCheckResourceAttr(addr, "state", "done"),
					resource.TestCheckResourceAttr(addr, "role_name", awsrole.DefaultRoleName),
					resource.TestCheckResourceAttr(addr, "path", "/"),
					resource.TestCheckResourceAttr(addr, "max_session_duration", "3600"),
					resource.TestCheckResourceAttr(addr, "data_sources.#", "2"),
					resource.TestCheckResourceAttr(addr, "managed_policy_arns.#", "0"),
					resource.TestCheckResourceAttr(addr, "extra_inline_policies.%", "0"),
					a.checkRole(acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal,
						ExternalID: ext, Actions: defaults, SessionSecs: 3600, Tags: map[string]string{"team": "finops"}}),
					a.checkAccount(customer, acctest.Account, client.RoleDone, arn),
					a.checkAssumeRole(collector, arn, ext),
				),
			},
			{
				// import by customer/account_id/role_name
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     customer + "/" + acctest.Account + "/" + awsrole.DefaultRoleName,
				ImportStateVerify: true,
			},
			{
				// update in place: more sources (with cur's bucket), a longer session, other tags
				Config: second,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					expectPlannedActions{addr, wider},
				}},
				Check: checkAll(
					a.checkRole(secondRole),
					a.checkAccount(customer, acctest.Account, client.RoleDone, arn),
					resource.TestCheckResourceAttr(addr, "role_arn", arn),
				),
			},
			{
				// drift of every kind, done outside Terraform: it shows in the plan and apply puts
				// the role back to exactly what is declared
				PreConfig: func() {
					c := a.aws.IAM(acctest.Account)
					name := aws.String(awsrole.DefaultRoleName)
					other, _ := awsrole.TrustPolicy("arn:aws:iam::999999999999:root", ext)
					for _, err := range []error{
						call(c.AttachRolePolicy(t.Context(), &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})),
						call(c.UpdateAssumeRolePolicy(t.Context(), &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: aws.String(other)})),
						call(c.PutRolePolicy(t.Context(), &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("backdoor"),
							PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})),
						call(c.PutRolePermissionsBoundary(t.Context(), &iam.PutRolePermissionsBoundaryInput{RoleName: name, PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")})),
						call(c.TagRole(t.Context(), &iam.TagRoleInput{RoleName: name, Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("mallory")}}})),
						call(c.UpdateRole(t.Context(), &iam.UpdateRoleInput{RoleName: name, MaxSessionDuration: aws.Int32(43200)})),
					} {
						if err != nil {
							t.Fatal(err)
						}
					}
					if _, _, err := a.Ops.AWSAccounts.Put(t.Context(), customer, acctest.Account, client.AWSAccountPutOptions{State: client.RoleInProgress}); err != nil {
						t.Fatal(err)
					}
				},
				Config: second,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					expectDrift{addr, func(before, after map[string]any) error {
						var errs []string
						if fmt.Sprint(after["managed_policy_arns"]) != "[arn:aws:iam::aws:policy/AdministratorAccess]" {
							errs = append(errs, fmt.Sprintf("managed_policy_arns %v", after["managed_policy_arns"]))
						}
						if !strings.Contains(fmt.Sprint(after["trust_policy_json"]), "999999999999") {
							errs = append(errs, fmt.Sprintf("trust_policy_json %v", after["trust_policy_json"]))
						}
						if extra, _ := after["extra_inline_policies"].(map[string]any); extra["backdoor"] == nil {
							errs = append(errs, fmt.Sprintf("extra_inline_policies %v", after["extra_inline_policies"]))
						}
						if after["permissions_boundary"] != "arn:aws:iam::aws:policy/PowerUserAccess" {
							errs = append(errs, fmt.Sprintf("permissions_boundary %v", after["permissions_boundary"]))
						}
						if fmt.Sprint(after["tags"]) != "map[owner:mallory team:finops]" {
							errs = append(errs, fmt.Sprintf("tags %v", after["tags"]))
						}
						if fmt.Sprint(after["max_session_duration"]) != "43200" {
							errs = append(errs, fmt.Sprintf("max_session_duration %v", after["max_session_duration"]))
						}
						if after["state"] != nil {
							errs = append(errs, fmt.Sprintf("state %v (the account's record has no role ARN now)", after["state"]))
						}
						if after["policy_json"] != before["policy_json"] {
							errs = append(errs, "policy_json changed, but the inline policy was not touched")
						}
						if len(errs) > 0 {
							return fmt.Errorf("drift not seen: %s", strings.Join(errs, "; "))
						}
						return nil
					}},
				}},
				Check: checkAll(
					a.checkRole(secondRole),
					a.checkAccount(customer, acctest.Account, client.RoleDone, arn),
					a.checkAssumeRole(collector, arn, ext),
				),
			},
			{
				// the inline policy edited outside Terraform
				PreConfig: func() {
					if err := call(a.aws.IAM(acctest.Account).PutRolePolicy(t.Context(), &iam.PutRolePolicyInput{
						RoleName: aws.String(awsrole.DefaultRoleName), PolicyName: aws.String(awsrole.DefaultInlinePolicyName),
						PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
					})); err != nil {
						t.Fatal(err)
					}
				},
				Config: second,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					expectDrift{addr, func(_, after map[string]any) error {
						if !strings.Contains(fmt.Sprint(after["policy_json"]), `"Action":"*"`) {
							return fmt.Errorf("policy_json %v", after["policy_json"])
						}
						return nil
					}},
				}},
				Check: a.checkRole(secondRole),
			},
			{
				// deleted outside Terraform: planned for re-creation (a replacement, so that the
				// platform's record is renewed too)
				PreConfig: func() { a.aws.DeleteRole(acctest.Account, awsrole.DefaultRoleName) },
				Config:    second,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: checkAll(
					a.checkRole(secondRole),
					a.checkAccount(customer, acctest.Account, client.RoleDone, arn),
					a.checkAssumeRole(collector, arn, ext),
				),
			},
			{
				// destroy when the role was already deleted outside Terraform: it succeeds, and the
				// platform's record goes too
				PreConfig: func() { a.aws.DeleteRole(acctest.Account, awsrole.DefaultRoleName) },
				Config:    second,
				Destroy:   true,
				Check: checkAll(
					a.checkNoRoles(acctest.Account),
					a.checkAccountGone(customer, acctest.Account),
				),
			},
		},
	})
}

// The ops key manages roles too, and a plain destroy removes the role, its policies and the
// platform's record.
func TestAccAWSRole_opsKey(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.Provision("ops.example.com", "Diag4")
	ext := a.ExternalID("ops.example.com")
	const addr = "virtco_aws_role.r"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             checkAll(a.checkNoRoles(acctest.Account), a.checkAccountGone("ops.example.com", acctest.Account)),
		Steps: []resource.TestStep{{
			// account_id omitted: it is the credentials' account, known at plan time
			Config: a.config("", acctest.Account) + `
resource "virtco_aws_role" "r" {
  customer  = "ops.example.com"
  role_name = "virtco-ops"
  path      = "/virtco/"
}
`,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("account_id"), knownvalue.StringExact(acctest.Account)),
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("trusted_principal"), knownvalue.StringExact("arn:aws:iam::444455556666:root")),
			}},
			Check: checkAll(
				resource.TestCheckResourceAttr(addr, "role_arn", "arn:aws:iam::123456789012:role/virtco/virtco-ops"),
				resource.TestCheckResourceAttr(addr, "id", "ops.example.com/123456789012/virtco-ops"),
				a.checkRole(acctest.RoleWant{Account: acctest.Account, Name: "virtco-ops", Principal: "arn:aws:iam::444455556666:root",
					ExternalID: ext, Actions: acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})}),
				a.checkAccount("ops.example.com", acctest.Account, client.RoleDone, "arn:aws:iam::123456789012:role/virtco/virtco-ops"),
				func(*terraform.State) error {
					// Diag4 has no principal ARN: its root may assume the role, with the external id
					_, err := a.aws.STS("444455556666").AssumeRole(t.Context(), stsAssume("arn:aws:iam::123456789012:role/virtco/virtco-ops", ext))
					return err
				},
			),
		}},
	})
}

// A unit test of the plan (no AWS, no server needed beyond the harness): the planned policy_json
// of a default role grants exactly the actions ARCHITECTURE.md gives cloudwatch and cloudtrail.
func TestAWSRole_defaultPolicy(t *testing.T) {
	m := awsRoleResourceModel{
		DataSources: mustSet(awsrole.DefaultDataSources()),
	}
	doc, diags := m.permissionsPolicy(t.Context())
	if diags.HasError() {
		t.Fatal(diags)
	}
	if err := acctest.SameActions(doc, acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})); err != nil {
		t.Error(err)
	}
	// and the schema's default is those two sources, so a role that leaves data_sources out gets
	// that policy (TestAccAWSRole_lifecycle checks the planned policy_json through the CLI)
	resp := &fwresource.SchemaResponse{}
	(&awsRoleResource{}).Schema(t.Context(), fwresource.SchemaRequest{}, resp)
	attr, _ := resp.Schema.Attributes["data_sources"].(schema.SetAttribute)
	dresp := &defaults.SetResponse{}
	attr.Default.DefaultSet(t.Context(), defaults.SetRequest{}, dresp)
	var got []string
	dresp.Diagnostics.Append(dresp.PlanValue.ElementsAs(t.Context(), &got, false)...)
	sort.Strings(got)
	if dresp.Diagnostics.HasError() || fmt.Sprint(got) != "[cloudtrail cloudwatch]" {
		t.Errorf("data_sources default: %v %v", got, dresp.Diagnostics)
	}
}

func mustSet(l []string) types.Set {
	s, diags := stringSet(l)
	if diags.HasError() {
		panic(diags)
	}
	return s
}

func stsAssume(arn, externalID string) *sts.AssumeRoleInput {
	return &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("diag"), ExternalId: aws.String(externalID)}
}

// What must never happen does not: a role in another account than declared, a role for a customer
// without a diagnostic account, a silent take-over of an existing role; and wrong arguments are
// clear diagnostics at plan time.
func TestAccAWSRole_safety(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.Provision("safe.example.com", "Diag3")
	a.Provision("nodiag.example.com", "")
	provider := a.config("", acctest.Account)
	role := func(body string) string { return provider + "resource \"virtco_aws_role\" \"r\" {\n" + body + "\n}\n" }
	nothingCreated := func() {
		t.Helper()
		calls := a.aws.Emulator.Calls()
		if n := calls.Action("iam", "CreateRole"); n != 0 {
			t.Errorf("%d CreateRole calls; want none", n)
		}
		for _, acct := range a.aws.Emulator.Accounts() {
			if roles := a.aws.Emulator.Roles(acct); len(roles) != 0 {
				t.Errorf("account %s has %d roles", acct, len(roles))
			}
		}
		for _, c := range []string{"safe.example.com", "nodiag.example.com"} {
			if list, err := a.Ops.AWSAccounts.List(t.Context(), c); err != nil || len(list) != 0 {
				t.Errorf("customer %s has AWS accounts %v (%v)", c, list, err)
			}
		}
	}
	planErr := func(body, want string) resource.TestStep {
		return resource.TestStep{Config: role(body), PlanOnly: true, ExpectError: re(want)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{
			// the credentials reach 123456789012, the role is declared for another account: refused
			// at plan time
			planErr(`  customer   = "safe.example.com"
  account_id = "210987654321"`,
				`The provider's AWS credentials reach AWS account 123456789012, but the role is for account 210987654321: the provider refuses to create the role in another account than the one declared, and did nothing.`),
			planErr(`  customer = "nodiag.example.com"`,
				`Customer "nodiag.example.com" has no diag account: set diag_account on virtco_customer "nodiag.example.com"`),
			planErr(`  customer     = "safe.example.com"
  data_sources = ["cloudwatch", "s3"]`,
				`Unknown data source "s3": known data sources are "cloudwatch", "cloudtrail", "logs", "cost_explorer", "cur", "inventory".`),
			planErr(`  customer     = "safe.example.com"
  data_sources = ["cur"]`,
				`The "cur" data source reads the Cost and Usage Report from its S3 bucket, and only from it: set cur_bucket`),
			planErr(`  customer   = "safe.example.com"
  cur_bucket = "acme-cur"`,
				`cur_bucket is set but data_sources does not include "cur"`),
			planErr(`  customer     = "safe.example.com"
  data_sources = ["cur"]
  cur_bucket   = "arn:aws:s3:::acme-cur"`,
				`Invalid S3 bucket name "arn:aws:s3:::acme-cur": give the bucket name, not its ARN.`),
			planErr(`  customer     = "safe.example.com"
  data_sources = []`,
				`Attribute data_sources set must contain at least 1 elements`),
			planErr(`  customer             = "safe.example.com"
  max_session_duration = 60`,
				`Attribute max_session_duration value must be between 3600 and 43200, got: 60`),
			planErr(`  customer  = "safe.example.com"
  role_name = "no spaces"`,
				`"no spaces" is not a role name: a role name is 1 to 64 characters of letters, digits and +=,.@_-.`),
			planErr(`  customer = "safe.example.com"
  path     = "virtco"`,
				`Invalid role path "virtco": it must begin and end with '/'`),
			planErr(`  customer             = "safe.example.com"
  permissions_boundary = "AdministratorAccess"`,
				`Invalid permissions boundary "AdministratorAccess": it must be a managed policy ARN`),
			planErr(`  customer = "safe.example.com"
  tags     = { "aws:owner" = "x" }`,
				`Invalid tag key "aws:owner": the aws: prefix is reserved for AWS.`),
			planErr(`  customer   = "safe.example.com"
  account_id = "1234"`,
				`"1234" is not an AWS account id: an AWS account id is exactly 12 digits.`),
			{
				// the customer does not exist: not known at plan time (it could be created in the same
				// apply), refused at apply before anything is created
				Config:      role(`  customer = "ghost.example.com"`),
				ExpectError: re(`Customer "ghost.example.com" does not exist on the platform, so no role can be made for it.`),
			},
			{
				// account_id known only at apply: Create checks it again, before anything is created
				PreConfig: nothingCreated,
				Config: provider + `
resource "terraform_data" "acct" {
  input = "210987654321"
}

resource "virtco_aws_role" "r" {
  customer   = "safe.example.com"
  account_id = terraform_data.acct.output
}
`,
				ExpectError: re(`reach AWS account 123456789012, but the role is for account 210987654321: the provider refuses to create the role`),
			},
			{
				// a role of that name exists already: not taken over, and known at plan time (one
				// listing of the account's roles); the import id is in the message
				PreConfig: func() {
					nothingCreated()
					trust, _ := awsrole.TrustPolicy(acctest.Diag3Principal, "someone-elses")
					if err := call(a.aws.IAM(acctest.Account).CreateRole(t.Context(), &iam.CreateRoleInput{
						RoleName: aws.String(awsrole.DefaultRoleName), AssumeRolePolicyDocument: aws.String(trust),
					})); err != nil {
						t.Fatal(err)
					}
				},
				Config:   role(`  customer = "safe.example.com"`),
				PlanOnly: true,
				ExpectError: re(`A role named "virtco-diagnostics-readonly" already exists in AWS account 123456789012, so Terraform will not create it ` +
					`(nor silently take it over); nothing was changed. To manage it with this configuration, import it: terraform import ` +
					`<address of this resource> safe.example.com/123456789012/virtco-diagnostics-readonly`),
			},
			{
				// the platform registers one role per customer and account
				PreConfig: func() {
					if r, ok := a.aws.Emulator.Role(acctest.Account, awsrole.DefaultRoleName); !ok || len(r.InlinePolicies) != 0 {
						t.Errorf("the existing role was changed: %+v", r)
					}
					if _, err := a.Ops.AWSAccounts.Get(t.Context(), "safe.example.com", acctest.Account); err == nil {
						t.Error("the refused create left the account registered")
					}
					if _, _, err := a.Ops.AWSAccounts.Put(t.Context(), "safe.example.com", acctest.Account, client.AWSAccountPutOptions{
						RoleARN: acctest.RoleARN(acctest.Account, "handmade"), State: client.RoleDone,
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config: role(`  customer  = "safe.example.com"
  role_name = "second"`),
				ExpectError: re(`AWS account 123456789012 of customer "safe.example.com" is already registered with the platform with role arn:aws:iam::123456789012:role/handmade`),
			},
		},
	})
	if r := a.aws.Emulator.Roles(acctest.Account); len(r) != 1 {
		t.Errorf("roles in the account: %d, want only the one created outside Terraform", len(r))
	}
	if rec, err := a.Ops.AWSAccounts.Get(t.Context(), "safe.example.com", acctest.Account); err != nil || rec.RoleARN != acctest.RoleARN(acctest.Account, "handmade") {
		t.Errorf("the platform's record was changed: %+v %v", rec, err)
	}
}

// The provider's aws settings: every missing or wrong one is a diagnostic that names it, at plan
// time; a configuration without a virtco_aws_role needs no AWS at all; assume_role creates the
// role in the assumed role's account.
func TestAccAWSRole_providerSettings(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.Provision("cfg.example.com", "Diag4")
	ext := a.ExternalID("cfg.example.com")
	profiles := acctest.WriteFile(t, "config", "[profile other]\nregion = eu-west-1\n", 0o600)
	roleBlock := `
resource "virtco_aws_role" "r" {
  customer = "cfg.example.com"
}
`
	withAWS := func(aws string) string {
		return fmt.Sprintf(`
provider "virtco" {
  endpoint = %q
  api_key  = %q
  aws {
%s
  }
}
`, a.URL, a.OpsKey, aws) + roleBlock
	}
	endpoints := fmt.Sprintf(`    endpoints {
      iam = %q
      sts = %q
    }`, a.aws.URL, a.aws.URL)
	planErr := func(aws, want string) resource.TestStep {
		return resource.TestStep{Config: withAWS(aws), PlanOnly: true, ExpectError: re(want)}
	}

	// A deployer role in the customer's account that a CI account (555555555555) may assume.
	deployTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::555555555555:root"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ci-deploy"}}}]}`
	if err := call(a.aws.IAM(acctest.Account).CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(deployTrust),
	})); err != nil {
		t.Fatal(err)
	}
	assumeRole := func(ext string) string {
		return fmt.Sprintf(`    access_key = "555555555555"
    secret_key = "test"
    assume_role {
      role_arn     = "arn:aws:iam::123456789012:role/deployer"
      external_id  = %q
      session_name = "ci"
    }
%s`, ext, endpoints)
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             a.checkAccountGone("cfg.example.com", acctest.Account),
		Steps: []resource.TestStep{
			planErr(`    access_key = "123456789012"
    secret_key = "test"
    endpoints {
      iam = "ftp://127.0.0.1:4566"
    }`, `The provider's aws.endpoints.iam "ftp://127.0.0.1:4566" is not an http:// or https:// URL`),
			planErr(`    access_key = "123456789012"`, `The provider's aws.access_key is set but aws.secret_key is not`),
			planErr(`    assume_role {
      external_id = "x"
    }`, `The provider's aws.assume_role block has no role_arn`),
			planErr(`    assume_role {
      role_arn = "deployer"
    }`, `The provider's aws.assume_role.role_arn "deployer" is not an IAM role ARN`),
			planErr(`    shared_config_files = ["/nonexistent/aws/config"]`,
				`The file "/nonexistent/aws/config" of the provider's aws.shared_config_files could not be read: no such file or directory.`),
			planErr(fmt.Sprintf(`    shared_config_files = [%q]
    profile             = "nope"`, profiles),
				`The AWS profile "nope" (set by aws.profile) is not in the shared config or credentials files`),
			// no credentials anywhere (the tests run without AWS_* variables and files)
			planErr(endpoints, `The AWS SDK found no usable credentials`),
			planErr(assumeRole("wrong"), `Assuming arn:aws:iam::123456789012:role/deployer (aws.assume_role) failed`),
			{
				// no AWS settings at all, and no role: nothing asks for AWS
				Config: fmt.Sprintf(`
provider "virtco" {
  endpoint = %q
  api_key  = %q
}

data "virtco_aws_role_policy" "p" {
  customer = "cfg.example.com"
}
`, a.URL, a.OpsKey),
				Check: resource.TestCheckResourceAttr("data.virtco_aws_role_policy.p", "external_id", ext),
			},
			{
				// CI credentials of account 555555555555 assume the deployer role of the customer's account
				Config: withAWS(assumeRole("ci-deploy")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectPlannedActions{"virtco_aws_role.r", acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})},
				}},
				Check: checkAll(
					resource.TestCheckResourceAttr("virtco_aws_role.r", "account_id", acctest.Account),
					a.checkRole(acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName, Principal: "arn:aws:iam::444455556666:root",
						ExternalID: ext, Actions: acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})}),
					a.checkNoRoles("555555555555"),
					func(*terraform.State) error {
						if n := a.aws.Emulator.Calls().ByAccountAction["555555555555"]["iam:CreateRole"]; n != 0 {
							return fmt.Errorf("%d CreateRole calls as the CI account", n)
						}
						return nil
					},
				),
			},
		},
	})
	if _, ok := a.aws.Emulator.Role(acctest.Account, awsrole.DefaultRoleName); ok {
		t.Error("the role is still in the emulator after destroy")
	}
}

// IAM at its worst: 30% of IAM calls throttled, the new role invisible to its first two reads,
// and the trusted principal refused as invalid twice (a principal that has not propagated yet).
// Apply and destroy still succeed, and leave exactly what they should.
func TestAccAWSRole_faults(t *testing.T) {
	a := startAWS(t, awsemu.Faults{ThrottleRate: 0.3, InvisibleReads: 2, InvalidPrincipalAttempts: 2})
	joe := a.Provision("flaky.example.com", "Diag3", "joe")["joe"]
	ext := a.ExternalID("flaky.example.com")
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy: checkAll(
			a.checkNoRoles(acctest.Account),
			a.checkAccountGone("flaky.example.com", acctest.Account),
			func(*terraform.State) error {
				calls := a.aws.Emulator.Calls()
				t.Logf("IAM calls with faults, apply and destroy: %d, errors %v", calls.ByService["iam"], calls.Errors)
				if calls.Errors["Throttling"] == 0 || calls.Errors["NoSuchEntity"] == 0 || calls.Errors["MalformedPolicyDocument"] != 2 {
					return fmt.Errorf("the faults did not happen: %v", calls.Errors)
				}
				return nil
			},
		),
		Steps: []resource.TestStep{{
			Config: a.config(joe, acctest.Account) + `
resource "virtco_aws_role" "r" {
  customer   = "flaky.example.com"
  account_id = "123456789012"
}
`,
			Check: checkAll(
				a.checkRole(acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal,
					ExternalID: ext, Actions: acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})}),
				a.checkAccount("flaky.example.com", acctest.Account, client.RoleDone, arn),
			),
		}},
	})
}

// The control plane fails right after CreateRole (registering the role done). The role is deleted
// again, so that the emulator holds no role the state does not record; when that deletion fails
// too, the role is in the state, tainted, and the next apply replaces it.
func TestAccAWSRole_controlPlaneFailsAfterCreate(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.Provision("cp.example.com", "Diag3")
	ext := a.ExternalID("cp.example.com")
	proxy := acctest.StartProxy(t, a.URL)
	const addr = "virtco_aws_role.r"
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	config := a.configAt(proxy.URL, "", acctest.Account, "  max_retries = 0") + `
resource "virtco_aws_role" "r" {
  customer = "cp.example.com"
}
`
	// noUnrecordedRole: after a failed apply, no role in the emulator (the state records none).
	noUnrecordedRole := func() {
		t.Helper()
		if roles := a.aws.Emulator.Roles(acctest.Account); len(roles) != 0 {
			t.Errorf("the emulator holds role %s, which the state does not record", roles[0].Name)
		}
		if rec, err := a.Ops.AWSAccounts.Get(t.Context(), "cp.example.com", acctest.Account); err == nil {
			t.Errorf("the platform still has the account (state %s)", rec.State)
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             checkAll(a.checkNoRoles(acctest.Account), a.checkAccountGone("cp.example.com", acctest.Account)),
		Steps: []resource.TestStep{
			{
				PreConfig: func() { proxy.Fail(http.MethodPut, string(client.RoleDone)) },
				Config:    config,
				ExpectError: re(`the database is on fire (injected by the test) This is a problem on the server's side ` +
					`(its log has the details, under the request id if one is given); try again later, or raise max_retries ` +
					`(VIRTCO_MAX_RETRIES). The IAM role was deleted again, so nothing is left behind.`),
			},
			{
				// the same, and deleting the role fails too: the state records it
				PreConfig: func() {
					noUnrecordedRole()
					if proxy.Failed() != 1 {
						t.Errorf("the control plane failed %d times, want 1", proxy.Failed())
					}
					a.aws.Emulator.SetFaults(awsemu.Faults{FailActions: map[string]int{"DeleteRole": -1}})
				},
				Config:      config,
				ExpectError: re(`Deleting the IAM role "virtco-diagnostics-readonly" again failed too`),
			},
			{
				// the role is in the state, tainted: the next apply replaces it
				PreConfig: func() {
					if _, ok := a.aws.Emulator.Role(acctest.Account, awsrole.DefaultRoleName); !ok {
						t.Error("the role whose deletion failed is not in the emulator")
					}
					a.aws.Emulator.SetFaults(awsemu.Faults{})
					proxy.Heal()
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: checkAll(
					a.checkRole(acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal,
						ExternalID: ext, Actions: acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})}),
					a.checkAccount("cp.example.com", acctest.Account, client.RoleDone, arn),
				),
			},
		},
	})
}

// Without an aws block the SDK's own chain is used: AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_IAM and
// friends. (Not parallel: it sets environment variables.)
func TestAccAWSRole_sdkEnvironment(t *testing.T) {
	preCheck(t)
	a := &awsTest{testServer: &testServer{acctest.StartPlatform(t)}, aws: acctest.StartAWS(t, awsemu.Faults{})}
	a.Provision("env.example.com", "Diag3")
	ext := a.ExternalID("env.example.com")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": acctest.Account, "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "eu-west-1",
		"AWS_ENDPOINT_URL_IAM": a.aws.URL, "AWS_ENDPOINT_URL_STS": a.aws.URL, "AWS_MAX_ATTEMPTS": "3",
	} {
		t.Setenv(k, v)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             checkAll(a.checkNoRoles(acctest.Account), a.checkAccountGone("env.example.com", acctest.Account)),
		Steps: []resource.TestStep{{
			Config: a.providerConfig() + `
resource "virtco_aws_role" "r" {
  customer = "env.example.com"
}
`,
			Check: checkAll(
				resource.TestCheckResourceAttr("virtco_aws_role.r", "account_id", acctest.Account),
				a.checkRole(acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal,
					ExternalID: ext, Actions: acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"})}),
				a.checkAccount("env.example.com", acctest.Account, client.RoleDone, acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)),
			),
		}},
	})
}

// What a role costs, through the real terraform CLI and a provider binary built from this
// module (as people run it, with its real retry and wait settings): the IAM calls of one role's
// create, read (a plan's refresh) and destroy, and the time of an apply and a destroy of 20 roles.
// It logs them (go test -v -run TestAccAWSRole_measure) and asserts nothing about time.
func TestAccAWSRole_measure(t *testing.T) {
	s := startAWS(t, awsemu.Faults{})
	emu := s.aws
	provider := s.config("", acctest.Account)
	run := func(ws *acctest.Workspace, args ...string) time.Duration {
		t.Helper()
		start := time.Now()
		ws.MustRun(args...)
		return time.Since(start)
	}
	// calls returns the IAM and STS calls since the last call of calls, as "n (Action n, ...)".
	calls := func() (int, string) {
		c := emu.Emulator.Calls()
		emu.Emulator.ResetCalls()
		var parts []string
		for k, n := range c.ByAction {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(parts)
		return c.ByService["iam"], strings.Join(parts, ", ")
	}

	// One role.
	one := acctest.NewWorkspace(t)
	s.Provision("one.example.com", "Diag3")
	one.Write(provider + `
resource "virtco_aws_role" "r" {
  customer = "one.example.com"
}
`)
	emu.Emulator.ResetCalls()
	run(one, "apply", "-auto-approve")
	createN, create := calls()
	run(one, "plan", "-detailed-exitcode") // exit status 0: no changes
	readN, read := calls()
	run(one, "destroy", "-auto-approve", "-refresh=false")
	deleteN, del := calls()
	t.Logf("IAM calls of one role: create %d (%s); read %d (%s); destroy %d (%s)", createN, create, readN, read, deleteN, del)
	if createN == 0 || readN == 0 || deleteN == 0 {
		t.Errorf("no IAM calls counted: create %d, read %d, destroy %d", createN, readN, deleteN)
	}

	// Twenty roles, one per customer, each in an AWS account of its own (the platform registers an
	// AWS account to one customer), with Terraform's default parallelism (10).
	const n = 20
	many := acctest.NewWorkspace(t)
	var b strings.Builder
	accounts := make([]string, n)
	roles := func() int {
		total := 0
		for _, a := range accounts {
			total += len(emu.Emulator.Roles(a))
		}
		return total
	}
	for i := range n {
		c := fmt.Sprintf("c%02d.example.com", i)
		accounts[i] = fmt.Sprintf("5000000000%02d", i)
		s.Provision(c, "Diag3")
		b.WriteString(s.config("", accounts[i], fmt.Sprintf("  alias = \"a%02d\"", i)))
		fmt.Fprintf(&b, "\nresource \"virtco_aws_role\" \"r%02d\" {\n  provider  = virtco.a%02d\n  customer  = %q\n  role_name = \"virtco-diag-%02d\"\n}\n", i, i, c, i)
	}
	many.Write(b.String())
	emu.Emulator.ResetCalls()
	applyTime := run(many, "apply", "-auto-approve")
	applyN, _ := calls()
	if got := roles(); got != n {
		t.Errorf("%d roles after apply, want %d", got, n)
	}
	planTime := run(many, "plan", "-detailed-exitcode")
	planN, _ := calls()
	destroyTime := run(many, "destroy", "-auto-approve")
	destroyN, _ := calls()
	t.Logf("%d roles: apply %s (%d IAM calls), plan %s (%d), destroy %s (%d, with its refresh)",
		n, applyTime.Round(time.Millisecond), applyN, planTime.Round(time.Millisecond), planN, destroyTime.Round(time.Millisecond), destroyN)
	if got := roles(); got != 0 {
		t.Errorf("%d roles after destroy", got)
	}
	for i := range n {
		if list, err := s.Ops.AWSAccounts.List(t.Context(), fmt.Sprintf("c%02d.example.com", i)); err != nil || len(list) != 0 {
			t.Errorf("customer %d: accounts %v (%v) after destroy", i, list, err)
		}
	}
}

// Revoking never waits for the platform: with virtco-server stopped, destroy still deletes the
// role, and says what is left on the platform's side and how to finish it.
func TestAccAWSRole_revokedWhileThePlatformIsDown(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.Provision("down.example.com", "Diag3")
	ws := acctest.NewWorkspace(t)
	ws.Write(a.config("", acctest.Account, "  max_retries = 1", `  timeout     = "5s"`) + `
resource "virtco_aws_role" "r" {
  customer = "down.example.com"
}
`)
	ws.MustRun("apply", "-auto-approve")
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	if err := a.Account("down.example.com", acctest.Account, client.RoleDone, arn); err != nil {
		t.Fatal(err)
	}

	a.Kill()
	// a plan goes on without the platform, saying what it could not check
	if out := ws.MustRun("plan", "-detailed-exitcode"); !acctest.Words("Warning: VIRT-CO API not reached").MatchString(out) {
		t.Errorf("the plan with the platform down does not say so:\n%s", out)
	}
	out := ws.MustRun("destroy", "-auto-approve")
	if err := a.aws.NoRoles(acctest.Account); err != nil {
		t.Errorf("after destroy with the platform down: %v", err)
	}
	for _, want := range []string{
		`Warning: AWS role revoked; the platform's record is left`,
		`IAM role "virtco-diagnostics-readonly" was deleted from AWS account 123456789012`,
		`the platform may still have its record of AWS account 123456789012 of customer "down.example.com"`,
		`/v1/customers/down.example.com/aws-accounts/123456789012`,
		`Destroy complete! Resources: 1 destroyed.`,
	} {
		if !acctest.Words(want).MatchString(out) {
			t.Errorf("the destroy's output does not say %q:\n%s", want, out)
		}
	}

	// What the warning named is what is left, and the ops key removes it as it says.
	a.Restart()
	ops := acctest.NewClient(t, a.URL, a.OpsKey)
	rec, err := ops.AWSAccounts.Get(t.Context(), "down.example.com", acctest.Account)
	if err != nil || rec.State != client.RoleDone || rec.RoleARN != arn {
		t.Errorf("the platform's record after the restart: %+v %v", rec, err)
	}
	if err := ops.AWSAccounts.Delete(t.Context(), "down.example.com", acctest.Account, client.AWSAccountDeleteOptions{}); err != nil {
		t.Error(err)
	}
}

// A role whose customer was unprovisioned by ops is stranded: the engineer's plan says so with a
// warning, not a failing update; a change is refused at plan time; destroy removes the role with
// the engineer's revoked token still configured, with the AWS credentials alone.
func TestAccAWSRole_stranded(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	// ops grant the customer and the engineer's user from their own configuration
	ops := acctest.NewWorkspace(t)
	ops.Write(a.providerConfig() + `
resource "virtco_customer" "c" {
  name         = "strand.example.com"
  diag_account = "Diag3"
}

resource "virtco_user" "joe" {
  customer = virtco_customer.c.name
  name     = "joe"
}
`)
	ops.MustRun("apply", "-auto-approve")
	u, err := a.Ops.Users.Get(t.Context(), "strand.example.com", "joe")
	if err != nil {
		t.Fatal(err)
	}
	joe := u.Token
	ws := acctest.NewWorkspace(t)
	role := func(extra string) string {
		return a.config(joe, acctest.Account) + `
resource "virtco_aws_role" "r" {
  customer = "strand.example.com"
` + extra + `}
`
	}
	ws.Write(role(""))
	ws.MustRun("apply", "-auto-approve")
	if out := ws.MustRun("plan", "-detailed-exitcode"); strings.Contains(out, "stranded") {
		t.Errorf("a plan before anything happened warns:\n%s", out)
	}

	// ops unprovision the customer: a destroy of their own configuration
	ops.MustRun("destroy", "-auto-approve")
	out := ws.MustRun("plan", "-detailed-exitcode") // exit status 0: no change planned
	for _, want := range []string{
		`Warning: AWS role stranded`,
		`IAM role "virtco-diagnostics-readonly" in AWS account 123456789012 is stranded: the platform refuses the provider's API key for customer "strand.example.com"`,
		`terraform destroy, or remove the resource from the configuration and apply`,
		`No changes.`,
	} {
		if !acctest.Words(want).MatchString(out) {
			t.Errorf("the plan does not say %q:\n%s", want, out)
		}
	}
	ws.MustRun("apply", "-refresh-only", "-auto-approve")
	if !acctest.Words("stranded = true").MatchString(ws.MustRun("state", "show", "virtco_aws_role.r")) {
		t.Error("the state does not record the role as stranded")
	}

	// A change is warned of at plan time and refused at apply; the destroy that follows plans the
	// changed configuration while it refreshes, and must not be stopped by it.
	ws.Write(role("  tags = { team = \"finops\" }\n"))
	if out := ws.MustRun("plan"); !acctest.Words(`It can only be revoked, not changed: the change planned here will fail at apply`).MatchString(out) {
		t.Errorf("the plan of a change to a stranded role does not warn that it will fail:\n%s", out)
	}
	if out, err := ws.Run("apply", "-auto-approve"); err == nil || !acctest.Words(`It can only be revoked, not changed, so nothing was changed`).MatchString(out) {
		t.Errorf("a change of a stranded role was not refused (%v):\n%s", err, out)
	}
	if r, _ := a.aws.Emulator.Role(acctest.Account, awsrole.DefaultRoleName); len(r.Tags) != 0 {
		t.Errorf("the refused change changed the role: %+v", r.Tags)
	}
	ws.MustRun("destroy", "-auto-approve")
	if err := a.aws.NoRoles(acctest.Account); err != nil {
		t.Error(err)
	}
}

// The plan-time check for an existing role of the planned name costs one listing of the
// account's roles per run, however many roles are planned.
func TestAccAWSRole_planListsRolesOnce(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	var b strings.Builder
	b.WriteString(a.config("", acctest.Account))
	for i := range 3 {
		c := fmt.Sprintf("once%d.example.com", i)
		a.Provision(c, "Diag3")
		fmt.Fprintf(&b, "\nresource \"virtco_aws_role\" \"r%d\" {\n  customer  = %q\n  role_name = \"virtco-once-%d\"\n}\n", i, c, i)
	}
	ws := acctest.NewWorkspace(t)
	ws.Write(b.String())
	a.aws.Emulator.ResetCalls()
	ws.MustRun("plan")
	if n := a.aws.Emulator.Calls().Action("iam", "ListRoles"); n != 1 {
		t.Errorf("a plan of 3 roles listed the account's roles %d times, want once", n)
	}
	if err := a.aws.NoRoles(acctest.Account); err != nil {
		t.Error(err)
	}
}

// Credentials that reach another account than the role's are refused on every operation after
// create too: a refresh, an update and a destroy each stop before touching either account or the
// platform's record, and the right credentials then find everything as it was.
func TestAccAWSRole_wrongAccountAfterCreate(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.Provision("wrong.example.com", "Diag3")
	const other = "210987654321"
	ws := acctest.NewWorkspace(t)
	role := func(account, extra string) string {
		return a.config("", account) + `
resource "virtco_aws_role" "r" {
  customer   = "wrong.example.com"
  account_id = "` + acctest.Account + `"
` + extra + `}
`
	}
	ws.Write(role(acctest.Account, ""))
	ws.MustRun("apply", "-auto-approve")
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	unchanged := func(after string) {
		t.Helper()
		if err := a.aws.CheckRole(acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName,
			ExternalID: a.ExternalID("wrong.example.com"), Principal: acctest.Diag3Principal, Actions: acctest.DefaultActions()}); err != nil {
			t.Errorf("after %s: %v", after, err)
		}
		if r, _ := a.aws.Emulator.Role(acctest.Account, awsrole.DefaultRoleName); len(r.Tags) != 0 {
			t.Errorf("after %s, the role has tags %v", after, r.Tags)
		}
		if roles := a.aws.Emulator.Roles(other); len(roles) != 0 {
			t.Errorf("after %s, the other account has roles: %v", after, roles)
		}
		if err := a.Account("wrong.example.com", acctest.Account, client.RoleDone, arn); err != nil {
			t.Errorf("after %s: %v", after, err)
		}
	}
	refused := func(op, out string, err error) {
		t.Helper()
		want := "The provider's AWS credentials reach AWS account " + other + ", but the role is for account " +
			acctest.Account + ": the provider refuses to " + op + " the role in another account than the one declared, and did nothing."
		if err == nil || !acctest.Words(want).MatchString(out) {
			t.Errorf("%s with another account's credentials was not refused (%v):\n%s", op, err, out)
		}
		unchanged(op)
	}

	ws.Write(role(other, ""))
	out, err := ws.Run("plan")
	refused("read", out, err)

	ws.Write(role(other, "  tags = { team = \"finops\" }\n"))
	out, err = ws.Run("apply", "-auto-approve", "-refresh=false")
	refused("update", out, err)

	ws.Write(role(other, ""))
	out, err = ws.Run("destroy", "-auto-approve", "-refresh=false")
	refused("delete", out, err)

	ws.Write(role(acctest.Account, ""))
	if out, err := ws.Run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("with the right credentials again, the plan is not empty (%v):\n%s", err, out)
	}
	ws.MustRun("destroy", "-auto-approve")
	if err := a.aws.NoRoles(acctest.Account); err != nil {
		t.Error(err)
	}
	if err := a.AccountGone("wrong.example.com", acctest.Account); err != nil {
		t.Error(err)
	}
}

// The provider's aws settings that the README shows, when they succeed: a profile from the
// shared config and credentials files named by shared_config_files and shared_credentials_files,
// alone and as the base of assume_role, whose session_name reaches STS (the deployer role admits
// only that session name).
func TestAccAWSRole_sharedFilesAndProfile(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.Provision("files.example.com", "Diag3")
	configFile := acctest.WriteFile(t, "config",
		"[profile direct]\nregion = eu-west-1\n\n[profile ci]\nregion = us-east-1\n", 0o600)
	credentialsFile := acctest.WriteFile(t, "credentials",
		"[direct]\naws_access_key_id = "+acctest.Account+"\naws_secret_access_key = test\n\n"+
			"[ci]\naws_access_key_id = 555555555555\naws_secret_access_key = test\n", 0o600)
	deployTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::555555555555:root"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:RoleSessionName":"virtco-ci"}}}]}`
	if err := call(a.aws.IAM(acctest.Account).CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(deployTrust),
	})); err != nil {
		t.Fatal(err)
	}
	withAWS := func(settings string) string {
		return fmt.Sprintf(`
provider "virtco" {
  endpoint = %q
  api_key  = %q
  aws {
    shared_config_files      = [%q]
    shared_credentials_files = [%q]
%s
    endpoints {
      iam = %q
      sts = %q
    }
  }
}

resource "virtco_aws_role" "r" {
  customer = "files.example.com"
}
`, a.URL, a.OpsKey, configFile, credentialsFile, settings, a.aws.URL, a.aws.URL)
	}
	viaCI := func(session string) string {
		return fmt.Sprintf(`    profile = "ci"
    assume_role {
      role_arn     = "arn:aws:iam::%s:role/deployer"
      session_name = %q
    }`, acctest.Account, session)
	}
	want := acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName, Principal: acctest.Diag3Principal,
		ExternalID: a.ExternalID("files.example.com"), Actions: acctest.DefaultActions()}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy: checkAll(a.checkAccountGone("files.example.com", acctest.Account), func(*terraform.State) error {
			if _, ok := a.aws.Emulator.Role(acctest.Account, awsrole.DefaultRoleName); ok {
				return fmt.Errorf("the role outlived destroy")
			}
			return nil
		}),
		Steps: []resource.TestStep{
			{
				// the profile's own credentials, from the files named in the aws block
				Config: withAWS(`    profile = "direct"`),
				Check: checkAll(
					a.checkRole(want),
					resource.TestCheckResourceAttr("virtco_aws_role.r", "account_id", acctest.Account),
				),
			},
			{
				// another session name than the deployer role admits: STS refuses, at plan time
				Config:      withAWS(viaCI("someone-else")),
				PlanOnly:    true,
				ExpectError: re(`Assuming arn:aws:iam::123456789012:role/deployer (aws.assume_role) failed`),
			},
			{
				// the CI profile assumes the deployer role with the admitted session name: the same
				// role, read and then destroyed through the assumed role
				PreConfig: a.aws.Emulator.ResetCalls,
				Config:    withAWS(viaCI("virtco-ci")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: checkAll(
					a.checkRole(want),
					func(*terraform.State) error {
						if n := a.aws.Emulator.Calls().ByAccountAction["555555555555"]["sts:AssumeRole"]; n == 0 {
							return fmt.Errorf("the CI profile's credentials never assumed the deployer role")
						}
						return nil
					},
				),
			},
		},
	})
}

// The retry settings the provider ships, with no retryer hook (only IAM's waits are shortened):
// AWS_MAX_ATTEMPTS bounds the attempts of a failing IAM call, max_retries wins over it, and a call
// that fails on every attempt fails the apply having created nothing.
func TestAccAWSRole_realRetries(t *testing.T) {
	preCheck(t) // not parallel: AWS_MAX_ATTEMPTS is the process's environment, which the SDK reads
	a := &awsTest{testServer: &testServer{acctest.StartPlatform(t)}, aws: acctest.StartAWS(t, awsemu.Faults{})}
	const customer = "retry.example.com"
	a.Provision(customer, "Diag3")
	t.Setenv("AWS_MAX_ATTEMPTS", "3")
	shipped := map[string]func() (tfprotov6.ProviderServer, error){
		"virtco": providerserver.NewProtocol6WithError(&virtcoProvider{version: "test", env: testEnv(nil), awsHooks: awsHooks{roleOptions: acctest.FastRoleOptions}}),
	}
	// Renaming the role replaces it: the old one is deleted, then the new one created.
	role := func(provider, name string) string {
		return provider + fmt.Sprintf(`
resource "virtco_aws_role" "r" {
  customer  = %q
  role_name = %q
}
`, customer, name)
	}
	failCreate := func(times int) func() {
		return func() {
			a.aws.Emulator.SetFaults(awsemu.Faults{FailActions: map[string]int{"iam:CreateRole": times}})
			a.aws.Emulator.ResetCalls()
		}
	}
	createRoleCalls := func(want int) resource.TestCheckFunc {
		return later(func() error {
			if n := a.aws.Emulator.Calls().Action("iam", "CreateRole"); n != want {
				return fmt.Errorf("%d CreateRole calls, want %d", n, want)
			}
			return nil
		})
	}
	fromEnv := a.config("", acctest.Account)
	withMaxRetries := strings.Replace(fromEnv, "  aws {\n", "  aws {\n    max_retries = 3\n", 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: shipped,
		CheckDestroy:             a.checkNoRoles(acctest.Account),
		Steps: []resource.TestStep{
			{
				// two failures, then success: three attempts, as AWS_MAX_ATTEMPTS allows
				PreConfig: failCreate(2),
				Config:    role(fromEnv, "first"),
				Check:     checkAll(createRoleCalls(3), a.checkAccount(customer, acctest.Account, client.RoleDone, acctest.RoleARN(acctest.Account, "first"))),
			},
			{
				// three failures: the third attempt is the last, and the apply fails with nothing made
				PreConfig:   failCreate(3),
				Config:      role(fromEnv, "second"),
				ExpectError: re(`ServiceFailure`),
			},
			{
				// max_retries = 3 wins over AWS_MAX_ATTEMPTS: four attempts, the last succeeds
				PreConfig: func() {
					if n := a.aws.Emulator.Calls().Action("iam", "CreateRole"); n != 3 {
						t.Errorf("the failed create made %d CreateRole calls, want 3", n)
					}
					if roles := a.aws.Emulator.Roles(acctest.Account); len(roles) != 0 {
						t.Errorf("after the failed replacement the account has roles %v, want none", roles)
					}
					if err := a.AccountGone(customer, acctest.Account); err != nil {
						t.Error(err)
					}
					failCreate(3)()
				},
				Config: role(withMaxRetries, "third"),
				Check:  checkAll(createRoleCalls(4), a.checkAccount(customer, acctest.Account, client.RoleDone, acctest.RoleARN(acctest.Account, "third"))),
			},
		},
	})
}

// A saved plan applied after the platform changed under it: a customer whose diag account
// changed gets no role with a trust the plan did not show (Terraform itself refuses the apply,
// since the apply-time plan shows the new trust; checkPlanned is the provider's own check for a
// change after that, aws_role_model_test.go), and a customer unprovisioned since the plan gets no
// update; neither leaves anything behind or changes the role.
func TestAccAWSRole_customerChangedSinceThePlan(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.Provision("moved.example.com", "Diag3")
	ws := acctest.NewWorkspace(t)
	role := func(extra string) string {
		return a.config("", acctest.Account) + `
resource "virtco_aws_role" "r" {
  customer = "moved.example.com"
` + extra + `}
`
	}
	ws.Write(role(""))
	ws.MustRun("plan", "-out=create.tfplan")
	if _, _, err := a.Ops.Customers.Put(t.Context(), "moved.example.com", client.CustomerPutOptions{DiagAccount: "Diag4"}); err != nil {
		t.Fatal(err)
	}
	out, err := ws.Run("apply", "create.tfplan")
	if err == nil || !acctest.Words(`Provider produced inconsistent final plan`).MatchString(out) ||
		!acctest.Words(`produced an invalid new value for .trust_policy_json`).MatchString(out) {
		t.Fatalf("a create planned with another trust went ahead (%v):\n%s", err, out)
	}
	if err := a.aws.NoRoles(acctest.Account); err != nil {
		t.Error(err)
	}
	if err := a.AccountGone("moved.example.com", acctest.Account); err != nil {
		t.Error(err)
	}

	ws.MustRun("apply", "-auto-approve")
	ws.Write(role("  tags = { team = \"finops\" }\n"))
	ws.MustRun("plan", "-out=update.tfplan")
	if err := a.Ops.Customers.Delete(t.Context(), "moved.example.com", client.CustomerDeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	out, err = ws.Run("apply", "update.tfplan")
	if err == nil || !acctest.Words(`Customer "moved.example.com" does not exist on the platform`).MatchString(out) {
		t.Fatalf("an update after the customer was unprovisioned did not fail as it should (%v):\n%s", err, out)
	}
	r, ok := a.aws.Emulator.Role(acctest.Account, awsrole.DefaultRoleName)
	if !ok || len(r.Tags) != 0 {
		t.Fatalf("the refused update changed or removed the role: %v %+v", ok, r.Tags)
	}
	ws.MustRun("destroy", "-auto-approve")
	if err := a.aws.NoRoles(acctest.Account); err != nil {
		t.Error(err)
	}
}
