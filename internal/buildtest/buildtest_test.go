// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package buildtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("%s has no go.mod: %v", root, err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "buildtest")); err != nil {
		t.Fatalf("%s is not this module's root: %v", root, err)
	}
}

func TestBinaryBuildsOnceAndCleanupRemoves(t *testing.T) {
	path := Binary(t, "./internal/buildtest/testdata/hello", "hello")
	if again := Binary(t, "./internal/buildtest/testdata/hello", "hello"); again != path {
		t.Errorf("second Binary = %s, want the first build %s", again, path)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 || entries[0].Name() != "hello" {
		t.Errorf("the binary's directory holds %v (%v), want only hello", entries, err)
	}
	out, err := exec.Command(path).Output()
	if err != nil || strings.TrimSpace(string(out)) != "hello from buildtest" {
		t.Fatalf("running the binary: %q, %v", out, err)
	}
	Cleanup()
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("after Cleanup the directory is still there: %v", err)
	}
	if rebuilt := Binary(t, "./internal/buildtest/testdata/hello", "hello"); rebuilt == path {
		t.Errorf("Binary after Cleanup returned the removed path %s", rebuilt)
	}
}
