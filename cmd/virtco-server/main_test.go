// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	servertest.Cleanup()
	pgtest.Cleanup()
	os.Exit(code)
}

const diagJSON = `[{"name":"Diag3","account_id":"111122223333","region":"us-east-1","status":"ready-for-use","principal_arn":"arn:aws:iam::111122223333:role/virtco-collector"},
{"name":"Diag4","account_id":"444455556666"}]`

func request(t *testing.T, method, url, key string, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestFirstStart is the README's first start: the ops key file is created (owner-only) and its
// path logged, the diag accounts file is loaded, the master token is minted once and kept across
// restarts, and SIGTERM stops the server cleanly.
func TestFirstStart(t *testing.T) {
	p := servertest.Start(t, servertest.Options{DiagAccounts: diagJSON})
	keyFile := filepath.Join(p.Dir, "apikey.txt")
	st, err := os.Stat(keyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("ops key file: %v %v", st, err)
	}
	if !strings.Contains(p.Logs(), "ops key: created ./apikey.txt") || !strings.HasPrefix(p.OpsKey, "vco_") {
		t.Fatalf("the log does not say where the ops key is:\n%s", p.Logs())
	}
	if strings.Contains(p.Logs(), p.OpsKey) {
		t.Fatal("the ops key is in the log")
	}
	status, body := request(t, "GET", p.URL+"/v1/diag-accounts", p.OpsKey, "")
	var diags struct {
		DiagAccounts []struct{ Name, PrincipalARN string } `json:"diag_accounts"`
	}
	_ = json.Unmarshal(body, &diags)
	if status != 200 || len(diags.DiagAccounts) != 2 {
		t.Fatalf("diag accounts: %d %s", status, body)
	}
	_, first := request(t, "GET", p.URL+"/v1/master-token", p.OpsKey, "")
	// Loading the file is in the audit trail, as a change made by configuration.
	_, audit := request(t, "GET", p.URL+"/v1/audit", p.OpsKey, "")
	if !strings.Contains(string(audit), `"key_kind":"config","key_id":"","actor":"","action":"diag_account.put","request":"--diag-accounts `) {
		t.Fatalf("the diag accounts file left no audit entry: %s", audit)
	}

	if err := p.Stop(); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, p.Logs())
	}
	if !strings.Contains(p.Logs(), "stopped") {
		t.Fatalf("no clean stop in the log:\n%s", p.Logs())
	}
	p.Restart()
	if !strings.Contains(p.Logs(), "ops key: read from ./apikey.txt") {
		t.Fatalf("restart did not reuse the key file:\n%s", p.Logs())
	}
	_, second := request(t, "GET", p.URL+"/v1/master-token", p.OpsKey, "")
	if !bytes.Equal(first, second) {
		t.Fatalf("the master token changed across a restart: %s vs %s", first, second)
	}
}

func TestEnvironment(t *testing.T) {
	const ops, master = "ops-from-env-0123456789abcdefghijklmnop", "master-from-env-0123456789abcdefghijklm"
	p := servertest.Start(t, servertest.Options{Env: []string{"VIRTCO_OPS_API_KEY=" + ops, "VIRTCO_MASTER_TOKEN=" + master}})
	if _, err := os.Stat(filepath.Join(p.Dir, "apikey.txt")); err == nil {
		t.Fatal("a key file was written although VIRTCO_OPS_API_KEY was set")
	}
	status, body := request(t, "GET", p.URL+"/v1/master-token", ops, "")
	if status != 200 || !strings.Contains(string(body), master) {
		t.Fatalf("%d %s", status, body)
	}
	if status, _ := request(t, "GET", p.URL+"/v1/customers", master, ""); status != 200 {
		t.Fatalf("master token from the environment refused: %d", status)
	}
	// Setting the master token from the environment is in the audit trail, as a change made by
	// configuration, without the token.
	_, audit := request(t, "GET", p.URL+"/v1/audit", ops, "")
	if !strings.Contains(string(audit), `"key_kind":"config","key_id":"","actor":"","action":"master_token.set","request":"VIRTCO_MASTER_TOKEN"`) {
		t.Fatalf("VIRTCO_MASTER_TOKEN left no audit entry: %s", audit)
	}
	if strings.Contains(string(audit), master) {
		t.Fatal("the audit trail holds the master token")
	}
}

// TestRefusesToStart: bad flags and settings stop the server with a message that names them.
func TestRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "empty.txt"), []byte("\n"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "bad-diag.json"), []byte(`[{"name":"Diag3","account_id":"12"}]`), 0o600)
	cases := []struct {
		name string
		opts servertest.Options
		code int
		says string
	}{
		{"unknown flag", servertest.Options{Args: []string{"--port", "1"}}, 2, "flag provided but not defined: -port"},
		{"stray argument", servertest.Options{Args: []string{"serve"}}, 2, `unexpected argument "serve"`},
		{"database directory missing", servertest.Options{DB: filepath.Join(dir, "nope", "virtco.db")}, 1, "cannot open the database"},
		{"empty ops key file", servertest.Options{Args: []string{"--ops-key-file", filepath.Join(dir, "empty.txt")}}, 1, "must hold exactly one line"},
		{"bad diag accounts", servertest.Options{Args: []string{"--diag-accounts", filepath.Join(dir, "bad-diag.json")}}, 1, `entry 1: "12" is not an AWS account id: an AWS account id is exactly 12 digits`},
		{"missing diag accounts", servertest.Options{Args: []string{"--diag-accounts", filepath.Join(dir, "none.json")}}, 1, "cannot read the diag accounts file"},
		{"address in use", servertest.Options{Args: []string{"--addr", "256.0.0.1:1"}}, 1, "cannot listen on 256.0.0.1:1"},
		{"bad metrics address", servertest.Options{Args: []string{"--metrics-addr", "256.0.0.1:1"}}, 1, "cannot listen on 256.0.0.1:1 (--metrics-addr, VIRTCO_METRICS_ADDR)"},
		{"bad audit retention", servertest.Options{Args: []string{"--audit-retention", "forever"}}, 2, `--audit-retention (VIRTCO_AUDIT_RETENTION) "forever" is not a duration`},
		{"bad audit retention variable", servertest.Options{Env: []string{"VIRTCO_AUDIT_RETENTION=-1d"}}, 2, `"-1d" is not a duration`},
		{"bad read timeout", servertest.Options{Args: []string{"--read-timeout", "0"}}, 2, `--read-timeout (VIRTCO_READ_TIMEOUT) "0" is not a positive duration`},
		{"bad rate limit", servertest.Options{Args: []string{"--rate-limit", "lots"}}, 2, `--rate-limit (VIRTCO_RATE_LIMIT) "lots" is not a number of requests a second`},
		{"bad trusted proxies variable", servertest.Options{Env: []string{"VIRTCO_TRUSTED_PROXIES=10.0.0.0/8 lb.internal"}}, 2,
			`--trusted-proxies (VIRTCO_TRUSTED_PROXIES): "lb.internal" is neither an address nor a CIDR prefix`},
		{"webhook without a secret", servertest.Options{Args: []string{"--webhook-url", "http://127.0.0.1:1/hook"}}, 2, "--webhook-url needs --webhook-secret-file"},
		{"bad webhook URL", servertest.Options{Env: []string{"VIRTCO_WEBHOOK_URLS=ftp://x"}}, 2, `--webhook-url (VIRTCO_WEBHOOK_URLS): "ftp://x" is not an http:// or https:// URL`},
		{"missing webhook secret file", servertest.Options{Args: []string{"--webhook-url", "http://127.0.0.1:1/hook", "--webhook-secret-file", filepath.Join(dir, "none")}}, 1, "cannot read the webhook secret file"},
		{"bad event retention", servertest.Options{Env: []string{"VIRTCO_EVENT_RETENTION=a week"}}, 2, `--event-retention (VIRTCO_EVENT_RETENTION) "a week" is not a duration`},
		{"postgres unreachable", servertest.Options{DB: "postgres://u:secret@127.0.0.1:1/db"}, 1, "u:xxxxx@"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := servertest.StartErr(t, c.opts, 30*time.Second)
			if code != c.code || !strings.Contains(out, c.says) {
				t.Fatalf("exit %d, want %d; output should say %q:\n%s", code, c.code, c.says, out)
			}
			// The password is "secret"; "secrets" is the secrets key file's name, which the log gives,
			// and the usage names the webhook secret's flag and variable.
			if strings.Contains(strings.NewReplacer("secrets", "", "webhook-secret", "", "WEBHOOK_SECRET", "", "webhook secret", "").Replace(out), "secret") {
				t.Fatalf("the database password is in the output:\n%s", out)
			}
		})
	}
}

// TestKillDuringWrites: SIGKILL in the middle of a stream of writes, then a restart on the same
// database: every write that was acknowledged with a 2xx is there. On SQLite and on PostgreSQL,
// with 4 writers on one customer, and with a flood of 200 writers over 50 customers, whose writes
// share transactions (group commit) and are acknowledged a batch at a time.
func TestKillDuringWrites(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { killDuringWrites(t, servertest.Options{}, 4, 1) })
	t.Run("postgres", func(t *testing.T) { killDuringWrites(t, servertest.Options{DB: pgtest.Shared(t).NewDatabase(t)}, 4, 1) })
	t.Run("sqlite-flood", func(t *testing.T) { killDuringWrites(t, servertest.Options{}, 200, 50) })
	t.Run("postgres-flood", func(t *testing.T) {
		killDuringWrites(t, servertest.Options{DB: pgtest.Shared(t).NewDatabase(t)}, 200, 50)
	})
}

func killDuringWrites(t *testing.T, opts servertest.Options, writers, customers int) {
	p := servertest.Start(t, opts)
	customer := func(i int) string { return fmt.Sprintf("c%02d.com", i%customers) }
	for c := 0; c < customers; c++ {
		if status, body := request(t, "PUT", p.URL+"/v1/customers/"+customer(c), p.OpsKey, ""); status != 201 {
			t.Fatalf("%d %s", status, body)
		}
	}
	var (
		mu     sync.Mutex
		acked  = map[string]string{} // customer/user -> token; "" when the answer's body was cut off
		n      atomic.Int64
		killed atomic.Bool
		wg     sync.WaitGroup
	)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: writers}}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				c, user := customer(w+i), fmt.Sprintf("w%d-u%d", w, i)
				name := c + "/" + user
				req, _ := http.NewRequest("PUT", p.URL+"/v1/customers/"+c+"/users/"+user, nil)
				req.Header.Set("x-api-key", p.OpsKey)
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				var u struct{ Token string }
				decodeErr := json.NewDecoder(resp.Body).Decode(&u)
				resp.Body.Close()
				if resp.StatusCode != 201 {
					t.Errorf("PUT %s: %d, want 201", name, resp.StatusCode)
					return
				}
				// A 201 is an acknowledgement even when SIGKILL cut its body short: the user must
				// survive, though its token is unknown then.
				if decodeErr != nil && !killed.Load() {
					t.Errorf("PUT %s: 201 with a body that does not decode: %v", name, decodeErr)
				}
				mu.Lock()
				acked[name] = u.Token
				mu.Unlock()
				n.Add(1)
			}
		}(w)
	}
	// Not a measure of speed: a guard, so that a server that stops acknowledging fails the test
	// instead of hanging it.
	for deadline := time.Now().Add(2 * time.Minute); n.Load() < int64(2*writers+200); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes acknowledged in 2 minutes", n.Load())
		}
	}
	killed.Store(true)
	p.Kill()
	wg.Wait()

	p.Restart()
	stored := map[string]string{}
	for c := 0; c < customers; c++ {
		status, body := request(t, "GET", p.URL+"/v1/customers/"+customer(c)+"/users", p.OpsKey, "")
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		var list struct {
			Users []struct{ Name, Token string }
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		for _, u := range list.Users {
			stored[customer(c)+"/"+u.Name] = u.Token
		}
	}
	for name, token := range acked {
		if got, ok := stored[name]; !ok || (token != "" && got != token) {
			t.Errorf("acknowledged user %s lost or changed after SIGKILL", name)
		}
	}
	t.Logf("%d writes acknowledged before SIGKILL, %d users stored after restart", len(acked), len(stored))
}

// TestVariables: each setting's variable configures the server on its own, and its flag wins
// over it.
func TestVariables(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	two := write("two.json", diagJSON)
	one := write("one.json", `[{"name":"Diag7","account_id":"777788889999"}]`)
	env := []string{
		"VIRTCO_ADDR=127.0.0.1:0",
		"VIRTCO_DB=" + filepath.Join(dir, "env.db"),
		"VIRTCO_DIAG_ACCOUNTS=" + two,
		"VIRTCO_OPS_API_KEY_FILE=" + filepath.Join(dir, "env-key.txt"),
	}
	diagAccounts := func(p *servertest.Process, key string) []string {
		t.Helper()
		status, body := request(t, "GET", p.URL+"/v1/diag-accounts", key, "")
		var list struct {
			DiagAccounts []struct{ Name string } `json:"diag_accounts"`
		}
		if err := json.Unmarshal(body, &list); status != 200 || err != nil {
			t.Fatalf("diag accounts: %d %s %v", status, body, err)
		}
		var names []string
		for _, d := range list.DiagAccounts {
			names = append(names, d.Name)
		}
		return names
	}
	keyIn := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("the ops key file %s: %v", name, err)
		}
		return strings.TrimSpace(string(b))
	}
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}

	p := servertest.Start(t, servertest.Options{Dir: dir, Bare: true, Env: env})
	if got := diagAccounts(p, keyIn("env-key.txt")); strings.Join(got, ",") != "Diag3,Diag4" {
		t.Errorf("from VIRTCO_DIAG_ACCOUNTS: %v", got)
	}
	if !exists("env.db") || exists("virtco.db") || exists("apikey.txt") {
		t.Error("the variables did not choose the database and the ops key file")
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}

	// The flags win: the variable's address could not even be listened on.
	env[0] = "VIRTCO_ADDR=256.0.0.1:1"
	p = servertest.Start(t, servertest.Options{Dir: dir, Bare: true, Env: env, Args: []string{
		"--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "flag.db"), "--diag-accounts", one,
		"--ops-key-file", filepath.Join(dir, "flag-key.txt"),
	}})
	if got := diagAccounts(p, keyIn("flag-key.txt")); strings.Join(got, ",") != "Diag7" {
		t.Errorf("with --diag-accounts: %v", got)
	}
	if !exists("flag.db") {
		t.Error("--db did not win over VIRTCO_DB")
	}
	if status, _ := request(t, "GET", p.URL+"/v1/diag-accounts", keyIn("env-key.txt"), ""); status != 401 {
		t.Errorf("the key of VIRTCO_OPS_API_KEY_FILE was accepted (%d) although --ops-key-file names another", status)
	}
}

// TestSIGTERMFinishesRequestsUnderWay: a request whose body is still arriving when SIGTERM comes
// is finished and answered, its write kept, before the server exits cleanly; new connections are
// refused meanwhile.
func TestSIGTERMFinishesRequestsUnderWay(t *testing.T) {
	p := servertest.Start(t, servertest.Options{})
	// The server's own connection: this is about what the server does with it.
	host := strings.TrimPrefix(p.DirectURL, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"aws_region":"eu-west-1"}`
	fmt.Fprintf(conn, "PUT /v1/customers/acme.com HTTP/1.1\r\nHost: %s\r\nx-api-key: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\n\r\n%s", host, p.OpsKey, len(body), body[:10])
	// The server must have begun reading the request before the signal: a connection on which
	// it read nothing yet is idle, and a shutdown rightly closes those.
	time.Sleep(200 * time.Millisecond)

	p.Terminate()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", host)
		if err != nil {
			break // the listener is closed: the shutdown is under way
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 30 s after SIGTERM")
		}
	}
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatalf("the request under way was cut off: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the request under way: %v\n%s", err, p.Logs())
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("the request under way got %d, want 201", resp.StatusCode)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("the server did not exit cleanly: %v\n%s", err, p.Logs())
	}

	p.Restart()
	status, got := request(t, "GET", p.URL+"/v1/customers/acme.com", p.OpsKey, "")
	if status != 200 || !strings.Contains(string(got), `"aws_region":"eu-west-1"`) {
		t.Fatalf("the write answered during the shutdown is not kept: %d %s", status, got)
	}
}
