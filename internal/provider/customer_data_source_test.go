// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

func TestAccCustomerDataSource(t *testing.T) {
	s := startServer(t)
	tokens := s.Provision("read.example.com", "Diag3", "zed", "amy")
	if _, _, err := s.Ops.AWSAccounts.Put(t.Context(), "read.example.com", "123456789012", client.AWSAccountPutOptions{
		RoleARN: "arn:aws:iam::123456789012:role/virtco-diagnostics-readonly", State: client.RoleDone}); err != nil {
		t.Fatal(err)
	}
	// This server has no AWS credentials: its verdict is unavailable, once it has tried.
	if err := s.awaitVerdict("read.example.com", "123456789012"); err != nil {
		t.Fatal(err)
	}
	cust, err := s.Ops.Customers.Get(t.Context(), "read.example.com")
	if err != nil {
		t.Fatal(err)
	}
	const addr = "data.virtco_customer.c"
	checks := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account"), knownvalue.StringExact("Diag3")),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account_id"), knownvalue.StringExact("111122223333")),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account_status"), knownvalue.StringExact("ready-for-use")),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("external_id"), knownvalue.StringExact(cust.ExternalID)),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("aws_region"), knownvalue.StringExact("us-east-1")),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("regions"), knownvalue.SetSizeExact(0)),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("auto_run_finders"), knownvalue.Bool(true)),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("role_status"), knownvalue.StringExact("done")),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("users"), knownvalue.ListExact([]knownvalue.Check{
			knownvalue.StringExact("amy"), knownvalue.StringExact("zed")})),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("accounts"), knownvalue.ListExact([]knownvalue.Check{
			knownvalue.ObjectExact(map[string]knownvalue.Check{
				"account_id":              knownvalue.StringExact("123456789012"),
				"role_arn":                knownvalue.StringExact("arn:aws:iam::123456789012:role/virtco-diagnostics-readonly"),
				"state":                   knownvalue.StringExact("done"),
				"verification_state":      knownvalue.StringExact("unavailable"),
				"verification_checked_at": knownvalue.NotNull(),
				"verified_at":             knownvalue.Null(),
				"verification_message":    knownvalue.StringRegexp(regexp.MustCompile(`no credentials for diag account Diag3`)),
			})})),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("created_at"), knownvalue.NotNull()),
		noSecretsInState{secrets: func() []string { return []string{tokens["zed"], tokens["amy"]} }},
	}
	config := `
data "virtco_customer" "c" {
  name = "read.example.com"
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{
			{Config: s.providerConfig() + config, ConfigStateChecks: checks},
			// a user token reads its own customer
			{Config: s.providerConfig(tokens["amy"]) + config, ConfigStateChecks: checks},
			{
				Config: s.providerConfig() + `
data "virtco_customer" "none" {
  name = "none.example.com"
}
`,
				ExpectError: re(`There is no customer "none.example.com" on the platform: customer "none.example.com" does not exist.`),
			},
		},
	})
}
