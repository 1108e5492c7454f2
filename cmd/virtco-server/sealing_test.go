// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to write a database as an older version did
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver, likewise

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
	"github.com/virtasant/terraform-provider-virtco/internal/secrets"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// engine is a database for one test, and how to read all of it as an attacker who copied it
// would: the SQLite file and its WAL, or a pg_dump.
type engine struct {
	name string
	db   func(t *testing.T, dir string) string
	dump func(t *testing.T, db string) map[string][]byte
}

var engines = []engine{
	{"sqlite",
		func(_ *testing.T, dir string) string { return filepath.Join(dir, "virtco.db") },
		func(t *testing.T, db string) map[string][]byte {
			out := map[string][]byte{}
			for _, f := range []string{db, db + "-wal", db + "-shm"} {
				if b, err := os.ReadFile(f); err == nil {
					out[filepath.Base(f)] = b
				}
			}
			if len(out) == 0 {
				t.Fatalf("no database file at %s", db)
			}
			return out
		}},
	{"postgres",
		func(t *testing.T, _ string) string { return pgtest.Shared(t).NewDatabase(t) },
		func(t *testing.T, db string) map[string][]byte {
			return map[string][]byte{"pg_dump": pgtest.Shared(t).Dump(t, db)}
		}},
}

func joined(copies map[string][]byte) []byte {
	var all []byte
	for _, b := range copies {
		all = append(all, b...)
	}
	return all
}

// checkNoToken fails when any of the tokens, or its random part, is in any of the copies.
func checkNoToken(t *testing.T, copies map[string][]byte, tokens []string) {
	t.Helper()
	for name, b := range copies {
		for _, tok := range tokens {
			_, random, _ := strings.Cut(tok, "_")
			if bytes.Contains(b, []byte(tok)) || bytes.Contains(b, []byte(random)) {
				t.Errorf("%s holds token %.8s…", name, tok)
			}
		}
	}
}

// call makes a request and decodes its JSON answer into out, failing the test unless the status
// is want; it returns the answer's body. Extra headers come as name, value pairs.
func call(t *testing.T, want int, method, url, key string, out any, headers ...string) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, url, resp.StatusCode, want, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, body)
		}
	}
	return body
}

type userAnswer struct{ Name, Token string }

type masterTokenAnswer struct {
	MasterToken string `json:"master_token"`
}

// provisionSome provisions two customers and their users through the API, rotates one user's
// token and the master token and deletes another user, under Idempotency-Keys so that answers
// are recorded; it returns every token the server handed out, the dead ones too, the master
// token last.
func provisionSome(t *testing.T, p *servertest.Process) (tokens []string, live map[string]string) {
	t.Helper()
	live = map[string]string{}
	for _, c := range []string{"acme.com", "other.org"} {
		call(t, 201, "PUT", p.URL+"/v1/customers/"+c, p.OpsKey, nil)
	}
	for _, u := range []string{"acme.com/joe", "acme.com/ann", "acme.com/bob", "other.org/eve"} {
		var a userAnswer
		call(t, 201, "PUT", p.URL+"/v1/customers/"+strings.Replace(u, "/", "/users/", 1), p.OpsKey, &a, "Idempotency-Key", "put-"+u)
		tokens, live[u] = append(tokens, a.Token), a.Token
	}
	var a userAnswer
	call(t, 200, "POST", p.URL+"/v1/customers/acme.com/users/joe/rotate", p.OpsKey, &a, "Idempotency-Key", "rotate-joe")
	tokens, live["acme.com/joe"] = append(tokens, a.Token), a.Token
	call(t, 204, "DELETE", p.URL+"/v1/customers/acme.com/users/bob", p.OpsKey, nil)
	delete(live, "acme.com/bob")
	var m, rotated masterTokenAnswer
	call(t, 200, "GET", p.URL+"/v1/master-token", p.OpsKey, &m)
	call(t, 200, "POST", p.URL+"/v1/master-token/rotate", p.OpsKey, &rotated, "Idempotency-Key", "rotate-master")
	tokens = append(tokens, m.MasterToken, rotated.MasterToken)
	for _, tok := range tokens {
		if !strings.HasPrefix(tok, "vcu_") && !strings.HasPrefix(tok, "vcm_") {
			t.Fatalf("not a token: %q", tok)
		}
	}
	return tokens, live
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Errorf("%s: mode %04o, want %04o", filepath.Base(path), st.Mode().Perm(), want)
	}
}

// TestNothingReadableAtRest: after customers and users are provisioned, a token rotated and a
// user deleted, no token is in the database as a copy of it has it (the SQLite file and its WAL
// while the server runs and after it stopped, or a pg_dump), and every file that holds a secret
// is its owner's only, as is the key file's directory the server made.
func TestNothingReadableAtRest(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			dir := t.TempDir()
			db := e.db(t, dir)
			p := servertest.Start(t, servertest.Options{Dir: dir, DB: db, Args: []string{"--secrets-key-file", "keys/secrets.key"}})
			tokens, _ := provisionSome(t, p)
			checkNoToken(t, e.dump(t, db), tokens)

			checkMode(t, filepath.Join(dir, "apikey.txt"), 0o600)
			checkMode(t, filepath.Join(dir, "keys", "secrets.key"), 0o600)
			checkMode(t, filepath.Join(dir, "keys"), 0o700)
			if !strings.Contains(p.Logs(), "secrets key: created keys/secrets.key with a new key (mode 0600)") {
				t.Errorf("the log does not say where the secrets key is:\n%s", p.Logs())
			}
			if e.name == "sqlite" {
				for _, f := range []string{"virtco.db", "virtco.db-wal", "virtco.db-shm"} {
					checkMode(t, filepath.Join(dir, f), 0o600)
				}
			}
			if err := p.Stop(); err != nil {
				t.Fatal(err)
			}
			checkNoToken(t, e.dump(t, db), tokens)
			if strings.Contains(p.Logs(), "readable by group or others") {
				t.Errorf("a warning about file modes, though every file is the owner's:\n%s", p.Logs())
			}
		})
	}
}

// TestWarnsWhenReadable: a database or key file that group or others may read is a warning at
// start, naming the file and the command that fixes it.
func TestWarnsWhenReadable(t *testing.T) {
	p := servertest.Start(t, servertest.Options{})
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"virtco.db", "apikey.txt", "secrets.key"} {
		if err := os.Chmod(filepath.Join(p.Dir, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.Restart()
	for _, want := range []string{
		"the database file " + p.DB + " is readable by group or others (mode 0644); make it readable by its owner only: chmod 600 " + p.DB,
		"the ops key file ./apikey.txt is readable by group or others (mode 0644)",
		"the secrets key file ./secrets.key is readable by group or others (mode 0644)",
	} {
		if !strings.Contains(p.Logs(), want) {
			t.Errorf("no warning %q in the log:\n%s", want, p.Logs())
		}
	}
}

// rawDB opens the database as the older version's code would, without the server.
func rawDB(t *testing.T, db string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if strings.HasPrefix(db, "postgres") {
		driver = "pgx"
	}
	d, err := sql.Open(driver, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func mustExec(t *testing.T, d *sql.DB, query string) {
	t.Helper()
	if _, err := d.ExecContext(t.Context(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestSealsAnOlderDatabase: a database as the version before sealing wrote it, every token and
// the master token in the clear, tokens indexed by their SHA-256, a recorded answer in the clear,
// is sealed when the server starts on it, on SQLite and on PostgreSQL; every token it held still
// works, and the recorded answer still replays.
var etagInBody = regexp.MustCompile(`,"etag":"(\\"|[^"])*"`)

func TestSealsAnOlderDatabase(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			dir := t.TempDir()
			db := e.db(t, dir)
			p := servertest.Start(t, servertest.Options{Dir: dir, DB: db})
			tokens, live := provisionSome(t, p)
			master := tokens[len(tokens)-1]
			var old userAnswer
			recorded := call(t, 201, "PUT", p.URL+"/v1/customers/acme.com/users/old", p.OpsKey, &old, "Idempotency-Key", "k-old")
			tokens, live["acme.com/old"] = append(tokens, old.Token), old.Token
			if err := p.Stop(); err != nil {
				t.Fatal(err)
			}

			// Written as the version before sealing wrote it.
			d := rawDB(t, db)
			for u, tok := range live {
				customer, name, _ := strings.Cut(u, "/")
				h := sha256.Sum256([]byte(tok))
				mustExec(t, d, fmt.Sprintf(`UPDATE users SET token = '%s', token_hash = '%s' WHERE customer = '%s' AND name = '%s'`,
					tok, hex.EncodeToString(h[:]), customer, name))
			}
			mustExec(t, d, fmt.Sprintf(`UPDATE settings SET value = '%s' WHERE name = 'master_token'`, master))
			// That version wrote no etag in a user's body (and its backslashes are no bytea literal).
			recorded = etagInBody.ReplaceAll(recorded, nil)
			mustExec(t, d, fmt.Sprintf(`UPDATE idempotency_keys SET header = '{}', body = '%s' WHERE idem_key = 'k-old'`, recorded))
			mustExec(t, d, `DELETE FROM idempotency_keys WHERE idem_key <> 'k-old'`)
			_ = d.Close()
			if !bytes.Contains(joined(e.dump(t, db)), []byte(master)) || !bytes.Contains(joined(e.dump(t, db)), []byte(old.Token)) {
				t.Fatal("the database written as before sealing does not hold its tokens in the clear")
			}

			p.Restart()
			if !strings.Contains(p.Logs(), "values stored in the clear") {
				t.Errorf("the log does not say what was sealed:\n%s", p.Logs())
			}
			checkNoToken(t, e.dump(t, db), tokens)
			for u, tok := range live {
				customer, _, _ := strings.Cut(u, "/")
				call(t, 200, "GET", p.URL+"/v1/customers/"+customer, tok, nil)
			}
			call(t, 200, "GET", p.URL+"/v1/customers", master, nil)
			// Directly, not through the contract proxy: an answer recorded before sealing has no
			// headers (ETag) to replay.
			if replayed := call(t, 201, "PUT", p.DirectURL+"/v1/customers/acme.com/users/old", p.OpsKey, nil, "Idempotency-Key", "k-old"); !bytes.Equal(replayed, recorded) {
				t.Fatalf("the answer recorded before sealing replays as %s, want %s", replayed, recorded)
			}
		})
	}
}

// sealedWith is the key ids the stored tokens are sealed with, by user.
func sealedWith(t *testing.T, db string) map[string]string {
	t.Helper()
	rows, err := rawDB(t, db).QueryContext(t.Context(), `SELECT name, token FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, token string
		if err := rows.Scan(&name, &token); err != nil {
			t.Fatal(err)
		}
		parts := strings.SplitN(token, ":", 4)
		if len(parts) != 4 || parts[0] != "sealed" {
			t.Fatalf("%s's token is not sealed: %.12s", name, token)
		}
		out[name] = parts[2]
	}
	return out
}

// TestSecretsKeyRotation: a key appended to the key file seals from the next start, and the
// start seals the older rows again, their tokens still working; the old key can then be
// removed. A key file that lacks a key the database needs stops the start, saying which.
func TestSecretsKeyRotation(t *testing.T) {
	p := servertest.Start(t, servertest.Options{})
	var joe userAnswer
	call(t, 201, "PUT", p.URL+"/v1/customers/acme.com", p.OpsKey, nil)
	call(t, 201, "PUT", p.URL+"/v1/customers/acme.com/users/joe", p.OpsKey, &joe)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(p.Dir, "secrets.key")
	first, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	firstKeys, err := secrets.ParseKeyFile(first)
	if err != nil {
		t.Fatal(err)
	}
	oldID := firstKeys.SealingKeyID()
	if got := sealedWith(t, p.DB); got["joe"] != oldID {
		t.Fatalf("joe sealed with %v, want %s", got, oldID)
	}

	newLine := secrets.NewKeyLine()
	newID := strings.Fields(newLine)[0]
	if err := os.WriteFile(keyFile, append(first, newLine...), 0o600); err != nil {
		t.Fatal(err)
	}
	p.Restart()
	if !strings.Contains(p.Logs(), "sealing with "+newID) || !strings.Contains(p.Logs(), "0 values stored in the clear, 2 sealed under an older key") {
		t.Fatalf("the log does not say the new key seals, and what it sealed again:\n%s", p.Logs())
	}
	call(t, 200, "GET", p.URL+"/v1/customers/acme.com", joe.Token, nil)
	var ann userAnswer
	call(t, 201, "PUT", p.URL+"/v1/customers/acme.com/users/ann", p.OpsKey, &ann)
	call(t, 200, "GET", p.URL+"/v1/customers/acme.com", ann.Token, nil)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := sealedWith(t, p.DB); got["joe"] != newID || got["ann"] != newID {
		t.Fatalf("sealed with %v, want %s for both", got, newID)
	}

	// Every row is sealed with the new key: the old one can go.
	if err := os.WriteFile(keyFile, []byte(newLine), 0o600); err != nil {
		t.Fatal(err)
	}
	p.Restart()
	call(t, 200, "GET", p.URL+"/v1/customers/acme.com", joe.Token, nil)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}

	// A key file without the key the rows are sealed with.
	if err := os.WriteFile(keyFile, []byte(secrets.NewKeyLine()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := servertest.StartErr(t, servertest.Options{Dir: p.Dir}, 30*time.Second)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("sealed with key %q, which the key file does not hold; add that key's line back to the key file", newID)) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestShortKeysRefused: an ops key or master token from the environment shorter than 32
// characters stops the start, with a message that says why; 32 is enough.
func TestShortKeysRefused(t *testing.T) {
	long := strings.Repeat("k", 32)
	for _, c := range []struct{ env, says string }{
		{"VIRTCO_OPS_API_KEY=" + long[:31], "VIRTCO_OPS_API_KEY is 31 characters long; it must be at least 32, so that it cannot be guessed"},
		{"VIRTCO_MASTER_TOKEN=short", "VIRTCO_MASTER_TOKEN is 5 characters long; it must be at least 32, so that it cannot be guessed"},
	} {
		code, out := servertest.StartErr(t, servertest.Options{Env: []string{c.env}}, 30*time.Second)
		if code != 1 || !strings.Contains(out, c.says) {
			t.Errorf("%s: exit %d; the output should say %q:\n%s", c.env, code, c.says, out)
		}
	}
	p := servertest.Start(t, servertest.Options{Env: []string{"VIRTCO_OPS_API_KEY=" + long, "VIRTCO_MASTER_TOKEN=" + long + "m"}})
	call(t, 200, "GET", p.URL+"/v1/customers", long, nil)
	call(t, 200, "GET", p.URL+"/v1/customers", long+"m", nil)
}

// TestMasterTokenRotationTwoServers: two servers on one PostgreSQL database; the master token
// rotated through one is refused by the other, and the new one taken, within 5 seconds (polled:
// nothing is asserted about the time within that). The rotation is audited, without the token.
func TestMasterTokenRotationTwoServers(t *testing.T) {
	db := pgtest.Shared(t).NewDatabase(t)
	env := []string{"VIRTCO_OPS_API_KEY=vco_shared-ops-key-for-the-two-servers", "VIRTCO_SECRETS_KEY_FILE=" + filepath.Join(t.TempDir(), "secrets.key")}
	a := servertest.Start(t, servertest.Options{DB: db, Env: env})
	b := servertest.Start(t, servertest.Options{DB: db, Env: env})
	var old, rotated masterTokenAnswer
	call(t, 200, "GET", a.URL+"/v1/master-token", a.OpsKey, &old)
	call(t, 200, "GET", b.URL+"/v1/customers", old.MasterToken, nil)

	c, err := client.New(&client.Config{Address: a.URL, APIKey: a.OpsKey})
	if err != nil {
		t.Fatal(err)
	}
	rotated.MasterToken, err = c.MasterTokenRotate(t.Context())
	if err != nil || rotated == old {
		t.Fatalf("rotate: %q %v", rotated.MasterToken, err)
	}
	rotatedAt := time.Now()
	status := func(p *servertest.Process, key string) int {
		code, _ := request(t, "GET", p.URL+"/v1/customers", key, "")
		return code
	}
	if status(a, old.MasterToken) != 401 || status(a, rotated.MasterToken) != 200 {
		t.Fatal("the server that rotated the master token still takes the old one, or not the new one")
	}
	for status(b, old.MasterToken) != 401 || status(b, rotated.MasterToken) != 200 {
		if time.Since(rotatedAt) > 5*time.Second {
			t.Fatalf("5 s after the rotation the other server answers %d to the old master token and %d to the new one",
				status(b, old.MasterToken), status(b, rotated.MasterToken))
		}
		time.Sleep(50 * time.Millisecond)
	}
	var read masterTokenAnswer
	call(t, 200, "GET", b.URL+"/v1/master-token", b.OpsKey, &read)
	if read != rotated {
		t.Fatal("the other server reads another master token")
	}
	audit := call(t, 200, "GET", b.URL+"/v1/audit", b.OpsKey, nil)
	if !strings.Contains(string(audit), `"action":"master_token.rotate","request":"POST /v1/master-token/rotate","customer":"","target":"master_token","outcome":"ok"`) ||
		strings.Contains(string(audit), rotated.MasterToken) {
		t.Fatalf("the rotation is not audited as a write, or its token is in the trail: %s", audit)
	}
}
