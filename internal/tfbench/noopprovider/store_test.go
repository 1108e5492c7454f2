// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/tfbench/localfiles"
)

func TestStoreKeepsEachThingInAFileOfItsOwn(t *testing.T) {
	s := store{dir: localfiles.Dir(t.TempDir())}
	a, err := s.create("bench0.example.com")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.create("bench0.example.com/user1")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two things got one id, %s", a)
	}
	if got, _ := os.ReadFile(filepath.Join(string(s.dir), b)); string(got) != "bench0.example.com/user1" {
		t.Errorf("the file of %s holds %q", b, got)
	}
	if err := s.update(a, "renamed"); err != nil {
		t.Fatal(err)
	}
	if name, err := s.read(a); err != nil || name != "renamed" {
		t.Errorf("read after update = %q, %v; want renamed", name, err)
	}
	for _, id := range []string{a, b} {
		if err := s.delete(id); err != nil {
			t.Fatal(err)
		}
	}
	if left, _ := os.ReadDir(string(s.dir)); len(left) != 0 {
		t.Errorf("%d files left after deleting every thing", len(left))
	}
	// A thing whose file is gone was deleted outside Terraform: Read drops it, Delete is done.
	if _, err := s.read(a); !errors.Is(err, localfiles.ErrNotFound) {
		t.Errorf("read of a deleted thing: %v, want errNotFound", err)
	}
	if err := s.update(a, "x"); !errors.Is(err, localfiles.ErrNotFound) {
		t.Errorf("update of a deleted thing: %v, want errNotFound", err)
	}
	if err := s.delete(a); err != nil {
		t.Errorf("delete of a deleted thing: %v", err)
	}
}

func TestStoreRefusesIDsItDidNotMake(t *testing.T) {
	s := store{dir: localfiles.Dir(t.TempDir())}
	outside := filepath.Join(filepath.Dir(string(s.dir)), "victim")
	if err := os.WriteFile(outside, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "../victim", "0123456789abcdeg", "0123456789abcdef0"} {
		if _, err := s.read(id); err == nil || errors.Is(err, localfiles.ErrNotFound) {
			t.Errorf("read(%q) = %v, want a refusal", id, err)
		}
		if err := s.delete(id); err == nil {
			t.Errorf("delete(%q) succeeded", id)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the file outside the directory is gone: %v", err)
	}
}
