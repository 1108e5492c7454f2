// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package localfiles

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// An object whose id changed moves to the file of its new name, and a second object of the same
// name is refused rather than written over the first.
func TestDirUpdateMovesAnObjectWhoseNameChanged(t *testing.T) {
	d := Dir(t.TempDir())
	if err := d.Create("old", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := d.Create("old", []byte("other")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("a second create of one name: %v, want fs.ErrExist", err)
	}
	if err := d.Update("old", "new", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got, err := d.Read("new"); err != nil || string(got) != "v2" {
		t.Errorf("read of the new name = %q, %v; want v2", got, err)
	}
	if _, err := d.Read("old"); !errors.Is(err, ErrNotFound) {
		t.Errorf("read of the old name: %v, want ErrNotFound", err)
	}
	if left, _ := os.ReadDir(string(d)); len(left) != 1 {
		t.Errorf("%d files after the move, want 1", len(left))
	}
	if err := d.Update("old", "new", []byte("v3")); !errors.Is(err, ErrNotFound) {
		t.Errorf("update from a name that is gone: %v, want ErrNotFound", err)
	}
}
