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

// The ephemeral user token is available to the configuration (a second provider acts as that user
// with it; its hash and key id reach the state through the echo provider) while no token is ever
// written to the state.
func TestAccUserTokenEphemeralResource(t *testing.T) {
	s := startServer(t)
	tokens := s.Provision("eph.example.com", "Diag4", "pat")
	pat, err := s.Ops.Users.Get(t.Context(), "eph.example.com", "pat")
	if err != nil {
		t.Fatal(err)
	}
	noSecrets := noSecretsInState{secrets: func() []string { return []string{tokens["pat"], s.OpsKey} }}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		TerraformVersionChecks:   ephemeralResources(t),
		Steps: []resource.TestStep{
			{
				Config: s.providerConfig() + `
ephemeral "virtco_user_token" "nobody" {
  customer = "eph.example.com"
  name     = "nobody"
}

provider "echo" {
  data = ephemeral.virtco_user_token.nobody.key_id
}

resource "echo" "nobody" {}
`,
				ExpectError: re(`There is no user "nobody" of customer "eph.example.com" on the platform`),
			},
			{
				Config: s.providerConfig() + `
ephemeral "virtco_user_token" "pat" {
  customer = "eph.example.com"
  name     = "pat"
}
` + s.aliasConfig("pat", "ephemeral.virtco_user_token.pat.token") + `
# pat's own token reads pat's customer
data "virtco_customer" "mine" {
  provider = virtco.pat
  name     = "eph.example.com"
}

provider "echo" {
  data = {
    key_id       = ephemeral.virtco_user_token.pat.key_id
    key_name     = ephemeral.virtco_user_token.pat.key_name
    token_sha256 = sha256(ephemeral.virtco_user_token.pat.token)
  }
}

resource "echo" "pat" {}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.pat", tfjsonpath.New("data"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"key_id":       knownvalue.StringExact(pat.KeyID),
						"key_name":     knownvalue.StringExact("pat@eph.example.com-API-Key"),
						"token_sha256": knownvalue.StringExact(sha256Hex(tokens["pat"])),
					})),
					statecheck.ExpectKnownValue("data.virtco_customer.mine", tfjsonpath.New("users"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("pat")})),
					noSecrets,
				},
			},
			{
				// a user created in the same configuration: the token is read once the user exists
				Config: s.providerConfig() + `
resource "virtco_user" "sam" {
  customer = "eph.example.com"
  name     = "sam"
}

ephemeral "virtco_user_token" "sam" {
  customer = virtco_user.sam.customer
  name     = split("@", virtco_user.sam.id)[0]
}
` + s.aliasConfig("sam", "ephemeral.virtco_user_token.sam.token") + `
data "virtco_customer" "sams" {
  provider   = virtco.sam
  name       = "eph.example.com"
  depends_on = [virtco_user.sam]
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.virtco_customer.sams", tfjsonpath.New("users"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("pat"), knownvalue.StringExact("sam")})),
				},
			},
		},
	})
}
