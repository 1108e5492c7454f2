// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// store keeps each object as a file that holds its whole state, in the msgpack Terraform and the
// framework exchange, named by a digest of its id (so that no id can point outside dir).
type store struct{ dir string }

// errNotFound is an object whose file is gone, which Read reports as deleted outside Terraform.
var errNotFound = errors.New("no such object")

var pathID = tftypes.NewAttributePath().WithAttributeName("id")

func (s store) create(state tftypes.Value) error {
	file, err := s.file(state)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return errors.New("an object with the same id exists already: two resources declare the same object")
	}
	if err != nil {
		return err
	}
	if err := write(f, state); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// read is the state kept for the object whose state Terraform has, of the same type.
func (s store) read(prior tftypes.Value) (tftypes.Value, error) {
	file, err := s.file(prior)
	if err != nil {
		return prior, err
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return prior, errNotFound
	}
	if err != nil {
		return prior, err
	}
	return tfprotov6.DynamicValue{MsgPack: b}.Unmarshal(prior.Type())
}

// update replaces the object's file, and renames it if its id changed.
func (s store) update(prior, state tftypes.Value) error {
	from, err := s.file(prior)
	if err != nil {
		return err
	}
	to, err := s.file(state)
	if err != nil {
		return err
	}
	if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
		return errNotFound
	}
	f, err := os.Create(to)
	if err != nil {
		return err
	}
	if err := write(f, state); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil || from == to {
		return err
	}
	return os.Remove(from)
}

func (s store) delete(prior tftypes.Value) error {
	file, err := s.file(prior)
	if err != nil {
		return err
	}
	err = os.Remove(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (s store) file(state tftypes.Value) (string, error) {
	v, _, err := tftypes.WalkAttributePath(state, pathID)
	var id string
	if tv, ok := v.(tftypes.Value); ok && err == nil {
		err = tv.As(&id)
	}
	if err != nil {
		return "", fmt.Errorf("the object has no id to name its file by: %w", err)
	}
	if id == "" {
		return "", errors.New("the object has no id to name its file by: it is null or empty")
	}
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(s.dir, hex.EncodeToString(sum[:16])), nil
}

func write(f *os.File, state tftypes.Value) error {
	dv, err := tfprotov6.NewDynamicValue(state.Type(), state)
	if err != nil {
		return err
	}
	_, err = f.Write(dv.MsgPack)
	return err
}
