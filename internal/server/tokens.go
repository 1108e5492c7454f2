// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// Token prefixes: fixed, so that secret scanners can recognise a leaked key and say which kind.
const (
	UserTokenPrefix   = "vcu_"
	MasterTokenPrefix = "vcm_"
	OpsKeyPrefix      = "vco_"
)

func randomString(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// NewOpsKey returns a new random ops key.
func NewOpsKey() string { return randomString(OpsKeyPrefix) }

// NewMasterToken returns a new random master token.
func NewMasterToken() string { return randomString(MasterTokenPrefix) }

func newKeyID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func newUserKey() store.NewKey {
	return store.NewKey{KeyID: newKeyID(), Token: randomString(UserTokenPrefix)}
}
