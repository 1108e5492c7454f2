// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

// The acceptance-test harness of the provider: every acceptance test runs the real Terraform CLI
// (through terraform-plugin-testing, TF_ACC=1) against a virtco-server process of its own and,
// for virtco_aws_role, the IAM/STS emulator (package acctest), and checks what they hold with
// the API client and the emulator, not only Terraform's state.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

func TestMain(m *testing.M) {
	acctest.IsolateAWSEnvironment()
	code := m.Run()
	servertest.Cleanup()
	os.Exit(code)
}

// testEnv is an environment without the developer's VIRTCO_* variables, so that they never change
// what a test does; vars are the only variables the provider sees.
func testEnv(vars map[string]string) environment {
	env := osEnvironment()
	env.Getenv = func(k string) string { return vars[k] }
	return env
}

// fastAWS are the provider's test hooks: the SDK's standard retryer with a 1ms backoff, and IAM
// waits of milliseconds, so that injected throttling never makes a test sleep.
var fastAWS = awsHooks{
	retryer:     awsemutest.FastRetryer(awsemutest.DefaultMaxAttempts),
	roleOptions: acctest.FastRoleOptions,
}

// providerFactories serves the provider in-process with the given environment and the test
// hooks, plus the echo provider that tests of ephemeral resources use.
func providerFactories(vars map[string]string) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"virtco": providerserver.NewProtocol6WithError(&virtcoProvider{version: "test", env: testEnv(vars), awsHooks: fastAWS}),
		"echo":   echoprovider.NewProviderServer(),
	}
}

// testProviders is the provider with an empty environment: tests configure it in HCL.
var testProviders = providerFactories(nil)

// preCheck skips an acceptance test without TF_ACC, as terraform-plugin-testing would, and fails
// it when the in-process provider's address is not one the CLI (Terraform or OpenTofu) looks for.
func preCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it (make test does)")
	}
	acctest.CheckProviderHost(t)
}

// ephemeralResources skips a test of ephemeral resources on a CLI that has none: Terraform before
// 1.10, OpenTofu before 1.11.
func ephemeralResources(t *testing.T) []tfversion.TerraformVersionCheck {
	t.Helper()
	if acctest.CLI(t).OpenTofu {
		return []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)}
	}
	return []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)}
}

// testServer is the control plane of one acceptance test.
type testServer struct {
	*acctest.Platform
}

// startServer starts a server for one acceptance test and marks the test parallel.
func startServer(t *testing.T) *testServer {
	t.Helper()
	preCheck(t)
	t.Parallel()
	return &testServer{acctest.StartPlatform(t)}
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

// --- the server's state, as Terraform test checks

// later runs a check of package acctest when Terraform's test check runs.
func later(check func() error) resource.TestCheckFunc {
	return func(*terraform.State) error { return check() }
}

func (s *testServer) checkCustomer(name string, check func(*client.Customer) error) resource.TestCheckFunc {
	return later(func() error { return s.Customer(name, check) })
}

func (s *testServer) checkCustomerGone(name string) resource.TestCheckFunc {
	return later(func() error { return s.CustomerGone(name) })
}

// checkTokenRefused checks that the server refuses a token captured earlier (401): it was
// revoked or rotated.
func (s *testServer) checkTokenRefused(token *string) resource.TestCheckFunc {
	return later(func() error { return s.TokenRefused(*token) })
}

func (s *testServer) checkTokenWorks(token *string) resource.TestCheckFunc {
	return later(func() error { return s.TokenWorks(*token) })
}

// checkUserToken checks that the user's token on the server is the one in the state.
func (s *testServer) checkUserToken(addr, customer, name string) resource.TestCheckFunc {
	return resource.TestCheckResourceAttrWith(addr, "token", func(v string) error { return s.UserToken(customer, name, v) })
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

// re matches an expected error across the line breaks Terraform wraps diagnostics at.
var re = acctest.Words

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

// --- the provider's own acceptance tests

// The settings come from the environment when the block leaves them out; the block wins.
func TestAccProvider_environment(t *testing.T) {
	s := startServer(t)
	keyFile := acctest.WriteFile(t, "apikey.txt", "\n  "+s.OpsKey+"  \n\n", 0o600)
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
	empty := acctest.WriteFile(t, "apikey.txt", " \n", 0o600)
	twoLines := acctest.WriteFile(t, "apikey.txt", s.OpsKey+"\nsecond line\n", 0o600)
	unreadable := acctest.WriteFile(t, "apikey.txt", s.OpsKey, 0o000)
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
// ops key refused, a user token asking for ops work (which the plan refuses before the API is
// asked).
func TestAccProvider_apiErrors(t *testing.T) {
	s := startServer(t)
	tokens := s.Provision("tok.example.com", "Diag3", "eve")
	s.Provision("other.example.com", "")

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
				// a user token is known by its prefix, so the plan refuses it without asking
				ExpectError: re(`The VIRT-CO API would refuse creating user "mallory" of customer "tok.example.com" (403): that needs the ops key, and the provider's key, from api_key, is a user token (vcu_...). ` +
					`The provider refuses it while planning, so that no apply starts only to fail halfway. This needs the ops key: configure the provider with it`),
			},
			{
				Config: eve + `
resource "virtco_customer" "c" {
  name = "new.example.com"
}`,
				ExpectError: re(`creating customer "new.example.com" (403): that needs the ops key, and the provider's key, from api_key, is a user token (vcu_...). ` +
					`The provider refuses it while planning, so that no apply starts only to fail halfway. This needs the ops key`),
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
	if list, _ := s.Ops.Customers.List(t.Context()); len(list) != 2 {
		t.Errorf("customers on the server: %v", list)
	}
	if users, _ := s.Ops.Users.List(t.Context(), "tok.example.com"); len(users) != 1 {
		t.Errorf("users on the server: %v", users)
	}
}

// A key the client refuses is reported at api_key, and an address it refuses at endpoint (see
// TestAccProvider_configErrors): Configure tells them apart by the client's error, not its words.
func TestAccProvider_keyNotUsable(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders,
		Steps: []resource.TestStep{{
			Config: `
provider "virtco" {
  endpoint = "http://127.0.0.1:1"
  api_key  = "vco_a\tb"
}

data "virtco_diag_accounts" "all" {}
`,
			PlanOnly: true,
			// the attribute's line, then the detail
			ExpectError: re(`api_key = "vco_a\tb" The API key from api_key is not usable: the API key contains white space ` +
				`or control characters (a trailing newline from a key file?). Check api_key / api_key_file (or VIRTCO_API_KEY / VIRTCO_API_KEY_FILE).`),
		}},
	})
}

// --- unit tests of the provider (no TF_ACC needed)

// The schemas are valid, complete and described: every attribute, nested ones included, has a
// description for the docs.
func TestSchemas(t *testing.T) {
	server := providerserver.NewProtocol6(&virtcoProvider{version: "test", env: testEnv(nil)})()
	resp, err := server.GetProviderSchema(t.Context(), &tfprotov6.GetProviderSchemaRequest{})
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

// Every example under examples/ is valid configuration for this provider (terraform validate).
func TestAccExamples(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it (make test does)")
	}
	t.Parallel()
	tf := acctest.TerraformCLI(t)
	root, err := servertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	env := acctest.CLIEnv(acctest.DevOverrides(t))
	dirs, err := filepath.Glob(filepath.Join(root, "examples", "*", "virtco_*"))
	if err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, filepath.Join(root, "examples", "provider"))
	if len(dirs) != 10 {
		t.Errorf("%d example directories, want 10 (provider, 3 resources, 4 data sources, 2 ephemeral resources)", len(dirs))
	}
	for _, dir := range dirs {
		work := t.TempDir()
		files, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(work, filepath.Base(f)), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if filepath.Base(dir) != "provider" {
			versions := acctest.RequiredProviders
			if err := os.WriteFile(filepath.Join(work, "versions.tf"), []byte(versions), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(tf, "validate", "-no-color")
		cmd.Dir, cmd.Env = work, env
		if out, err := cmd.CombinedOutput(); err != nil {
			rel, _ := filepath.Rel(root, dir)
			t.Errorf("%s: terraform validate: %v\n%s", rel, err, out)
		}
	}
}

// TF_LOG=trace terraform apply / plan / destroy, run as the real CLI against a provider binary
// built from this module (dev_overrides), print no key and no token: not the ops key, not the
// master token, not a user token, whether read from a file, created, read as data, or passed
// through an ephemeral resource into another provider's configuration.
func TestAccProvider_traceLogHasNoSecrets(t *testing.T) {
	s := startServer(t)
	ws := acctest.NewWorkspace(t, "TF_LOG=trace")
	emu := awsemu.NewServer(t, awsemu.Options{})
	// Temporary credentials, so that there is a session token the emulator accepts to look for.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}`
	if _, err := iam.NewFromConfig(awsemutest.Config(emu.URL, "123456789012")).CreateRole(t.Context(),
		&iam.CreateRoleInput{RoleName: aws.String("tracer"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	session, err := sts.NewFromConfig(awsemutest.Config(emu.URL, "123456789012")).AssumeRole(t.Context(),
		&sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/tracer"), RoleSessionName: aws.String("trace")})
	if err != nil {
		t.Fatal(err)
	}
	awsKey, awsSecret, awsToken := aws.ToString(session.Credentials.AccessKeyId), aws.ToString(session.Credentials.SecretAccessKey),
		aws.ToString(session.Credentials.SessionToken)
	pre := s.Provision("pre.example.com", "Diag3", "pat")
	master, err := s.Ops.MasterToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	keyFile := acctest.WriteFile(t, "apikey.txt", s.OpsKey+"\n", 0o600)
	ws.Write(fmt.Sprintf(`
provider "virtco" {
  endpoint     = %q
  api_key_file = %q
  aws {
    access_key = %q
    secret_key = %q
    token      = %q
    endpoints {
      iam = %q
      sts = %q
    }
  }
}

resource "virtco_customer" "acme" {
  name         = "trace.example.com"
  diag_account = "Diag3"
}

resource "virtco_aws_role" "r" {
  customer = virtco_customer.acme.name
}

resource "virtco_user" "u" {
  count        = 3
  customer     = virtco_customer.acme.name
  name         = "user${count.index}"
  rotate_token = { n = "1" }
}

data "virtco_master_token" "m" {}

ephemeral "virtco_master_token" "m" {}

ephemeral "virtco_user_token" "pat" {
  customer = "pre.example.com"
  name     = "pat"
}

provider "virtco" {
  alias    = "pat"
  endpoint = %q
  api_key  = ephemeral.virtco_user_token.pat.token
}

provider "virtco" {
  alias    = "manager"
  endpoint = %q
  api_key  = ephemeral.virtco_master_token.m.master_token
}

data "virtco_customer" "pat" {
  provider = virtco.pat
  name     = "pre.example.com"
}

data "virtco_diag_accounts" "manager" {
  provider = virtco.manager
}

output "users" {
  value = data.virtco_customer.pat.users
}

output "master_token" {
  value     = data.virtco_master_token.m.master_token
  sensitive = true
}
`, s.URL, keyFile, awsKey, awsSecret, awsToken, emu.URL, emu.URL, s.URL, s.URL))

	logs := map[string]string{}
	logs["apply"] = ws.MustRun("apply", "-auto-approve")
	// the secrets that exist now: the users' tokens, read back from the server before destroy
	secrets := map[string]string{"the ops key": s.OpsKey, "the master token": master, "pat's token": pre["pat"],
		"the AWS secret key": awsSecret, "the AWS session token": awsToken}
	if _, ok := emu.Emulator.Role("123456789012", "virtco-diagnostics-readonly"); !ok {
		t.Error("the role is not in the emulator after apply")
	}
	users, err := s.Ops.Users.List(t.Context(), "trace.example.com")
	if err != nil || len(users) != 3 {
		t.Fatalf("users on the server after apply: %v, %v", users, err)
	}
	for _, u := range users {
		secrets[u.Name+"'s token"] = u.Token
	}
	logs["plan"] = ws.MustRun("plan", "-detailed-exitcode")
	logs["destroy"] = ws.MustRun("destroy", "-auto-approve")

	for phase, out := range logs {
		// non-trivial: the trace log of Terraform, the provider's own log lines and its API calls
		// (main.go turns the loggers off only when neither TF_LOG nor TF_LOG_PROVIDER is set)
		if len(out) < 50_000 || !strings.Contains(out, "virtco API request") || !strings.Contains(out, "provider.terraform-provider-virtco") ||
			!strings.Contains(out, "@module=sdk.framework") || !strings.Contains(out, "@module=sdk.proto") {
			t.Errorf("%s: the output (%d bytes) does not look like a trace log with the provider's entries", phase, len(out))
		}
		for what, secret := range secrets {
			if secret == "" {
				t.Fatalf("%s is empty", what)
			}
			if i := strings.Index(out, secret); i >= 0 {
				t.Errorf("%s: the trace output holds %s, at: ...%s...", phase, what, around(out, i))
			}
		}
		if m := secretPattern.FindString(out); m != "" {
			t.Errorf("%s: the trace output holds something like a key (%.4s...) at: ...%s", phase, m, around(out, strings.Index(out, m)))
		}
	}
	for _, u := range users {
		c := acctest.NewClient(t, s.URL, u.Token)
		if _, err := c.Customers.List(t.Context()); err == nil {
			t.Errorf("%s's token still works after destroy", u.Name)
		}
	}
	if _, err := s.Ops.Customers.Get(t.Context(), "trace.example.com"); err == nil {
		t.Error("the customer is still on the server after destroy")
	}
	if _, ok := emu.Emulator.Role("123456789012", "virtco-diagnostics-readonly"); ok {
		t.Error("the role is still in the emulator after destroy")
	}
}

// around is what comes before a secret found at i, to say where it was.
func around(s string, i int) string {
	return s[max(i-200, 0):i] + "<here>"
}

// awaitVerdict waits until the platform has a verdict on the account.
func (s *testServer) awaitVerdict(customer, account string) error {
	_, err := s.AwaitVerdict(customer, account)
	return err
}
