package provider

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// The customer's engineer, with a user token of its customer and its own AWS credentials, creates
// the role, imports it, changes it, sees every kind of drift in the plan and has apply put it
// right, gets it re-created when deleted outside Terraform, and destroys it, also when it was
// already deleted. Each step checks the emulator and the control plane, not only the state.
func TestAccAWSRole_lifecycle(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	const customer = "acme.example.com"
	joe := a.provision(t, customer, "Diag3", "joe")["joe"]
	ext := a.externalID(t, customer)
	collector := a.collectorSession(t)
	const addr = "virtco_aws_role.prod"
	arn := roleARN(testAccount, awsrole.DefaultRoleName)
	provider := a.config(joe, testAccount)

	defaults := actionsOf([]string{"cloudwatch", "cloudtrail"})
	wider := actionsOf([]string{"cloudwatch", "cloudtrail", "logs"},
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
	secondRole := roleWant{account: testAccount, name: awsrole.DefaultRoleName, principal: diag3Principal, externalID: &ext,
		actions: wider, sessionSecs: 7200, tags: map[string]string{"team": "finops", "owner": "joe"}}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: awsProviders,
		CheckDestroy: checkAll(
			a.checkNoRoles(testAccount),
			a.checkAccountGone(customer, testAccount),
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
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("account_id"), knownvalue.StringExact(testAccount)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(customer+"/"+testAccount+"/"+awsrole.DefaultRoleName)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("trusted_principal"), knownvalue.StringExact(diag3Principal)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("external_id"), knownvalue.StringExact(ext)),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("trust_policy_json"), knownvalue.StringFunc(func(v string) error {
						want, _ := awsrole.TrustPolicy(diag3Principal, ext)
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
					a.checkRole(roleWant{account: testAccount, name: awsrole.DefaultRoleName, principal: diag3Principal,
						externalID: &ext, actions: defaults, sessionSecs: 3600, tags: map[string]string{"team": "finops"}}),
					a.checkAccount(customer, testAccount, client.RoleDone, arn),
					a.checkAssumeRole(collector, arn, &ext),
				),
			},
			{
				// import by customer/account_id/role_name
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     customer + "/" + testAccount + "/" + awsrole.DefaultRoleName,
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
					a.checkAccount(customer, testAccount, client.RoleDone, arn),
					resource.TestCheckResourceAttr(addr, "role_arn", arn),
				),
			},
			{
				// drift of every kind, done outside Terraform: it shows in the plan and apply puts
				// the role back to exactly what is declared
				PreConfig: func() {
					c := a.iam(testAccount)
					name := aws.String(awsrole.DefaultRoleName)
					other, _ := awsrole.TrustPolicy("arn:aws:iam::999999999999:root", ext)
					for _, err := range []error{
						call(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})),
						call(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: aws.String(other)})),
						call(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("backdoor"),
							PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})),
						call(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: name, PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")})),
						call(c.TagRole(ctx, &iam.TagRoleInput{RoleName: name, Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("mallory")}}})),
						call(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: name, MaxSessionDuration: aws.Int32(43200)})),
					} {
						if err != nil {
							t.Fatal(err)
						}
					}
					if _, _, err := a.ops.AWSAccounts.Put(ctx, customer, testAccount, client.AWSAccountPutOptions{State: client.RoleInProgress}); err != nil {
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
					a.checkAccount(customer, testAccount, client.RoleDone, arn),
					a.checkAssumeRole(collector, arn, &ext),
				),
			},
			{
				// the inline policy edited outside Terraform
				PreConfig: func() {
					if err := call(a.iam(testAccount).PutRolePolicy(ctx, &iam.PutRolePolicyInput{
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
				PreConfig: func() { a.deleteRole(t, testAccount, awsrole.DefaultRoleName) },
				Config:    second,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: checkAll(
					a.checkRole(secondRole),
					a.checkAccount(customer, testAccount, client.RoleDone, arn),
					a.checkAssumeRole(collector, arn, &ext),
				),
			},
			{
				// destroy when the role was already deleted outside Terraform: it succeeds, and the
				// platform's record goes too
				PreConfig: func() { a.deleteRole(t, testAccount, awsrole.DefaultRoleName) },
				Config:    second,
				Destroy:   true,
				Check: checkAll(
					a.checkNoRoles(testAccount),
					a.checkAccountGone(customer, testAccount),
				),
			},
		},
	})
}

// call keeps the error of an SDK call.
func call[T any](_ T, err error) error { return err }

// deleteRole deletes a role outside Terraform, as someone with the AWS console would.
func (a *awsTest) deleteRole(t *testing.T, account, name string) {
	t.Helper()
	c := a.iam(account)
	rn := aws.String(name)
	pols, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: rn})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pols.PolicyNames {
		if err := call(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: rn, PolicyName: aws.String(p)})); err != nil {
			t.Fatal(err)
		}
	}
	if err := call(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: rn})); err != nil {
		t.Fatal(err)
	}
}

// The ops key manages roles too, and a plain destroy removes the role, its policies and the
// platform's record.
func TestAccAWSRole_opsKey(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.provision(t, "ops.example.com", "Diag4")
	ext := a.externalID(t, "ops.example.com")
	const addr = "virtco_aws_role.r"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: awsProviders,
		CheckDestroy:             checkAll(a.checkNoRoles(testAccount), a.checkAccountGone("ops.example.com", testAccount)),
		Steps: []resource.TestStep{{
			// account_id omitted: it is the credentials' account, known at plan time
			Config: a.config("", testAccount) + `
resource "virtco_aws_role" "r" {
  customer  = "ops.example.com"
  role_name = "virtco-ops"
  path      = "/virtco/"
}
`,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("account_id"), knownvalue.StringExact(testAccount)),
				plancheck.ExpectKnownValue(addr, tfjsonpath.New("trusted_principal"), knownvalue.StringExact("arn:aws:iam::444455556666:root")),
			}},
			Check: checkAll(
				resource.TestCheckResourceAttr(addr, "role_arn", "arn:aws:iam::123456789012:role/virtco/virtco-ops"),
				resource.TestCheckResourceAttr(addr, "id", "ops.example.com/123456789012/virtco-ops"),
				a.checkRole(roleWant{account: testAccount, name: "virtco-ops", principal: "arn:aws:iam::444455556666:root",
					externalID: &ext, actions: actionsOf([]string{"cloudwatch", "cloudtrail"})}),
				a.checkAccount("ops.example.com", testAccount, client.RoleDone, "arn:aws:iam::123456789012:role/virtco/virtco-ops"),
				func(*terraform.State) error {
					// Diag4 has no principal ARN: its root may assume the role, with the external id
					_, err := a.sts("444455556666").AssumeRole(ctx, stsAssume("arn:aws:iam::123456789012:role/virtco/virtco-ops", ext))
					return err
				},
			),
		}},
	})
}

// A unit test of the plan (no AWS, no server needed beyond the harness): the planned policy_json
// of a default role grants exactly the actions section 6a gives cloudwatch and cloudtrail.
func TestAWSRole_defaultPolicyIsSection6a(t *testing.T) {
	m := awsRoleResourceModel{
		DataSources: mustSet(awsrole.DefaultDataSources()),
	}
	doc, diags := m.permissionsPolicy(ctx)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if err := sameActions(doc, actionsOf([]string{"cloudwatch", "cloudtrail"})); err != nil {
		t.Error(err)
	}
	// and the schema's default is those two sources, so a role that leaves data_sources out gets
	// that policy (TestAccAWSRole_lifecycle checks the planned policy_json through the CLI)
	resp := &fwresource.SchemaResponse{}
	(&awsRoleResource{}).Schema(ctx, fwresource.SchemaRequest{}, resp)
	attr, _ := resp.Schema.Attributes["data_sources"].(schema.SetAttribute)
	dresp := &defaults.SetResponse{}
	attr.Default.DefaultSet(ctx, defaults.SetRequest{}, dresp)
	var got []string
	dresp.Diagnostics.Append(dresp.PlanValue.ElementsAs(ctx, &got, false)...)
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
