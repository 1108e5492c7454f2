// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/buildtest"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// Create, an empty plan, import (command and import block), update in place, destroy; the server
// checked after each.
func TestAccCustomerResource_lifecycle(t *testing.T) {
	s := startServer(t)
	const addr = "virtco_customer.acme"
	var externalID string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             s.checkCustomerGone("acme.com"),
		Steps: []resource.TestStep{
			{
				Config: s.providerConfig() + `
resource "virtco_customer" "acme" {
  name         = "acme.com"
  diag_account = "Diag3"
  regions      = ["us-east-1", "eu-west-1"]
}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact("acme.com")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("aws_region"), knownvalue.StringExact("us-east-1")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("auto_run_finders"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("regions"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("us-east-1"), knownvalue.StringExact("eu-west-1")})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account_id"), knownvalue.StringExact("111122223333")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account_principal_arn"),
						knownvalue.StringExact("arn:aws:iam::111122223333:role/virtco-collector")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account_status"), knownvalue.StringExact("ready-for-use")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("role_status"), knownvalue.StringExact("pending")),
				},
				Check: checkAll(
					capture(addr, "external_id", &externalID),
					s.checkCustomer("acme.com", func(c *client.Customer) error {
						slices.Sort(c.Regions)
						switch {
						case c.DiagAccount != "Diag3":
							return fmt.Errorf("diag_account on the server: %q", c.DiagAccount)
						case !slices.Equal(c.Regions, []string{"eu-west-1", "us-east-1"}):
							return fmt.Errorf("regions on the server: %v", c.Regions)
						case c.ExternalID != externalID || externalID == "":
							return fmt.Errorf("external_id: server %q, state %q", c.ExternalID, externalID)
						case !c.AutoRunFinders || c.AWSRegion != "us-east-1":
							return fmt.Errorf("defaults on the server: %+v", c)
						}
						return nil
					}),
				),
			},
			{
				// terraform import virtco_customer.acme acme.com
				ResourceName:      addr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// an import block with the same id: a no-op import
				ResourceName:    addr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("external_id"), knownvalue.NotNull()),
				}},
			},
			{
				Config: s.providerConfig() + `
resource "virtco_customer" "acme" {
  name             = "acme.com"
  diag_account     = "Diag4"
  aws_region       = "eu-west-1"
  auto_run_finders = false
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					// minted once: known in the plan, not "known after apply"
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("external_id"), knownvalue.NotNull()),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("role_status"), knownvalue.StringExact("pending")),
					// follows the diag account, which changes
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("diag_account_id")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account_id"), knownvalue.StringExact("444455556666")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account_principal_arn"),
						knownvalue.StringExact("arn:aws:iam::444455556666:root")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("regions"), knownvalue.SetSizeExact(0)),
				},
				Check: s.checkCustomer("acme.com", func(c *client.Customer) error {
					if c.DiagAccount != "Diag4" || c.AWSRegion != "eu-west-1" || c.AutoRunFinders || len(c.Regions) != 0 {
						return fmt.Errorf("customer on the server after the update: %+v", c)
					}
					if c.ExternalID != externalID {
						return fmt.Errorf("external_id changed on update: %q -> %q", externalID, c.ExternalID)
					}
					return nil
				}),
			},
			{
				// no diag account: null in the configuration, none on the server, null ids
				Config: s.providerConfig() + `
resource "virtco_customer" "acme" {
  name    = "acme.com"
  regions = []
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account_id"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("diag_account_status"),
						knownvalue.StringExact("diagnostics_account_unavailable")),
				},
				Check: s.checkCustomer("acme.com", func(c *client.Customer) error {
					if c.DiagAccount != "" || c.AWSRegion != "us-east-1" || !c.AutoRunFinders {
						return fmt.Errorf("customer on the server: %+v", c)
					}
					return nil
				}),
			},
			{
				// omitting regions and writing regions = [] are the same: no diff either way
				Config: s.providerConfig() + `
resource "virtco_customer" "acme" {
  name = "acme.com"
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// renaming replaces: the old customer is unprovisioned
				Config: s.providerConfig() + `
resource "virtco_customer" "acme" {
  name = "acme.org"
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: checkAll(
					s.checkCustomerGone("acme.com"),
					s.checkCustomer("acme.org", func(c *client.Customer) error {
						if c.ExternalID == externalID {
							return fmt.Errorf("the new customer has the old one's external id")
						}
						return nil
					}),
				),
			},
		},
	})
	if _, err := s.Ops.Customers.Get(t.Context(), "acme.org"); err == nil {
		t.Error("acme.org is still on the server after destroy")
	}
}

// A customer or user deleted on the server is planned for re-creation; a diag account changed on
// the server shows as a diff that apply puts back.
func TestAccCustomerResource_drift(t *testing.T) {
	s := startServer(t)
	config := s.providerConfig() + `
resource "virtco_customer" "acme" {
  name         = "drift.example.com"
  diag_account = "Diag3"
}

resource "virtco_user" "joe" {
  customer = virtco_customer.acme.name
  name     = "joe"
}`
	var firstToken, secondToken, externalID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             s.checkCustomerGone("drift.example.com"),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: checkAll(
					capture("virtco_user.joe", "token", &firstToken),
					capture("virtco_customer.acme", "external_id", &externalID),
				),
			},
			{
				// someone unprovisions the customer (and so its user) on the platform
				PreConfig: func() {
					if err := s.Ops.Customers.Delete(t.Context(), "drift.example.com", client.CustomerDeleteOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_customer.acme", plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction("virtco_user.joe", plancheck.ResourceActionCreate),
				}},
				Check: checkAll(
					capture("virtco_user.joe", "token", &secondToken),
					s.checkUserToken("virtco_user.joe", "drift.example.com", "joe"),
					s.checkTokenRefused(&firstToken),
					s.checkCustomer("drift.example.com", func(c *client.Customer) error {
						if c.ExternalID == externalID {
							return fmt.Errorf("the re-created customer kept the old external id")
						}
						return nil
					}),
				),
			},
			{
				// someone reassigns the diag account and changes settings on the platform
				PreConfig: func() {
					_, _, err := s.Ops.Customers.Put(t.Context(), "drift.example.com", client.CustomerPutOptions{
						DiagAccount: "Diag4", Regions: []string{"eu-west-1"}, AutoRunFinders: client.Bool(false)})
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_customer.acme", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("virtco_user.joe", plancheck.ResourceActionNoop),
					plancheck.ExpectKnownValue("virtco_customer.acme", tfjsonpath.New("diag_account"), knownvalue.StringExact("Diag3")),
					plancheck.ExpectKnownValue("virtco_customer.acme", tfjsonpath.New("regions"), knownvalue.SetSizeExact(0)),
				}},
				Check: s.checkCustomer("drift.example.com", func(c *client.Customer) error {
					if c.DiagAccount != "Diag3" || len(c.Regions) != 0 || !c.AutoRunFinders {
						return fmt.Errorf("apply did not put the customer back: %+v", c)
					}
					return nil
				}),
			},
			{
				// someone revokes the user on the platform
				PreConfig: func() {
					if err := s.Ops.Users.Delete(t.Context(), "drift.example.com", "joe", client.UserDeleteOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_customer.acme", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("virtco_user.joe", plancheck.ResourceActionCreate),
				}},
				Check: checkAll(
					s.checkUserToken("virtco_user.joe", "drift.example.com", "joe"),
					s.checkTokenRefused(&secondToken),
				),
			},
			{
				// a refresh alone shows the drift as a non-empty plan
				PreConfig: func() {
					if err := s.Ops.Users.Delete(t.Context(), "drift.example.com", "joe", client.UserDeleteOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// Creating a customer that already exists is an error that says to import it; the import block
// then takes it over without changing it.
func TestAccCustomerResource_existing(t *testing.T) {
	s := startServer(t)
	s.Provision("taken.com", "Diag3")
	before, err := s.Ops.Customers.Get(t.Context(), "taken.com")
	if err != nil {
		t.Fatal(err)
	}
	config := `
resource "virtco_customer" "taken" {
  name         = "taken.com"
  diag_account = "Diag3"
}`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             s.checkCustomerGone("taken.com"),
		Steps: []resource.TestStep{
			{
				Config:      s.providerConfig() + config,
				ExpectError: re(`Customer "taken.com" already exists on the platform, so Terraform will not create it (nor silently take it over). To manage it with this configuration, import it: terraform import <address of this resource> taken.com`),
			},
			{
				Config: s.providerConfig() + config + `
import {
  to = virtco_customer.taken
  id = "taken.com"
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_customer.taken", plancheck.ResourceActionNoop),
				}},
				Check: checkAll(
					resource.TestCheckResourceAttr("virtco_customer.taken", "external_id", before.ExternalID),
					s.checkCustomer("taken.com", func(c *client.Customer) error {
						if c.ETag != before.ETag {
							return fmt.Errorf("the import changed the customer on the server")
						}
						return nil
					}),
				),
			},
		},
	})
}

// Bad input is refused at plan time, by the validators or, for a diag account, with the server's
// own words, at the attribute.
func TestAccCustomerResource_invalid(t *testing.T) {
	s := startServer(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{
			{
				Config: s.providerConfig() + `
resource "virtco_customer" "bad" {
  name = "Acme_Corp"
}`,
				PlanOnly:    true,
				ExpectError: re(`name = "Acme_Corp" "Acme_Corp" is not a customer name: a customer name is a lower-case DNS domain such as acme.com`),
			},
			{
				Config: s.providerConfig() + `
resource "virtco_customer" "bad" {
  name       = "acme.com"
  aws_region = "mars-north-1x"
  regions    = ["us-east-1", "moon"]
}`,
				PlanOnly:    true,
				ExpectError: re(`"mars-north-1x" is not an AWS region name: an AWS region name is lower-case, such as us-east-1`),
			},
			{
				Config: s.providerConfig() + `
resource "virtco_customer" "bad" {
  name         = "acme.com"
  diag_account = "Nope"
}`,
				// refused at plan time, in the words the server would answer at apply
				ExpectError: re(`diag_account = "Nope" The VIRT-CO API would refuse creating customer "acme.com" (400): diag_account "Nope" does not exist; known: Diag3, Diag4`),
			},
			{
				Config:        s.providerConfig() + `resource "virtco_customer" "imp" { name = "acme.com" }`,
				ResourceName:  "virtco_customer.imp",
				ImportState:   true,
				ImportStateId: "not a domain",
				ExpectError:   re(`A virtco_customer is imported by its name: "not a domain" is not a customer name`),
			},
			{
				Config:        s.providerConfig() + `resource "virtco_customer" "imp" { name = "acme.com" }`,
				ResourceName:  "virtco_customer.imp",
				ImportState:   true,
				ImportStateId: "nobody.example.com",
				ExpectError:   re(`Cannot import non-existent remote object`),
			},
		},
	})
	if list, err := s.Ops.Customers.List(t.Context()); err != nil || len(list) != 0 {
		t.Errorf("customers on the server: %v, %v", list, err)
	}
}

// Replacing a customer (-replace, taint) converges in one apply, as the examples show: its users
// are replaced (replace_triggered_by on its external id) rather than holding revoked tokens, and
// its role's trust is updated in place to the new external id (the role's external_id refers to
// the customer's), registered again; the next plan is empty.
func TestAccCustomerResource_replaceConverges(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	const customer = "replace.example.com"
	config := a.config("", acctest.Account) + `
resource "virtco_customer" "acme" {
  name         = "replace.example.com"
  diag_account = "Diag3"
}

resource "virtco_user" "ann" {
  customer = virtco_customer.acme.name
  name     = "ann"

  lifecycle {
    replace_triggered_by = [virtco_customer.acme.external_id]
  }
}

resource "virtco_user" "bob" {
  customer = virtco_customer.acme.name
  name     = "bob"

  lifecycle {
    replace_triggered_by = [virtco_customer.acme.external_id]
  }
}

resource "virtco_aws_role" "r" {
  customer    = virtco_customer.acme.name
  external_id = virtco_customer.acme.external_id
}
`
	var ext1, ann1, bob1 string
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	roleHasTrustOf := func(ext *string) resource.TestCheckFunc {
		return later(func() error {
			return a.aws.CheckRole(acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName,
				Principal: acctest.Diag3Principal, ExternalID: *ext, Actions: acctest.DefaultActions()})
		})
	}
	var ext2 string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             checkAll(a.checkCustomerGone(customer), a.checkNoRoles(acctest.Account)),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: checkAll(
					capture("virtco_customer.acme", "external_id", &ext1),
					capture("virtco_user.ann", "token", &ann1),
					capture("virtco_user.bob", "token", &bob1),
					roleHasTrustOf(&ext1),
				),
			},
			{
				Taint:  []string{"virtco_customer.acme"},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_customer.acme", plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectResourceAction("virtco_user.ann", plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectResourceAction("virtco_user.bob", plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectResourceAction("virtco_aws_role.r", plancheck.ResourceActionUpdate),
				}},
				Check: checkAll(
					capture("virtco_customer.acme", "external_id", &ext2),
					later(func() error {
						if ext2 == ext1 {
							return fmt.Errorf("the replaced customer kept external id %s", ext1)
						}
						return nil
					}),
					a.checkUserToken("virtco_user.ann", customer, "ann"),
					a.checkUserToken("virtco_user.bob", customer, "bob"),
					a.checkTokenRefused(&ann1),
					a.checkTokenRefused(&bob1),
					roleHasTrustOf(&ext2),
					a.checkAccount(customer, acctest.Account, client.RoleDone, arn),
				),
			},
		},
	})
}

// The same through the CLI's -replace, which people type, with the demo's own configuration.
func TestAccCustomerResource_replaceFlag(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	root, err := buildtest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	demo, err := os.ReadFile(filepath.Join(root, "examples", "demo", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	ws := acctest.NewWorkspace(t)
	// the demo's configuration, with this test's provider settings in place of the environment's
	_, resources, _ := strings.Cut(string(demo), `provider "virtco" {}`)
	ws.Write(a.config("", acctest.Account) + resources)
	ws.MustRun("apply", "-auto-approve")
	before, err := a.Ops.Customers.Get(t.Context(), "acme.com")
	if err != nil {
		t.Fatal(err)
	}
	ws.MustRun("apply", "-auto-approve", "-replace=virtco_customer.acme")
	if out, err := ws.Run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("the plan after -replace is not empty (%v):\n%s", err, out)
	}
	after, err := a.Ops.Customers.Get(t.Context(), "acme.com")
	if err != nil || after.ExternalID == before.ExternalID || len(after.Users) != 2 || len(after.Accounts) != 1 ||
		after.Accounts[0].State != client.RoleDone {
		t.Errorf("after -replace: %+v %v", after, err)
	}
	ws.MustRun("destroy", "-auto-approve")
}

// create_before_destroy on a customer: a new name converges in one apply, with its user and role
// following to the new customer and nothing left of the old one. The same name cannot (names are
// unique on the platform): that apply fails, saying so, with the customer untouched, and the apply
// without create_before_destroy that the error asks for converges.
func TestAccCustomerResource_createBeforeDestroy(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	config := func(name string, cbd bool) string {
		return a.config("", acctest.Account) + fmt.Sprintf(`
resource "virtco_customer" "acme" {
  name         = %q
  diag_account = "Diag3"

  lifecycle {
    create_before_destroy = %t
  }
}

resource "virtco_user" "ann" {
  customer = virtco_customer.acme.name
  name     = "ann"

  lifecycle {
    replace_triggered_by = [virtco_customer.acme.external_id]
  }
}

resource "virtco_aws_role" "r" {
  customer    = virtco_customer.acme.name
  external_id = virtco_customer.acme.external_id
}
`, name, cbd)
	}
	const oldName, newName = "cbd-old.example.com", "cbd-new.example.com"
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	var ext1, ann1, ext2, ann2, ext3, ann3 string
	converged := func(name string, ext, ann *string) resource.TestCheckFunc {
		return checkAll(
			capture("virtco_customer.acme", "external_id", ext),
			capture("virtco_user.ann", "token", ann),
			a.checkUserToken("virtco_user.ann", name, "ann"),
			later(func() error {
				return a.aws.CheckRole(acctest.RoleWant{Account: acctest.Account, Name: awsrole.DefaultRoleName,
					Principal: acctest.Diag3Principal, ExternalID: *ext, Actions: acctest.DefaultActions()})
			}),
			a.checkAccount(name, acctest.Account, client.RoleDone, arn),
		)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy: checkAll(a.checkCustomerGone(oldName), a.checkCustomerGone(newName),
			a.checkNoRoles(acctest.Account)),
		Steps: []resource.TestStep{
			{
				Config: config(oldName, true),
				Check:  converged(oldName, &ext1, &ann1),
			},
			{
				Config: config(newName, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_customer.acme", plancheck.ResourceActionCreateBeforeDestroy),
				}},
				Check: checkAll(
					converged(newName, &ext2, &ann2),
					a.checkCustomerGone(oldName),
					a.checkTokenRefused(&ann1),
				),
			},
			{
				Taint:       []string{"virtco_customer.acme"},
				Config:      config(newName, true),
				ExpectError: regexp.MustCompile(`(?s)Customer already exists.*create_before_destroy`),
			},
			{
				PreConfig: func() {
					// The refused replacement left the customer as it was. (Terraform may have
					// replaced its user before that: the user's destroy waits for nothing.)
					c, err := a.Ops.Customers.Get(t.Context(), newName)
					if err != nil || c.ExternalID != ext2 {
						t.Errorf("after the refused replacement the customer is %+v (%v), want external id %s", c, err, ext2)
					}
				},
				Config: config(newName, false),
				Check: checkAll(
					converged(newName, &ext3, &ann3),
					a.checkTokenRefused(&ann2),
					later(func() error {
						if ext3 == ext2 {
							return fmt.Errorf("the replaced customer kept external id %s", ext2)
						}
						return nil
					}),
				),
			},
		},
	})
}
