// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package secrets seals what the control plane must keep secret in its database (user tokens,
// the master token, the recorded answers that hold them) with AES-256-GCM, and indexes tokens by
// a keyed hash, under keys that live in a key file and never in the database. A copy of the
// database alone then yields no usable token (ARCHITECTURE.md, "Secrets at rest").
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// KeySize is the size of a key in the key file: 32 random bytes, from which the AES-256 key and
// the index key are derived.
const KeySize = 32

// sealedPrefix starts every sealed value, followed by the id of the key that sealed it, so that
// a value sealed under an older key still finds its key, and a value that is not sealed is told
// apart from one that is.
const sealedPrefix = "sealed:v1:"

// ErrNotSealed is a value that was stored before sealing: it is not in the sealed format.
var ErrNotSealed = errors.New("the value is not sealed")

// ErrCannotOpen is a sealed value that its key does not open: it was changed, or moved from
// another row, or sealed under another key of the same id.
var ErrCannotOpen = errors.New("the sealed value does not open with its key: it was altered or moved from another row")

// UnknownKeyError is a value sealed under a key that the keyring does not hold.
type UnknownKeyError struct {
	ID string
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("the value is sealed with key %q, which the key file does not hold", e.ID)
}

// idPattern is a key id: short, and free of the separators of the sealed format.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)

type key struct {
	id    string
	aead  cipher.AEAD
	index []byte // the HMAC-SHA256 key of Index
}

// Keyring is the keys of a key file. The last one seals; every one opens.
type Keyring struct {
	keys []*key
	byID map[string]*key
}

// New builds a keyring from raw keys in the key file's order: the last one seals. Ids must be
// 1-32 letters, digits or dashes, each once.
func New(ids []string, raw [][]byte) (*Keyring, error) {
	if len(ids) != len(raw) {
		return nil, errors.New("secrets: as many ids as keys are needed")
	}
	if len(ids) == 0 {
		return nil, errors.New("no key: the key file needs at least one line \"<id> <base64 of 32 random bytes>\"")
	}
	kr := &Keyring{byID: map[string]*key{}}
	for i, id := range ids {
		if !idPattern.MatchString(id) {
			return nil, fmt.Errorf("key id %q: an id is 1-32 letters, digits or dashes", id)
		}
		if kr.byID[id] != nil {
			return nil, fmt.Errorf("key id %q appears twice: each key needs an id of its own", id)
		}
		if len(raw[i]) != KeySize {
			return nil, fmt.Errorf("key %q is %d bytes; a key is %d random bytes", id, len(raw[i]), KeySize)
		}
		k, err := deriveKey(id, raw[i])
		if err != nil {
			return nil, err
		}
		kr.keys = append(kr.keys, k)
		kr.byID[id] = k
	}
	return kr, nil
}

// deriveKey makes the AES key and the index key two independent keys of one secret, so that
// neither reveals the other.
func deriveKey(id string, secret []byte) (*key, error) {
	encKey, err := hkdf.Key(sha256.New, secret, nil, "virtco-server sealing v1", 32)
	if err != nil {
		return nil, err
	}
	indexKey, err := hkdf.Key(sha256.New, secret, nil, "virtco-server token index v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &key{id: id, aead: aead, index: indexKey}, nil
}

// Generate returns a keyring of one new random key.
func Generate() *Keyring {
	id, secret := newKey()
	kr, err := New([]string{id}, [][]byte{secret})
	if err != nil {
		panic(err) // a generated id and key are always valid
	}
	return kr
}

// newKey returns a new key's id and secret. The id says when it was made, so that a key file's
// lines read as a history; the random suffix keeps two keys of one day apart.
func newKey() (string, []byte) {
	secret := make([]byte, KeySize)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails on supported platforms
	suffix := make([]byte, 2)
	_, _ = rand.Read(suffix)
	return time.Now().UTC().Format("20060102") + "-" + hex.EncodeToString(suffix), secret
}

// SealingKeyID is the id of the key that seals.
func (kr *Keyring) SealingKeyID() string { return kr.sealing().id }

// IDs are the ids of every key, in the key file's order.
func (kr *Keyring) IDs() []string {
	ids := make([]string, len(kr.keys))
	for i, k := range kr.keys {
		ids[i] = k.id
	}
	return ids
}

func (kr *Keyring) sealing() *key { return kr.keys[len(kr.keys)-1] }

// additionalData binds a ciphertext to its key id and to where it is stored, so that it opens
// nowhere else.
func additionalData(id, where string) []byte {
	return []byte("virtco sealed v1\x00" + id + "\x00" + where)
}

// Seal seals plaintext under the sealing key. where names the row and column the value is stored
// in (see Where): the sealed value opens only with the same where.
func (kr *Keyring) Seal(where string, plaintext []byte) string {
	k := kr.sealing()
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := k.aead.Seal(nonce, nonce, plaintext, additionalData(k.id, where))
	return sealedPrefix + k.id + ":" + base64.RawURLEncoding.EncodeToString(out)
}

// Open opens a value Seal sealed with the same where, under whichever key of the keyring sealed
// it. It fails with ErrNotSealed, an *UnknownKeyError or ErrCannotOpen.
func (kr *Keyring) Open(where, sealed string) ([]byte, error) {
	id, body, ok := split(sealed)
	if !ok {
		return nil, ErrNotSealed
	}
	k := kr.byID[id]
	if k == nil {
		return nil, &UnknownKeyError{ID: id}
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(raw) < k.aead.NonceSize()+k.aead.Overhead() {
		return nil, ErrCannotOpen
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], additionalData(id, where))
	if err != nil {
		return nil, ErrCannotOpen
	}
	return plain, nil
}

func split(sealed string) (id, body string, ok bool) {
	rest, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ":")
}

// IsSealed tells a sealed value from one stored before sealing.
func IsSealed(v string) bool {
	_, _, ok := split(v)
	return ok
}

// SealedPrefix is how every value sealed under the sealing key begins: a value that does not
// begin so is one to seal again (stored plain, or under an older key).
func (kr *Keyring) SealedPrefix() string { return sealedPrefix + kr.sealing().id + ":" }

// Index is the keyed hash (HMAC-SHA256) of a token under the sealing key, what the database
// looks a token up by: without the key, it neither reveals the token nor lets one be checked.
func (kr *Keyring) Index(token string) string { return index(kr.sealing(), token) }

// Indexes is the token's Index under every key, the sealing key's first, so that a token whose
// row an older key indexed is still found.
func (kr *Keyring) Indexes(token string) []string {
	out := make([]string, 0, len(kr.keys))
	out = append(out, kr.Index(token))
	for i := len(kr.keys) - 2; i >= 0; i-- {
		out = append(out, index(kr.keys[i], token))
	}
	return out
}

func index(k *key, token string) string {
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// Where names the place a sealed value is stored, from its table and column and the values that
// identify its row; the parts are separated by NUL, which none of them holds.
func Where(parts ...string) string { return strings.Join(parts, "\x00") }
