// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// auditCount is how many audit entries the store holds.
func (e *env) auditCount() int {
	e.t.Helper()
	all, err := e.store.ListAudit(e.t.Context(), store.AuditFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(all)
}

// lastAudit is the newest audit entry.
func (e *env) lastAudit() store.AuditEntry {
	e.t.Helper()
	all, err := e.store.ListAudit(e.t.Context(), store.AuditFilter{})
	if err != nil || len(all) == 0 {
		e.t.Fatalf("no audit entry: %v", err)
	}
	return all[len(all)-1]
}

type keyedRequest struct {
	method, path string
	body         any
	headers      []string
}

// TestIdempotentReplay: for each write that takes an Idempotency-Key, a retry under the key gets
// the first answer (status, body, headers) and writes nothing, not even an audit entry; another
// request under the key gets 422 and writes nothing either.
func TestIdempotentReplay(t *testing.T) {
	e := newEnv(t)
	joe, _ := e.seed()
	cases := []struct {
		name   string
		key    string // the API key
		first  keyedRequest
		status int
		other  keyedRequest // another request, sent under the same Idempotency-Key
	}{
		{"customer create-only", e.ops,
			keyedRequest{"PUT", "/v1/customers/new.com", map[string]any{"diag_account": "Diag3"}, []string{"If-None-Match", "*"}}, 201,
			keyedRequest{"PUT", "/v1/customers/new.com", map[string]any{"diag_account": "Diag9"}, []string{"If-None-Match", "*"}}},
		{"customer update", e.ops,
			keyedRequest{"PUT", "/v1/customers/other.org", map[string]any{"aws_region": "eu-west-1"}, nil}, 200,
			keyedRequest{"PUT", "/v1/customers/other.org", map[string]any{"aws_region": "eu-west-1"}, []string{"If-Match", "*"}}},
		{"user", e.ops,
			keyedRequest{"PUT", "/v1/customers/acme.com/users/bob", nil, nil}, 201,
			keyedRequest{"PUT", "/v1/customers/acme.com/users/carl", nil, nil}},
		{"AWS account", joe,
			keyedRequest{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", map[string]any{"state": "in-progress"}, nil}, 201,
			keyedRequest{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", map[string]any{"state": "purge"}, nil}},
		{"rotate", e.ops,
			keyedRequest{"POST", "/v1/customers/other.org/users/ann/rotate", nil, nil}, 200,
			keyedRequest{"POST", "/v1/customers/acme.com/users/joe/rotate", nil, nil}},
		{"legacy provision", e.ops,
			keyedRequest{"GET", legacyPath("provision", "eve@acme.com:Diag3"), nil, nil}, 200,
			keyedRequest{"GET", legacyPath("provision", "eve@acme.com:Diag9"), nil, nil}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := "key of " + c.name
			send := func(want int, r keyedRequest) response {
				t.Helper()
				return e.must(want, r.method, r.path, c.key, r.body, append([]string{"Idempotency-Key", key}, r.headers...)...)
			}
			first := send(c.status, c.first)
			if first.header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("a first answer is marked replayed: %v", first.header)
			}
			before, audit := e.snapshot(), e.auditCount()

			replay := send(c.status, c.first)
			if !bytes.Equal(replay.body, first.body) {
				t.Fatalf("the replay's body differs:\nfirst  %s\nreplay %s", first.body, replay.body)
			}
			for _, h := range []string{"ETag", "Location", "Content-Type"} {
				if replay.header.Get(h) != first.header.Get(h) {
					t.Errorf("header %s: first %q, replay %q", h, first.header.Get(h), replay.header.Get(h))
				}
			}
			if replay.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("the replay is not marked: %v", replay.header)
			}
			if e.snapshot() != before || e.auditCount() != audit {
				t.Fatalf("the replay wrote something (audit entries %d -> %d)", audit, e.auditCount())
			}
			// A user's replayed token is the stored, working one.
			var u struct {
				Token  string
				APIKey string `json:"api_key"` // the legacy protocol's
			}
			replay.decode(t, &u)
			if token := u.Token + u.APIKey; token != "" {
				e.must(200, "GET", "/v1/customers", token, nil)
			}

			other := send(422, c.other)
			if other.errorCode() != "idempotency_key_reused" || !strings.Contains(other.message(), "another request") ||
				!strings.Contains(other.message(), "new key") || other.field() != "" {
				t.Fatalf("another request under the key: %s", other.body)
			}
			if e.snapshot() != before {
				t.Fatal("a refused reuse of the key wrote something")
			}
			if a := e.lastAudit(); a.Outcome != "422 idempotency_key_reused" || a.Action == "" {
				t.Fatalf("the refusal's audit entry: %+v", a)
			}
		})
	}

	// Without a key, the same retry of a create-only PUT meets the customer the first one made.
	e.must(201, "PUT", "/v1/customers/keyless.com", e.ops, nil, "If-None-Match", "*")
	e.must(412, "PUT", "/v1/customers/keyless.com", e.ops, nil, "If-None-Match", "*")
}

// TestIdempotencyKeyScopes: a key is its caller's. The same value from the ops key and from two
// user tokens is three keys; only the same caller meets its own key.
func TestIdempotencyKeyScopes(t *testing.T) {
	e := newEnv(t)
	joe, _ := e.seed()
	var kim struct{ Token string }
	e.must(201, "PUT", "/v1/customers/acme.com/users/kim", e.ops, nil).decode(t, &kim)
	const key = "same-value-everywhere"
	for i, caller := range []string{e.ops, joe, kim.Token} {
		path := fmt.Sprintf("/v1/customers/acme.com/aws-accounts/12345678901%d", i)
		e.must(201, "PUT", path, caller, map[string]any{"state": "in-progress"}, "Idempotency-Key", key)
	}
	// A user key's scope is its key id, which survives rotation.
	var rotated struct{ Token string }
	e.must(200, "POST", "/v1/customers/acme.com/users/joe/rotate", e.ops, nil).decode(t, &rotated)
	r := e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/123456789011", rotated.Token, map[string]any{"state": "in-progress"}, "Idempotency-Key", key)
	if r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("joe's key after joe's rotation: %v", r.header)
	}
	e.must(422, "PUT", "/v1/customers/acme.com/aws-accounts/123456789019", rotated.Token, map[string]any{"state": "in-progress"}, "Idempotency-Key", key)
	e.must(404, "GET", "/v1/customers/acme.com/aws-accounts/123456789019", e.ops, nil)
}

// testClock is a store clock that a test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestIdempotencyKeyExpiry: a key is kept for 24 hours, then forgotten: the same request under it
// runs again.
func TestIdempotencyKeyExpiry(t *testing.T) {
	clock := &testClock{t: time.Now()}
	e := newEnv(t, store.WithClock(clock.now))
	first := e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil, "If-None-Match", "*", "Idempotency-Key", "k")
	clock.add(24 * time.Hour)
	replay := e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil, "If-None-Match", "*", "Idempotency-Key", "k")
	if !bytes.Equal(replay.body, first.body) || replay.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("after 24 hours the key must still be kept: %s", replay.body)
	}
	clock.add(time.Second)
	audit := e.auditCount()
	r := e.must(412, "PUT", "/v1/customers/acme.com", e.ops, nil, "If-None-Match", "*", "Idempotency-Key", "k")
	if r.header.Get("Idempotent-Replayed") != "" || e.auditCount() != audit+1 {
		t.Fatalf("a key older than 24 hours must be forgotten, and the request run again: %v %s", r.header, r.body)
	}
}

// TestIdempotencyKeyInvalid: a malformed key is refused with 400 about the header, and nothing is
// written.
func TestIdempotencyKeyInvalid(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	for name, key := range map[string]string{
		"empty":          "",
		"too long":       strings.Repeat("k", 256),
		"not ASCII":      "clé",
		"control inside": "a\tb",
	} {
		t.Run(name, func(t *testing.T) {
			before := e.snapshot()
			r := e.must(400, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil, "Idempotency-Key", key)
			if r.field() != "Idempotency-Key" || !strings.Contains(r.message(), "1-255 printable ASCII characters") {
				t.Fatalf("%s", r.body)
			}
			if e.snapshot() != before {
				t.Fatal("a request with a malformed key wrote something")
			}
		})
	}
	e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil, "Idempotency-Key", strings.Repeat("~", 255))
	// The legacy protocol checks it only where it honours it.
	e.must(400, "GET", legacyPath("provision", "ann@acme.com"), e.ops, nil, "Idempotency-Key", "clé")
	e.must(200, "GET", legacyPath("customers", ""), e.ops, nil, "Idempotency-Key", "clé")
}

// TestIdempotencyFailedRequestRecordsNothing: a request that fails leaves no answer under its key,
// so that its retry runs.
func TestIdempotencyFailedRequestRecordsNothing(t *testing.T) {
	e := newEnv(t)
	e.must(404, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil, "Idempotency-Key", "k")
	e.must(403, "PUT", "/v1/customers/acme.com/users/joe", e.master, nil, "Idempotency-Key", "k")
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	r := e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil, "Idempotency-Key", "k")
	if r.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a failed request's answer was replayed")
	}
}

// TestIdempotencyConcurrent: requests under one key at once run once, and all get that answer:
// one user created, one rotation made, one token for everyone.
func TestIdempotencyConcurrent(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	const n = 16
	run := func(method, path, key string, want int) []string {
		t.Helper()
		tokens := make([]string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := e.call(method, path, e.ops, nil, "Idempotency-Key", key)
				if r.status != want {
					t.Errorf("%s %s: %d %s", method, path, r.status, r.body)
				}
				var u struct{ Token string }
				_ = json.Unmarshal(r.body, &u)
				tokens[i] = u.Token
			}(i)
		}
		wg.Wait()
		return tokens
	}
	checkOne := func(tokens []string) {
		t.Helper()
		var stored struct{ Token string }
		e.must(200, "GET", "/v1/customers/acme.com/users/joe", e.ops, nil).decode(t, &stored)
		for i, tok := range tokens {
			if tok != stored.Token {
				t.Fatalf("request %d got token %q; the user's is %q", i, tok, stored.Token)
			}
		}
	}

	audit := e.auditCount()
	checkOne(run("PUT", "/v1/customers/acme.com/users/joe", "create-once", 201))
	var list struct{ Users []struct{ Name string } }
	e.must(200, "GET", "/v1/customers/acme.com/users", e.ops, nil).decode(t, &list)
	if len(list.Users) != 1 || e.auditCount() != audit+1 {
		t.Fatalf("%d users, %d audit entries after %d creates under one key; want 1 and 1", len(list.Users), e.auditCount()-audit, n)
	}
	version := func() int {
		v, err := strconv.Atoi(strings.Trim(e.must(200, "GET", "/v1/customers/acme.com", e.ops, nil).header.Get("ETag"), `"`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := version()

	checkOne(run("POST", "/v1/customers/acme.com/users/joe/rotate", "rotate-once", 200))
	if after := version(); after != before+1 || e.auditCount() != audit+2 {
		t.Fatalf("%d rotations under one key: version %d -> %d, %d audit entries; want one rotation", n, before, after, e.auditCount()-audit-1)
	}
}
