// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
	"github.com/virtasant/terraform-provider-virtco/internal/verifier"
)

// fakeAWS answers verifications in-process: per role ARN, what AWS would say, and how often it
// was asked. A role with a gate waits for it (or for the context), to hold a verification open.
type fakeAWS struct {
	mu      sync.Mutex
	answers map[string]verifier.Result
	calls   map[string]int
	reqs    []verifier.Request
	gate    map[string]chan struct{}
	started chan string
}

func newFakeAWS() *fakeAWS {
	return &fakeAWS{answers: map[string]verifier.Result{}, calls: map[string]int{}, gate: map[string]chan struct{}{}, started: make(chan string, 16)}
}

func (f *fakeAWS) set(roleARN string, r verifier.Result) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[roleARN] = r
}

func (f *fakeAWS) count(roleARN string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[roleARN]
}

func (f *fakeAWS) Verify(ctx context.Context, req verifier.Request) verifier.Result {
	f.mu.Lock()
	f.calls[req.RoleARN]++
	f.reqs = append(f.reqs, req)
	r, ok := f.answers[req.RoleARN]
	gate := f.gate[req.RoleARN]
	f.mu.Unlock()
	if gate != nil {
		f.started <- req.RoleARN
		select {
		case <-gate:
		case <-ctx.Done():
			return verifier.Result{Outcome: verifier.Unreachable, Message: ctx.Err().Error()}
		}
	}
	if !ok {
		return verifier.Result{Outcome: verifier.Refused, Code: "AccessDenied", Message: "User: arn:aws:iam::111122223333:user/x is not authorized to perform: sts:AssumeRole on resource: " + req.RoleARN}
	}
	return r
}

// newVerifyEnv is newEnv with verification by f (off when f is nil), its loop running until the
// test ends.
func newVerifyEnv(t *testing.T, f *fakeAWS, cfg VerificationConfig) *env {
	t.Helper()
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken()}
	st, err := store.Open(t.Context(), testDB(t))
	if err != nil {
		t.Fatal(err)
	}
	if f != nil {
		cfg.Verifier = f
	}
	cfg.Poll = 20 * time.Millisecond
	srv, err := New(st, Config{OpsKey: e.ops, MasterToken: e.master, Verification: cfg})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { srv.RunVerification(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped; hs.Close(); _ = st.Close() })
	e.url, e.store, e.srv = hs.URL, st, srv
	return e
}

func (e *env) account(path, key string) apiv1.AWSAccount {
	e.t.Helper()
	var a apiv1.AWSAccount
	e.must(200, "GET", path, key, nil).decode(e.t, &a)
	return a
}

// waitVerification polls the account until its verification leaves pending.
func (e *env) waitVerification(path, key string) apiv1.AWSAccount {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		a := e.account(path, key)
		if a.Verification.State != apiv1.VerificationPending {
			return a
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s is still pending verification: %+v", path, a.Verification)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const (
	goodRole = "arn:aws:iam::123456789012:role/virtco-diagnostics-readonly"
	acctPath = "/v1/customers/acme.com/aws-accounts/123456789012"
)

// TestVerificationAfterDone: an account a user token registers done is verified in the background,
// as the customer's diag account with its external id; the verdict shows on the account, the
// customer and its status, without changing the account's entity tag.
func TestVerificationAfterDone(t *testing.T) {
	f := newFakeAWS()
	f.set(goodRole, verifier.Result{Outcome: verifier.Verified, AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/virtco-diagnostics-readonly/virtco-verify-acme.com"})
	e := newVerifyEnv(t, f, VerificationConfig{Interval: time.Hour})
	joe, _ := e.seed()
	put := e.must(201, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole})
	var created apiv1.AWSAccount
	put.decode(t, &created)
	if created.Verification.State != apiv1.VerificationPending || created.Verification.CheckedAt != nil {
		t.Fatalf("a new done account's verification: %+v", created.Verification)
	}
	a := e.waitVerification(acctPath, joe)
	if a.Verification.State != apiv1.Verified || a.Verification.CheckedAt == nil || !strings.Contains(a.Verification.AssumedRoleARN, "assumed-role/virtco-diagnostics-readonly") {
		t.Fatalf("verification: %+v", a.Verification)
	}
	if f.count(goodRole) != 1 {
		t.Errorf("%d verifications of one account, want 1", f.count(goodRole))
	}
	var c apiv1.Customer
	e.must(200, "GET", "/v1/customers/acme.com", e.ops, nil).decode(t, &c)
	f.mu.Lock()
	req := f.reqs[0]
	f.mu.Unlock()
	if req.ExternalID != c.ExternalID || req.DiagAccount != "Diag3" || req.DiagAccountID != "111122223333" || req.SessionName != "virtco-verify-acme.com" {
		t.Errorf("the verification asked %+v", req)
	}
	if get := e.must(200, "GET", acctPath, joe, nil); get.header.Get("ETag") != put.header.Get("ETag") {
		t.Errorf("the verification changed the account's ETag: %s → %s", put.header.Get("ETag"), get.header.Get("ETag"))
	}
	if c.Accounts[0].Verification.State != apiv1.Verified {
		t.Errorf("the customer's account: %+v", c.Accounts[0])
	}
	var st apiv1.CustomerStatus
	e.must(200, "GET", "/v1/customers/acme.com/status", joe, nil).decode(t, &st)
	if st.Accounts[0].Verification.State != apiv1.Verified || st.RoleStatus != apiv1.RoleDone {
		t.Errorf("status: %+v", st)
	}
	var list apiv1.AWSAccountList
	e.must(200, "GET", "/v1/customers/acme.com/aws-accounts", e.master, nil).decode(t, &list)
	if list.AWSAccounts[0].Verification.State != apiv1.Verified {
		t.Errorf("list: %+v", list)
	}
	if cstatus := fmt.Sprint(e.legacyJSON("cstatus", "acme.com")); !strings.Contains(cstatus, "cross_account_role_creation_status:done") {
		t.Errorf("legacy cstatus: %s", cstatus)
	}
	metrics := string(e.must(200, "GET", "/metrics", e.ops, nil).body)
	for _, want := range []string{`virtco_aws_account_verifications{state="verified"} 1`, `virtco_aws_account_verifications{state="failed"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestVerificationRetriesThenFails: a role refused right after done is retried within the
// timeout, pending meanwhile, then failed with AWS's words and what to check.
func TestVerificationRetriesThenFails(t *testing.T) {
	f := newFakeAWS() // every role refused
	e := newVerifyEnv(t, f, VerificationConfig{Timeout: 300 * time.Millisecond, Backoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})
	joe, _ := e.seed()
	e.must(201, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole})
	a := e.waitVerification(acctPath, joe)
	v := a.Verification
	if v.State != apiv1.VerificationFailed || v.CheckedAt == nil || v.AssumedRoleARN != "" {
		t.Fatalf("verification: %+v", v)
	}
	for _, want := range []string{"AccessDenied", "is not authorized to perform: sts:AssumeRole", "trust policy", "arn:aws:iam::111122223333:root",
		"sts:ExternalId", "external_id", "SCP"} {
		if !strings.Contains(v.Message, want) {
			t.Errorf("the message lacks %q: %s", want, v.Message)
		}
	}
	if n := f.count(goodRole); n < 2 {
		t.Errorf("refused %d times: not retried within the timeout", n)
	}
	n := f.count(goodRole)
	// Once failed, it is not retried (no interval).
	time.Sleep(100 * time.Millisecond)
	if f.count(goodRole) != n {
		t.Errorf("a failed verification kept being retried")
	}
}

// TestVerifyNow: POST .../verify answers with the outcome, recorded; who may ask, and when.
func TestVerifyNow(t *testing.T) {
	f := newFakeAWS()
	f.set(goodRole, verifier.Result{Outcome: verifier.Verified, AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/r/s"})
	e := newVerifyEnv(t, f, VerificationConfig{})
	joe, ann := e.seed()
	e.must(404, "POST", acctPath+"/verify", joe, nil)
	e.must(201, "PUT", acctPath, joe, map[string]any{"state": "in-progress"})
	if r := e.must(409, "POST", acctPath+"/verify", joe, nil); !strings.Contains(r.message(), "not done") {
		t.Errorf("verify an account in progress: %s", r.body)
	}
	e.must(200, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole})
	e.waitVerification(acctPath, joe)
	e.must(403, "POST", acctPath+"/verify", ann, nil)
	e.must(403, "POST", acctPath+"/verify", e.master, nil)

	// The trust changed outside: the next verification says so at once.
	f.set(goodRole, verifier.Result{Outcome: verifier.Refused, Code: "AccessDenied", Message: "not authorized"})
	var a apiv1.AWSAccount
	e.must(200, "POST", acctPath+"/verify", joe, nil).decode(t, &a)
	if a.Verification.State != apiv1.VerificationFailed || !strings.Contains(a.Verification.Message, "AccessDenied: not authorized") {
		t.Fatalf("verify after the trust changed: %+v", a.Verification)
	}
	if got := e.account(acctPath, joe); got.Verification.State != apiv1.VerificationFailed {
		t.Fatalf("not recorded: %+v", got.Verification)
	}
	// STS down: 503, the verdict unchanged.
	f.set(goodRole, verifier.Result{Outcome: verifier.Unreachable, Message: "connection refused"})
	if r := e.must(503, "POST", acctPath+"/verify", e.ops, nil); r.errorCode() != "unavailable" {
		t.Fatalf("%s", r.body)
	}
	if got := e.account(acctPath, joe); got.Verification.State != apiv1.VerificationFailed {
		t.Fatalf("an unanswered verification changed the verdict: %+v", got.Verification)
	}
	// Repaired: verified again.
	f.set(goodRole, verifier.Result{Outcome: verifier.Verified, AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/r/s"})
	e.must(200, "POST", acctPath+"/verify", e.ops, nil).decode(t, &a)
	if a.Verification.State != apiv1.Verified {
		t.Fatalf("after the repair: %+v", a.Verification)
	}
	// No credentials for the diag account: unavailable, with why.
	f.set(goodRole, verifier.Result{Outcome: verifier.NoCredentials, Message: "no credentials for diag account Diag3"})
	e.must(200, "POST", acctPath+"/verify", joe, nil).decode(t, &a)
	if a.Verification.State != apiv1.VerificationUnavailable || !strings.Contains(a.Verification.Message, "no credentials") {
		t.Fatalf("without credentials: %+v", a.Verification)
	}
}

// TestAccountRules: only the platform sets verification; a user token sets only its own states;
// no diag account's id; one customer per AWS account.
func TestAccountRules(t *testing.T) {
	e := newVerifyEnv(t, newFakeAWS(), VerificationConfig{})
	joe, ann := e.seed()
	before := e.snapshot()
	r := e.must(400, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole, "verification": map[string]any{"state": "verified"}})
	if r.field() != "verification" || !strings.Contains(r.message(), "set by the platform") {
		t.Errorf("a client sending verification: %s", r.body)
	}
	r = e.must(400, "PUT", acctPath, e.ops, map[string]any{"state": "done", "role_arn": goodRole, "verification": map[string]any{"state": "verified"}})
	if r.field() != "verification" {
		t.Errorf("ops sending verification: %s", r.body)
	}
	for _, body := range []map[string]any{{"state": "pending"}, {}} {
		if r := e.must(403, "PUT", acctPath, joe, body); !strings.Contains(r.message(), "in-progress, done and purge") {
			t.Errorf("a user token setting pending: %s", r.body)
		}
	}
	r = e.must(400, "PUT", "/v1/customers/acme.com/aws-accounts/111122223333", joe,
		map[string]any{"state": "done", "role_arn": "arn:aws:iam::111122223333:role/x"})
	if r.field() != "account_id" || !strings.Contains(r.message(), "diagnostic accounts") {
		t.Errorf("a diag account's id: %s", r.body)
	}
	e.must(400, "PUT", "/v1/customers/other.org/aws-accounts/999988887777", e.ops, map[string]any{"state": "in-progress"})
	if after := e.snapshot(); after != before {
		t.Errorf("refused writes changed the store")
	}
	e.must(201, "PUT", acctPath, joe, map[string]any{"state": "in-progress"})
	r = e.must(409, "PUT", "/v1/customers/other.org/aws-accounts/123456789012", ann, map[string]any{"state": "in-progress"})
	if !strings.Contains(r.message(), "registered to another customer") || strings.Contains(r.message(), "acme.com") {
		t.Errorf("another customer's account: %s", r.body)
	}
	e.must(409, "PUT", "/v1/customers/other.org/aws-accounts/123456789012", e.ops, map[string]any{"state": "pending"})
	e.must(201, "PUT", "/v1/customers/other.org/aws-accounts/123456789013", e.ops, map[string]any{"state": "pending"})
}

// TestVerificationOff: without a verifier every account is unavailable, and says why.
func TestVerificationOff(t *testing.T) {
	e := newVerifyEnv(t, nil, VerificationConfig{})
	joe, _ := e.seed()
	e.must(201, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole})
	var a apiv1.AWSAccount
	e.must(200, "POST", acctPath+"/verify", joe, nil).decode(t, &a)
	if a.Verification.State != apiv1.VerificationUnavailable || !strings.Contains(a.Verification.Message, "--verify-roles=false") {
		t.Fatalf("verification off: %+v", a.Verification)
	}
	if !strings.Contains(string(e.must(200, "GET", "/metrics", e.ops, nil).body), `virtco_aws_account_verifications{state="unavailable"} 1`) {
		t.Error("the gauge does not count the account unavailable")
	}
}

// TestRevocationNeverWaits: a purge and a removal go through while a verification of the
// account is under way, and its verdict is dropped.
func TestRevocationNeverWaits(t *testing.T) {
	f := newFakeAWS()
	f.set(goodRole, verifier.Result{Outcome: verifier.Verified})
	gate := make(chan struct{})
	f.gate[goodRole] = gate
	e := newVerifyEnv(t, f, VerificationConfig{})
	joe, _ := e.seed()
	e.must(201, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole})
	<-f.started // the verification is asking AWS
	revoked := make(chan struct{})
	go func() {
		defer close(revoked)
		e.must(200, "PUT", acctPath, joe, map[string]any{"state": "purge", "role_arn": goodRole})
		e.must(204, "DELETE", acctPath, joe, nil)
	}()
	select {
	case <-revoked:
	case <-time.After(20 * time.Second):
		t.Fatal("the revocation waited on the verification")
	}
	close(gate)
	e.must(404, "GET", acctPath, joe, nil)
}

// TestVerificationStopsOnShutdown: RunVerification returns when its context ends, even with a
// verification waiting on AWS, and gives that account back, due, to whichever server runs next.
func TestVerificationStopsOnShutdown(t *testing.T) {
	f := newFakeAWS()
	f.gate[goodRole] = make(chan struct{}) // never opened
	e := newVerifyEnv(t, nil, VerificationConfig{})
	joe, _ := e.seed()
	srv, err := New(e.store, Config{OpsKey: e.ops, Verification: VerificationConfig{Verifier: f, Poll: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	e.must(201, "PUT", acctPath, joe, map[string]any{"state": "done", "role_arn": goodRole})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { srv.RunVerification(ctx); close(stopped) }()
	<-f.started
	cancel()
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("RunVerification did not stop")
	}
	jobs, err := e.store.ClaimDueVerifications(t.Context(), "next", time.Minute, 10)
	if err != nil || len(jobs) != 1 || jobs[0].Verification.State != store.VerifyPending {
		t.Fatalf("the account was not given back: %+v %v", jobs, err)
	}
}
