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
		t.Skip("no terraform CLI on PATH")
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
