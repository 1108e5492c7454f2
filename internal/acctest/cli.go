// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package acctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/buildtest"
)

// The Terraform CLI as a person runs it: a subprocess, with a provider binary built from this
// module and found through a dev_overrides CLI configuration. The CLI is Terraform or OpenTofu
// (TF_ACC_TERRAFORM_PATH): both run the same tests, and the few things they do differently are
// asked of CLI.

// RequiredProviders is the terraform block a configuration run by the CLI needs.
const RequiredProviders = `terraform {
  required_providers {
    virtco = { source = "virtasant/virtco" }
  }
}
`

// TerraformCLI is the CLI the acceptance tests run: TF_ACC_TERRAFORM_PATH (the terraform or the
// tofu binary), else terraform on PATH.
func TerraformCLI(t *testing.T) string {
	t.Helper()
	if tf := os.Getenv("TF_ACC_TERRAFORM_PATH"); tf != "" {
		return tf
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		// A failure, not a skip: the acceptance tests are what proves the provider works.
		t.Fatal("no terraform CLI on PATH: the acceptance tests run the real Terraform CLI (1.11 or later) or OpenTofu " +
			"(1.11 or later); put terraform on PATH or set TF_ACC_TERRAFORM_PATH (make tofu prints OpenTofu's path)")
	}
	return tf
}

// CLIInfo is what the CLI says it is.
type CLIInfo struct {
	// OpenTofu is true for OpenTofu, false for Terraform.
	OpenTofu bool
	// Version is the version it prints, without the "v" ("1.11.4").
	Version string
}

// Name is "OpenTofu" or "Terraform".
func (c CLIInfo) Name() string {
	if c.OpenTofu {
		return "OpenTofu"
	}
	return "Terraform"
}

// RegistryHost is the host a provider source without one ("virtasant/virtco") means to this CLI:
// the registry of each CLI is its default, so the provider's address, and the dev_overrides entry
// that must match it, differ between them.
func (c CLIInfo) RegistryHost() string {
	if c.OpenTofu {
		return "registry.opentofu.org"
	}
	return "registry.terraform.io"
}

var (
	cliMu    sync.Mutex
	cliInfos = map[string]CLIInfo{}
)

// CLI runs the acceptance tests' CLI once per test process to learn which it is, from the line
// of its version that names it: "Terraform v1.11.4" or "OpenTofu v1.12.6".
func CLI(t *testing.T) CLIInfo {
	t.Helper()
	path := TerraformCLI(t)
	cliMu.Lock()
	defer cliMu.Unlock()
	if info, ok := cliInfos[path]; ok {
		return info
	}
	cmd := exec.Command(path, "version")
	cmd.Env = CLIEnv(os.DevNull)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s version: %v", path, err)
	}
	// Warnings about the CLI configuration may come first, on stdout.
	var info CLIInfo
	for line := range strings.Lines(string(out)) {
		name, v, _ := strings.Cut(strings.TrimSpace(line), " v")
		if name == "Terraform" || name == "OpenTofu" {
			info = CLIInfo{OpenTofu: name == "OpenTofu", Version: v}
			break
		}
	}
	if info.Version == "" {
		t.Fatalf("%s version printed neither Terraform's nor OpenTofu's version:\n%s", path, out)
	}
	cliInfos[path] = info
	return info
}

// CheckProviderHost fails the test when terraform-plugin-testing would give the in-process
// provider an address the CLI does not look for: under OpenTofu, TF_ACC_PROVIDER_HOST must be
// its registry, or every step fails with an error that does not say why. OpenTofu's advice to
// provider developers also sets TF_ACC_PROVIDER_NAMESPACE=hashicorp; without it the framework
// offers the provider under both "-" and "hashicorp", which OpenTofu accepts as well.
func CheckProviderHost(t *testing.T) {
	t.Helper()
	cli := CLI(t)
	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		host = "registry.terraform.io"
	}
	if host != cli.RegistryHost() {
		t.Fatalf("the acceptance tests run %s (%s), whose providers are at %s, but TF_ACC_PROVIDER_HOST is %q: "+
			"set TF_ACC_PROVIDER_HOST=%s TF_ACC_PROVIDER_NAMESPACE=hashicorp (make test does)",
			cli.Name(), TerraformCLI(t), cli.RegistryHost(), os.Getenv("TF_ACC_PROVIDER_HOST"), cli.RegistryHost())
	}
}

// DevOverrides builds the provider (once per test process) and writes a CLI configuration that
// points the CLI at it, at the address the CLI gives "virtasant/virtco".
func DevOverrides(t *testing.T) string {
	host := CLI(t).RegistryHost()
	dir := filepath.Dir(buildtest.Binary(t, ".", "terraform-provider-virtco"))
	return WriteFile(t, "terraformrc", fmt.Sprintf(`provider_installation {
  dev_overrides {
    "%s/virtasant/virtco" = %q
  }
  direct {}
}
`, host, dir), 0o600)
}

// CLIEnv is the environment of a terraform subprocess: the test's, without VIRTCO_* and TF_*
// variables, with the given CLI configuration.
func CLIEnv(cliConfig string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIRTCO_") && !strings.HasPrefix(kv, "TF_") {
			env = append(env, kv)
		}
	}
	return append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
}

// Workspace is a directory the Terraform CLI runs in, as a person runs it: the provider built from
// this module through a dev_overrides CLI configuration, and no VIRTCO_* or TF_* variable of the
// test's environment.
type Workspace struct {
	Dir string
	t   *testing.T
	tf  string
	env []string
}

// NewWorkspace is an empty workspace; extraEnv is NAME=value.
func NewWorkspace(t *testing.T, extraEnv ...string) *Workspace {
	t.Helper()
	return &Workspace{Dir: t.TempDir(), t: t, tf: TerraformCLI(t), env: append(CLIEnv(DevOverrides(t)), extraEnv...)}
}

// Write puts config in the workspace's main.tf, after the terraform block.
func (w *Workspace) Write(config string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.Dir, "main.tf"), []byte(RequiredProviders+config), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// Run runs terraform with args (and -no-color, and -input=false where it applies) and returns its
// combined output. The options it adds go before apply's plan file and import's address and id,
// which must come last.
func (w *Workspace) Run(args ...string) (string, error) {
	added := []string{"-no-color"}
	switch args[0] {
	case "plan", "apply", "destroy", "refresh", "import":
		added = append(added, "-input=false")
	}
	at := len(args)
	if last := args[len(args)-1]; args[0] == "apply" && len(args) > 1 && !strings.HasPrefix(last, "-") {
		at--
	}
	if args[0] == "import" {
		at = 1 // before ADDR and ID, which must come last
	}
	args = append(append(args[:at:at], added...), args[at:]...)
	cmd := exec.Command(w.tf, args...)
	cmd.Dir, cmd.Env = w.Dir, w.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// MustRun is Run that fails the test when terraform fails.
func (w *Workspace) MustRun(args ...string) string {
	w.t.Helper()
	out, err := w.Run(args...)
	if err != nil {
		w.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, Tail(out, 4000))
	}
	return out
}

// Tail is the end of s, at most n bytes, for failure messages.
func Tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
