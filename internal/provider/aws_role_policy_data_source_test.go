// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
)

// The documents for people who create the role themselves, read with a user token of the
// customer and no AWS settings at all: the same trust and permissions virtco_aws_role would
// give the role, and a CloudFormation template that creates that role.
func TestAccAWSRolePolicyDataSource(t *testing.T) {
	s := startServer(t)
	eve := s.Provision("byhand.example.com", "Diag3", "eve")["eve"]
	s.Provision("nodiag.example.com", "")
	c, err := s.Ops.Customers.Get(t.Context(), "byhand.example.com")
	if err != nil {
		t.Fatal(err)
	}
	wantTrust, _ := awsrole.TrustPolicy(acctest.Diag3Principal, c.ExternalID)
	wantDefault, _ := awsrole.PermissionsPolicy(awsrole.DefaultDataSources(), awsrole.PermissionOptions{})
	wantCUR, _ := awsrole.PermissionsPolicy([]string{"cloudwatch", "cur"}, awsrole.PermissionOptions{CURBucket: "byhand-cur"})
	const d, cur = "data.virtco_aws_role_policy.default", "data.virtco_aws_role_policy.cur"

	cfnRole := func(addr, name, path string, session float64) resource.TestCheckFunc {
		return resource.TestCheckResourceAttrWith(addr, "cloudformation_template", func(v string) error {
			var tmpl struct {
				Resources map[string]struct {
					Type       string
					Properties struct {
						RoleName                 string
						Path                     string
						MaxSessionDuration       float64
						AssumeRolePolicyDocument json.RawMessage
						Policies                 []struct {
							PolicyName     string
							PolicyDocument json.RawMessage
						}
					}
				}
				Outputs map[string]any
			}
			if err := json.Unmarshal([]byte(v), &tmpl); err != nil {
				return fmt.Errorf("the template is not JSON: %w", err)
			}
			r := tmpl.Resources[awsrole.CloudFormationLogicalID]
			p := r.Properties
			switch {
			case r.Type != "AWS::IAM::Role", p.RoleName != name, p.Path != path, p.MaxSessionDuration != session, len(p.Policies) != 1:
				return fmt.Errorf("template role: %+v", r)
			case !samePolicy(string(p.AssumeRolePolicyDocument), wantTrust):
				return fmt.Errorf("template trust policy: %s", p.AssumeRolePolicyDocument)
			case tmpl.Outputs["RoleArn"] == nil:
				return fmt.Errorf("template has no RoleArn output")
			}
			return nil
		})
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{
			{
				Config: s.providerConfig() + `
data "virtco_aws_role_policy" "p" {
  customer = "nodiag.example.com"
}
`,
				ExpectError: re(`Customer "nodiag.example.com" has no diag account: set diag_account on virtco_customer "nodiag.example.com"`),
			},
			{
				Config: s.providerConfig() + `
data "virtco_aws_role_policy" "p" {
  customer     = "byhand.example.com"
  data_sources = ["billing"]
}
`,
				ExpectError: re(`Unknown data source "billing": known data sources are "cloudwatch", "cloudtrail", "logs", "cost_explorer", "cur", "inventory".`),
			},
			{
				Config: s.providerConfig() + `
data "virtco_aws_role_policy" "p" {
  customer     = "byhand.example.com"
  data_sources = ["cur"]
}
`,
				ExpectError: re(`set cur_bucket to the name of that bucket`),
			},
			{
				Config: s.providerConfig(eve) + `
data "virtco_aws_role_policy" "default" {
  customer = "byhand.example.com"
}

data "virtco_aws_role_policy" "cur" {
  customer             = "byhand.example.com"
  data_sources         = ["cur", "cloudwatch"]
  cur_bucket           = "byhand-cur"
  role_name            = "virtco-byhand"
  path                 = "/virtco/"
  max_session_duration = 7200
}
`,
				Check: checkAll(
					resource.TestCheckResourceAttr(d, "id", "byhand.example.com"),
					resource.TestCheckResourceAttr(d, "external_id", c.ExternalID),
					resource.TestCheckResourceAttr(d, "trusted_principal", acctest.Diag3Principal),
					resource.TestCheckResourceAttr(d, "trust_policy_json", wantTrust),
					resource.TestCheckResourceAttr(d, "permissions_policy_json", wantDefault),
					resource.TestCheckResourceAttrWith(d, "permissions_policy_json", func(v string) error {
						return acctest.SameActions(v, acctest.ActionsOf([]string{"cloudwatch", "cloudtrail"}))
					}),
					cfnRole(d, awsrole.DefaultRoleName, "/", 3600),
					resource.TestCheckResourceAttr(cur, "permissions_policy_json", wantCUR),
					cfnRole(cur, "virtco-byhand", "/virtco/", 7200),
				),
			},
		},
	})
}
