// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package localfiles

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir keeps each object in a file of its own, named by the resource (a name it made, never a
// path from a state, so that no state can point it outside the directory): each of its
// operations is one small file operation or two, the least a provider that keeps anything can do.
type Dir string

// ErrNotFound is an object whose file is gone, which Read reports as deleted outside Terraform.
var ErrNotFound = errors.New("no such object")

// Create writes a new file; if name exists already, the error is fs.ErrExist.
func (d Dir) Create(name string, content []byte) error {
	f, err := os.OpenFile(d.path(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// Read is the content of the file name, or ErrNotFound.
func (d Dir) Read(name string) ([]byte, error) {
	b, err := os.ReadFile(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return b, err
}

// Update replaces the file from with the file to (the same name, or a new one for an object
// whose id changed), or answers ErrNotFound if from is gone.
func (d Dir) Update(from, to string, content []byte) error {
	if _, err := os.Stat(d.path(from)); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	if err := os.WriteFile(d.path(to), content, 0o600); err != nil || from == to {
		return err
	}
	return os.Remove(d.path(from))
}

// Delete removes the file name; one already gone is deleted too.
func (d Dir) Delete(name string) error {
	err := os.Remove(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (d Dir) path(name string) string { return filepath.Join(string(d), name) }
