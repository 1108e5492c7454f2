package provider

import (
	"fmt"
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// IAM at its worst: 30% of IAM calls throttled, the new role invisible to its first two reads,
// and the trusted principal refused as invalid twice (a principal that has not propagated yet).
// Apply and destroy still succeed, and leave exactly what they should.
func TestAccAWSRole_faults(t *testing.T) {
	a := startAWS(t, awsemu.Faults{ThrottleRate: 0.3, InvisibleReads: 2, InvalidPrincipalAttempts: 2})
	joe := a.provision(t, "flaky.example.com", "Diag3", "joe")["joe"]
	ext := a.externalID(t, "flaky.example.com")
	arn := roleARN(testAccount, awsrole.DefaultRoleName)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: awsProviders,
		CheckDestroy: checkAll(
			a.checkNoRoles(testAccount),
			a.checkAccountGone("flaky.example.com", testAccount),
			func(*terraform.State) error {
				calls := a.emu.Emulator.Calls()
				t.Logf("IAM calls with faults, apply and destroy: %d, errors %v", calls.ByService["iam"], calls.Errors)
				if calls.Errors["Throttling"] == 0 || calls.Errors["NoSuchEntity"] == 0 || calls.Errors["MalformedPolicyDocument"] != 2 {
					return fmt.Errorf("the faults did not happen: %v", calls.Errors)
				}
				return nil
			},
		),
		Steps: []resource.TestStep{{
			Config: a.config(joe, testAccount) + `
resource "virtco_aws_role" "r" {
  customer   = "flaky.example.com"
  account_id = "123456789012"
}
`,
			Check: checkAll(
				a.checkRole(roleWant{account: testAccount, name: awsrole.DefaultRoleName, principal: diag3Principal,
					externalID: &ext, actions: actionsOf([]string{"cloudwatch", "cloudtrail"})}),
				a.checkAccount("flaky.example.com", testAccount, client.RoleDone, arn),
			),
		}},
	})
}

// The control plane fails right after CreateRole (registering the role done). The role is deleted
// again, so that the emulator holds no role the state does not record; when that deletion fails
// too, the role is in the state, tainted, and the next apply replaces it.
func TestAccAWSRole_controlPlaneFailsAfterCreate(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	a.provision(t, "cp.example.com", "Diag3")
	ext := a.externalID(t, "cp.example.com")
	proxy := newFlakyProxy(t, a.URL)
	const addr = "virtco_aws_role.r"
	arn := roleARN(testAccount, awsrole.DefaultRoleName)
	config := fmt.Sprintf(`
provider "virtco" {
  endpoint    = %q
  api_key     = %q
  max_retries = 0
  aws {
    access_key = %q
    secret_key = "x"
    endpoints {
      iam = %q
      sts = %q
    }
  }
}

resource "virtco_aws_role" "r" {
  customer = "cp.example.com"
}
`, proxy.URL, a.OpsKey, testAccount, a.emu.URL, a.emu.URL)
	// noUnrecordedRole: after a failed apply, no role in the emulator (the state records none).
	noUnrecordedRole := func() {
		t.Helper()
		if roles := a.emu.Emulator.Roles(testAccount); len(roles) != 0 {
			t.Errorf("the emulator holds role %s, which the state does not record", roles[0].Name)
		}
		if rec, err := a.ops.AWSAccounts.Get(ctx, "cp.example.com", testAccount); err == nil {
			t.Errorf("the platform still has the account (state %s)", rec.State)
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: awsProviders,
		CheckDestroy:             checkAll(a.checkNoRoles(testAccount), a.checkAccountGone("cp.example.com", testAccount)),
		Steps: []resource.TestStep{
			{
				PreConfig: func() { proxy.failDone.Store(true) },
				Config:    config,
				ExpectError: re(`the database is on fire (injected by the test) This is a problem on the server's side ` +
					`(its log has the details, under the request id if one is given); try again later, or raise max_retries ` +
					`(VIRTCO_MAX_RETRIES). The IAM role was deleted again, so nothing is left behind.`),
			},
			{
				// the same, and deleting the role fails too: the state records it
				PreConfig: func() {
					noUnrecordedRole()
					if proxy.failed.Load() != 1 {
						t.Errorf("the control plane failed %d times, want 1", proxy.failed.Load())
					}
					a.emu.Emulator.SetFaults(awsemu.Faults{FailActions: map[string]int{"DeleteRole": -1}})
				},
				Config:      config,
				ExpectError: re(`Deleting the IAM role "virtco-diagnostics-readonly" again failed too`),
			},
			{
				// the role is in the state, tainted: the next apply replaces it
				PreConfig: func() {
					if _, ok := a.emu.Emulator.Role(testAccount, awsrole.DefaultRoleName); !ok {
						t.Error("the role whose deletion failed is not in the emulator")
					}
					a.emu.Emulator.SetFaults(awsemu.Faults{})
					proxy.failDone.Store(false)
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: checkAll(
					a.checkRole(roleWant{account: testAccount, name: awsrole.DefaultRoleName, principal: diag3Principal,
						externalID: &ext, actions: actionsOf([]string{"cloudwatch", "cloudtrail"})}),
					a.checkAccount("cp.example.com", testAccount, client.RoleDone, arn),
				),
			},
		},
	})
}

// Without an aws block the SDK's own chain is used: AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_IAM and
// friends. (Not parallel: it sets environment variables.)
func TestAccAWSRole_sdkEnvironment(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it (make test does)")
	}
	p := servertest.Start(t, servertest.Options{DiagAccounts: diagAccountsJSON})
	a := &awsTest{testServer: &testServer{Process: p, ops: newClient(t, p.URL, p.OpsKey)}, emu: awsemu.NewServer(t, awsemu.Options{})}
	a.provision(t, "env.example.com", "Diag3")
	ext := a.externalID(t, "env.example.com")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": testAccount, "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "eu-west-1",
		"AWS_ENDPOINT_URL_IAM": a.emu.URL, "AWS_ENDPOINT_URL_STS": a.emu.URL, "AWS_MAX_ATTEMPTS": "3",
	} {
		t.Setenv(k, v)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: awsProviders,
		CheckDestroy:             checkAll(a.checkNoRoles(testAccount), a.checkAccountGone("env.example.com", testAccount)),
		Steps: []resource.TestStep{{
			Config: a.providerConfig() + `
resource "virtco_aws_role" "r" {
  customer = "env.example.com"
}
`,
			Check: checkAll(
				resource.TestCheckResourceAttr("virtco_aws_role.r", "account_id", testAccount),
				a.checkRole(roleWant{account: testAccount, name: awsrole.DefaultRoleName, principal: diag3Principal,
					externalID: &ext, actions: actionsOf([]string{"cloudwatch", "cloudtrail"})}),
				a.checkAccount("env.example.com", testAccount, client.RoleDone, roleARN(testAccount, awsrole.DefaultRoleName)),
			),
		}},
	})
}
