// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// The ephemeral user token is available to the configuration (a second provider acts as that user
// with it; its hash and key id reach the state through the echo provider) while no token is ever
// written to the state.
func TestAccUserTokenEphemeralResource(t *testing.T) {
	s := startServer(t)
	tokens := s.Provision("eph.example.com", "Diag4", "pat", "kim")
	pat, err := s.Ops.Users.Get(t.Context(), "eph.example.com", "pat")
	if err != nil {
		t.Fatal(err)
	}
	kimEnds := time.Date(2099, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, _, err := s.Ops.Users.Put(t.Context(), "eph.example.com", "kim", client.UserPutOptions{ExpiresAt: &kimEnds}); err != nil {
		t.Fatal(err)
	}
	noSecrets := noSecretsInState{secrets: func() []string { return []string{tokens["pat"], tokens["kim"], s.OpsKey} }}
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

ephemeral "virtco_user_token" "kim" {
  customer = "eph.example.com"
  name     = "kim"
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
    expires_at   = ephemeral.virtco_user_token.pat.expires_at
    kim_expires  = ephemeral.virtco_user_token.kim.expires_at
  }
}

resource "echo" "pat" {}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.pat", tfjsonpath.New("data"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"key_id":       knownvalue.StringExact(pat.KeyID),
						"key_name":     knownvalue.StringExact("pat@eph.example.com-API-Key"),
						"token_sha256": knownvalue.StringExact(sha256Hex(tokens["pat"])),
						"expires_at":   knownvalue.Null(),
						"kim_expires":  knownvalue.StringExact("2099-01-02T03:04:05Z"),
					})),
					statecheck.ExpectKnownValue("data.virtco_customer.mine", tfjsonpath.New("users"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("kim"), knownvalue.StringExact("pat")})),
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
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("kim"), knownvalue.StringExact("pat"), knownvalue.StringExact("sam")})),
				},
			},
		},
	})
}
