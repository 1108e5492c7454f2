// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-framework/path"
)

var pathDir = path.Root("dir")

// store keeps each thing as a file named by its id that holds its name: a thing's whole state
// costs one small file operation, the least a provider that keeps anything can do.
type store struct{ dir string }

// errNotFound is a thing whose file is gone, which Read reports as a thing deleted outside
// Terraform.
var errNotFound = errors.New("no such thing")

func (s store) create(name string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	f, err := os.OpenFile(filepath.Join(s.dir, id), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(name); err != nil {
		_ = f.Close()
		return "", err
	}
	return id, f.Close()
}

func (s store) read(id string) (string, error) {
	file, err := s.file(id)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", errNotFound
	}
	return string(b), err
}

func (s store) update(id, name string) error {
	file, err := s.file(id)
	if err != nil {
		return err
	}
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return errNotFound
	}
	return os.WriteFile(file, []byte(name), 0o600)
}

func (s store) delete(id string) error {
	file, err := s.file(id)
	if err != nil {
		return err
	}
	err = os.Remove(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// file refuses an id that create could not have made, so that a state edited by hand cannot
// point the provider outside its directory.
func (s store) file(id string) (string, error) {
	if len(id) != 16 {
		return "", fmt.Errorf("id %q is not one this provider made (16 hexadecimal digits)", id)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", fmt.Errorf("id %q is not one this provider made (16 hexadecimal digits)", id)
	}
	return filepath.Join(s.dir, id), nil
}
