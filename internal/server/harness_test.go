// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/openapitest"
	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// Every request the tests make, and every answer, is checked against api/openapi.yaml: an answer
// must match the spec, and a request the spec refuses must be refused by the server too. TestMain
// then checks that every operation of the spec was exercised.

var contract struct {
	mu   sync.Mutex
	spec *openapitest.Spec // nil until a test made a request
	hit  map[string]bool
}

// validationOptions are the checks every test tool of the contract makes.
var validationOptions = openapitest.ValidationOptions

// checkContract validates one exchange against the spec.
func checkContract(t testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	spec := openapitest.Load(t)
	contract.mu.Lock()
	if contract.spec == nil {
		contract.spec, contract.hit = spec, map[string]bool{}
	}
	contract.mu.Unlock()
	ex, err := spec.Match(req, reqBody, validationOptions)
	if err != nil {
		// Not in the spec: the server must say so with a JSON error.
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s %s is not in api/openapi.yaml but got %d", req.Method, req.URL.Path, resp.StatusCode)
		}
		checkErrorShape(t, respBody)
		return
	}
	contract.mu.Lock()
	contract.hit[ex.Operation.OperationID] = true
	contract.mu.Unlock()

	if reqErr := ex.ValidateRequest(t.Context()); reqErr != nil && (resp.StatusCode < 400 || resp.StatusCode >= 500) {
		t.Errorf("%s %s: the spec refuses this request (%v) but the server answered %d", req.Method, req.URL.Path, reqErr, resp.StatusCode)
	}
	if err := ex.ValidateResponse(t.Context(), resp.StatusCode, resp.Header, respBody); err != nil {
		t.Errorf("%s %s: the answer %d does not match api/openapi.yaml: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, err, respBody)
	}
}

func checkErrorShape(t testing.TB, body []byte) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("not a JSON error: %s", body)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Cleanup()
	// Only a full run can tell whether every operation was exercised.
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" && contract.spec != nil {
		var missed []string
		for id := range contract.spec.Operations() {
			if !contract.hit[id] {
				missed = append(missed, id)
			}
		}
		if len(missed) > 0 {
			sort.Strings(missed)
			fmt.Fprintf(os.Stderr, "FAIL: operations of api/openapi.yaml no test exercised: %s\n", strings.Join(missed, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

// env is a server on a fresh SQLite database, with its keys.
type env struct {
	t      testing.TB
	url    string
	ops    string
	master string
	store  store.Store
	srv    *Server // the last one serve started

	// readTimeout is the servers' read timeout (server.DefaultReadTimeout when zero).
	readTimeout time.Duration
	// wrap, when set, stands between each server and its store.
	wrap func(store.Store) store.Store
	// rateLimit is the servers' Config.RateLimit; configure, when set, changes each server
	// before it serves.
	rateLimit float64
	configure func(*Server)
	// client makes the requests of call (http.DefaultClient when nil).
	client *http.Client
	// webhooks is the servers' Config.Webhooks.
	webhooks WebhookConfig
}

// testDB is a fresh database for one test: a SQLite file, or with VIRTCO_TEST_STORE=postgres a
// database on the tests' PostgreSQL server (make test runs the suite both ways).
func testDB(t testing.TB) string {
	t.Helper()
	if os.Getenv("VIRTCO_TEST_STORE") == "postgres" {
		return pgtest.Shared(t).NewDatabase(t)
	}
	return filepath.Join(t.TempDir(), "virtco.db")
}

func newEnv(t testing.TB, opts ...store.Option) *env {
	t.Helper()
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken()}
	e.url, e.store = e.serve(testDB(t), nil, opts...)
	return e
}

// serve starts one more server with the env's keys on db and returns its URL and store.
func (e *env) serve(db string, log *slog.Logger, opts ...store.Option) (string, store.Store) {
	e.t.Helper()
	st, err := store.Open(e.t.Context(), db, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	served := st
	if e.wrap != nil {
		served = e.wrap(st)
	}
	srv, err := New(served, Config{OpsKey: e.ops, MasterToken: e.master, Logger: log, RateLimit: e.rateLimit, Webhooks: e.webhooks})
	if err != nil {
		e.t.Fatal(err)
	}
	if e.configure != nil {
		e.configure(srv)
	}
	// The servers run with the limits the binary sets, so that the tests see what clients see.
	hs := httptest.NewUnstartedServer(srv)
	hs.Config = NewHTTPServer(srv, e.readTimeout)
	hs.Start()
	e.srv = srv
	e.t.Cleanup(func() { hs.Close(); _ = st.Close() })
	return hs.URL, st
}

// response is an answer the tests look at.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r response) errorCode() string {
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

// field is the error's field, "" when it has none.
func (r response) field() string {
	var e struct{ Error struct{ Field *string } }
	_ = json.Unmarshal(r.body, &e)
	if e.Error.Field == nil {
		return ""
	}
	if *e.Error.Field == "" {
		return "(empty)" // the spec forbids it; the tests must not take it for none
	}
	return *e.Error.Field
}

func (r response) message() string {
	var e struct{ Error struct{ Message string } }
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Message
}

// call makes a request with key (none when empty) and body (JSON-encoded unless it is a string
// or []byte), checks it against the contract and returns the answer. Extra headers come as
// name, value pairs.
func (e *env) call(method, path, key string, body any, headers ...string) response {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := e.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	checkContract(e.t, req, raw, resp, respBody)
	return response{status: resp.StatusCode, header: resp.Header, body: respBody}
}

// must is call that fails the test unless the status is want.
func (e *env) must(want int, method, path, key string, body any, headers ...string) response {
	e.t.Helper()
	r := e.call(method, path, key, body, headers...)
	if r.status != want {
		e.t.Fatalf("%s %s: got %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

// seed makes diag accounts Diag3 (ready) and Diag9 (provisioning), customer acme.com on Diag3
// with user joe, and customer other.org with user ann; it returns joe's and ann's tokens.
func (e *env) seed() (joe, ann string) {
	e.t.Helper()
	e.must(201, "PUT", "/v1/diag-accounts/Diag3", e.ops, map[string]any{"account_id": "111122223333"})
	e.must(201, "PUT", "/v1/diag-accounts/Diag9", e.ops, map[string]any{"account_id": "999988887777", "status": "provisioning"})
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, map[string]any{"diag_account": "Diag3"})
	e.must(201, "PUT", "/v1/customers/other.org", e.ops, nil)
	var u struct{ Token string }
	e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil).decode(e.t, &u)
	joe = u.Token
	e.must(201, "PUT", "/v1/customers/other.org/users/ann", e.ops, nil).decode(e.t, &u)
	return joe, u.Token
}

// snapshot is everything the store holds, to show that a refused request changed nothing. A
// store error fails the test: two empty snapshots would otherwise say that nothing was written.
func (e *env) snapshot() string {
	e.t.Helper()
	ctx := e.t.Context()
	must := func(what string, err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatalf("snapshot: %s: %v", what, err)
		}
	}
	var all []any
	diags, err := e.store.ListDiagAccounts(ctx)
	must("listing the diag accounts", err)
	customers, err := e.store.ListCustomers(ctx)
	must("listing the customers", err)
	all = append(all, diags, customers)
	for _, c := range customers {
		full, err := e.store.GetCustomer(ctx, c.Name)
		must("reading customer "+c.Name, err)
		users, err := e.store.ListUsers(ctx, c.Name)
		must("listing the users of "+c.Name, err)
		all = append(all, full, users)
	}
	b, err := json.MarshalIndent(all, "", " ")
	must("encoding", err)
	return string(b)
}
