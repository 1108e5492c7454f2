// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/virtasant/terraform-provider-virtco/internal/tfbench/localfiles"
)

// store keeps each thing as a file named by its id that holds its name: a thing's whole state
// costs one small file operation, the least a provider that keeps anything can do.
type store struct{ dir localfiles.Dir }

func (s store) create(name string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)
	return id, s.dir.Create(id, []byte(name))
}

// read answers localfiles.ErrNotFound for a thing whose file is gone.
func (s store) read(id string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	b, err := s.dir.Read(id)
	return string(b), err
}

func (s store) update(id, name string) error {
	if err := checkID(id); err != nil {
		return err
	}
	return s.dir.Update(id, id, []byte(name))
}

func (s store) delete(id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	return s.dir.Delete(id)
}

// checkID refuses an id that create could not have made, so that a state edited by hand cannot
// point the provider outside its directory.
func checkID(id string) error {
	if _, err := hex.DecodeString(id); err != nil || len(id) != 16 {
		return fmt.Errorf("id %q is not one this provider made (16 hexadecimal digits)", id)
	}
	return nil
}
