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

func TestAccMasterTokenDataSource(t *testing.T) {
	s := startServer(t)
	master, err := s.Ops.MasterToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{
			{
				Config: s.providerConfig() + `
data "virtco_master_token" "m" {}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.virtco_master_token.m", tfjsonpath.New("master_token"), knownvalue.StringExact(master)),
					statecheck.ExpectSensitiveValue("data.virtco_master_token.m", tfjsonpath.New("master_token")),
				},
			},
			{
				// the master token may not read itself: it is not the ops key
				Config: s.providerConfig(master) + `
data "virtco_master_token" "m" {}
`,
				ExpectError: re(`(403): reading the master token needs the ops key; this request used the master token.`),
			},
		},
	})
}
