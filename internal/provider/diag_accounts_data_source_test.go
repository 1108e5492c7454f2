// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

func TestAccDiagAccountsDataSource(t *testing.T) {
	s := startServer(t)
	if _, _, err := s.Ops.DiagAccounts.Put(t.Context(), "Diag5", client.DiagAccountPutOptions{
		AccountID: "777788889999", Region: "eu-west-2", Status: client.DiagAccountProvisioning}); err != nil {
		t.Fatal(err)
	}
	master, err := s.Ops.MasterToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{
			{
				Config: s.providerConfig() + `
data "virtco_diag_accounts" "bad" {
  status = "ready"
}
`,
				PlanOnly:    true,
				ExpectError: re(`Attribute status value must be one of: ["ready-for-use" "provisioning" "unavailable"], got: "ready"`),
			},
			{
				Config: s.providerConfig() + `
data "virtco_diag_accounts" "all" {}

data "virtco_diag_accounts" "ready" {
  status = "ready-for-use"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.virtco_diag_accounts.all", tfjsonpath.New("names"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("Diag3"), knownvalue.StringExact("Diag4"), knownvalue.StringExact("Diag5")})),
					statecheck.ExpectKnownValue("data.virtco_diag_accounts.all", tfjsonpath.New("diag_accounts").AtSliceIndex(0), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"name":          knownvalue.StringExact("Diag3"),
						"account_id":    knownvalue.StringExact("111122223333"),
						"principal_arn": knownvalue.StringExact("arn:aws:iam::111122223333:role/virtco-collector"),
						"region":        knownvalue.StringExact("us-east-1"),
						"status":        knownvalue.StringExact("ready-for-use"),
					})),
					statecheck.ExpectKnownValue("data.virtco_diag_accounts.all", tfjsonpath.New("diag_accounts").AtSliceIndex(1).AtMapKey("principal_arn"),
						knownvalue.StringExact("arn:aws:iam::444455556666:root")),
					statecheck.ExpectKnownValue("data.virtco_diag_accounts.all", tfjsonpath.New("diag_accounts").AtSliceIndex(2).AtMapKey("status"),
						knownvalue.StringExact("provisioning")),
					statecheck.ExpectKnownValue("data.virtco_diag_accounts.ready", tfjsonpath.New("names"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("Diag3"), knownvalue.StringExact("Diag4")})),
				},
			},
			{
				// the master token reads them too
				Config: s.providerConfig(master) + `
data "virtco_diag_accounts" "all" {}
`,
				Check: resource.TestCheckResourceAttr("data.virtco_diag_accounts.all", "names.#", "3"),
			},
		},
	})
}
