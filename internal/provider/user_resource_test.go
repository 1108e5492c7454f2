// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

var tokenRE = regexp.MustCompile(`^vcu_[A-Za-z0-9_-]{20,}$`)

// Create, an empty plan, import, rotation in place, destroy; after destroy the user's token gets 401.
func TestAccUserResource_lifecycle(t *testing.T) {
	s := startServer(t)
	const addr = "virtco_user.joe"
	base := s.providerConfig() + `
resource "virtco_customer" "acme" {
  name = "users.example.com"
}
`
	var token, rotated, keyID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy: checkAll(
			s.checkCustomerGone("users.example.com"),
			s.checkTokenRefused(&token),
			s.checkTokenRefused(&rotated),
		),
		Steps: []resource.TestStep{
			{
				Config: base + `
resource "virtco_user" "joe" {
  customer = virtco_customer.acme.name
  name     = "joe"
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectSensitiveValue(addr, tfjsonpath.New("token")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact("joe@users.example.com")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("key_name"), knownvalue.StringExact("joe@users.example.com-API-Key")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("token"), knownvalue.StringRegexp(tokenRE)),
					statecheck.ExpectSensitiveValue(addr, tfjsonpath.New("token")),
				},
				Check: checkAll(
					capture(addr, "token", &token),
					capture(addr, "key_id", &keyID),
					s.checkUserToken(addr, "users.example.com", "joe"),
					s.checkTokenWorks(&token),
				),
			},
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// setting rotate_token rotates in place: only the token is unknown in the plan
				Config: base + `
resource "virtco_user" "joe" {
  customer     = virtco_customer.acme.name
  name         = "joe"
  rotate_token = { rotated = "2025-01" }
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("token")),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("key_id"), knownvalue.NotNull()),
					plancheck.ExpectResourceAction("virtco_customer.acme", plancheck.ResourceActionNoop),
				}},
				Check: checkAll(
					capture(addr, "token", &rotated),
					resource.TestCheckResourceAttrPtr(addr, "key_id", &keyID),
					s.checkUserToken(addr, "users.example.com", "joe"),
					s.checkTokenRefused(&token),
					s.checkTokenWorks(&rotated),
					func(*terraform.State) error {
						if rotated == token {
							return fmt.Errorf("the token did not change")
						}
						return nil
					},
				),
			},
			{
				// the same trigger again: nothing to do
				Config: base + `
resource "virtco_user" "joe" {
  customer     = virtco_customer.acme.name
  name         = "joe"
  rotate_token = { rotated = "2025-01" }
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// an import with rotate_token in the configuration: the imported user keeps its token
				ResourceName:            addr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"rotate_token"},
			},
		},
	})
}

// After an import, setting rotate_token records it without rotating the token in use.
func TestAccUserResource_importKeepsToken(t *testing.T) {
	s := startServer(t)
	tokens := s.Provision("imported.example.com", "Diag3", "ann")
	config := s.providerConfig() + `
resource "virtco_customer" "c" {
  name         = "imported.example.com"
  diag_account = "Diag3"
}

resource "virtco_user" "ann" {
  customer     = virtco_customer.c.name
  name         = "ann"
  rotate_token = { rotated = "2025-01" }
}
`
	ann := tokens["ann"]
	var latest string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             checkAll(s.checkCustomerGone("imported.example.com"), s.checkTokenRefused(&latest)),
		Steps: []resource.TestStep{
			{
				Config: config + `
import {
  to = virtco_customer.c
  id = "imported.example.com"
}

import {
  to = virtco_user.ann
  id = "ann@imported.example.com"
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_user.ann", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("virtco_user.ann", tfjsonpath.New("token"), knownvalue.StringExact(ann)),
				}},
				Check: checkAll(
					resource.TestCheckResourceAttr("virtco_user.ann", "token", ann),
					s.checkUserToken("virtco_user.ann", "imported.example.com", "ann"),
					s.checkTokenWorks(&ann),
				),
			},
			{
				// from now on a change of rotate_token rotates
				Config: config + `
resource "terraform_data" "rotate" {
  input = "x"
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_user.ann", plancheck.ResourceActionNoop),
				}},
			},
			{
				Config: s.providerConfig() + `
resource "virtco_customer" "c" {
  name         = "imported.example.com"
  diag_account = "Diag3"
}

resource "virtco_user" "ann" {
  customer     = virtco_customer.c.name
  name         = "ann"
  rotate_token = { rotated = "2025-02" }
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue("virtco_user.ann", tfjsonpath.New("token")),
				}},
				Check: checkAll(
					capture("virtco_user.ann", "token", &latest),
					s.checkTokenRefused(&ann),
					s.checkUserToken("virtco_user.ann", "imported.example.com", "ann"),
				),
			},
		},
	})
}

// 20 users of one customer in one apply at Terraform's default parallelism: all 20 on the server.
func TestAccUserResource_twentyInOneApply(t *testing.T) {
	s := startServer(t)
	var tokens [20]string
	checks := []resource.TestCheckFunc{
		func(*terraform.State) error {
			users, err := s.Ops.Users.List(t.Context(), "many.example.com")
			if err != nil {
				return err
			}
			if len(users) != 20 {
				return fmt.Errorf("the server has %d users, want 20", len(users))
			}
			seen := map[string]bool{}
			for _, u := range users {
				if seen[u.Token] {
					return fmt.Errorf("two users share a token")
				}
				seen[u.Token] = true
			}
			return nil
		},
	}
	for i := range tokens {
		addr := fmt.Sprintf("virtco_user.u.%d", i)
		checks = append(checks, capture(addr, "token", &tokens[i]), s.checkUserToken(addr, "many.example.com", fmt.Sprintf("user%02d", i)))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy: checkAll(s.checkCustomerGone("many.example.com"), func(st *terraform.State) error {
			for i := range tokens {
				if err := s.checkTokenRefused(&tokens[i])(st); err != nil {
					return err
				}
			}
			return nil
		}),
		Steps: []resource.TestStep{{
			Config: s.providerConfig() + `
resource "virtco_customer" "many" {
  name         = "many.example.com"
  diag_account = "Diag4"
}

resource "virtco_user" "u" {
  count    = 20
  customer = virtco_customer.many.name
  name     = format("user%02d", count.index)
}`,
			Check: checkAll(checks...),
		}},
	})
}

// Creating a user that exists is an error that says to import it; a missing customer and bad
// names are errors that say what to do.
func TestAccUserResource_errors(t *testing.T) {
	s := startServer(t)
	tokens := s.Provision("has-users.com", "", "bob")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{
			{
				Config: s.providerConfig() + `
resource "virtco_user" "bob" {
  customer = "has-users.com"
  name     = "bob"
}`,
				ExpectError: re(`User "bob" of customer "has-users.com" already exists on the platform, so Terraform will not create it (nor silently take it over); its key is untouched. To manage it with this configuration, import it: terraform import <address of this resource> bob@has-users.com`),
			},
			{
				Config: s.providerConfig() + `
resource "virtco_user" "ghost" {
  customer = "no-such-customer.com"
  name     = "ghost"
}`,
				ExpectError: re(`User "ghost" cannot be created: customer "no-such-customer.com" does not exist on the platform. Create the customer first`),
			},
			{
				Config: s.providerConfig() + `
resource "virtco_user" "bad" {
  customer = "has-users.com"
  name     = "joe smith"
}`,
				PlanOnly:    true,
				ExpectError: re(`name = "joe smith" "joe smith" is not a user name: a user name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-', not only dots`),
			},
			{
				Config: s.providerConfig() + `
resource "virtco_user" "bad" {
  customer = "has-users.com"
  name     = ".."
}`,
				PlanOnly:    true,
				ExpectError: re(`name = ".." ".." is not a user name: a user name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-', not only dots`),
			},
			{
				Config: s.providerConfig() + `
resource "virtco_user" "imp" {
  customer = "has-users.com"
  name     = "bob"
}`,
				ResourceName:  "virtco_user.imp",
				ImportState:   true,
				ImportStateId: "has-users.com",
				ExpectError:   re(`A virtco_user is imported by user@customer, such as joe@acme.com: the import id "has-users.com" is not of the form user@customer`),
			},
		},
	})
	// nothing was taken over or changed
	u, err := s.Ops.Users.Get(t.Context(), "has-users.com", "bob")
	if err != nil || u.Token != tokens["bob"] {
		t.Errorf("bob on the server after the failed create: %v, %v", u, err)
	}
}

// A create or rotation whose answer is lost (the server committed it, a load balancer answered
// 502) is retried with the same Idempotency-Key and gets the first answer: the apply succeeds,
// and state and server agree object for object and token for token, with nothing unmanaged. The
// proxy loses the first answer of every create: customers, users, the role's registrations, and
// a rotation.
func TestAccUserResource_lostAnswers(t *testing.T) {
	a := startAWS(t, awsemu.Faults{})
	proxy := acctest.StartProxy(t, a.URL)
	proxy.LoseAnswers()
	config := func(rotation string) string {
		var b strings.Builder
		b.WriteString(a.configAt(proxy.URL, "", acctest.Account))
		for _, c := range []string{"lost1.example.com", "lost2.example.com"} {
			r := strings.Split(c, ".")[0]
			fmt.Fprintf(&b, `
resource "virtco_customer" %[1]q {
  name         = %[2]q
  diag_account = "Diag3"
}

resource "virtco_user" "%[1]s_ann" {
  customer     = virtco_customer.%[1]s.name
  name         = "ann"
  rotate_token = { n = %[3]q }
}

resource "virtco_user" "%[1]s_bob" {
  customer = virtco_customer.%[1]s.name
  name     = "bob"
}
`, r, c, rotation)
		}
		b.WriteString(`
resource "virtco_aws_role" "r" {
  customer    = virtco_customer.lost1.name
  external_id = virtco_customer.lost1.external_id
}
`)
		return b.String()
	}
	agree := func() resource.TestCheckFunc {
		checks := []resource.TestCheckFunc{
			a.checkAccount("lost1.example.com", acctest.Account, client.RoleDone, acctest.RoleARN(acctest.Account, awsrole.DefaultRoleName)),
			later(func() error {
				list, err := a.Ops.Customers.List(t.Context())
				if err != nil || len(list) != 2 {
					return fmt.Errorf("customers on the server: %v (%w); want exactly the two in state", list, err)
				}
				for _, c := range list {
					if users, err := a.Ops.Users.List(t.Context(), c.Name); err != nil || len(users) != 2 {
						return fmt.Errorf("users of %s on the server: %v (%w); want exactly the two in state", c.Name, users, err)
					}
				}
				return nil
			}),
		}
		for _, c := range []string{"lost1", "lost2"} {
			for _, u := range []string{"ann", "bob"} {
				checks = append(checks, a.checkUserToken("virtco_user."+c+"_"+u, c+".example.com", u))
			}
		}
		return checkAll(checks...)
	}
	var annToken string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{
			{
				Config: config("1"),
				Check: checkAll(agree(), capture("virtco_user.lost1_ann", "token", &annToken), later(func() error {
					// 2 customers, 4 users, the role's in-progress and done
					if n := proxy.Lost(); n < 8 {
						return fmt.Errorf("the proxy lost %d answers, want at least 8", n)
					}
					return nil
				})),
			},
			{
				// the rotations' answers are lost too: state holds the live tokens, the old ones are dead
				Config: config("2"),
				Check:  checkAll(agree(), a.checkTokenRefused(&annToken)),
			},
		},
	})
}

// The server SIGKILLed several times during an apply of 100 users, each time down for longer than
// the provider's retries last: that apply fails, but nothing it may have created is unknown to the
// state, and a second apply converges with no import: the server holds exactly the users in state,
// token for token.
func TestAccUserResource_serverKilledDuringApply(t *testing.T) {
	s := startServer(t)
	const n, customer = 100, "killed.example.com"
	ws := acctest.NewWorkspace(t)
	ws.Write(fmt.Sprintf(`
provider "virtco" {
  endpoint    = %q
  api_key     = %q
  max_retries = 1
  timeout     = "2s"
}

resource "virtco_customer" "c" {
  name = %q
}

resource "virtco_user" "u" {
  count    = %d
  customer = virtco_customer.c.name
  name     = "user${count.index}"
}
`, s.URL, s.OpsKey, customer, n))

	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := ws.Run("apply", "-auto-approve")
		done <- result{out, err}
	}()
	kills := 0
	var first result
	for next := 20; ; {
		select {
		case first = <-done:
		default:
			if users, err := s.Ops.Users.List(t.Context(), customer); err == nil && len(users) >= next && kills < 3 {
				s.Kill()
				kills++
				time.Sleep(1500 * time.Millisecond) // longer than one retry of the provider's
				s.RestartOnSamePort()
				next += 25
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		break
	}
	if kills < 2 {
		t.Fatalf("the server was killed %d times before the apply ended:\n%s", kills, first.out)
	}
	if first.err == nil {
		t.Logf("the first apply succeeded in spite of %d kills", kills)
	}

	ws.MustRun("apply", "-auto-approve")
	if out, err := ws.Run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("the plan after the second apply is not empty (%v):\n%s", err, out)
	}
	var shown struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Type   string
					Values struct {
						Name  string
						Token string
					}
				}
			} `json:"root_module"`
		}
	}
	if err := json.Unmarshal([]byte(ws.MustRun("show", "-json")), &shown); err != nil {
		t.Fatal(err)
	}
	inState := map[string]string{}
	for _, r := range shown.Values.RootModule.Resources {
		if r.Type == "virtco_user" {
			inState[r.Values.Name] = r.Values.Token
		}
	}
	users, err := s.Ops.Users.List(t.Context(), customer)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != n || len(inState) != n {
		t.Errorf("%d users on the server, %d in state; want %d and %d", len(users), len(inState), n, n)
	}
	for _, u := range users {
		if inState[u.Name] != u.Token {
			t.Errorf("user %s: the state's token is not the server's", u.Name)
		}
	}
	t.Logf("%d kills; the first apply: %v", kills, first.err)
}

// When every answer to a create is lost, the provider's retries run out: the customer and user
// that the platform did create are recorded in the state, tainted, and the next apply settles
// them with the same idempotency keys: no import, nothing unmanaged, tokens as the server's.
func TestAccUserResource_everyAnswerLost(t *testing.T) {
	s := startServer(t)
	proxy := acctest.StartProxy(t, s.URL)
	config := fmt.Sprintf(`
provider "virtco" {
  endpoint    = %q
  api_key     = %q
  max_retries = 1
}

resource "virtco_customer" "c" {
  name = "allost.example.com"
}

resource "virtco_user" "u" {
  customer = virtco_customer.c.name
  name     = "ann"
}
`, proxy.URL, s.OpsKey)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             s.checkCustomerGone("allost.example.com"),
		Steps: []resource.TestStep{
			{
				PreConfig:   proxy.LoseEveryAnswer,
				Config:      config,
				ExpectError: re(`Customer may have been created`),
			},
			{
				// the customer is on the platform, and in the state, tainted
				PreConfig: func() {
					if _, err := s.Ops.Customers.Get(t.Context(), "allost.example.com"); err != nil {
						t.Errorf("the lost create did not reach the platform: %v", err)
					}
					proxy.Heal()
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_customer.c", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: checkAll(s.checkUserToken("virtco_user.u", "allost.example.com", "ann"), later(func() error {
					if users, err := s.Ops.Users.List(t.Context(), "allost.example.com"); err != nil || len(users) != 1 {
						return fmt.Errorf("users on the server: %v (%w)", users, err)
					}
					return nil
				})),
			},
			{
				// and a user whose every answer is lost
				PreConfig: proxy.LoseEveryAnswer,
				Config: config + `
resource "virtco_user" "bob" {
  customer = virtco_customer.c.name
  name     = "bob"
}
`,
				ExpectError: re(`User may have been created`),
			},
			{
				PreConfig: proxy.Heal,
				Config: config + `
resource "virtco_user" "bob" {
  customer = virtco_customer.c.name
  name     = "bob"
}
`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_user.bob", plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: checkAll(s.checkUserToken("virtco_user.bob", "allost.example.com", "bob"), later(func() error {
					if users, err := s.Ops.Users.List(t.Context(), "allost.example.com"); err != nil || len(users) != 2 {
						return fmt.Errorf("users on the server: %v (%w)", users, err)
					}
					return nil
				})),
			},
		},
	})
}

// A token rotated outside Terraform since its last read is neither rotated again unseen nor a
// reason to keep a revoked user: a rotation without a refresh stops and says why, one after a
// refresh goes ahead, and a destroy without a refresh revokes the user all the same. A user
// removed and provisioned again by someone else is theirs: destroy leaves it alone.
func TestAccUserResource_changedOutside(t *testing.T) {
	s := startServer(t)
	const customer = "outside.example.com"
	ws := acctest.NewWorkspace(t)
	config := func(rotation string) string {
		return s.providerConfig() + fmt.Sprintf(`
resource "virtco_customer" "c" {
  name = %q
}

resource "virtco_user" "joe" {
  customer     = virtco_customer.c.name
  name         = "joe"
  rotate_token = { r = %q }
}

output "token" {
  value     = virtco_user.joe.token
  sensitive = true
}
`, customer, rotation)
	}
	ws.Write(config("1"))
	ws.MustRun("apply", "-auto-approve")
	rotateOutside := func() string {
		t.Helper()
		u, err := s.Ops.Users.Rotate(t.Context(), customer, "joe", client.UserRotateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return u.Token
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	outside := rotateOutside()
	ws.Write(config("2"))
	out, err := ws.Run("apply", "-auto-approve", "-refresh=false")
	if err == nil || !acctest.Words("Token changed since Terraform read it").MatchString(out) {
		t.Fatalf("a rotation over a token changed outside went ahead (%v):\n%s", err, out)
	}
	must(s.UserToken(customer, "joe", outside))
	must(s.TokenWorks(outside))

	ws.MustRun("apply", "-auto-approve")
	rotated := strings.TrimSpace(ws.MustRun("output", "-raw", "token"))
	must(s.UserToken(customer, "joe", rotated))
	must(s.TokenRefused(outside))
	if out, err := ws.Run("plan", "-detailed-exitcode"); err != nil {
		t.Fatalf("the plan after the rotation is not empty (%v):\n%s", err, out)
	}

	outside = rotateOutside()
	ws.MustRun("destroy", "-auto-approve", "-refresh=false", "-target", "virtco_user.joe")
	if _, err := s.Ops.Users.Get(t.Context(), customer, "joe"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("the user outlived its destroy: %v", err)
	}
	must(s.TokenRefused(outside))

	// Another user of the same name, made outside Terraform after this state's was removed.
	ws.MustRun("apply", "-auto-approve")
	must(s.Ops.Users.Delete(t.Context(), customer, "joe", client.UserDeleteOptions{}))
	theirs, _, err := s.Ops.Users.Put(t.Context(), customer, "joe", client.UserPutOptions{})
	must(err)
	out = ws.MustRun("destroy", "-auto-approve", "-refresh=false", "-target", "virtco_user.joe")
	if !acctest.Words("User left alone").MatchString(out) {
		t.Errorf("no warning that the user was left alone:\n%s", out)
	}
	must(s.UserToken(customer, "joe", theirs.Token))
	must(s.TokenWorks(theirs.Token))
}
