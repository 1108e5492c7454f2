package provider

// The shared acceptance-test harness: every acceptance test runs the real Terraform CLI (through
// terraform-plugin-testing, TF_ACC=1) against a real virtco-server process of its own, started on
// a free port with a fresh SQLite file, and checks the server's state with the API client.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

func TestMain(m *testing.M) {
	isolateAWSEnvironment()
	code := m.Run()
	servertest.Cleanup()
	if providerBuild.dir != "" {
		_ = os.RemoveAll(providerBuild.dir)
	}
	os.Exit(code)
}

// diagAccountsJSON seeds every test server: Diag3 with a principal, Diag4 without.
const diagAccountsJSON = `[
  {"name": "Diag3", "account_id": "111122223333", "region": "us-east-1", "status": "ready-for-use",
   "principal_arn": "arn:aws:iam::111122223333:role/virtco-collector"},
  {"name": "Diag4", "account_id": "444455556666", "region": "eu-west-1", "status": "ready-for-use"}
]`

// testEnv is an environment without the developer's VIRTCO_* variables, so that they never change
// what a test does; vars are the only variables the provider sees.
func testEnv(vars map[string]string) environment {
	env := osEnvironment()
	env.Getenv = func(k string) string { return vars[k] }
	return env
}

// providerFactories serves the provider in-process with the given environment, plus the echo
// provider that tests of ephemeral resources use.
func providerFactories(vars map[string]string) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"virtco": providerserver.NewProtocol6WithError(&virtcoProvider{version: "test", env: testEnv(vars)}),
		"echo":   echoprovider.NewProviderServer(),
	}
}

// testProviders is the provider with an empty environment: tests configure it in HCL.
var testProviders = providerFactories(nil)

// testServer is a running virtco-server and a client with its ops key.
type testServer struct {
	*servertest.Process
	ops *client.Client
}

// startServer starts a server for one acceptance test (skipped without TF_ACC, as
// terraform-plugin-testing would skip it) and marks the test parallel.
func startServer(t *testing.T) *testServer {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it (make test does)")
	}
	t.Parallel()
	p := servertest.Start(t, servertest.Options{DiagAccounts: diagAccountsJSON})
	return &testServer{Process: p, ops: newClient(t, p.URL, p.OpsKey)}
}

func newClient(t *testing.T, url, key string) *client.Client {
	t.Helper()
	c, err := client.New(&client.Config{Address: url, APIKey: key, MaxRetries: client.NoRetries, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// providerConfig is a provider block for the server with the given key (the ops key if empty).
func (s *testServer) providerConfig(key ...string) string {
	k := s.OpsKey
	if len(key) > 0 {
		k = key[0]
	}
	return fmt.Sprintf(`
provider "virtco" {
  endpoint = %q
  api_key  = %q
}
`, s.URL, k)
}

// aliasConfig is a provider block with an alias.
func (s *testServer) aliasConfig(alias, keyExpr string) string {
	return fmt.Sprintf(`
provider "virtco" {
  alias    = %q
  endpoint = %q
  api_key  = %s
}
`, alias, s.URL, keyExpr)
}

var ctx = context.Background()

// provision creates a customer and users on the server directly (not through Terraform) and
// returns the users' tokens by name.
func (s *testServer) provision(t *testing.T, customer, diag string, users ...string) map[string]string {
	t.Helper()
	if _, _, err := s.ops.Customers.Put(ctx, customer, client.CustomerPutOptions{DiagAccount: diag}); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, u := range users {
		user, _, err := s.ops.Users.Put(ctx, customer, u)
		if err != nil {
			t.Fatal(err)
		}
		tokens[u] = user.Token
	}
	return tokens
}

// --- checks of the server's state

// checkCustomer checks the customer on the server.
func (s *testServer) checkCustomer(name string, check func(*client.Customer) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		c, err := s.ops.Customers.Get(ctx, name)
		if err != nil {
			return fmt.Errorf("customer %s on the server: %w", name, err)
		}
		return check(c)
	}
}

// checkCustomerGone checks that the server has no such customer.
func (s *testServer) checkCustomerGone(name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, err := s.ops.Customers.Get(ctx, name)
		switch {
		case err == nil:
			return fmt.Errorf("customer %s is still on the server", name)
		case !errors.Is(err, client.ErrNotFound):
			return fmt.Errorf("customer %s on the server: want not found: %w", name, err)
		}
		return nil
	}
}

// checkTokenRefused checks that the server refuses a token (401): it was revoked or rotated.
func (s *testServer) checkTokenRefused(t *testing.T, token *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if *token == "" {
			return errors.New("no token was captured")
		}
		c := newClient(t, s.URL, *token)
		_, err := c.Customers.List(ctx)
		switch {
		case err == nil:
			return errors.New("a revoked token still works")
		case !errors.Is(err, client.ErrUnauthenticated):
			return fmt.Errorf("a revoked token: want 401: %w", err)
		}
		return nil
	}
}

// checkTokenWorks checks that the server accepts a token.
func (s *testServer) checkTokenWorks(t *testing.T, token *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		c := newClient(t, s.URL, *token)
		if _, err := c.Customers.List(ctx); err != nil {
			return fmt.Errorf("the token: %w", err)
		}
		return nil
	}
}

// checkUserToken checks that the user's token on the server is the one in the state.
func (s *testServer) checkUserToken(addr, customer, name string) resource.TestCheckFunc {
	return resource.TestCheckResourceAttrWith(addr, "token", func(v string) error {
		u, err := s.ops.Users.Get(ctx, customer, name)
		if err != nil {
			return fmt.Errorf("user %s@%s on the server: %w", name, customer, err)
		}
		if u.Token != v {
			return fmt.Errorf("user %s@%s: the state's token is not the server's", name, customer)
		}
		return nil
	})
}

// capture stores an attribute's value from the state.
func capture(addr, attr string, into *string) resource.TestCheckFunc {
	return resource.TestCheckResourceAttrWith(addr, attr, func(v string) error {
		*into = v
		return nil
	})
}

// checkAll runs checks in order and fails on the first error (CheckDestroy takes one function).
func checkAll(checks ...resource.TestCheckFunc) resource.TestCheckFunc {
	return resource.ComposeAggregateTestCheckFunc(checks...)
}

// --- state checks

// noSecretsInState is a state check that fails when the whole state, as Terraform shows it,
// holds any of the given secrets or anything that looks like a VIRT-CO token.
type noSecretsInState struct {
	secrets func() []string
}

func (c noSecretsInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil {
		resp.Error = errors.New("no state")
		return
	}
	raw, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	s := string(raw)
	for _, secret := range c.secrets() {
		if secret != "" && strings.Contains(s, secret) {
			resp.Error = fmt.Errorf("the state holds a secret (%.4s...)", secret)
			return
		}
	}
	if m := secretPattern.FindString(s); m != "" {
		resp.Error = fmt.Errorf("the state holds something that looks like a VIRT-CO key (%.4s...)", m)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// writeFile writes a file in a temp dir of the test and returns its path.
func writeFile(t *testing.T, name, content string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	return p
}

// re compiles a regexp that matches across the line breaks Terraform wraps diagnostics at.
func re(s string) *regexp.Regexp {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}

// --- the provider's own acceptance tests

// The settings come from the environment when the block leaves them out; the block wins.
func TestAccProvider_environment(t *testing.T) {
	s := startServer(t)
	keyFile := writeFile(t, "apikey.txt", "\n  "+s.OpsKey+"  \n\n", 0o600)
	config := `
provider "virtco" {}

data "virtco_diag_accounts" "all" {}
`
	resource.Test(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: providerFactories(map[string]string{envEndpoint: s.URL, envAPIKey: s.OpsKey, envTimeout: "soon"}),
				Config:                   config,
				ExpectError:              re(`The environment variable VIRTCO_TIMEOUT="soon" is not valid: it is not a duration.`),
			},
			{
				ProtoV6ProviderFactories: providerFactories(map[string]string{envEndpoint: s.URL, envAPIKey: s.OpsKey, envMaxRetries: "-2"}),
				Config:                   config,
				ExpectError:              re(`The environment variable VIRTCO_MAX_RETRIES="-2" is not valid`),
			},
			{
				ProtoV6ProviderFactories: providerFactories(map[string]string{envEndpoint: s.URL, envAPIKeyFile: "/nonexistent/apikey.txt"}),
				Config:                   config,
				ExpectError:              re(`The API key file "/nonexistent/apikey.txt" (api_key_file / VIRTCO_API_KEY_FILE, set by VIRTCO_API_KEY_FILE) could not be read: no such file or directory.`),
			},
			{
				ProtoV6ProviderFactories: providerFactories(map[string]string{envAPIKey: s.OpsKey}),
				Config:                   config,
				ExpectError:              re(`The provider needs the URL of the VIRT-CO API: set endpoint in the provider block or the VIRTCO_ENDPOINT environment variable`),
			},
			{
				ProtoV6ProviderFactories: providerFactories(map[string]string{
					envEndpoint: s.URL, envAPIKeyFile: keyFile, envTimeout: "10s", envMaxRetries: "0",
				}),
				Config: config,
				Check:  resource.TestCheckResourceAttr("data.virtco_diag_accounts.all", "names.#", "2"),
			},
			{
				// the block wins over a wrong key in the environment
				ProtoV6ProviderFactories: providerFactories(map[string]string{envEndpoint: s.URL, envAPIKey: "vco_wrong"}),
				Config: fmt.Sprintf(`
provider "virtco" {
  api_key_file = %q
}

data "virtco_diag_accounts" "all" {}
`, keyFile),
				Check: resource.TestCheckResourceAttr("data.virtco_diag_accounts.all", "names.#", "2"),
			},
		},
	})
}

// Every way the provider's configuration can be wrong is a diagnostic at plan time that names the
// setting, its variable and, for files, the path.
func TestAccProvider_configErrors(t *testing.T) {
	s := startServer(t)
	empty := writeFile(t, "apikey.txt", " \n", 0o600)
	twoLines := writeFile(t, "apikey.txt", s.OpsKey+"\nsecond line\n", 0o600)
	unreadable := writeFile(t, "apikey.txt", s.OpsKey, 0o000)
	data := `
data "virtco_diag_accounts" "all" {}
`
	step := func(provider, want string) resource.TestStep {
		return resource.TestStep{Config: provider + data, PlanOnly: true, ExpectError: re(want)}
	}
	steps := []resource.TestStep{
		step(`provider "virtco" {
  api_key = "vco_x"
}`, `The provider needs the URL of the VIRT-CO API: set endpoint in the provider block or the VIRTCO_ENDPOINT environment variable, such as http://127.0.0.1:8080.`),
		step(fmt.Sprintf(`provider "virtco" {
  endpoint = %q
}`, s.URL), `The provider has no API key. The key is the ops key (the old apikey.txt), the master token or a user token: set api_key or api_key_file in the provider block, or VIRTCO_API_KEY or VIRTCO_API_KEY_FILE in the environment.`),
		step(fmt.Sprintf(`provider "virtco" {
  endpoint     = %q
  api_key_file = "/nonexistent/dir/apikey.txt"
}`, s.URL), `The API key file "/nonexistent/dir/apikey.txt" (api_key_file / VIRTCO_API_KEY_FILE, set by api_key_file) could not be read: no such file or directory.`),
		step(fmt.Sprintf(`provider "virtco" {
  endpoint     = %q
  api_key_file = %q
}`, s.URL, empty), `The API key file "`+empty+`" (api_key_file / VIRTCO_API_KEY_FILE, set by api_key_file) is empty.`),
		step(fmt.Sprintf(`provider "virtco" {
  endpoint     = %q
  api_key_file = %q
}`, s.URL, twoLines), `holds more than one line; it must hold only the key`),
		step(fmt.Sprintf(`provider "virtco" {
  endpoint     = %q
  api_key      = "vco_x"
  api_key_file = %q
}`, s.URL, empty), `These attributes cannot be configured together: [api_key,api_key_file]`),
		step(fmt.Sprintf(`provider "virtco" {
  endpoint = %q
  api_key  = "vco_x"
  timeout  = "30 seconds"
}`, s.URL), `timeout is "30 seconds": it is not a duration. Give a Go duration such as "30s" or "2m".`),
		step(fmt.Sprintf(`provider "virtco" {
  endpoint    = %q
  api_key     = "vco_x"
  max_retries = -1
}`, s.URL), `Attribute max_retries value must be at least 0, got: -1`),
		step(`provider "virtco" {
  endpoint = "ftp://example.com"
  api_key  = "vco_x"
}`, `The VIRT-CO endpoint (endpoint / VIRTCO_ENDPOINT) is not usable: the address "ftp://example.com" does not start with http:// or https://`),
	}
	if os.Geteuid() != 0 { // root reads any file
		steps = append(steps, step(fmt.Sprintf(`provider "virtco" {
  endpoint     = %q
  api_key_file = %q
}`, s.URL, unreadable), `could not be read: permission denied`))
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testProviders, Steps: steps})
}

// The API's refusals are diagnostics that say what happened and what to do: the server down, the
// ops key refused, a user token asking for ops work.
func TestAccProvider_apiErrors(t *testing.T) {
	s := startServer(t)
	tokens := s.provision(t, "tok.example.com", "Diag3", "eve")
	s.provision(t, "other.example.com", "")

	down := servertest.Start(t, servertest.Options{})
	downURL := down.URL
	down.Kill()

	eve := s.providerConfig(tokens["eve"])
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf(`
provider "virtco" {
  endpoint    = %q
  api_key     = "vco_anything"
  max_retries = 1
}

data "virtco_diag_accounts" "all" {}
`, downURL),
				ExpectError: re(fmt.Sprintf(`The VIRT-CO API at %s could not be reached while listing diagnostic accounts: GET /v1/diag-accounts: the server could not be reached at %s: dial tcp`, downURL, downURL)),
			},
			{
				Config: fmt.Sprintf(`
provider "virtco" {
  endpoint    = %q
  api_key     = "vco_anything"
  max_retries = 1
}

resource "virtco_customer" "c" {
  name = "down.example.com"
}
`, downURL),
				ExpectError: re(`(gave up after 2 attempts) Check the provider's endpoint (or VIRTCO_ENDPOINT) and that virtco-server is running and reachable from here.`),
			},
			{
				Config: s.providerConfig("vco_not-the-ops-key") + `
data "virtco_diag_accounts" "all" {}
`,
				ExpectError: re(`The VIRT-CO API at ` + s.URL + ` refused the API key (401) while listing diagnostic accounts: the API key is not valid: it is unknown or has been revoked Check api_key / api_key_file (or VIRTCO_API_KEY / VIRTCO_API_KEY_FILE)`),
			},
			{
				Config: eve + `
resource "virtco_user" "mallory" {
  customer = "tok.example.com"
  name     = "mallory"
}`,
				ExpectError: re(`The VIRT-CO API refused creating user "mallory" of customer "tok.example.com" (403): provisioning users needs the ops key; this request used the user token of eve@tok.example.com. This needs the ops key: configure the provider with it`),
			},
			{
				Config: eve + `
resource "virtco_customer" "c" {
  name = "new.example.com"
}`,
				ExpectError: re(`(403): creating or changing customers needs the ops key; this request used the user token of eve@tok.example.com. This needs the ops key`),
			},
			{
				Config: eve + `
data "virtco_master_token" "m" {}
`,
				ExpectError: re(`(403): reading the master token needs the ops key; this request used the user token of eve@tok.example.com.`),
			},
			{
				Config: eve + `
data "virtco_diag_accounts" "all" {}
`,
				ExpectError: re(`listing diag accounts needs the ops key or the master token; this request used the user token of eve@tok.example.com. This needs the ops key or the master token`),
			},
			{
				Config: eve + `
data "virtco_customer" "other" {
  name = "other.example.com"
}`,
				ExpectError: re(`the user token of eve@tok.example.com may only access customer "tok.example.com". A user token may only read its own customer`),
			},
		},
	})
	if list, _ := s.ops.Customers.List(ctx); len(list) != 2 {
		t.Errorf("customers on the server: %v", list)
	}
	if users, _ := s.ops.Users.List(ctx, "tok.example.com"); len(users) != 1 {
		t.Errorf("users on the server: %v", users)
	}
}

// --- unit tests of the provider (no TF_ACC needed)

// The schemas are valid, complete and described: every attribute, nested ones included, has a
// description for the docs.
func TestSchemas(t *testing.T) {
	server := providerserver.NewProtocol6(&virtcoProvider{version: "test", env: testEnv(nil)})()
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	all := map[string]*tfprotov6.Schema{"provider": resp.Provider}
	for name, s := range resp.ResourceSchemas {
		all["resource "+name] = s
	}
	for name, s := range resp.DataSourceSchemas {
		all["data source "+name] = s
	}
	for name, s := range resp.EphemeralResourceSchemas {
		all["ephemeral resource "+name] = s
	}
	want := []string{"provider", "resource virtco_customer", "resource virtco_user", "data source virtco_diag_accounts",
		"data source virtco_master_token", "data source virtco_customer", "ephemeral resource virtco_master_token",
		"ephemeral resource virtco_user_token", "resource virtco_aws_role", "data source virtco_aws_role_policy"}
	for _, w := range want {
		if all[w] == nil {
			t.Errorf("no %s", w)
		}
	}
	if len(all) != len(want) {
		t.Errorf("%d schemas, want %d", len(all), len(want))
	}
	var walk func(where string, attrs []*tfprotov6.SchemaAttribute)
	walk = func(where string, attrs []*tfprotov6.SchemaAttribute) {
		for _, a := range attrs {
			if strings.TrimSpace(a.Description) == "" || a.DescriptionKind != tfprotov6.StringKindMarkdown {
				t.Errorf("%s: attribute %s has no markdown description", where, a.Name)
			}
			if a.NestedType != nil {
				walk(where+"."+a.Name, a.NestedType.Attributes)
			}
		}
	}
	var walkBlock func(where string, b *tfprotov6.SchemaBlock)
	walkBlock = func(where string, b *tfprotov6.SchemaBlock) {
		walk(where, b.Attributes)
		for _, nb := range b.BlockTypes {
			if strings.TrimSpace(nb.Block.Description) == "" || nb.Block.DescriptionKind != tfprotov6.StringKindMarkdown {
				t.Errorf("%s: block %s has no markdown description", where, nb.TypeName)
			}
			walkBlock(where+"."+nb.TypeName, nb.Block)
		}
	}
	for name, s := range all {
		if name != "provider" && strings.TrimSpace(s.Block.Description) == "" {
			t.Errorf("%s has no description", name)
		}
		walkBlock(name, s.Block)
	}
	// secrets are sensitive
	for _, c := range []struct{ schema, attr string }{
		{"provider", "api_key"}, {"resource virtco_user", "token"}, {"data source virtco_master_token", "master_token"},
		{"ephemeral resource virtco_master_token", "master_token"}, {"ephemeral resource virtco_user_token", "token"},
	} {
		found := false
		for _, a := range all[c.schema].Block.Attributes {
			if a.Name == c.attr {
				found = a.Sensitive
			}
		}
		if !found {
			t.Errorf("%s: %s is not sensitive", c.schema, c.attr)
		}
	}
	for _, b := range resp.Provider.Block.BlockTypes {
		if b.TypeName != "aws" {
			continue
		}
		for _, a := range b.Block.Attributes {
			if (a.Name == "secret_key" || a.Name == "token") != a.Sensitive {
				t.Errorf("provider: aws.%s: sensitive is %v", a.Name, a.Sensitive)
			}
		}
	}
}
