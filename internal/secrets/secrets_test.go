// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package secrets

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func mustParse(t *testing.T, file string) *Keyring {
	t.Helper()
	kr, err := ParseKeyFile([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestSealOpen(t *testing.T) {
	kr := Generate()
	where := Where("users.token", "acme.com", "joe")
	sealed := kr.Seal(where, []byte("vcu_secret"))
	if strings.Contains(sealed, "vcu_secret") || !IsSealed(sealed) || !strings.HasPrefix(sealed, kr.SealedPrefix()) {
		t.Fatalf("sealed: %s", sealed)
	}
	if again := kr.Seal(where, []byte("vcu_secret")); again == sealed {
		t.Fatal("sealing twice gave the same value: the nonce is not random")
	}
	plain, err := kr.Open(where, sealed)
	if err != nil || string(plain) != "vcu_secret" {
		t.Fatalf("open: %q %v", plain, err)
	}
	// Another row, or another column, does not open it: a ciphertext cannot be moved.
	for _, other := range []string{Where("users.token", "acme.com", "ann"), Where("users.token", "acme.co", "mjoe"), Where("settings.value", "acme.com", "joe")} {
		if _, err := kr.Open(other, sealed); !errors.Is(err, ErrCannotOpen) {
			t.Errorf("opened at %q: %v", other, err)
		}
	}
	// Any change to the value is found.
	for i := len(kr.SealedPrefix()); i < len(sealed); i++ {
		b := []byte(sealed)
		b[i] ^= 1
		if _, err := kr.Open(where, string(b)); !errors.Is(err, ErrCannotOpen) {
			t.Fatalf("a value changed at byte %d: %v", i, err)
		}
	}
	if _, err := kr.Open(where, "vcu_plain"); !errors.Is(err, ErrNotSealed) || IsSealed("vcu_plain") {
		t.Fatalf("a plain value: %v", err)
	}
	// Another keyring does not open it, and says which key it needs.
	var unknown *UnknownKeyError
	if _, err := Generate().Open(where, sealed); !errors.As(err, &unknown) || unknown.ID != kr.SealingKeyID() {
		t.Fatalf("another keyring: %v", err)
	}
}

// TestRotation: with a key added, what the old key sealed still opens, new values are sealed
// with the new key, and a token is found by its index under either key.
func TestRotation(t *testing.T) {
	content, old := NewKeyFile()
	both := mustParse(t, string(content)+"# added later\n\n"+NewKeyLine())
	if ids := both.IDs(); len(ids) != 2 || ids[0] != old.SealingKeyID() || both.SealingKeyID() != ids[1] {
		t.Fatalf("ids %v, sealing %s", ids, both.SealingKeyID())
	}
	where := Where("settings.value", "master_token")
	byOld := old.Seal(where, []byte("vcm_token"))
	if p, err := both.Open(where, byOld); err != nil || string(p) != "vcm_token" {
		t.Fatalf("the old key's value: %q %v", p, err)
	}
	byNew := both.Seal(where, []byte("vcm_token"))
	if !strings.HasPrefix(byNew, "sealed:v1:"+both.SealingKeyID()+":") {
		t.Fatalf("not sealed with the newest key: %s", byNew)
	}
	idx := both.Indexes("vcu_x")
	if len(idx) != 2 || idx[0] != both.Index("vcu_x") || idx[1] != old.Index("vcu_x") || idx[0] == idx[1] {
		t.Fatalf("indexes %v", idx)
	}
	if old.Index("vcu_x") == old.Index("vcu_y") || Generate().Index("vcu_x") == old.Index("vcu_x") {
		t.Fatal("the index does not depend on the token and the key")
	}
}

func TestParseKeyFile(t *testing.T) {
	content, _ := NewKeyFile()
	if !bytes.HasPrefix(content, []byte("# virtco-server sealing keys")) {
		t.Fatalf("a new key file explains itself: %s", content)
	}
	line := strings.Fields(NewKeyLine())
	for _, c := range []struct{ file, says string }{
		{"", "no key"},
		{"# only a comment\n", "no key"},
		{"k1\n", `line 1 is not "<id> <base64 of 32 random bytes>"`},
		{"k1 " + line[1] + " extra\n", "line 1 is not"},
		{"\nk1 c2hvcnQ=\n", `line 2: the key of "k1" is not the base64 of 32 bytes`},
		{"k.1 " + line[1] + "\n", `key id "k.1": an id is 1-32 letters, digits or dashes`},
		{"k1 " + line[1] + "\nk1 " + line[1] + "\n", `key id "k1" appears twice`},
	} {
		if _, err := ParseKeyFile([]byte(c.file)); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v, want %q", c.file, err, c.says)
		}
	}
}

// BenchmarkKeyring is what sealing adds to a request, in CPU time: a token sealed (PUT user), a
// token opened (every user a read returns, a user token's authentication) and a token's index
// under two keys (a user token's authentication during a rotation).
func BenchmarkKeyring(b *testing.B) {
	content, _ := NewKeyFile()
	kr, err := ParseKeyFile([]byte(string(content) + NewKeyLine()))
	if err != nil {
		b.Fatal(err)
	}
	where := Where("users.token", "acme.com", "joe")
	token := "vcu_" + strings.Repeat("x", 43)
	sealed := kr.Seal(where, []byte(token))
	b.Run("Seal", func(b *testing.B) {
		for b.Loop() {
			kr.Seal(where, []byte(token))
		}
	})
	b.Run("Open", func(b *testing.B) {
		for b.Loop() {
			if _, err := kr.Open(where, sealed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Indexes", func(b *testing.B) {
		for b.Loop() {
			kr.Indexes(token)
		}
	})
}
