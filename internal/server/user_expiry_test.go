// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/verifier"
)

// newClockedEnv is an env whose servers check user tokens' expiry against clock.
func newClockedEnv(t *testing.T, clock *testClock) *env {
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken()}
	e.configure = func(s *Server) { s.now = clock.now }
	e.url, e.store = e.serve(testDB(t), nil)
	return e
}

// TestUserExpiry: a user token works until its expires_at, then gets 401 saying that it expired
// and when; moving expires_at later (a PUT of the same user) keeps the key and makes the token
// work again; a PUT without expires_at removes the expiry.
func TestUserExpiry(t *testing.T) {
	clock := newTestClock()
	e := newClockedEnv(t, clock)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	at := clock.now().Add(time.Hour)
	var u apiv1.User
	e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, map[string]any{"expires_at": at.Format(time.RFC3339)}).decode(t, &u)
	if u.ExpiresAt == nil || !u.ExpiresAt.Equal(at) {
		t.Fatalf("the created user's expires_at: %v, want %v", u.ExpiresAt, at)
	}
	var read apiv1.User
	e.must(200, "GET", "/v1/customers/acme.com/users/joe", e.ops, nil).decode(t, &read)
	if read.ExpiresAt == nil || !read.ExpiresAt.Equal(at) {
		t.Fatalf("the read user's expires_at: %v, want %v", read.ExpiresAt, at)
	}
	e.must(200, "GET", "/v1/customers/acme.com", u.Token, nil)

	clock.add(time.Hour) // exactly at expires_at: expired
	r := e.must(401, "GET", "/v1/customers/acme.com", u.Token, nil)
	if r.errorCode() != "unauthenticated" || !strings.Contains(r.message(), "expired at 2030-01-01T01:00:00Z") ||
		!strings.Contains(r.message(), "joe@acme.com") {
		t.Fatalf("the expired token's answer: %s", r.body)
	}
	// Other keys are unaffected, and the expired user is still listed with its key for ops.
	e.must(200, "GET", "/v1/customers/acme.com/users/joe", e.ops, nil)

	later := at.Add(24 * time.Hour)
	var moved apiv1.User
	resp := e.must(200, "PUT", "/v1/customers/acme.com/users/joe", e.ops, map[string]any{"expires_at": later.Format(time.RFC3339)},
		"If-Match", read.ETag)
	resp.decode(t, &moved)
	if moved.Token != u.Token || moved.KeyID != u.KeyID || moved.ExpiresAt == nil || !moved.ExpiresAt.Equal(later) ||
		moved.ETag == read.ETag || resp.header.Get("ETag") != moved.ETag {
		t.Fatalf("moving expires_at: %+v (was %+v)", moved, read)
	}
	e.must(200, "GET", "/v1/customers/acme.com", u.Token, nil)

	// No body: the token never expires.
	var forever apiv1.User
	e.must(200, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil).decode(t, &forever)
	clock.add(365 * 24 * time.Hour)
	if forever.ExpiresAt != nil || forever.Token != u.Token {
		t.Fatalf("after a PUT without expires_at: %+v", forever)
	}
	e.must(200, "GET", "/v1/customers/acme.com", u.Token, nil)
	if r := e.must(200, "GET", "/v1/customers/acme.com/users/joe", e.ops, nil); strings.Contains(string(r.body), "expires_at") {
		t.Fatalf("a user without expiry shows expires_at: %s", r.body)
	}

	// A time already past is taken: the token stops at once.
	e.must(200, "PUT", "/v1/customers/acme.com/users/joe", e.ops, map[string]any{"expires_at": "2001-02-03T04:05:06+02:00"})
	if r := e.must(401, "GET", "/v1/customers/acme.com", u.Token, nil); !strings.Contains(r.message(), "expired at 2001-02-03T02:05:06Z") {
		t.Fatalf("a past expiry: %s", r.body)
	}
}

// TestUserExpiryInvalid: an expires_at that is not RFC 3339 is a 400 naming the field, and writes
// nothing.
func TestUserExpiryInvalid(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	before := e.snapshot()
	for _, body := range []any{
		map[string]any{"expires_at": "tomorrow"},
		map[string]any{"expires_at": "2030-01-01"},
		map[string]any{"expires_at": "2030-01-01T00:00:00"}, // no offset
		map[string]any{"expires_at": 1893456000},
	} {
		r := e.must(400, "PUT", "/v1/customers/acme.com/users/joe", e.ops, body)
		if r.field() != "expires_at" {
			t.Errorf("%v: field %q: %s", body, r.field(), r.body)
		}
	}
	if after := e.snapshot(); after != before {
		t.Fatalf("a refused PUT wrote:\n%s\n%s", before, after)
	}
}

// TestUserExpiryNotAGuess: the refusals of an expired token do not count as failed
// authentications: past the burst of failures an address may make, its expired token still gets
// its 401 with the expiry, and the ops key from the same address still works.
func TestUserExpiryNotAGuess(t *testing.T) {
	clock := newTestClock()
	e := newClockedEnv(t, clock)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	var u apiv1.User
	e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, map[string]any{"expires_at": clock.now().Add(time.Minute).Format(time.RFC3339)}).decode(t, &u)
	clock.add(time.Hour)
	for i := 0; i < AuthFailureBurst+5; i++ {
		if r := e.must(401, "GET", "/v1/customers/acme.com", u.Token, nil); !strings.Contains(r.message(), "expired at") {
			t.Fatalf("request %d: %s", i, r.body)
		}
	}
	e.must(200, "GET", "/v1/customers/acme.com", e.ops, nil)
	// An unknown key does count: the limit is still there.
	for i := 0; i < AuthFailureBurst; i++ {
		e.must(401, "GET", "/v1/customers/acme.com", "vcu_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil)
	}
	e.must(429, "GET", "/v1/customers/acme.com", e.ops, nil)
}

// TestAccountExpiry: an AWS account carries the expires_at a PUT gives it; a refusal before it is
// failed, one after it expired (with the date and what to do), final at once; a later PUT without
// it removes it, and the same refusal is failed again; a bad one is a 400 naming the field.
func TestAccountExpiry(t *testing.T) {
	f := newFakeAWS()
	f.set(goodRole, verifier.Result{Outcome: verifier.Verified, AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/r/s"})
	e := newVerifyEnv(t, f, VerificationConfig{})
	joe, _ := e.seed()
	future := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	var a apiv1.AWSAccount
	e.must(201, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole, "expires_at": future.Format(time.RFC3339)}).decode(t, &a)
	if a.ExpiresAt == nil || !a.ExpiresAt.Equal(future) {
		t.Fatalf("the account's expires_at: %v", a.ExpiresAt)
	}
	if got := e.waitVerification(acctPath, joe); got.Verification.State != apiv1.Verified || got.ExpiresAt == nil {
		t.Fatalf("before the expiry: %+v", got)
	}
	f.set(goodRole, verifier.Result{Outcome: verifier.Refused, Code: "AccessDenied", Message: "not authorized"})
	if e.must(200, "POST", acctPath+"/verify", joe, nil).decode(t, &a); a.Verification.State != apiv1.VerificationFailed {
		t.Fatalf("refused before the expiry: %+v", a.Verification)
	}

	// Past: the same refusal is the expiry.
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	e.must(200, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole, "expires_at": past.Format(time.RFC3339)})
	e.must(200, "POST", acctPath+"/verify", joe, nil).decode(t, &a)
	if a.Verification.State != apiv1.VerificationExpired || !strings.Contains(a.Verification.Message, "expired at 2001-02-03T04:05:06Z") ||
		!strings.Contains(a.Verification.Message, "AccessDenied") || !strings.Contains(a.Verification.Message, "expires_at") {
		t.Fatalf("refused after the expiry: %+v", a.Verification)
	}
	if got := e.account(acctPath, e.ops); got.Verification.State != apiv1.VerificationExpired {
		t.Fatalf("not recorded: %+v", got.Verification)
	}
	// Verified after the expiry (the trust was moved first): verified, whatever the date says.
	f.set(goodRole, verifier.Result{Outcome: verifier.Verified, AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/r/s"})
	if e.must(200, "POST", acctPath+"/verify", joe, nil).decode(t, &a); a.Verification.State != apiv1.Verified {
		t.Fatalf("verified after the date: %+v", a.Verification)
	}

	// Without expires_at, a refusal is failed again.
	var cleared apiv1.AWSAccount
	e.must(200, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole}).decode(t, &cleared)
	if cleared.ExpiresAt != nil {
		t.Fatalf("a PUT without expires_at kept it: %v", cleared.ExpiresAt)
	}
	f.set(goodRole, verifier.Result{Outcome: verifier.Refused, Code: "AccessDenied", Message: "not authorized"})
	if e.must(200, "POST", acctPath+"/verify", joe, nil).decode(t, &a); a.Verification.State != apiv1.VerificationFailed {
		t.Fatalf("refused without an expiry: %+v", a.Verification)
	}
	if r := e.must(400, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole, "expires_at": "soon"}); r.field() != "expires_at" {
		t.Fatalf("a bad expires_at: %s", r.body)
	}
}

// TestAccountExpiryKeepsFaults: after expires_at, a role that lets the platform in without the
// external id is still failed: it is assumable, which no expiry excuses.
func TestAccountExpiryKeepsFaults(t *testing.T) {
	f := newFakeAWS()
	e := newVerifyEnv(t, f, VerificationConfig{})
	joe, _ := e.seed()
	e.must(201, "PUT", acctPath, joe, map[string]any{"state": "in-progress"})
	e.must(200, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole, "expires_at": "2001-02-03T04:05:06Z"})
	f.set(goodRole, verifier.Result{Outcome: verifier.Refused, Code: verifier.CodeExternalIDNotRequired, Message: "assumed without the external id"})
	var a apiv1.AWSAccount
	if e.must(200, "POST", acctPath+"/verify", joe, nil).decode(t, &a); a.Verification.State != apiv1.VerificationFailed {
		t.Fatalf("a role open without the external id after its expiry: %+v", a.Verification)
	}
}

// expiredEvents is the user.expired events of the feed: user and expires_at.
func (e *env) expiredEvents() []string {
	e.t.Helper()
	var out []string
	for _, ev := range e.events("?limit=1000", e.ops).Events {
		if ev.Type != "user.expired" {
			continue
		}
		var p struct {
			Customer, User string
			ExpiresAt      *time.Time `json:"expires_at"`
		}
		if err := json.Unmarshal(ev.Payload, &p); err != nil || p.ExpiresAt == nil || p.Customer != ev.Customer {
			e.t.Fatalf("a user.expired event's payload %s: %v", ev.Payload, err)
		}
		out = append(out, p.User+"@"+p.Customer+" "+p.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return out
}

// TestUserExpiredEvent: once a user's expires_at passes by the server's clock, a sweep appends
// one user.expired event with its expiry, however often it sweeps; a user without expiry gets
// none; a user given a later expiry expires again; provisioned users' events say their expiry.
func TestUserExpiredEvent(t *testing.T) {
	clock := newTestClock()
	e := newClockedEnv(t, clock)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	now := clock.now()
	past, soon := now.Add(-time.Minute), now.Add(time.Hour)
	e.must(201, "PUT", "/v1/customers/acme.com/users/bob", e.ops, map[string]any{"expires_at": past.Format(time.RFC3339)})
	e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, map[string]any{"expires_at": soon.Format(time.RFC3339)})
	e.must(201, "PUT", "/v1/customers/acme.com/users/ann", e.ops, nil)
	provisioned := map[string]string{}
	for _, ev := range e.events("", e.ops).Events {
		if ev.Type == "user.provisioned" {
			var p map[string]any
			_ = json.Unmarshal(ev.Payload, &p)
			provisioned[fmt.Sprint(p["user"])] = fmt.Sprint(p["expires_at"])
		}
	}
	if provisioned["joe"] != soon.Format(time.RFC3339) || provisioned["ann"] != "<nil>" {
		t.Errorf("user.provisioned payloads' expires_at: %v", provisioned)
	}
	if got := e.expiredEvents(); len(got) != 0 {
		t.Fatalf("user.expired before any sweep: %v", got)
	}

	sweep := func() {
		t.Helper()
		if _, err := e.srv.expireUsers(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	sweep()
	sweep()
	bob := "bob@acme.com " + past.Format(time.RFC3339)
	if got := e.expiredEvents(); fmt.Sprint(got) != fmt.Sprint([]string{bob}) {
		t.Fatalf("after two sweeps: %v, want only bob's", got)
	}

	clock.add(time.Hour) // exactly at joe's expires_at
	sweep()
	sweep()
	joe := "joe@acme.com " + soon.Format(time.RFC3339)
	if got := e.expiredEvents(); fmt.Sprint(got) != fmt.Sprint([]string{bob, joe}) {
		t.Fatalf("after joe's expiry: %v", got)
	}

	// A later expiry, set by a PUT, expires again; the loop finds it.
	later := clock.now().Add(time.Hour)
	e.must(200, "PUT", "/v1/customers/acme.com/users/joe", e.ops, map[string]any{"expires_at": later.Format(time.RFC3339)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.srv.RunUserExpiry(ctx, 10*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	clock.add(2 * time.Hour)
	again := "joe@acme.com " + later.Format(time.RFC3339)
	waitFor(t, "joe's second expiry", func() bool { return len(e.expiredEvents()) == 3 })
	if got := e.expiredEvents(); fmt.Sprint(got) != fmt.Sprint([]string{bob, joe, again}) {
		t.Fatalf("after joe's second expiry: %v", got)
	}
}

// TestUserExpiredEventTwoServers: servers sweeping one database at once append each expiry's
// event once.
func TestUserExpiredEventTwoServers(t *testing.T) {
	clock := newTestClock()
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken()}
	e.configure = func(s *Server) { s.now = clock.now }
	db := testDB(t)
	e.url, e.store = e.serve(db, nil)
	first := e.srv
	_, _ = e.serve(db, nil)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	at := clock.now().Add(time.Minute).Format(time.RFC3339)
	for u := range 40 {
		e.must(201, "PUT", fmt.Sprintf("/v1/customers/acme.com/users/u%d", u), e.ops, map[string]any{"expires_at": at})
	}
	clock.add(time.Minute)
	var wg sync.WaitGroup
	for _, srv := range []*Server{first, e.srv, first, e.srv} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := srv.expireUsers(t.Context()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := e.expiredEvents()
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	if len(got) != 40 || len(seen) != 40 {
		t.Fatalf("%d user.expired events for 40 users (%d different): %v", len(got), len(seen), got)
	}
}
