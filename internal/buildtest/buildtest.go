// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package buildtest builds commands of this module for tests that run them as real processes:
// each package once per test process, into a temporary directory of its own that Cleanup removes.
package buildtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

type build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

var (
	mu     sync.Mutex
	builds = map[string]*build{}
)

// ModuleRoot is the module's root directory, the one with go.mod, found upwards from the working
// directory (go test runs a test in its package's directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("buildtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Binary builds the package pkg of this module, a path relative to the module root ("." for the
// root package, "./cmd/virtco-server"), into an executable called name, once per test process,
// and returns the executable's path. The executable is alone in its directory, filepath.Dir of
// the path. A failed build fails the test. Call Cleanup from TestMain to remove what was built.
func Binary(t testing.TB, pkg, name string) string {
	t.Helper()
	mu.Lock()
	b := builds[pkg+"\x00"+name]
	if b == nil {
		b = &build{}
		builds[pkg+"\x00"+name] = b
	}
	mu.Unlock()
	b.once.Do(func() { b.dir, b.path, b.err = goBuild(pkg, name) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func goBuild(pkg, name string) (dir, path string, err error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", "", err
	}
	if dir, err = os.MkdirTemp("", name+"-bin-"); err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", path, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return dir, "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return dir, path, nil
}

// Cleanup removes every executable Binary built in this test process; a later Binary builds
// again.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	for _, b := range builds {
		if b.dir != "" {
			_ = os.RemoveAll(b.dir)
		}
	}
	builds = map[string]*build{}
}
