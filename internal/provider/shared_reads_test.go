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

// A refresh reads the users of each customer with one request, and the customers with a few,
// never one per resource; and it still sees every change made outside Terraform.
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

// checkOneReadPerCustomer holds the requests of a refresh (or several: Terraform may refresh more
// than once in a step) to the shared reads: the same number of user lists for every customer,
// and no read of one user or one customer.
func checkOneReadPerCustomer(t *testing.T, requests map[string]int, customers []string) {
	t.Helper()
	lists := requests["GET /v1/customers/"+customers[0]+"/users"]
	if lists == 0 {
		t.Errorf("the refresh listed no users of %s: %v", customers[0], requests)
	}
	for key, n := range requests {
		method, path, _ := strings.Cut(key, " ")
		parts := strings.Split(strings.TrimPrefix(path, "/v1/"), "/")
		switch {
		case method != "GET":
			t.Errorf("the refresh wrote: %s (%d)", key, n)
		case len(parts) == 3 && parts[2] == "users" && n != lists:
			t.Errorf("the refresh listed the users of %s %d times, and of %s %d times; want as often for each", parts[1], n, customers[0], lists)
		case len(parts) == 4 || len(parts) == 2 && parts[0] == "customers":
			t.Errorf("the refresh read one object at a time: %s (%d)", key, n)
		}
	}
	if n := requests["GET /v1/customers"]; n == 0 || n > len(customers)*lists {
		t.Errorf("the refresh read the customers with %d requests; want at least one and at most one per customer", n)
	}
}

func hclList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
