// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/virtasant/terraform-provider-virtco/internal/tfbench/localfiles"
)

// store keeps each object as a file that holds its whole state, in the msgpack Terraform and the
// framework exchange, named by a digest of its id (so that no id can point outside dir).
type store struct{ dir localfiles.Dir }

var pathID = tftypes.NewAttributePath().WithAttributeName("id")

func (s store) create(state tftypes.Value) error {
	name, err := fileName(state)
	if err != nil {
		return err
	}
	b, err := msgpack(state)
	if err != nil {
		return err
	}
	err = s.dir.Create(name, b)
	if errors.Is(err, fs.ErrExist) {
		return errors.New("an object with the same id exists already: two resources declare the same object")
	}
	return err
}

// read is the state kept for the object whose state Terraform has, of the same type, or
// localfiles.ErrNotFound.
func (s store) read(prior tftypes.Value) (tftypes.Value, error) {
	name, err := fileName(prior)
	if err != nil {
		return prior, err
	}
	b, err := s.dir.Read(name)
	if err != nil {
		return prior, err
	}
	return tfprotov6.DynamicValue{MsgPack: b}.Unmarshal(prior.Type())
}

// update replaces the object's file, and renames it if its id changed.
func (s store) update(prior, state tftypes.Value) error {
	from, err := fileName(prior)
	if err != nil {
		return err
	}
	to, err := fileName(state)
	if err != nil {
		return err
	}
	b, err := msgpack(state)
	if err != nil {
		return err
	}
	return s.dir.Update(from, to, b)
}

func (s store) delete(prior tftypes.Value) error {
	name, err := fileName(prior)
	if err != nil {
		return err
	}
	return s.dir.Delete(name)
}

func fileName(state tftypes.Value) (string, error) {
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
	return hex.EncodeToString(sum[:16]), nil
}

func msgpack(state tftypes.Value) ([]byte, error) {
	dv, err := tfprotov6.NewDynamicValue(state.Type(), state)
	return dv.MsgPack, err
}
