// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

func TestKindOfKey(t *testing.T) {
	for key, want := range map[string]keyKind{
		"vco_abc": keyOps, "vcm_abc": keyMaster, "vcu_abc": keyUser,
		// an ops key set by the server's operator, and keys that only look alike
		"s3cret": keyOfNoKnownKind, "": keyOfNoKnownKind, "VCU_abc": keyOfNoKnownKind, "x_vcu_abc": keyOfNoKnownKind,
	} {
		if got := kindOfKey(key); got != want {
			t.Errorf("kindOfKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// Only a key known to be the master token or a user token is refused, with the advice of a 403
// that needs the ops key; the check asks nothing of the API (the data has no client).
func TestRefuseWithoutOps(t *testing.T) {
	for key, refused := range map[string]bool{"vcm_x": true, "vcu_x": true, "vco_x": false, "legacy-ops-key": false, "": false} {
		var diags diag.Diagnostics
		d := &providerData{apiKey: key, keySource: "api_key_file (/etc/virtco/key)"}
		if got := d.refuseWithoutOps(&diags, `creating customer "a.com"`); got != refused || diags.HasError() != refused {
			t.Errorf("%q: refused %v, diagnostics %v", key, got, diags)
		}
	}
	var diags diag.Diagnostics
	(&providerData{apiKey: "vcu_x", keySource: "VIRTCO_API_KEY"}).refuseWithoutOps(&diags, `revoking user "joe" of customer "a.com"`)
	want := `The VIRT-CO API would refuse revoking user "joe" of customer "a.com" (403): that needs the ops key, and the ` +
		`provider's key, from VIRTCO_API_KEY, is a user token (vcu_...). ` + refusedWhilePlanning + "\n\n" + needsOps.advice()
	if len(diags) != 1 || diags[0].Detail() != want || diags[0].Summary() != "Ops key needed" {
		t.Errorf("diagnostics: %v\nwant the detail %q", diags, want)
	}
	var none *providerData
	if none.refuseWithoutOps(&diags, "x") {
		t.Error("nil provider data refused")
	}
}

// fakeDiagAccounts is an API whose GET /v1/diag-accounts answers status (and Diag3, Diag4 on
// 200), counting the requests.
func fakeDiagAccounts(t *testing.T, status int) (*providerData, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/diag-accounts" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
		}
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write([]byte(`{"diag_accounts":[{"name":"Diag3","account_id":"111122223333","status":"ready-for-use"},` +
				`{"name":"Diag4","account_id":"444455556666","status":"unavailable"}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"error":{"code":"permission_denied","message":"listing diag accounts needs the ops key or the master token"}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(&client.Config{Address: srv.URL, APIKey: "vco_x", MaxRetries: client.NoRetries})
	if err != nil {
		t.Fatal(err)
	}
	return &providerData{client: c, endpoint: srv.URL, apiKey: "vco_x"}, &n
}

// Many customers planned at once (Terraform plans them concurrently) share one listing.
func TestDiagAccountNamesOnce(t *testing.T) {
	d, requests := fakeDiagAccounts(t, http.StatusOK)
	var wg sync.WaitGroup
	errs := make([]diag.Diagnostics, 32)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "Diag3"
			if i%2 == 1 {
				name = "Nope"
			}
			d.checkDiagAccount(t.Context(), &errs[i], `creating customer "a.com"`, types.StringValue(name))
		}()
	}
	wg.Wait()
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	for i, diags := range errs {
		if i%2 == 0 && diags.HasError() {
			t.Errorf("Diag3 (%d) refused: %v", i, diags)
		}
		if i%2 == 1 && (len(diags) != 1 || !strings.Contains(diags[0].Detail(), `diag_account "Nope" does not exist; known: Diag3, Diag4.`)) {
			t.Errorf("Nope (%d): %v", i, diags)
		}
	}
	wp, ok := errs[1][0].(diag.DiagnosticWithPath)
	if !ok || !wp.Path().Equal(path.Root("diag_account")) {
		t.Errorf("the diagnostic is not at diag_account: %v", errs[1][0])
	}
	want := `The VIRT-CO API would refuse creating customer "a.com" (400): diag_account "Nope" does not exist; known: Diag3, Diag4. ` +
		refusedWhilePlanning + "\n\nSet diag_account to one of the platform's diagnostic accounts (the virtco_diag_accounts " +
		"data source lists them), or leave it out for none yet."
	if got := errs[1][0].Detail(); got != want {
		t.Errorf("detail:\n%s\nwant\n%s", got, want)
	}
}

// A key that may not list the diagnostic accounts leaves diag_account to the server at apply; the
// listing is not asked for again either. Null and unknown values ask nothing.
func TestCheckDiagAccountSkipped(t *testing.T) {
	d, requests := fakeDiagAccounts(t, http.StatusForbidden)
	var diags diag.Diagnostics
	for _, v := range []types.String{types.StringNull(), types.StringUnknown()} {
		d.checkDiagAccount(t.Context(), &diags, "creating", v)
	}
	if requests.Load() != 0 {
		t.Errorf("%d requests for null and unknown", requests.Load())
	}
	for range 3 {
		d.checkDiagAccount(t.Context(), &diags, "creating", types.StringValue("Nope"))
	}
	if diags.HasError() || requests.Load() != 1 {
		t.Errorf("%d requests, diagnostics %v", requests.Load(), diags)
	}
	// no client: provider settings known only after apply
	(&providerData{unknown: []string{"api_key"}}).checkDiagAccount(t.Context(), &diags, "creating", types.StringValue("Nope"))
	if diags.HasError() {
		t.Errorf("diagnostics without a client: %v", diags)
	}
}

// The server's words, with and without diagnostic accounts (internal/server, unknownDiagAccount).
func TestUnknownDiagAccount(t *testing.T) {
	if got := unknownDiagAccount("Nope", []string{"Diag3", "Diag4"}); got != `diag_account "Nope" does not exist; known: Diag3, Diag4` {
		t.Error(got)
	}
	if got := unknownDiagAccount("Nope", nil); got != `diag_account "Nope" does not exist; there are none yet (PUT /v1/diag-accounts/{name})` {
		t.Error(got)
	}
}

// --- acceptance tests

// A diag_account the platform does not have is refused at plan time, on create and update, with
// the server's words at the attribute; nothing reaches the server. A value known only after apply
// is not judged at plan time.
func TestAccCustomerResource_diagAccountAtPlan(t *testing.T) {
	s := startServer(t)
	s.Provision("kept.example.com", "Diag3")
	kept, err := s.Ops.Customers.Get(t.Context(), "kept.example.com")
	if err != nil {
		t.Fatal(err)
	}
	customer := func(name, diagAccount string) string {
		return fmt.Sprintf(`
resource "virtco_customer" %q {
  name         = "%s.example.com"
  diag_account = %s
}
`, name, name, diagAccount)
	}
	// onlyKept checks that the server holds kept.example.com as it was, and no other customer.
	onlyKept := func() error {
		list, err := s.Ops.Customers.List(t.Context())
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].Name != "kept.example.com" {
			return fmt.Errorf("customers on the server: %v", list)
		}
		return s.Customer("kept.example.com", func(c *client.Customer) error {
			if c.DiagAccount != "Diag3" || c.ETag != kept.ETag {
				return fmt.Errorf("kept.example.com changed on the server: %+v", c)
			}
			return nil
		})
	}
	keptConfig := s.providerConfig() + customer("kept", `"Diag3"`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             s.checkCustomerGone("kept.example.com"),
		Steps: []resource.TestStep{
			{
				Config:      s.providerConfig() + customer("new", `"Nope"`),
				PlanOnly:    true,
				ExpectError: re(`diag_account = "Nope" The VIRT-CO API would refuse creating customer "new.example.com" (400): diag_account "Nope" does not exist; known: Diag3, Diag4. The provider refuses it while planning, so that no apply starts only to fail halfway. Set diag_account to one of the platform's diagnostic accounts (the virtco_diag_accounts data source lists them), or leave it out for none yet.`),
			},
			{
				// names are compared as the server compares them: exactly
				Config:      s.providerConfig() + customer("good", `"Diag4"`) + customer("bad", `"diag3"`),
				ExpectError: re(`diag_account "diag3" does not exist; known: Diag3, Diag4`),
			},
			{
				// the apply did not start: good.example.com was not created either
				PreConfig: func() { checkNow(t, onlyKept) },
				Config: keptConfig + `
import {
  to = virtco_customer.kept
  id = "kept.example.com"
}`,
				Check: later(onlyKept),
			},
			{
				PreConfig:   func() { checkNow(t, onlyKept) },
				Config:      s.providerConfig() + customer("kept", `"Nope"`),
				ExpectError: re(`The VIRT-CO API would refuse updating customer "kept.example.com" (400): diag_account "Nope" does not exist; known: Diag3, Diag4`),
			},
			{
				// known only after apply: the plan goes on, and the apply refuses it before the request
				PreConfig: func() { checkNow(t, onlyKept) },
				Config: keptConfig + customer("later", "terraform_data.diag.output") + `
resource "terraform_data" "diag" {
  input = "Nope"
}`,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config: keptConfig + customer("later", "terraform_data.diag.output") + `
resource "terraform_data" "diag" {
  input = "Nope"
}`,
				ExpectError: re(`The VIRT-CO API would refuse creating customer "later.example.com" (400): diag_account "Nope" does not exist; known: Diag3, Diag4`),
			},
			{
				// kept.example.com unchanged: a plan without changes to it asks nothing of its diag_account
				PreConfig: func() { checkNow(t, onlyKept) },
				Config:    keptConfig,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_customer.kept", plancheck.ResourceActionNoop),
				}},
				Check: later(onlyKept),
			},
		},
	})
}

// checkNow fails the test when a check of the server's state fails, in a step's PreConfig.
func checkNow(t *testing.T, check func() error) {
	t.Helper()
	if err := check(); err != nil {
		t.Fatal(err)
	}
}

// The plan's words for an unknown diag_account are the server's, with diagnostic accounts and
// without.
func TestAccCustomerResource_diagAccountServerWords(t *testing.T) {
	s := startServer(t)
	empty := servertest.Start(t, servertest.Options{})
	for _, c := range []struct {
		ops   *client.Client
		known []string
	}{
		{s.Ops, []string{"Diag3", "Diag4"}},
		{acctest.NewClient(t, empty.URL, empty.OpsKey), nil},
	} {
		_, _, err := c.ops.Customers.Put(t.Context(), "words.example.com", client.CustomerPutOptions{DiagAccount: "Nope", IfNoneMatch: "*"})
		if !errors.Is(err, client.ErrInvalidArgument) {
			t.Fatalf("PUT with an unknown diag_account: %v", err)
		}
		if got, want := apiMessage(err), unknownDiagAccount("Nope", c.known); got != want {
			t.Errorf("the server says\n%s\nthe plan says\n%s", got, want)
		}
	}
}

// One terraform plan of several customers lists the diagnostic accounts once: the first customer
// planned reads them, the others use what it read.
func TestAccCustomerResource_diagAccountsReadOnce(t *testing.T) {
	s := startServer(t)
	tf := acctest.TerraformCLI(t)
	work := t.TempDir()
	config := acctest.RequiredProviders + s.providerConfig() + `
resource "virtco_customer" "c" {
  count        = 6
  name         = "once${count.index}.example.com"
  diag_account = count.index % 2 == 0 ? "Diag3" : "Diag4"
}

resource "virtco_user" "u" {
  count    = 6
  customer = virtco_customer.c[count.index].name
  name     = "joe"
}
`
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tf, "plan", "-no-color", "-input=false")
	cmd.Dir, cmd.Env = work, acctest.CLIEnv(acctest.DevOverrides(t))
	before := strings.Count(s.Logs(), "msg=request ")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Plan: 12 to add, 0 to change, 0 to destroy.") {
		t.Fatalf("terraform plan: %v\n%s", err, out)
	}
	var requests []string
	for _, line := range strings.Split(s.Logs(), "\n") {
		if strings.Contains(line, "msg=request ") {
			requests = append(requests, line)
		}
	}
	requests = requests[before:]
	if len(requests) != 1 || !strings.Contains(requests[0], "method=GET path=/v1/diag-accounts ") {
		t.Errorf("the plan made %d requests, want one GET /v1/diag-accounts:\n%s", len(requests), strings.Join(requests, "\n"))
	}
	if list, err := s.Ops.Customers.List(t.Context()); err != nil || len(list) != 0 {
		t.Errorf("customers on the server after a plan: %v, %v", list, err)
	}
}

// A plan that would write customers or users with the master token is refused, without a request
// to write, before anything changes: create, update, token rotation, destroy. A plan without
// writes (reading, importing, rotate_token first recorded after an import) stays allowed.
func TestAccProvider_masterTokenWritesAtPlan(t *testing.T) {
	s := startServer(t)
	tokens := s.Provision("keys.example.com", "Diag3", "joe")
	master, err := s.Ops.MasterToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.Ops.Customers.Get(t.Context(), "keys.example.com")
	if err != nil {
		t.Fatal(err)
	}
	// unchanged: the server holds keys.example.com and joe as provisioned, and nothing else
	unchanged := func() error {
		list, err := s.Ops.Customers.List(t.Context())
		if err != nil {
			return err
		}
		if len(list) != 1 {
			return fmt.Errorf("customers on the server: %v", list)
		}
		users, err := s.Ops.Users.List(t.Context(), "keys.example.com")
		if err != nil {
			return err
		}
		if len(users) != 1 {
			return fmt.Errorf("users on the server: %v", users)
		}
		if err := s.UserToken("keys.example.com", "joe", tokens["joe"]); err != nil {
			return err
		}
		return s.Customer("keys.example.com", func(c *client.Customer) error {
			if c.ETag != before.ETag {
				return fmt.Errorf("keys.example.com changed on the server: %+v", c)
			}
			return nil
		})
	}
	resources := func(rotate string) string {
		return fmt.Sprintf(`
resource "virtco_customer" "keys" {
  name         = "keys.example.com"
  diag_account = "Diag3"
}

resource "virtco_user" "joe" {
  customer     = virtco_customer.keys.name
  name         = "joe"
  rotate_token = %s
}
`, rotate)
	}
	asMaster := s.providerConfig(master)
	const advice = `This needs the ops key: configure the provider with it (api_key / api_key_file, or VIRTCO_API_KEY / ` +
		`VIRTCO_API_KEY_FILE). A user token may only read its own customer and manage that customer's AWS accounts, and ` +
		`the master token only reads; use a separate provider configuration (an alias) with the ops key for this.`
	joe := tokens["joe"]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             s.checkCustomerGone("keys.example.com"),
		Steps: []resource.TestStep{
			{
				Config: asMaster + `
resource "virtco_customer" "new" {
  name = "new.example.com"
}`,
				PlanOnly: true,
				ExpectError: re(`The VIRT-CO API would refuse creating customer "new.example.com" (403): that needs the ops key, and ` +
					`the provider's key, from api_key, is the master token (vcm_...). The provider refuses it while planning, so ` +
					`that no apply starts only to fail halfway. ` + advice),
			},
			{
				// an apply: refused before anything is created
				Config: asMaster + `
resource "virtco_customer" "new" {
  name = "new.example.com"
}

resource "virtco_user" "ann" {
  customer = "keys.example.com"
  name     = "ann"
}`,
				ExpectError: re(`The VIRT-CO API would refuse creating user "ann" of customer "keys.example.com" (403): that needs ` +
					`the ops key, and the provider's key, from api_key, is the master token`),
			},
			{
				// importing reads only
				PreConfig: func() { checkNow(t, unchanged) },
				Config: asMaster + resources("null") + `
import {
  to = virtco_customer.keys
  id = "keys.example.com"
}

import {
  to = virtco_user.joe
  id = "joe@keys.example.com"
}`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_customer.keys", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("virtco_user.joe", plancheck.ResourceActionNoop),
				}},
				Check: later(unchanged),
			},
			{
				// refreshing reads only: an empty plan
				Config:   asMaster + resources("null"),
				PlanOnly: true,
			},
			{
				// the first rotate_token after an import is recorded without rotating: nothing to write
				Config: asMaster + resources(`{ n = "1" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("virtco_user.joe", plancheck.ResourceActionUpdate),
				}},
				Check: later(unchanged),
			},
			{
				Config:      asMaster + resources(`{ n = "2" }`),
				ExpectError: re(`The VIRT-CO API would refuse rotating the token of user "joe" of customer "keys.example.com" (403)`),
			},
			{
				PreConfig: func() { checkNow(t, unchanged) },
				Config: asMaster + `
resource "virtco_customer" "keys" {
  name         = "keys.example.com"
  diag_account = "Diag3"
  regions      = ["eu-west-1"]
}

resource "virtco_user" "joe" {
  customer     = virtco_customer.keys.name
  name         = "joe"
  rotate_token = { n = "1" }
}`,
				ExpectError: re(`The VIRT-CO API would refuse updating customer "keys.example.com" (403)`),
			},
			{
				// renaming replaces the user: revoking and creating
				Config:      asMaster + strings.Replace(resources(`{ n = "1" }`), `name         = "joe"`, `name         = "jo"`, 1),
				ExpectError: re(`The VIRT-CO API would refuse revoking user "joe" of customer "keys.example.com" and creating user "jo" of customer "keys.example.com" (403)`),
			},
			{
				// a destroy plan: Terraform stops at the user, which goes first
				Config:      asMaster + resources(`{ n = "1" }`),
				Destroy:     true,
				ExpectError: re(`The VIRT-CO API would refuse revoking user "joe" of customer "keys.example.com" (403)`),
			},
			{
				// the ops key may do all of it
				PreConfig: func() { checkNow(t, unchanged) },
				Config:    s.providerConfig() + resources(`{ n = "2" }`),
				Check:     s.checkTokenRefused(&joe),
			},
		},
	})
}

// A user token may read its own customer, so a plan without changes to it goes through; an
// update or a destroy of the customer is refused at plan time and the customer stays as it is.
func TestAccProvider_userTokenWritesAtPlan(t *testing.T) {
	s := startServer(t)
	tokens := s.Provision("mine.example.com", "Diag3", "eve")
	before, err := s.Ops.Customers.Get(t.Context(), "mine.example.com")
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func() error {
		return s.Customer("mine.example.com", func(c *client.Customer) error {
			if c.ETag != before.ETag {
				return fmt.Errorf("mine.example.com changed on the server: %+v", c)
			}
			return nil
		})
	}
	customer := func(diagAccount string) string {
		return fmt.Sprintf(`
resource "virtco_customer" "mine" {
  name         = "mine.example.com"
  diag_account = %q
}
`, diagAccount)
	}
	eve := s.providerConfig(tokens["eve"])
	eveKey := tokens["eve"]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy:             s.checkCustomerGone("mine.example.com"),
		Steps: []resource.TestStep{
			{
				Config: s.providerConfig() + customer("Diag3") + `
import {
  to = virtco_customer.mine
  id = "mine.example.com"
}`,
				Check: later(unchanged),
			},
			{
				// refresh and an empty plan with eve's token
				Config:   eve + customer("Diag3"),
				PlanOnly: true,
			},
			{
				// a diag account the platform has, but eve may not write
				Config: eve + customer("Diag4"),
				ExpectError: re(`The VIRT-CO API would refuse updating customer "mine.example.com" (403): that needs the ops key, ` +
					`and the provider's key, from api_key, is a user token (vcu_...).`),
			},
			{
				PreConfig:   func() { checkNow(t, unchanged) },
				Config:      eve + customer("Diag3"),
				Destroy:     true,
				ExpectError: re(`The VIRT-CO API would refuse unprovisioning customer "mine.example.com" (403)`),
			},
			{
				// the customer is still there, and so is eve
				PreConfig: func() { checkNow(t, unchanged) },
				Config:    s.providerConfig() + customer("Diag3"),
				Check:     checkAll(later(unchanged), s.checkTokenWorks(&eveKey)),
			},
		},
	})
}

// An ops key that the server's operator set to a string of no known prefix is not judged by its
// kind: it creates and destroys as before, and the diagnostic accounts are still checked.
func TestAccProvider_opsKeyOfNoKnownKind(t *testing.T) {
	preCheck(t)
	t.Parallel()
	const key = "legacy-ops-key-of-the-old-apikey-txt-file"
	p := servertest.Start(t, servertest.Options{DiagAccounts: acctest.DiagAccountsJSON, Env: []string{"VIRTCO_OPS_API_KEY=" + key}})
	ops := acctest.NewClient(t, p.URL, key)
	config := func(diagAccount string) string {
		return fmt.Sprintf(`
provider "virtco" {
  endpoint = %q
  api_key  = %q
}

resource "virtco_customer" "c" {
  name         = "legacy.example.com"
  diag_account = %q
}

resource "virtco_user" "u" {
  customer = virtco_customer.c.name
  name     = "joe"
}
`, p.URL, key, diagAccount)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		CheckDestroy: later(func() error {
			list, err := ops.Customers.List(t.Context())
			if err == nil && len(list) != 0 {
				err = fmt.Errorf("customers on the server after destroy: %v", list)
			}
			return err
		}),
		Steps: []resource.TestStep{
			{
				Config:      config("Nope"),
				PlanOnly:    true,
				ExpectError: re(`diag_account "Nope" does not exist; known: Diag3, Diag4`),
			},
			{
				Config: config("Diag3"),
				Check: resource.TestCheckResourceAttrWith("virtco_user.u", "token", func(token string) error {
					u, err := ops.Users.Get(t.Context(), "legacy.example.com", "joe")
					if err == nil && u.Token != token {
						err = errors.New("joe's token on the server is not the one in the state")
					}
					return err
				}),
			},
		},
	})
}
