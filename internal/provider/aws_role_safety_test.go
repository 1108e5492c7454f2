package provider

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// What must never happen does not: a role in another account than declared, a role for a customer
// without a diagnostic account, a silent take-over of an existing role; and wrong arguments are
// clear diagnostics at plan time.
func TestAccAWSRole_safety(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.provision(t, "safe.example.com", "Diag3")
	a.provision(t, "nodiag.example.com", "")
	provider := a.config("", testAccount)
	role := func(body string) string { return provider + "resource \"virtco_aws_role\" \"r\" {\n" + body + "\n}\n" }
	nothingCreated := func() {
		t.Helper()
		calls := a.emu.Emulator.Calls()
		if n := calls.Action("iam", "CreateRole"); n != 0 {
			t.Errorf("%d CreateRole calls; want none", n)
		}
		for _, acct := range a.emu.Emulator.Accounts() {
			if roles := a.emu.Emulator.Roles(acct); len(roles) != 0 {
				t.Errorf("account %s has %d roles", acct, len(roles))
			}
		}
		for _, c := range []string{"safe.example.com", "nodiag.example.com"} {
			if list, err := a.ops.AWSAccounts.List(ctx, c); err != nil || len(list) != 0 {
				t.Errorf("customer %s has AWS accounts %v (%v)", c, list, err)
			}
		}
	}
	planErr := func(body, want string) resource.TestStep {
		return resource.TestStep{Config: role(body), PlanOnly: true, ExpectError: re(want)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: awsProviders,
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
				`Invalid role name "no spaces": 1 to 64 characters of letters, digits and +=,.@_-.`),
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
				`value must be an AWS account id: 12 digits`),
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
				// a role of that name exists already: not taken over; the import id is in the message,
				// and the platform's record is not left behind
				PreConfig: func() {
					nothingCreated()
					trust, _ := awsrole.TrustPolicy(diag3Principal, "someone-elses")
					if err := call(a.iam(testAccount).CreateRole(ctx, &iam.CreateRoleInput{
						RoleName: aws.String(awsrole.DefaultRoleName), AssumeRolePolicyDocument: aws.String(trust),
					})); err != nil {
						t.Fatal(err)
					}
				},
				Config: role(`  customer = "safe.example.com"`),
				ExpectError: re(`A role named "virtco-diagnostics-readonly" already exists in AWS account 123456789012, so Terraform will not create it ` +
					`(nor silently take it over); nothing was changed. To manage it with this configuration, import it: terraform import ` +
					`<address of this resource> safe.example.com/123456789012/virtco-diagnostics-readonly`),
			},
			{
				// the platform registers one role per customer and account
				PreConfig: func() {
					if r, ok := a.emu.Emulator.Role(testAccount, awsrole.DefaultRoleName); !ok || len(r.InlinePolicies) != 0 {
						t.Errorf("the existing role was changed: %+v", r)
					}
					if _, err := a.ops.AWSAccounts.Get(ctx, "safe.example.com", testAccount); err == nil {
						t.Error("the refused create left the account registered")
					}
					if _, _, err := a.ops.AWSAccounts.Put(ctx, "safe.example.com", testAccount, client.AWSAccountPutOptions{
						RoleARN: roleARN(testAccount, "handmade"), State: client.RoleDone,
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
	if r := a.emu.Emulator.Roles(testAccount); len(r) != 1 {
		t.Errorf("roles in the account: %d, want only the one created outside Terraform", len(r))
	}
	if rec, err := a.ops.AWSAccounts.Get(ctx, "safe.example.com", testAccount); err != nil || rec.RoleARN != roleARN(testAccount, "handmade") {
		t.Errorf("the platform's record was changed: %+v %v", rec, err)
	}
}

// The provider's aws settings: every missing or wrong one is a diagnostic that names it, at plan
// time; a configuration without a virtco_aws_role needs no AWS at all; assume_role creates the
// role in the assumed role's account.
func TestAccAWSRole_providerSettings(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.provision(t, "cfg.example.com", "Diag4")
	ext := a.externalID(t, "cfg.example.com")
	profiles := writeFile(t, "config", "[profile other]\nregion = eu-west-1\n", 0o600)
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
    }`, a.emu.URL, a.emu.URL)
	planErr := func(aws, want string) resource.TestStep {
		return resource.TestStep{Config: withAWS(aws), PlanOnly: true, ExpectError: re(want)}
	}

	// A deployer role in the customer's account that a CI account (555555555555) may assume.
	deployTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::555555555555:root"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ci-deploy"}}}]}`
	if err := call(a.iam(testAccount).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(deployTrust),
	})); err != nil {
		t.Fatal(err)
	}
	assumeRole := func(ext string) string {
		return fmt.Sprintf(`    access_key = "555555555555"
    secret_key = "x"
    assume_role {
      role_arn     = "arn:aws:iam::123456789012:role/deployer"
      external_id  = %q
      session_name = "ci"
    }
%s`, ext, endpoints)
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: awsProviders,
		CheckDestroy:             a.checkAccountGone("cfg.example.com", testAccount),
		Steps: []resource.TestStep{
			planErr(`    access_key = "123456789012"
    secret_key = "x"
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
					expectPlannedActions{"virtco_aws_role.r", actionsOf([]string{"cloudwatch", "cloudtrail"})},
				}},
				Check: checkAll(
					resource.TestCheckResourceAttr("virtco_aws_role.r", "account_id", testAccount),
					a.checkRole(roleWant{account: testAccount, name: awsrole.DefaultRoleName, principal: "arn:aws:iam::444455556666:root",
						externalID: &ext, actions: actionsOf([]string{"cloudwatch", "cloudtrail"})}),
					a.checkNoRoles("555555555555"),
					func(*terraform.State) error {
						if n := a.emu.Emulator.Calls().ByAccountAction["555555555555"]["iam:CreateRole"]; n != 0 {
							return fmt.Errorf("%d CreateRole calls as the CI account", n)
						}
						return nil
					},
				),
			},
		},
	})
	if _, ok := a.emu.Emulator.Role(testAccount, awsrole.DefaultRoleName); ok {
		t.Error("the role is still in the emulator after destroy")
	}
}
