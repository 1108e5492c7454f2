// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// A refresh reads the customers with their users' keys a few at a time, never one request per
// resource; and it still sees every change made outside Terraform.
func TestAccSharedReads_oneRequestPerCustomer(t *testing.T) {
	s := startServer(t)
	proxy := acctest.StartProxy(t, s.URL)
	customers := []string{"share1.example.com", "share2.example.com", "share3.example.com"}
	config := fmt.Sprintf(`
provider "virtco" {
  endpoint = %q
  api_key  = %q
}

locals {
  customers = %s
  users     = ["ann", "bob", "joe"]
}

resource "virtco_customer" "c" {
  count        = length(local.customers)
  name         = local.customers[count.index]
  diag_account = "Diag3"
}

# u[3*i + j] is user j of customer i
resource "virtco_user" "u" {
  count    = length(local.customers) * length(local.users)
  customer = virtco_customer.c[floor(count.index / length(local.users))].name
  name     = local.users[count.index %% length(local.users)]
}
`, proxy.URL, s.OpsKey, hclList(customers))

	var rotatedBefore string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             s.checkCustomerGone(customers[0]),
		Steps: []resource.TestStep{
			{Config: config, Check: capture("virtco_user.u.4", "token", &rotatedBefore)},
			{
				PreConfig: func() { proxy.Requests() },
				Config:    config,
				PlanOnly:  true,
			},
			{
				// The refresh above, counted; then changes outside Terraform, which the next refresh
				// must see: a user revoked, a token rotated, a customer's settings changed.
				PreConfig: func() {
					checkOneReadPerCustomer(t, proxy.Requests(), customers)
					if err := s.Ops.Users.Delete(t.Context(), customers[0], "ann", client.UserDeleteOptions{}); err != nil {
						t.Fatal(err)
					}
					if _, err := s.Ops.Users.Rotate(t.Context(), customers[1], "bob", client.UserRotateOptions{}); err != nil {
						t.Fatal(err)
					}
					if _, _, err := s.Ops.Customers.Put(t.Context(), customers[2], client.CustomerPutOptions{
						DiagAccount: "Diag4"}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_user.u[0]", plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction("virtco_customer.c[2]", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("virtco_user.u[2]", plancheck.ResourceActionNoop),
				}},
				Check: checkAll(
					s.checkUserToken("virtco_user.u.0", customers[0], "ann"),
					// the rotated token was read into state: it is the server's, not the one applied first
					s.checkUserToken("virtco_user.u.4", customers[1], "bob"),
					s.checkTokenRefused(&rotatedBefore),
					s.checkCustomer(customers[2], func(c *client.Customer) error {
						if c.DiagAccount != "Diag3" {
							return fmt.Errorf("apply did not put the diag account back: %s", c.DiagAccount)
						}
						return nil
					}),
				),
			},
		},
	})
}

// checkOneReadPerCustomer holds the requests of a refresh to the shared reads: the customers,
// with their users' keys, a few at a time, at most one request per customer, and nothing else.
func checkOneReadPerCustomer(t *testing.T, requests map[string]int, customers []string) {
	t.Helper()
	for key, n := range requests {
		if key != "GET /v1/customers" {
			t.Errorf("the refresh made %d request(s) %s; want only GET /v1/customers?name=...", n, key)
		}
	}
	if n := requests["GET /v1/customers"]; n == 0 || n > len(customers) {
		t.Errorf("the refresh read %d customers and their users with %d requests; want at least one and at most one per customer",
			len(customers), n)
	}
}

func hclList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
