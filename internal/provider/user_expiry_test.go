// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
)

// expiringUserConfig is a customer and user joe with the given expiry arguments.
func (s *testServer) expiringUserConfig(customer, args string) string {
	return s.providerConfig() + fmt.Sprintf(`
resource "virtco_customer" "acme" {
  name = %q
}

resource "virtco_user" "joe" {
  customer = virtco_customer.acme.name
  name     = "joe"
  %s
}
`, customer, args)
}

// valid_for becomes an expires_at once, at create, which the server holds and later plans keep;
// changing it moves the expiry in place (same key and token); expires_at in the past, or with
// valid_for, is a plan-time error.
func TestAccUserResource_validFor(t *testing.T) {
	s := startServer(t)
	const addr, customer = "virtco_user.joe", "validfor.example.com"
	var token, keyID, first string
	// expiresOnServer checks that the server's expiry is the state's, valid_for after the user's
	// creation on the server.
	expiresOnServer := func(validFor time.Duration) resource.TestCheckFunc {
		return resource.TestCheckResourceAttrWith(addr, "expires_at", func(v string) error {
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return err
			}
			if err := s.UserExpiry(customer, "joe", &at); err != nil {
				return err
			}
			u, err := s.Ops.Users.Get(t.Context(), customer, "joe")
			if err != nil {
				return err
			}
			if d := at.Sub(u.CreatedAt); d < validFor-time.Hour || d > validFor+time.Hour {
				return fmt.Errorf("expires_at %s is %s after the user's creation (%s); want about %s", v, d, u.CreatedAt, validFor)
			}
			return nil
		})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             s.checkCustomerGone(customer),
		Steps: []resource.TestStep{
			{
				Config: s.expiringUserConfig(customer, `valid_for = "720h"`),
				Check: checkAll(
					capture(addr, "token", &token),
					capture(addr, "key_id", &keyID),
					capture(addr, "expires_at", &first),
					expiresOnServer(720*time.Hour),
					s.checkTokenWorks(&token),
				),
			},
			{
				// A second later, valid_for would give another time if it were turned into one again.
				PreConfig:        func() { time.Sleep(1100 * time.Millisecond) },
				Config:           s.expiringUserConfig(customer, `valid_for = "720h"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            resource.TestCheckResourceAttrPtr(addr, "expires_at", &first),
			},
			{
				Config: s.expiringUserConfig(customer, `valid_for = "1440h"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: checkAll(
					expiresOnServer(1440*time.Hour),
					resource.TestCheckResourceAttrPtr(addr, "token", &token),
					resource.TestCheckResourceAttrPtr(addr, "key_id", &keyID),
					s.checkUserToken(addr, customer, "joe"),
					s.checkTokenWorks(&token),
				),
			},
			{
				Config:      s.expiringUserConfig(customer, `expires_at = "2001-02-03T04:05:06Z"`),
				PlanOnly:    true,
				ExpectError: re("Expiry in the past"),
			},
			{
				Config:      s.expiringUserConfig(customer, `valid_for = "-1h"`),
				PlanOnly:    true,
				ExpectError: re(`The duration must be longer than zero, not "-1h"`),
			},
			{
				Config:      s.expiringUserConfig(customer, `expires_at = "2099-02-03"`),
				PlanOnly:    true,
				ExpectError: re(`"2099-02-03" is not a time in RFC 3339`),
			},
			{
				Config:      s.expiringUserConfig(customer, `expires_at = "2099-02-03T04:05:06Z"`+"\n  valid_for = \"1h\""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination.*valid_for`),
			},
			{
				// Removing the expiry: the token never expires again.
				Config: s.expiringUserConfig(customer, ``),
				Check: checkAll(
					resource.TestCheckNoResourceAttr(addr, "expires_at"),
					later(func() error { return s.UserExpiry(customer, "joe", nil) }),
					resource.TestCheckResourceAttrPtr(addr, "token", &token),
				),
			},
		},
	})
}

// A user whose expires_at passes gets 401 saying that it expired and when; moving expires_at
// later in the configuration makes the same token work again.
func TestAccUserResource_expiresAt(t *testing.T) {
	s := startServer(t)
	const addr, customer = "virtco_user.joe", "expiry.example.com"
	// Far enough ahead for the create's plan and apply, near enough to wait for.
	at := time.Now().Add(20 * time.Second).UTC().Truncate(time.Second)
	moved := at.Add(24 * time.Hour)
	var token string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             checkAll(s.checkCustomerGone(customer), s.checkTokenRefused(&token)),
		Steps: []resource.TestStep{
			{
				Config: s.expiringUserConfig(customer, fmt.Sprintf("expires_at = %q", at.Format(time.RFC3339))),
				Check: checkAll(
					capture(addr, "token", &token),
					later(func() error { return s.UserExpiry(customer, "joe", &at) }),
					s.checkTokenWorks(&token),
				),
			},
			{
				PreConfig: func() {
					if err := s.AwaitTokenExpired(token, at, time.Minute); err != nil {
						t.Fatalf("after expires_at: %v", err)
					}
				},
				Config: s.expiringUserConfig(customer, fmt.Sprintf("expires_at = %q", moved.Format(time.RFC3339))),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: checkAll(
					resource.TestCheckResourceAttrPtr(addr, "token", &token),
					later(func() error { return s.UserExpiry(customer, "joe", &moved) }),
					s.checkTokenWorks(&token),
				),
			},
		},
	})
}

// After expires_at, terraform plan warns that access has expired, with the date and what to do,
// and changes nothing; a later expires_at applied makes the same token work again.
func TestAccUserResource_expiredPlanWarns(t *testing.T) {
	s := startServer(t)
	const customer = "expired-plan.example.com"
	at := time.Now().Add(15 * time.Second).UTC().Truncate(time.Second)
	ws := acctest.NewWorkspace(t)
	ws.Write(s.expiringUserConfig(customer, fmt.Sprintf("expires_at = %q", at.Format(time.RFC3339))) + `
output "token" {
  value     = virtco_user.joe.token
  sensitive = true
}
`)
	ws.MustRun("apply", "-auto-approve")
	token := strings.TrimSpace(ws.MustRun("output", "-raw", "token"))
	if err := s.AwaitTokenExpired(token, at, time.Minute); err != nil {
		t.Fatal(err)
	}
	code, out := planExit(t, ws)
	if code != 0 {
		t.Errorf("the plan after expiry changes something (%d):\n%s", code, out)
	}
	wantWords(t, "the plan after expiry", out, "Warning: Access has expired", "expired at "+at.Format(time.RFC3339),
		"destroy it", "move expires_at")

	later := at.Add(time.Hour)
	ws.Write(s.expiringUserConfig(customer, fmt.Sprintf("expires_at = %q", later.Format(time.RFC3339))))
	ws.MustRun("apply", "-auto-approve")
	if err := s.TokenWorks(token); err != nil {
		t.Fatalf("after moving expires_at: %v", err)
	}
	if err := s.UserExpiry(customer, "joe", &later); err != nil {
		t.Fatal(err)
	}
	ws.MustRun("destroy", "-auto-approve")
}
