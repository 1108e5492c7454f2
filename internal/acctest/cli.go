// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package acctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/buildtest"
)

// The Terraform CLI as a person runs it: a subprocess, with a provider binary built from this
// module and found through a dev_overrides CLI configuration.

// RequiredProviders is the terraform block a configuration run by the CLI needs.
const RequiredProviders = `terraform {
  required_providers {
    virtco = { source = "virtasant/virtco" }
  }
}
`

// TerraformCLI is the terraform binary: TF_ACC_TERRAFORM_PATH, else the one on PATH.
func TerraformCLI(t *testing.T) string {
	t.Helper()
	if tf := os.Getenv("TF_ACC_TERRAFORM_PATH"); tf != "" {
		return tf
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		// A failure, not a skip: the acceptance tests are what proves the provider works.
		t.Fatal("no terraform CLI on PATH: the acceptance tests run the real Terraform CLI (1.11 or later); " +
			"put it on PATH or set TF_ACC_TERRAFORM_PATH")
	}
	return tf
}

// DevOverrides builds the provider (once per test process) and writes a CLI configuration that
// points Terraform at it.
func DevOverrides(t *testing.T) string {
	dir := filepath.Dir(buildtest.Binary(t, ".", "terraform-provider-virtco"))
	return WriteFile(t, "terraformrc", fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/virtasant/virtco" = %q
  }
  direct {}
}
`, dir), 0o600)
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
// combined output. The options it adds go before apply's plan file, which must come last.
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
