// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
	"github.com/virtasant/terraform-provider-virtco/internal/secrets"
)

// The sealing tests open one database more than once, with different keys, so each gets a way to
// make a new database rather than a store.
func TestSealingSQLite(t *testing.T) {
	runSealing(t, func(t testing.TB) string { return filepath.Join(t.TempDir(), "virtco.db") })
}

func TestSealingPostgres(t *testing.T) {
	pg := pgtest.Shared(t)
	runSealing(t, pg.NewDatabase)
}

func runSealing(t *testing.T, newDB func(t testing.TB) string) {
	tests := map[string]func(t *testing.T, db string){
		"NothingInTheClear": testNothingInTheClear,
		"MovedValue":        testMovedValue,
		"MigratePlain":      testMigratePlain,
		"KeyRotation":       testKeyRotation,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) { fn(t, newDB(t)) })
	}
}

// testKeys is a keyring of the given key ids, the last one sealing; an id is the same key in
// every keyring of the test process.
func testKeys(t *testing.T, ids ...string) *secrets.Keyring {
	t.Helper()
	var file strings.Builder
	for _, id := range ids {
		secret := sha256.Sum256([]byte("the test key " + id))
		file.WriteString(secrets.KeyLine(id, secret[:]))
	}
	kr, err := secrets.ParseKeyFile([]byte(file.String()))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func openWith(t *testing.T, db string, keys *secrets.Keyring) *sqlStore {
	t.Helper()
	s, err := Open(t.Context(), db, WithKeys(keys))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s.(*sqlStore)
}

// storedSecrets is every stored value that holds a secret, as the database has it.
func storedSecrets(t *testing.T, s *sqlStore) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.read(t.Context(), func(tx tx) error {
		for _, q := range []string{
			`SELECT 'user ' || customer || '/' || name, token FROM users`,
			`SELECT 'index ' || customer || '/' || name, token_hash FROM users`,
			`SELECT 'setting ' || name, value FROM settings`,
			`SELECT 'answer header ' || idem_key, header FROM idempotency_keys`,
		} {
			rows, err := queryAll(t.Context(), tx, func(sc scanner) ([2]string, error) {
				var kv [2]string
				err := sc.Scan(&kv[0], &kv[1])
				return kv, err
			}, q)
			if err != nil {
				return err
			}
			for _, kv := range rows {
				out[kv[0]] = kv[1]
			}
		}
		bodies, err := queryAll(t.Context(), tx, func(sc scanner) ([2]string, error) {
			var k string
			var body []byte
			err := sc.Scan(&k, &body)
			return [2]string{k, string(body)}, err
		}, `SELECT idem_key, body FROM idempotency_keys`)
		for _, kv := range bodies {
			out["answer body "+kv[0]] = kv[1]
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkSealed fails unless every stored secret is sealed with the key sealedWith, and none holds
// any of tokens.
func checkSealed(t *testing.T, s *sqlStore, sealedWith string, tokens ...string) {
	t.Helper()
	for where, v := range storedSecrets(t, s) {
		for _, tok := range tokens {
			if strings.Contains(v, tok) || strings.Contains(v, tokenSHA256(tok)) {
				t.Errorf("%s holds a token or its plain hash: %s", where, v)
			}
		}
		if !strings.HasPrefix(where, "index ") && !strings.HasPrefix(v, "sealed:v1:"+sealedWith+":") {
			t.Errorf("%s is not sealed with key %s: %.40s", where, sealedWith, v)
		}
	}
}

// tokenSHA256 is how a version before sealing indexed a token.
func tokenSHA256(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// provision writes a customer, users (one rotated, one deleted), the master token and a recorded
// answer that holds a token; it returns every token it made.
func provision(t *testing.T, s Store) []string {
	t.Helper()
	ctx := t.Context()
	mustCustomer(t, s, "acme.com", "")
	for i, u := range []string{"joe", "ann", "bob"} {
		if _, _, err := s.PutUser(ctx, "acme.com", u, key(i), Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RotateUser(ctx, "acme.com", "joe", key(10), Precondition{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "acme.com", "bob", Precondition{}); err != nil {
		t.Fatal(err)
	}
	kctx, _ := idemCtx(ctx, idem("ops", "k-eve", "PUT eve"), "user.put")
	if _, _, err := s.PutUser(kctx, "acme.com", "eve", key(11), Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MasterToken(ctx, "vcm_first-master-token"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMasterToken(ctx, "vcm_second-master-token"); err != nil {
		t.Fatal(err)
	}
	return []string{key(0).Token, key(1).Token, key(2).Token, key(10).Token, key(11).Token, "vcm_first-master-token", "vcm_second-master-token"}
}

func testNothingInTheClear(t *testing.T, db string) {
	ctx := t.Context()
	s := openWith(t, db, testKeys(t, "k1"))
	tokens := provision(t, s)
	checkSealed(t, s, "k1", tokens...)

	// What is sealed still works: tokens authenticate, the master token reads, an answer replays.
	for _, tok := range []string{key(10).Token, key(1).Token, key(11).Token} {
		if _, err := s.UserByToken(ctx, tok); err != nil {
			t.Errorf("token %s: %v", tok, err)
		}
	}
	for _, dead := range []string{key(0).Token, key(2).Token} {
		if _, err := s.UserByToken(ctx, dead); !errors.Is(err, ErrNotFound) {
			t.Errorf("a rotated or deleted token authenticates: %v", err)
		}
	}
	if tok, err := s.ReadMasterToken(ctx); err != nil || tok != "vcm_second-master-token" {
		t.Fatalf("master token: %q %v", tok, err)
	}
	kctx, _ := idemCtx(ctx, idem("ops", "k-eve", "PUT eve"), "user.put")
	var replay *ReplayError
	if _, _, err := s.PutUser(kctx, "acme.com", "eve", key(12), Precondition{}); !errors.As(err, &replay) ||
		!bytes.Contains(replay.Answer.Body, []byte(key(11).Token)) || replay.Answer.Header["X-Token"] != key(11).Token {
		t.Fatalf("the sealed answer does not replay: %v", err)
	}

	// SQLite: no token in the bytes of the file or its WAL, deleted and rotated ones included.
	if !IsPostgresURL(db) {
		for _, f := range []string{db, db + "-wal"} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range tokens {
				if bytes.Contains(b, []byte(tok)) {
					t.Errorf("%s holds token %s", filepath.Base(f), tok)
				}
			}
		}
	}
}

// testMovedValue: a sealed value copied to another row, where it would grant its access, does
// not open there.
func testMovedValue(t *testing.T, db string) {
	ctx := t.Context()
	s := openWith(t, db, testKeys(t, "k1"))
	provision(t, s)
	err := s.write(ctx, func(t tx) error {
		if _, err := t.exec(ctx, `UPDATE users SET token = (SELECT token FROM users WHERE name = 'ann') WHERE name = 'joe'`); err != nil {
			return err
		}
		_, err := t.exec(ctx, `UPDATE settings SET value = (SELECT token FROM users WHERE name = 'ann') WHERE name = 'master_token'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(ctx, "acme.com", "joe"); !errors.Is(err, secrets.ErrCannotOpen) {
		t.Fatalf("ann's sealed token opened as joe's: %v", err)
	}
	if _, err := s.ReadMasterToken(ctx); !errors.Is(err, secrets.ErrCannotOpen) {
		t.Fatalf("ann's sealed token opened as the master token: %v", err)
	}
	if u, err := s.UserByToken(ctx, key(1).Token); err != nil || u.Name != "ann" {
		t.Fatalf("ann herself: %+v %v", u, err)
	}
}

// writePlain writes what a version before sealing wrote: tokens and the master token in the
// clear, tokens indexed by their SHA-256, and a recorded answer in the clear. n users, so that
// sealing them takes more than one batch.
func writePlain(t *testing.T, s *sqlStore, n int) []string {
	t.Helper()
	ctx := t.Context()
	mustCustomer(t, s, "acme.com", "")
	var tokens []string
	err := s.write(ctx, func(t tx) error {
		for i := 0; i < n; i++ {
			k := key(1000 + i)
			if _, err := t.exec(ctx, `INSERT INTO users (customer, name, key_id, token, token_hash, created_at, updated_at)
				VALUES ('acme.com', ?, ?, ?, ?, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')`,
				fmt.Sprintf("old%03d", i), k.KeyID, k.Token, tokenSHA256(k.Token)); err != nil {
				return err
			}
			tokens = append(tokens, k.Token)
		}
		if _, err := t.exec(ctx, `INSERT INTO settings (name, value) VALUES ('master_token', 'vcm_plain-master-token')
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`); err != nil {
			return err
		}
		_, err := t.exec(ctx, `INSERT INTO idempotency_keys (scope, idem_key, fingerprint, created_at, status, header, body)
			VALUES ('ops', 'k-old', 'PUT old000', ?, 201, ?, ?)`, fmtTime(s.now()),
			`{"X-Token":"`+tokens[0]+`"}`, []byte(`{"token":"`+tokens[0]+`"}`))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return append(tokens, "vcm_plain-master-token")
}

// testMigratePlain: a database written before sealing is sealed when it is opened, in batches,
// and every token still works; opening it again seals nothing more.
func testMigratePlain(t *testing.T, db string) {
	ctx := t.Context()
	old := openWith(t, db, testKeys(t, "k1"))
	tokens := writePlain(t, old, 2*sealBatch+7)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s := openWith(t, db, testKeys(t, "k1"))
	checkSealed(t, s, "k1", tokens...)
	for i, tok := range tokens[:len(tokens)-1] {
		if u, err := s.UserByToken(ctx, tok); err != nil || u.Name != fmt.Sprintf("old%03d", i) || u.Token != tok {
			t.Fatalf("old token %d: %+v %v", i, u, err)
		}
	}
	if tok, err := s.ReadMasterToken(ctx); err != nil || tok != "vcm_plain-master-token" {
		t.Fatalf("master token: %q %v", tok, err)
	}
	kctx, _ := idemCtx(ctx, idem("ops", "k-old", "PUT old000"), "user.put")
	var replay *ReplayError
	if _, _, err := s.PutUser(kctx, "acme.com", "old000", key(1), Precondition{}); !errors.As(err, &replay) || replay.Answer.Header["X-Token"] != tokens[0] {
		t.Fatalf("the answer recorded before sealing does not replay: %v", err)
	}
	if !IsPostgresURL(db) {
		for _, f := range []string{db, db + "-wal"} {
			b, _ := os.ReadFile(f)
			for _, tok := range tokens {
				if bytes.Contains(b, []byte(tok)) {
					t.Fatalf("%s still holds token %s after sealing", filepath.Base(f), tok)
				}
			}
		}
	}

	// Sealing is done once: opening again changes nothing.
	before := storedSecrets(t, s)
	r, err := s.sealAtRest(ctx, s.wdb)
	if err != nil || r.plain+r.resealed != 0 {
		t.Fatalf("sealing again: %+v %v", r, err)
	}
	again := openWith(t, db, testKeys(t, "k1"))
	for where, v := range storedSecrets(t, again) {
		if before[where] != v {
			t.Errorf("%s changed on a second open", where)
		}
	}
}

// testKeyRotation: with a second key added, what the first sealed still opens and its tokens
// authenticate, new values are sealed with the second, and a start seals the old rows again, so
// that the first key can then be removed; a key removed too early stops the start.
func testKeyRotation(t *testing.T, db string) {
	ctx := t.Context()
	one := openWith(t, db, testKeys(t, "k1"))
	mustCustomer(t, one, "acme.com", "")
	if _, _, err := one.PutUser(ctx, "acme.com", "joe", key(1), Precondition{}); err != nil {
		t.Fatal(err)
	}
	both := openWith(t, db, testKeys(t, "k1", "k2"))
	// A server not yet given the new key writes on, sealing with the first.
	if _, _, err := one.PutUser(ctx, "acme.com", "ann", key(2), Precondition{}); err != nil {
		t.Fatal(err)
	}
	if stored := storedSecrets(t, both)["user acme.com/ann"]; !strings.HasPrefix(stored, "sealed:v1:k1:") {
		t.Fatalf("ann: %.20s", stored)
	}
	for _, k := range []NewKey{key(1), key(2)} {
		if u, err := both.UserByToken(ctx, k.Token); err != nil || u.Token != k.Token {
			t.Fatalf("a row the first key sealed: %+v %v", u, err)
		}
	}
	if _, _, err := both.PutUser(ctx, "acme.com", "bob", key(3), Precondition{}); err != nil {
		t.Fatal(err)
	}
	if stored := storedSecrets(t, both)["user acme.com/bob"]; !strings.HasPrefix(stored, "sealed:v1:k2:") {
		t.Fatalf("a new row is not sealed with the new key: %.20s", stored)
	}
	if _, err := one.GetUser(ctx, "acme.com", "bob"); err == nil {
		t.Fatal("a keyring without the new key opened what it sealed")
	}

	// A start with both keys seals everything with the second; then the first can go.
	_ = one.Close()
	_ = both.Close()
	checkSealed(t, openWith(t, db, testKeys(t, "k1", "k2")), "k2")
	only2 := openWith(t, db, testKeys(t, "k2"))
	for _, k := range []NewKey{key(1), key(2), key(3)} {
		if _, err := only2.UserByToken(ctx, k.Token); err != nil {
			t.Fatalf("after the first key was removed: %v", err)
		}
	}
	_ = only2.Close()
	_, err := Open(ctx, db, WithKeys(testKeys(t, "k3")))
	var unknown *secrets.UnknownKeyError
	if !errors.As(err, &unknown) || unknown.ID != "k2" || !strings.Contains(err.Error(), "add that key's line back to the key file") {
		t.Fatalf("opened with none of the keys its values are sealed with: %v", err)
	}
}
