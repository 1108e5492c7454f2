// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// The ephemeral master token configures a second provider that reads with it; the state holds its
// hash only.
func TestAccMasterTokenEphemeralResource(t *testing.T) {
	s := startServer(t)
	master, err := s.Ops.MasterToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.Provision("m.example.com", "Diag3", "kim")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		TerraformVersionChecks:   ephemeralResources(t),
		Steps: []resource.TestStep{
			{
				// only the ops key reads the master token
				Config: s.providerConfig(master) + `
ephemeral "virtco_master_token" "m" {}

provider "echo" {
  data = sha256(ephemeral.virtco_master_token.m.master_token)
}

resource "echo" "m" {}
`,
				ExpectError: re(`reading the master token needs the ops key; this request used the master token.`),
			},
			{
				Config: s.providerConfig() + `
ephemeral "virtco_master_token" "m" {}
` + s.aliasConfig("manager", "ephemeral.virtco_master_token.m.master_token") + `
# the master token reads every customer and the diag accounts
data "virtco_diag_accounts" "seen" {
  provider = virtco.manager
}

data "virtco_customer" "m" {
  provider = virtco.manager
  name     = "m.example.com"
}

provider "echo" {
  data = {
    prefix = substr(ephemeral.virtco_master_token.m.master_token, 0, 4)
    sha256 = sha256(ephemeral.virtco_master_token.m.master_token)
  }
}

resource "echo" "m" {}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.m", tfjsonpath.New("data"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"prefix": knownvalue.StringExact("vcm_"),
						"sha256": knownvalue.StringExact(sha256Hex(master)),
					})),
					statecheck.ExpectKnownValue("data.virtco_diag_accounts.seen", tfjsonpath.New("names"), knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue("data.virtco_customer.m", tfjsonpath.New("users"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("kim")})),
					noSecretsInState{secrets: func() []string { return []string{master, s.OpsKey} }},
				},
			},
		},
	})
}
