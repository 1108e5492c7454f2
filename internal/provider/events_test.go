// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// The events (README, "Events") that an apply and a destroy through the CLI make the server
// push to a webhook: signed (the endpoint refuses a bad signature, which fails the test), in
// the order of the writes, with what a consumer needs to start and stop work, and no secret.

// The events of the apply: the role waits for the users (depends_on), and the apply for the
// platform's verdict.
var applyEvents = []string{"customer.created", "user.provisioned", "user.provisioned",
	"account.registered", "account.done", "account.verified"}

// The destroy goes the other way: the role's record is marked purge, then removed (after the
// role is deleted), the users' keys are revoked, then the customer is deleted.
var destroyEvents = []string{"account.purge", "account.removed", "user.revoked", "user.revoked", "customer.deleted"}

func TestAccEvents_applyAndDestroy(t *testing.T) {
	hooks := servertest.StartHooks(t)
	a := startVerifying(t, "", hooks.Args()...)
	const customer = "events.example.com"
	const addr = "virtco_aws_role.r"
	arn := acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)
	config := a.config("", acctest.Account) + fmt.Sprintf(`
resource "virtco_customer" "c" {
  name         = %q
  diag_account = "Diag3"
}

resource "virtco_user" "ann" {
  customer = virtco_customer.c.name
  name     = "ann"
}

resource "virtco_user" "joe" {
  customer = virtco_customer.c.name
  name     = "joe"
}

resource "virtco_aws_role" "r" {
  customer   = virtco_customer.c.name
  account_id = %q
  depends_on = [virtco_user.ann, virtco_user.joe]
}
`, customer, acctest.Account)

	var ext, annToken, joeToken string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy: func(*terraform.State) error {
			evs, err := hooks.Await(customer, append(slices.Clone(applyEvents), destroyEvents...)...)
			if err != nil {
				return err
			}
			return checkEvents(evs[len(applyEvents):], []string{annToken, joeToken, a.OpsKey}, map[string]func(servertest.HookPayload) error{
				"account.purge":   wantAccount(customer, ext, arn, "purge"),
				"account.removed": wantAccount(customer, ext, arn, "purge"),
				"user.revoked":    wantUser(customer),
				"customer.deleted": func(p servertest.HookPayload) error {
					if p.Customer != customer || p.ExternalID != ext || len(p.Users)+len(p.Accounts) != 0 {
						return fmt.Errorf("customer %s, external id %s, with users %v and accounts %v; want %s, %s, none "+
							"(the destroy removed them first)", p.Customer, p.ExternalID, p.Users, p.Accounts, customer, ext)
					}
					return nil
				},
			})
		},
		Steps: []resource.TestStep{{
			Config: config,
			Check: checkAll(
				capture("virtco_user.ann", "token", &annToken),
				capture("virtco_user.joe", "token", &joeToken),
				resource.TestCheckResourceAttr(addr, "role_arn", arn),
				resource.TestCheckResourceAttr(addr, "verification_state", "verified"),
				func(*terraform.State) error {
					ext = a.ExternalID(customer)
					evs, err := hooks.Await(customer, applyEvents...)
					if err != nil {
						return err
					}
					return checkEvents(evs, []string{annToken, joeToken, a.OpsKey}, map[string]func(servertest.HookPayload) error{
						"customer.created": func(p servertest.HookPayload) error {
							if p.Customer != customer || p.ExternalID != ext {
								return fmt.Errorf("customer %s with external id %s; want %s, %s", p.Customer, p.ExternalID, customer, ext)
							}
							return nil
						},
						"user.provisioned":   wantUser(customer),
						"account.registered": wantAccount(customer, ext, "", "in-progress"),
						"account.done":       wantAccount(customer, ext, arn, "done"),
						"account.verified": func(p servertest.HookPayload) error {
							if p.Verification != "verified" {
								return fmt.Errorf("verification %q; want verified", p.Verification)
							}
							return wantAccount(customer, ext, arn, "done")(p)
						},
					})
				},
			),
		}},
	})
}

// checkEvents checks each event's payload with the check of its type, that the user events name
// ann and joe once each, and that no body holds any of secrets or anything like a key.
func checkEvents(evs []servertest.HookEvent, secrets []string, checks map[string]func(servertest.HookPayload) error) error {
	var users []string
	for _, ev := range evs {
		if err := checks[ev.Type](ev.Payload); err != nil {
			return fmt.Errorf("event %v: %w", ev, err)
		}
		if strings.HasPrefix(ev.Type, "user.") {
			users = append(users, ev.Payload.User)
		}
		for _, s := range secrets {
			if s == "" {
				return fmt.Errorf("a secret to look for in event %v was not captured", ev)
			}
			if strings.Contains(ev.Body, s) {
				return fmt.Errorf("event %v holds a secret (%.4s...)", ev, s)
			}
		}
		if m := secretPattern.FindString(ev.Body); m != "" {
			return fmt.Errorf("event %v holds something that looks like a VIRT-CO key (%.4s...)", ev, m)
		}
	}
	if slices.Sort(users); !slices.Equal(users, []string{"ann", "joe"}) {
		return fmt.Errorf("the user events name %v; want ann and joe once each", users)
	}
	return nil
}

func wantUser(customer string) func(servertest.HookPayload) error {
	return func(p servertest.HookPayload) error {
		if p.Customer != customer {
			return fmt.Errorf("customer %s; want %s", p.Customer, customer)
		}
		return nil
	}
}

// wantAccount checks what an account event tells a consumer about the account.
func wantAccount(customer, ext, arn, state string) func(servertest.HookPayload) error {
	return func(p servertest.HookPayload) error {
		if p.Customer != customer || p.AccountID != acctest.Account || p.ExternalID != ext || p.RoleARN != arn || p.State != state {
			return fmt.Errorf("customer %s, account %s, external id %s, role %q, state %s; want %s, %s, %s, %q, %s",
				p.Customer, p.AccountID, p.ExternalID, p.RoleARN, p.State, customer, acctest.Account, ext, arn, state)
		}
		return nil
	}
}
