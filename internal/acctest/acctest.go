// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package acctest is the world the acceptance tests run in: a virtco-server process of their own
// (package servertest), the IAM/STS emulator (package awsemu, a test tool standing in for AWS,
// which these machines do not have), a proxy that makes the control plane fail on demand, and
// checks of what the server and the emulator hold after an apply or a destroy. It has no
// Terraform in it, so that the grant's tests (package rolegrant) and the provider's acceptance
// tests share it; the provider's tests turn its checks into Terraform test checks.
package acctest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	// Account is the customer's AWS account the tests act in.
	Account = "123456789012"
	// Diag3Account and Diag3Principal are Diag3 of DiagAccountsJSON.
	Diag3Account   = "111122223333"
	Diag3Principal = "arn:aws:iam::111122223333:role/virtco-collector"
)

// DiagAccountsJSON seeds every test server: Diag3 with a principal, Diag4 without.
const DiagAccountsJSON = `[
  {"name": "Diag3", "account_id": "111122223333", "region": "us-east-1", "status": "ready-for-use",
   "principal_arn": "arn:aws:iam::111122223333:role/virtco-collector"},
  {"name": "Diag4", "account_id": "444455556666", "region": "eu-west-1", "status": "ready-for-use"}
]`

// RoleARN is the ARN the emulator gives a role at path /.
func RoleARN(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

// WriteFile writes a file in a temp dir of the test and returns its path.
func WriteFile(t *testing.T, name, content string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	return p
}

// Words compiles a regexp that matches s across the line breaks Terraform wraps diagnostics at.
func Words(s string) *regexp.Regexp {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}

// IsolateAWSEnvironment keeps the developer's AWS settings out of the tests: no AWS_* variable, no
// shared config or credentials file, no instance metadata. Tests that need a variable set their
// own. Call it from TestMain.
func IsolateAWSEnvironment() {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			_ = os.Unsetenv(k)
		}
	}
	none := "/nonexistent/virtco-tests/aws"
	_ = os.Setenv("AWS_CONFIG_FILE", none+"/config")
	_ = os.Setenv("AWS_SHARED_CREDENTIALS_FILE", none+"/credentials")
	_ = os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}
