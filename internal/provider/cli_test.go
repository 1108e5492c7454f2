package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// Tests that run the real terraform CLI as a subprocess against a provider binary built from this
// module, as a person would: through a dev_overrides CLI configuration.

var providerBuild struct {
	once sync.Once
	dir  string
	err  error
}

// providerBinaryDir builds the provider once per test process and returns its directory.
func providerBinaryDir(t *testing.T) string {
	t.Helper()
	providerBuild.once.Do(func() {
		root, err := servertest.ModuleRoot()
		if err != nil {
			providerBuild.err = err
			return
		}
		if providerBuild.dir, err = os.MkdirTemp("", "terraform-provider-virtco-bin-"); err != nil {
			providerBuild.err = err
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(providerBuild.dir, "terraform-provider-virtco"), ".")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			providerBuild.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if providerBuild.err != nil {
		t.Fatal(providerBuild.err)
	}
	return providerBuild.dir
}

// devOverrides writes a CLI configuration that points Terraform at the built provider.
func devOverrides(t *testing.T) string {
	return writeFile(t, "terraformrc", fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/virtasant/virtco" = %q
  }
  direct {}
}
`, providerBinaryDir(t)), 0o600)
}

// cliEnv is the environment of a terraform subprocess: the test's, without VIRTCO_* and TF_*
// variables, with the given CLI configuration.
func cliEnv(cliConfig string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIRTCO_") && !strings.HasPrefix(kv, "TF_") {
			env = append(env, kv)
		}
	}
	return append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
}

func terraformCLI(t *testing.T) string {
	t.Helper()
	if tf := os.Getenv("TF_ACC_TERRAFORM_PATH"); tf != "" {
		return tf
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("no terraform CLI on PATH")
	}
	return tf
}

// Every example under examples/ is valid configuration for this provider (terraform validate).
func TestAccExamples(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it (make test does)")
	}
	t.Parallel()
	tf := terraformCLI(t)
	root, err := servertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	env := cliEnv(devOverrides(t))
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
			versions := "terraform {\n  required_providers {\n    virtco = { source = \"virtasant/virtco\" }\n  }\n}\n"
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
	tf := terraformCLI(t)
	emu := awsemu.NewServer(t, awsemu.Options{})
	const awsSecret, awsToken = "aws-secret-key-never-logged-7f3a", "aws-session-token-never-logged-9c1d"
	pre := s.provision(t, "pre.example.com", "Diag3", "pat")
	master, err := s.ops.MasterToken(ctx)
	if err != nil {
		t.Fatal(err)
	}

	work := t.TempDir()
	cliConfig := devOverrides(t)
	keyFile := writeFile(t, "apikey.txt", s.OpsKey+"\n", 0o600)
	config := fmt.Sprintf(`
terraform {
  required_providers {
    virtco = { source = "virtasant/virtco" }
  }
}

provider "virtco" {
  endpoint     = %q
  api_key_file = %q
  aws {
    access_key = "123456789012"
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
`, s.URL, keyFile, awsSecret, awsToken, emu.URL, emu.URL, s.URL, s.URL)
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	env := append(cliEnv(cliConfig), "TF_LOG=trace")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(tf, args...)
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, tail(string(out), 4000))
		}
		return string(out)
	}

	logs := map[string]string{}
	logs["apply"] = run("apply", "-auto-approve", "-no-color")
	// the secrets that exist now: the users' tokens, read back from the server before destroy
	secrets := map[string]string{"the ops key": s.OpsKey, "the master token": master, "pat's token": pre["pat"],
		"the AWS secret key": awsSecret, "the AWS session token": awsToken}
	if _, ok := emu.Emulator.Role("123456789012", "virtco-diagnostics-readonly"); !ok {
		t.Error("the role is not in the emulator after apply")
	}
	users, err := s.ops.Users.List(ctx, "trace.example.com")
	if err != nil || len(users) != 3 {
		t.Fatalf("users on the server after apply: %v, %v", users, err)
	}
	for _, u := range users {
		secrets[u.Name+"'s token"] = u.Token
	}
	logs["plan"] = run("plan", "-no-color", "-detailed-exitcode")
	logs["destroy"] = run("destroy", "-auto-approve", "-no-color")

	for phase, out := range logs {
		// non-trivial: the trace log of Terraform, the provider's own log lines and its API calls
		if len(out) < 50_000 || !strings.Contains(out, "virtco API request") || !strings.Contains(out, "provider.terraform-provider-virtco") {
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
		c := newClient(t, s.URL, u.Token)
		if _, err := c.Customers.List(ctx); err == nil {
			t.Errorf("%s's token still works after destroy", u.Name)
		}
	}
	if _, err := s.ops.Customers.Get(ctx, "trace.example.com"); err == nil {
		t.Error("the customer is still on the server after destroy")
	}
	if roles := emu.Emulator.Roles("123456789012"); len(roles) != 0 {
		t.Error("the role is still in the emulator after destroy")
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// around is what comes before a secret found at i, to say where it was.
func around(s string, i int) string {
	return s[max(i-200, 0):i] + "<here>"
}
