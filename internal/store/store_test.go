// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
)

// The same suite runs on every engine; openers give each test a fresh, empty store.
func TestSQLite(t *testing.T) {
	runSuite(t, func(t *testing.T) Store { return openStore(t, filepath.Join(t.TempDir(), "virtco.db")) })
}

// openStore opens the store db names, closed when the test ends.
func openStore(t *testing.T, db string) Store {
	t.Helper()
	s, err := Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func runSuite(t *testing.T, open func(t *testing.T) Store) {
	tests := map[string]func(t *testing.T, s Store){
		"DiagAccounts":           testDiagAccounts,
		"CustomerLifecycle":      testCustomerLifecycle,
		"CustomerPreconditions":  testCustomerPreconditions,
		"ChildPreconditions":     testChildPreconditions,
		"Users":                  testUsers,
		"UserExpiry":             testUserExpiry,
		"AccountExpiry":          testAccountExpiry,
		"AWSAccounts":            testAWSAccounts,
		"Provision":              testProvision,
		"MasterToken":            testMasterToken,
		"ConcurrentUsers":        testConcurrentUsers,
		"Audit":                  testAudit,
		"AuditFieldCaps":         testAuditFieldCaps,
		"AuditRetention":         testAuditRetention,
		"Counts":                 testCounts,
		"Idempotency":            testIdempotency,
		"IdempotencyExpiry":      testIdempotencyExpiry,
		"IdempotencyConcurrent":  testIdempotencyConcurrent,
		"Verification":           testVerification,
		"VerificationClaimsRace": testVerificationClaimsRace,
		"Events":                 testEvents,
		"EventsFeedOrder":        testEventsFeedOrder,
		"DeliveryChains":         testDeliveryChains,
		"Deliveries":             testDeliveries,
		"EventRetention":         testEventRetention,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) { fn(t, open(t)) })
	}
}

func key(n int) NewKey {
	return NewKey{KeyID: fmt.Sprintf("k%09d", n), Token: fmt.Sprintf("vcu_token-%040d", n)}
}

func mustDiag(t *testing.T, s Store, name, status string) {
	t.Helper()
	if _, _, err := s.PutDiagAccount(t.Context(), DiagAccount{Name: name, AccountID: "111122223333", Region: "us-east-1", Status: status}); err != nil {
		t.Fatal(err)
	}
}

func mustCustomer(t *testing.T, s Store, name, diag string) Customer {
	t.Helper()
	c, _, err := s.PutCustomer(t.Context(), name, CustomerSpec{DiagAccount: diag, AWSRegion: "us-east-1", AutoRunFinders: true}, "ext-"+name, Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testDiagAccounts(t *testing.T, s Store) {
	ctx := t.Context()
	d, created, err := s.PutDiagAccount(ctx, DiagAccount{Name: "Diag3", AccountID: "111122223333", Region: "us-east-1", Status: DiagReady})
	if err != nil || !created || d.AccountID != "111122223333" || d.CreatedAt.IsZero() {
		t.Fatalf("create: %+v %v %v", d, created, err)
	}
	d, created, err = s.PutDiagAccount(ctx, DiagAccount{Name: "Diag3", AccountID: "444455556666", Region: "eu-west-1", Status: DiagUnavailable})
	if err != nil || created || d.AccountID != "444455556666" || d.Status != DiagUnavailable {
		t.Fatalf("update: %+v %v %v", d, created, err)
	}
	mustDiag(t, s, "Diag1", DiagReady)
	list, err := s.ListDiagAccounts(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "Diag1" || list[1].Name != "Diag3" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := s.GetDiagAccount(ctx, "Nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
}

func testCustomerLifecycle(t *testing.T, s Store) {
	ctx := t.Context()
	mustDiag(t, s, "Diag3", DiagReady)
	mustDiag(t, s, "Diag4", DiagProvisioning)

	if _, _, err := s.PutCustomer(ctx, "acme.com", CustomerSpec{DiagAccount: "Nope"}, "x", Precondition{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown diag account: %v", err)
	}
	if _, err := s.GetCustomer(ctx, "acme.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused create wrote something: %v", err)
	}

	spec := CustomerSpec{DiagAccount: "Diag3", AWSRegion: "eu-west-1", Regions: []string{"eu-west-1", "us-east-1"}, AutoRunFinders: false}
	c, created, err := s.PutCustomer(ctx, "acme.com", spec, "ext-1", Precondition{})
	if err != nil || !created {
		t.Fatal(created, err)
	}
	if c.ExternalID != "ext-1" || c.Version != 1 || c.DiagStatus() != DiagReady || c.RoleStatus() != StatePending ||
		c.AWSRegion != "eu-west-1" || len(c.Regions) != 2 || c.AutoRunFinders || c.Diag == nil || c.Diag.AccountID != "111122223333" {
		t.Fatalf("created customer: %+v", c)
	}

	spec.DiagAccount = "Diag4"
	c, created, err = s.PutCustomer(ctx, "acme.com", spec, "ext-2", Precondition{})
	if err != nil || created || c.ExternalID != "ext-1" || c.Version != 2 || c.DiagStatus() != DiagAccountUnavailable {
		t.Fatalf("update: the external id must not change and the version must: %+v %v %v", c, created, err)
	}

	if _, _, err := s.PutUser(ctx, "acme.com", "joe", key(1), Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutAWSAccount(ctx, AWSAccount{Customer: "acme.com", AccountID: "123456789012", State: StateInProgress}, Precondition{}); err != nil {
		t.Fatal(err)
	}
	c, err = s.GetCustomer(ctx, "acme.com")
	if err != nil || len(c.Users) != 1 || c.Users[0] != "joe" || len(c.Accounts) != 1 || c.RoleStatus() != StateInProgress || c.Version != 4 {
		t.Fatalf("customer with a user and an account: %+v %v", c, err)
	}
	list, err := s.ListCustomers(ctx)
	if err != nil || len(list) != 1 || list[0].RoleStatus != StateInProgress || list[0].DiagAccount != "Diag4" {
		t.Fatalf("list: %+v %v", list, err)
	}

	if err := s.DeleteCustomer(ctx, "acme.com", Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCustomer(ctx, "acme.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := s.UserByToken(ctx, key(1).Token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the deleted customer's key still works: %v", err)
	}
	if err := s.DeleteCustomer(ctx, "acme.com", Precondition{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	// The name can be used again, with a new external id.
	if c := mustCustomer(t, s, "acme.com", ""); c.ExternalID != "ext-acme.com" || len(c.Users) != 0 || len(c.Accounts) != 0 {
		t.Fatalf("re-created: %+v", c)
	}
}

// Every write of a user or an AWS account meets the version of that user or account: a stale one
// changes nothing, a list matches if any entry does, and If-None-Match: * refuses an existing one.
func testChildPreconditions(t *testing.T, s Store) {
	ctx := t.Context()
	mustCustomer(t, s, "acme.com", "")
	u, _, err := s.PutUser(ctx, "acme.com", "joe", key(1), Precondition{MustNotExist: true})
	if err != nil || u.Version < 1 {
		t.Fatalf("create-only user: %+v %v", u, err)
	}
	if _, _, err := s.PutUser(ctx, "acme.com", "joe", key(2), Precondition{MustNotExist: true}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("If-None-Match: * on an existing user: %v", err)
	}
	if _, err := s.RotateUser(ctx, "acme.com", "joe", key(3), IfMatch(u.Version+1)); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("rotate with a stale version: %v", err)
	}
	if got, _ := s.GetUser(ctx, "acme.com", "joe"); got.Token != key(1).Token {
		t.Fatal("a refused rotation rotated")
	}
	r, err := s.RotateUser(ctx, "acme.com", "joe", key(4), IfMatch(7, u.Version))
	if err != nil || r.Version != u.Version+1 || r.Token != key(4).Token {
		t.Fatalf("rotate with a list that holds the version: %+v %v", r, err)
	}
	if err := s.DeleteUser(ctx, "acme.com", "joe", IfMatch(u.Version)); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("delete with the version before the rotation: %v", err)
	}
	if err := s.DeleteUser(ctx, "acme.com", "joe", IfMatch()); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("delete with tags none of which can match: %v", err)
	}
	if err := s.DeleteUser(ctx, "acme.com", "ann", Precondition{MustExist: true}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("If-Match: * on a user that does not exist: %v", err)
	}
	if err := s.DeleteUser(ctx, "acme.com", "joe", IfMatch(r.Version)); err != nil {
		t.Fatalf("delete with the current version: %v", err)
	}
	// Provisioned again, joe is another user: no tag of the first one matches it.
	again, _, err := s.PutUser(ctx, "acme.com", "joe", key(5), Precondition{})
	if err != nil || again.Version == u.Version || again.Version == r.Version {
		t.Fatalf("a user provisioned again has version %d, the first one had %d then %d (%v)", again.Version, u.Version, r.Version, err)
	}

	a := AWSAccount{Customer: "acme.com", AccountID: "123456789012", State: StateInProgress}
	got, created, err := s.PutAWSAccount(ctx, a, Precondition{MustNotExist: true})
	if err != nil || !created || got.Version < 1 {
		t.Fatalf("create-only account: %+v %v %v", got, created, err)
	}
	a.State, a.RoleARN = StateDone, "arn:aws:iam::123456789012:role/r"
	if _, _, err := s.PutAWSAccount(ctx, a, IfMatch(got.Version+1)); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("account put with a stale version: %v", err)
	}
	if got, _ := s.GetAWSAccount(ctx, "acme.com", "123456789012"); got.State != StateInProgress {
		t.Fatal("a refused account put changed the account")
	}
	done, _, err := s.PutAWSAccount(ctx, a, IfMatch(got.Version))
	if err != nil || done.Version != got.Version+1 || done.State != StateDone {
		t.Fatalf("account put with the current version: %+v %v", done, err)
	}
	if err := s.DeleteAWSAccount(ctx, "acme.com", "123456789012", IfMatch(got.Version)); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("account delete with a stale version: %v", err)
	}
	if err := s.DeleteAWSAccount(ctx, "acme.com", "123456789012", IfMatch(done.Version)); err != nil {
		t.Fatal(err)
	}
}

func testCustomerPreconditions(t *testing.T, s Store) {
	ctx := t.Context()
	spec := CustomerSpec{AWSRegion: "us-east-1"}
	if _, _, err := s.PutCustomer(ctx, "a.com", spec, "e1", Precondition{MustExist: true}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("If-Match: * on a new customer: %v", err)
	}
	c, _, err := s.PutCustomer(ctx, "a.com", spec, "e1", Precondition{MustNotExist: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutCustomer(ctx, "a.com", spec, "e1", Precondition{MustNotExist: true}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("If-None-Match: * on an existing customer: %v", err)
	}
	if _, _, err := s.PutCustomer(ctx, "a.com", spec, "e1", IfMatch(c.Version+1)); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("stale version: %v", err)
	}
	if _, _, err := s.PutCustomer(ctx, "a.com", spec, "e1", IfMatch(c.Version)); err != nil {
		t.Fatalf("current version: %v", err)
	}
	if err := s.DeleteCustomer(ctx, "a.com", IfMatch(c.Version)); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("delete with a stale version: %v", err)
	}
	if _, err := s.GetCustomer(ctx, "a.com"); err != nil {
		t.Fatalf("a refused delete deleted: %v", err)
	}
}

func testUsers(t *testing.T, s Store) {
	ctx := t.Context()
	if _, _, err := s.PutUser(ctx, "acme.com", "joe", key(1), Precondition{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("user of a missing customer: %v", err)
	}
	mustCustomer(t, s, "acme.com", "")
	u, created, err := s.PutUser(ctx, "acme.com", "joe", key(1), Precondition{})
	if err != nil || !created || u.Token != key(1).Token || u.KeyName() != "joe@acme.com-API-Key" {
		t.Fatalf("create: %+v %v %v", u, created, err)
	}
	u, created, err = s.PutUser(ctx, "acme.com", "joe", key(2), Precondition{})
	if err != nil || created || u.Token != key(1).Token || u.KeyID != key(1).KeyID {
		t.Fatalf("an existing user must keep its key: %+v %v %v", u, created, err)
	}
	if owner, err := s.UserByToken(ctx, key(1).Token); err != nil || owner.Name != "joe" || owner.Customer != "acme.com" {
		t.Fatalf("by token: %+v %v", owner, err)
	}
	u, err = s.RotateUser(ctx, "acme.com", "joe", key(3), Precondition{})
	if err != nil || u.Token != key(3).Token || u.KeyID != key(1).KeyID {
		t.Fatalf("rotate: %+v %v", u, err)
	}
	if _, err := s.UserByToken(ctx, key(1).Token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the old token still works after rotation: %v", err)
	}
	if _, err := s.RotateUser(ctx, "acme.com", "ann", key(4), Precondition{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rotate unknown: %v", err)
	}
	if _, _, err := s.PutUser(ctx, "acme.com", "ann", key(5), Precondition{}); err != nil {
		t.Fatal(err)
	}
	users, err := s.ListUsers(ctx, "acme.com")
	if err != nil || len(users) != 2 || users[0].Name != "ann" || users[1].Name != "joe" {
		t.Fatalf("list: %+v %v", users, err)
	}
	if err := s.DeleteUser(ctx, "acme.com", "joe", Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, key(3).Token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a deleted user's token still works: %v", err)
	}
	if _, err := s.UserByToken(ctx, key(5).Token); err != nil {
		t.Fatalf("deleting joe revoked ann: %v", err)
	}
	if err := s.DeleteUser(ctx, "acme.com", "joe", Precondition{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.ListUsers(ctx, "nope.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("users of a missing customer: %v", err)
	}
}

func testAWSAccounts(t *testing.T, s Store) {
	ctx := t.Context()
	a := AWSAccount{Customer: "acme.com", AccountID: "123456789012", State: StateInProgress, Regions: []string{"us-east-1"}}
	if _, _, err := s.PutAWSAccount(ctx, a, Precondition{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("account of a missing customer: %v", err)
	}
	mustCustomer(t, s, "acme.com", "")
	got, created, err := s.PutAWSAccount(ctx, a, Precondition{})
	if err != nil || !created || got.State != StateInProgress || len(got.Regions) != 1 {
		t.Fatalf("create: %+v %v %v", got, created, err)
	}
	a.State, a.RoleARN = StateDone, "arn:aws:iam::123456789012:role/r"
	got, created, err = s.PutAWSAccount(ctx, a, Precondition{})
	if err != nil || created || got.RoleARN != a.RoleARN || got.State != StateDone {
		t.Fatalf("update: %+v %v %v", got, created, err)
	}
	if _, _, err := s.PutAWSAccount(ctx, AWSAccount{Customer: "acme.com", AccountID: "210987654321", State: StatePurge}, Precondition{}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListAWSAccounts(ctx, "acme.com")
	if err != nil || len(list) != 2 || list[0].AccountID != "123456789012" || RoleStatus(list) != StatePurge {
		t.Fatalf("list: %+v %v", list, err)
	}
	if err := s.DeleteAWSAccount(ctx, "acme.com", "210987654321", Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAWSAccount(ctx, "acme.com", "210987654321"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if c, _ := s.GetCustomer(ctx, "acme.com"); c.RoleStatus() != StateDone {
		t.Fatalf("role status: %s", c.RoleStatus())
	}
}

func testProvision(t *testing.T, s Store) {
	ctx := t.Context()
	mustDiag(t, s, "Diag3", DiagReady)
	mustDiag(t, s, "Diag4", DiagReady)
	if _, err := s.Provision(ctx, "acme.com", "joe", "Nope", "e", key(1)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown diag: %v", err)
	}
	if _, err := s.GetCustomer(ctx, "acme.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused provision wrote the customer: %v", err)
	}
	u, err := s.Provision(ctx, "acme.com", "joe", "Diag3", "e", key(1))
	if err != nil || u.Token != key(1).Token {
		t.Fatal(u, err)
	}
	u, err = s.Provision(ctx, "acme.com", "joe", "Diag4", "other", key(2))
	if err != nil || u.Token != key(1).Token {
		t.Fatalf("re-provisioning must return the existing key: %+v %v", u, err)
	}
	c, _ := s.GetCustomer(ctx, "acme.com")
	if c.DiagAccount != "Diag4" || c.ExternalID != "e" || c.AWSRegion != DefaultAWSRegion || !c.AutoRunFinders {
		t.Fatalf("customer after provisioning: %+v", c)
	}
	if _, err := s.Provision(ctx, "acme.com", "ann", "", "x", key(3)); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.GetCustomer(ctx, "acme.com"); c.DiagAccount != "Diag4" || len(c.Users) != 2 {
		t.Fatalf("provisioning without a diag account must keep the customer's: %+v", c)
	}
}

func testMasterToken(t *testing.T, s Store) {
	ctx := t.Context()
	tok, err := s.MasterToken(ctx, "first")
	if err != nil || tok != "first" {
		t.Fatal(tok, err)
	}
	if tok, _ := s.MasterToken(ctx, "second"); tok != "first" {
		t.Fatalf("the master token changed: %s", tok)
	}
	if err := s.SetMasterToken(ctx, "set"); err != nil {
		t.Fatal(err)
	}
	if tok, _ := s.MasterToken(ctx, "third"); tok != "set" {
		t.Fatalf("after set: %s", tok)
	}
}

func testConcurrentUsers(t *testing.T, s Store) {
	ctx := t.Context()
	mustCustomer(t, s, "acme.com", "")
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _, err := s.PutUser(ctx, "acme.com", fmt.Sprintf("user%02d", i), key(i), Precondition{})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	users, err := s.ListUsers(ctx, "acme.com")
	if err != nil || len(users) != n {
		t.Fatalf("%d users, want %d: %v", len(users), n, err)
	}
	if c, _ := s.GetCustomer(ctx, "acme.com"); c.Version != 1+n {
		t.Fatalf("version %d after %d user writes", c.Version, n)
	}
}

func TestSQLiteReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "virtco.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustCustomer(t, s, "acme.com", "")
	if _, _, err := s.PutUser(ctx, "acme.com", "joe", key(1), Precondition{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Opening again applies no migration twice and finds what was written.
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if u, err := s.UserByToken(ctx, key(1).Token); err != nil || u.Name != "joe" {
		t.Fatalf("after reopening: %+v %v", u, err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.Context(), filepath.Join(t.TempDir(), "missing", "virtco.db")); err == nil {
		t.Fatal("opened a database in a directory that does not exist")
	}
}

func TestPostgres(t *testing.T) {
	pg := pgtest.Shared(t)
	runSuite(t, func(t *testing.T) Store { return openStore(t, pg.NewDatabase(t)) })
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Cleanup()
	os.Exit(code)
}

func testAudit(t *testing.T, s Store) {
	ctx := t.Context()
	ok := &AuditEntry{KeyKind: "ops", Action: "customer.put", Request: "PUT /v1/customers/acme.com", Customer: "acme.com", Target: "acme.com"}
	if _, _, err := s.PutCustomer(WithAudit(ctx, ok), "acme.com", CustomerSpec{AWSRegion: "us-east-1"}, "e", Precondition{}); err != nil {
		t.Fatal(err)
	}
	if !ok.Recorded() || ok.Outcome != OutcomeOK {
		t.Fatalf("a committed write's entry: %+v", ok)
	}
	// A write that fails leaves its entry unrecorded, for the caller to record as refused.
	failed := &AuditEntry{KeyKind: "ops", Action: "customer.put", Customer: "acme.com", Target: "acme.com"}
	_, _, err := s.PutCustomer(WithAudit(ctx, failed), "acme.com", CustomerSpec{DiagAccount: "Nope"}, "e", Precondition{})
	if !errors.Is(err, ErrInvalid) || failed.Recorded() {
		t.Fatalf("failed write: %v, recorded %v", err, failed.Recorded())
	}
	failed.Outcome, failed.Detail = "400 invalid_argument", "no such diag account"
	if err := s.RecordAudit(ctx, failed); err != nil || !failed.Recorded() {
		t.Fatal(err)
	}
	other := &AuditEntry{KeyKind: "user", KeyID: "k1", Actor: "ann@other.org", Action: "user.put", Customer: "other.org", Outcome: "403 permission_denied"}
	if err := s.RecordAudit(ctx, other); err != nil {
		t.Fatal(err)
	}

	all, err := s.ListAudit(ctx, AuditFilter{})
	if err != nil || len(all) != 3 || all[0].Outcome != OutcomeOK || all[1].Detail != "no such diag account" || all[2].Actor != "ann@other.org" {
		t.Fatalf("all entries: %+v %v", all, err)
	}
	acme, _ := s.ListAudit(ctx, AuditFilter{Customer: "acme.com"})
	page, _ := s.ListAudit(ctx, AuditFilter{AfterID: all[0].ID, Limit: 1})
	future, _ := s.ListAudit(ctx, AuditFilter{Since: all[2].At.Add(time.Second)})
	past, _ := s.ListAudit(ctx, AuditFilter{Until: all[0].At})
	window, _ := s.ListAudit(ctx, AuditFilter{Since: all[0].At, Until: all[2].At.Add(time.Second)})
	if len(acme) != 2 || len(page) != 1 || page[0].ID != all[1].ID || len(future) != 0 || len(past) != 0 || len(window) != 3 {
		t.Fatalf("filters: customer %d, page %+v, future %d, past %d, window %d", len(acme), page, len(future), len(past), len(window))
	}
	// Entries outlive what they describe.
	if err := s.DeleteCustomer(WithAudit(ctx, &AuditEntry{Action: "customer.delete", Customer: "acme.com"}), "acme.com", Precondition{}); err != nil {
		t.Fatal(err)
	}
	if acme, _ := s.ListAudit(ctx, AuditFilter{Customer: "acme.com"}); len(acme) != 3 {
		t.Fatalf("after the customer was deleted: %d entries", len(acme))
	}
}

// testAuditFieldCaps: whatever a request carries, each field of its entry is kept to its cap, cut
// on a rune boundary and marked, and bytes PostgreSQL's text refuses are replaced.
func testAuditFieldCaps(t *testing.T, s Store) {
	ctx := t.Context()
	path := "/v1/customers/" + strings.Repeat("é", 40_000)
	e := &AuditEntry{KeyKind: "ops", Action: "customer.put", Request: "PUT " + path, Customer: path[14:], Target: path[14:],
		Outcome: "400 invalid_argument", Detail: strings.Repeat("x", 5000)}
	if err := s.RecordAudit(ctx, e); err != nil {
		t.Fatal(err)
	}
	odd := &AuditEntry{KeyKind: "ops", Action: "customer.put", Request: "PUT /v1/customers/a\x00b\xffc", Target: "a\x00b\xffc", Outcome: "400 invalid_argument"}
	if err := s.RecordAudit(ctx, odd); err != nil {
		t.Fatalf("an entry with a NUL and invalid UTF-8: %v", err)
	}
	all, err := s.ListAudit(ctx, AuditFilter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("%d entries, %v", len(all), err)
	}
	got := all[0]
	for name, f := range map[string]string{"request": got.Request, "customer": got.Customer, "target": got.Target} {
		if len(f) > AuditFieldMax || !utf8.ValidString(f) || !strings.HasSuffix(f, auditCutMark) {
			t.Errorf("%s: %d bytes, valid UTF-8 %v, ends %q", name, len(f), utf8.ValidString(f), f[max(0, len(f)-12):])
		}
	}
	if !strings.HasPrefix(got.Request, "PUT /v1/customers/éé") || len(got.Detail) != AuditDetailMax || got.Outcome != "400 invalid_argument" {
		t.Errorf("entry as kept: %q %d %q", got.Request[:30], len(got.Detail), got.Outcome)
	}
	if all[1].Target != "a\uFFFDb\uFFFDc" {
		t.Errorf("target with a NUL and invalid UTF-8 kept as %q", all[1].Target)
	}
}

// testAuditRetention: PruneAudit deletes entries older than the retention only, at most a batch
// at a time, and nothing with a retention of zero (keep everything).
func testAuditRetention(t *testing.T, s Store) {
	ctx := t.Context()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s.(*sqlStore).now = func() time.Time { return now }
	const retention = 90 * 24 * time.Hour
	err := s.(*sqlStore).write(ctx, func(t tx) error {
		for i := 0; i < 250; i++ {
			e := &AuditEntry{At: now.Add(time.Duration(i) * time.Second), KeyKind: "ops", Action: "customer.put", Target: fmt.Sprint("old", i), Outcome: OutcomeOK}
			if err := insertAudit(ctx, t, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	for i := 0; i < 3; i++ {
		if err := s.RecordAudit(ctx, &AuditEntry{KeyKind: "ops", Action: "user.put", Target: fmt.Sprint("new", i), Outcome: OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
	prune := func(retention time.Duration, limit int) int {
		t.Helper()
		n, err := s.PruneAudit(ctx, retention, limit)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// At exactly the retention, the first entry is kept.
	now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).Add(retention)
	if n := prune(retention, 100); n != 0 {
		t.Fatalf("pruned %d entries that are not older than the retention", n)
	}
	now = now.Add(time.Hour)
	if n := prune(0, 100); n != 0 {
		t.Fatalf("a retention of 0 keeps everything, but %d were pruned", n)
	}
	var batches []int
	for n := prune(retention, 100); n > 0; n = prune(retention, 100) {
		batches = append(batches, n)
	}
	if fmt.Sprint(batches) != "[100 100 50]" {
		t.Fatalf("pruned in batches %v, want [100 100 50]", batches)
	}
	left, err := s.ListAudit(ctx, AuditFilter{})
	if err != nil || len(left) != 3 || left[0].Target != "new0" {
		t.Fatalf("after pruning: %+v %v", left, err)
	}
}

func testCounts(t *testing.T, s Store) {
	ctx := t.Context()
	mustCustomer(t, s, "acme.com", "")
	mustCustomer(t, s, "other.org", "")
	for i, u := range []string{"joe", "ann", "bob"} {
		if _, _, err := s.PutUser(ctx, "acme.com", u, key(i), Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []AWSAccount{{Customer: "acme.com", AccountID: "111111111111", State: StateDone, RoleARN: "arn:aws:iam::111111111111:role/r"},
		{Customer: "other.org", AccountID: "222222222222", State: StateInProgress}} {
		if _, _, err := s.PutAWSAccount(ctx, a, Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := s.Counts(ctx)
	if err != nil || c.Customers != 2 || c.Users != 3 || c.Roles[StateDone] != 1 || c.Roles[StateInProgress] != 1 {
		t.Fatalf("counts: %+v %v", c, err)
	}
}

// writtenAnswer is the tests' rendering of what a write made: 201 when it created something, and
// the whole of what it made as the body, so that a replay shows whether it ran again.
func writtenAnswer(w Written) Answer {
	status := 200
	if w.Created {
		status = 201
	}
	body, _ := json.Marshal(w)
	return Answer{Status: status, Header: map[string]string{"X-Token": w.User.Token}, Body: body}
}

func idem(scope, key, fingerprint string) *IdempotencyKey {
	return &IdempotencyKey{Scope: scope, Key: key, Fingerprint: fingerprint, Answer: writtenAnswer}
}

// idemCtx is a context for a write under k, with an audit entry of the action.
func idemCtx(ctx context.Context, k *IdempotencyKey, action string) (context.Context, *AuditEntry) {
	e := &AuditEntry{KeyKind: "ops", Action: action, Customer: "acme.com"}
	return WithAudit(WithIdempotencyKey(ctx, k), e), e
}

func countAudit(t *testing.T, s Store) int {
	t.Helper()
	all, err := s.ListAudit(t.Context(), AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

func countKeys(t *testing.T, s Store) int {
	t.Helper()
	var n int
	if err := s.(*sqlStore).rdb.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM idempotency_keys`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testIdempotency(t *testing.T, s Store) {
	ctx := t.Context()
	mustDiag(t, s, "Diag3", DiagReady)

	// A write that fails records nothing: its retry under the same key runs.
	failed, entry := idemCtx(ctx, idem("ops", "k-user", "PUT joe"), "user.put")
	if _, _, err := s.PutUser(failed, "acme.com", "joe", key(1), Precondition{}); !errors.Is(err, ErrNotFound) || entry.Recorded() {
		t.Fatalf("user of a missing customer: %v", err)
	}
	if n := countKeys(t, s); n != 0 {
		t.Fatalf("a failed write left %d idempotency records", n)
	}

	// Each write under a key, then its retry under the same key: the retry runs nothing (the
	// customer's version stays, no audit entry is added) and gets the first answer.
	writes := []struct {
		name, action string
		write        func(ctx context.Context, attempt int) error
	}{
		{"PutCustomer", "customer.put", func(ctx context.Context, attempt int) error {
			_, _, err := s.PutCustomer(ctx, "acme.com", CustomerSpec{AWSRegion: "us-east-1"}, fmt.Sprintf("ext-%d", attempt), Precondition{MustNotExist: true})
			return err
		}},
		{"PutUser", "user.put", func(ctx context.Context, attempt int) error {
			_, _, err := s.PutUser(ctx, "acme.com", "joe", key(10+attempt), Precondition{})
			return err
		}},
		{"RotateUser", "user.rotate", func(ctx context.Context, attempt int) error {
			_, err := s.RotateUser(ctx, "acme.com", "joe", key(20+attempt), Precondition{})
			return err
		}},
		{"PutAWSAccount", "aws_account.put", func(ctx context.Context, attempt int) error {
			_, _, err := s.PutAWSAccount(ctx, AWSAccount{Customer: "acme.com", AccountID: "123456789012", State: StatePending}, Precondition{})
			return err
		}},
		{"Provision", "legacy.provision", func(ctx context.Context, attempt int) error {
			_, err := s.Provision(ctx, "acme.com", "bob", "Diag3", "x", key(30+attempt))
			return err
		}},
	}
	for _, w := range writes {
		k := idem("ops", "k-"+w.name, w.name)
		first, entry := idemCtx(ctx, k, w.action)
		if err := w.write(first, 0); err != nil || !entry.Recorded() {
			t.Fatalf("%s: %v", w.name, err)
		}
		audit := countAudit(t, s)
		c, _ := s.GetCustomer(ctx, "acme.com")
		retry, entry := idemCtx(ctx, idem("ops", "k-"+w.name, w.name), w.action)
		err := w.write(retry, 1)
		var replay *ReplayError
		if !errors.As(err, &replay) || entry.Recorded() {
			t.Fatalf("%s retried: %v", w.name, err)
		}
		var got Written
		if err := json.Unmarshal(replay.Answer.Body, &got); err != nil {
			t.Fatal(err)
		}
		switch w.name {
		case "PutCustomer":
			if replay.Answer.Status != 201 || got.Customer.ExternalID != "ext-0" {
				t.Fatalf("%s: the replay is not the first answer: %d %s", w.name, replay.Answer.Status, replay.Answer.Body)
			}
		case "PutUser", "Provision", "RotateUser":
			u, _ := s.GetUser(ctx, "acme.com", got.User.Name)
			if got.User.Token == "" || got.User.Token != u.Token || replay.Answer.Header["X-Token"] != u.Token {
				t.Fatalf("%s: the replay's token is not the stored one: %s", w.name, replay.Answer.Body)
			}
		}
		if w.name != "RotateUser" && replay.Answer.Status != 201 {
			t.Fatalf("%s: replayed %d, want the first answer's 201", w.name, replay.Answer.Status)
		}
		if after, _ := s.GetCustomer(ctx, "acme.com"); after.Version != c.Version || countAudit(t, s) != audit {
			t.Fatalf("%s: the replay wrote: version %d -> %d, audit %d -> %d", w.name, c.Version, after.Version, audit, countAudit(t, s))
		}
	}

	// Another request under a used key is refused, and writes nothing.
	reused, entry := idemCtx(ctx, idem("ops", "k-PutUser", "PUT ann"), "user.put")
	if _, _, err := s.PutUser(reused, "acme.com", "ann", key(40), Precondition{}); !errors.Is(err, ErrIdempotencyKeyReused) || entry.Recorded() {
		t.Fatalf("a key reused for another request: %v", err)
	}
	if _, err := s.GetUser(ctx, "acme.com", "ann"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused reuse of a key wrote: %v", err)
	}
	// The same key from another caller is another key.
	other, _ := idemCtx(ctx, idem("user:k000000001", "k-PutUser", "PUT ann"), "user.put")
	if _, created, err := s.PutUser(other, "acme.com", "ann", key(41), Precondition{}); err != nil || !created {
		t.Fatalf("another caller's key of the same name: %v %v", created, err)
	}
	// A write under an IdempotencyKey without an Answer is a bug: it must not commit unrecorded.
	bare := &IdempotencyKey{Scope: "ops", Key: "k-bare", Fingerprint: "PUT eve"}
	if _, _, err := s.PutUser(WithIdempotencyKey(ctx, bare), "acme.com", "eve", key(42), Precondition{}); err == nil {
		t.Fatal("a write whose answer cannot be recorded committed")
	}
	if _, err := s.GetUser(ctx, "acme.com", "eve"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a write whose answer could not be recorded committed: %v", err)
	}
}

// testIdempotencyExpiry: a key is kept for IdempotencyRetention and then forgotten, and each
// recording write deletes a bounded batch of expired records.
func testIdempotencyExpiry(t *testing.T, s Store) {
	ctx := t.Context()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s.(*sqlStore).now = func() time.Time { return now }
	mustCustomer(t, s, "acme.com", "")

	put := func(k string) (int, error) {
		kctx, _ := idemCtx(ctx, idem("ops", k, "PUT joe"), "user.put")
		_, created, err := s.PutUser(kctx, "acme.com", "joe", key(1), Precondition{})
		var replay *ReplayError
		if errors.As(err, &replay) {
			return replay.Answer.Status, nil
		}
		if created {
			return 201, err
		}
		return 200, err
	}
	if status, err := put("k1"); status != 201 || err != nil {
		t.Fatal(status, err)
	}
	now = now.Add(IdempotencyRetention)
	if status, err := put("k1"); status != 201 || err != nil {
		t.Fatalf("after exactly %s the key must still be kept: %d %v", IdempotencyRetention, status, err)
	}
	now = now.Add(time.Second)
	if status, err := put("k1"); status != 200 || err != nil {
		t.Fatalf("an expired key must be forgotten, so that the request runs again (200, the user exists): %d %v", status, err)
	}

	// 150 expired records: each recording write forgets at most 100 of them.
	old := fmtTime(now.Add(-IdempotencyRetention - time.Hour))
	err := s.(*sqlStore).write(ctx, func(t tx) error {
		for i := 0; i < 150; i++ {
			if _, err := t.exec(ctx, `INSERT INTO idempotency_keys (scope, idem_key, fingerprint, created_at, status, header, body)
				VALUES ('ops', ?, 'f', ?, 200, '{}', ?)`, fmt.Sprintf("old-%d", i), old, []byte("{}")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, s); n != 151 {
		t.Fatalf("%d records, want 151", n)
	}
	if _, err := put("k2"); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, s); n != 52 { // 150 - 100 expired, k1 and k2
		t.Fatalf("%d records after one recording write, want 52", n)
	}
	if _, err := put("k3"); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, s); n != 3 {
		t.Fatalf("%d records after two recording writes, want 3", n)
	}
}

// testIdempotencyConcurrent: many rotations under one key at once rotate once, and every caller
// gets that rotation's token.
func testIdempotencyConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	mustCustomer(t, s, "acme.com", "")
	if _, _, err := s.PutUser(ctx, "acme.com", "joe", key(1), Precondition{}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.GetCustomer(ctx, "acme.com")
	const n = 20
	tokens := make([]string, n)
	ran := make([]bool, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			kctx, _ := idemCtx(ctx, idem("ops", "rotate-once", "POST rotate joe"), "user.rotate")
			u, err := s.RotateUser(kctx, "acme.com", "joe", key(100+i), Precondition{})
			var replay *ReplayError
			switch {
			case err == nil:
				tokens[i], ran[i] = u.Token, true
			case errors.As(err, &replay):
				tokens[i] = replay.Answer.Header["X-Token"]
			default:
				t.Errorf("rotation %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	u, err := s.GetUser(ctx, "acme.com", "joe")
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	for i := range tokens {
		if ran[i] {
			runs++
		}
		if tokens[i] != u.Token {
			t.Errorf("rotation %d got token %q, the user has %q", i, tokens[i], u.Token)
		}
	}
	after, _ := s.GetCustomer(ctx, "acme.com")
	if runs != 1 || after.Version != before.Version+1 || countAudit(t, s) != 1 {
		t.Fatalf("%d rotations ran (version %d -> %d, %d audit entries); want exactly one", runs, before.Version, after.Version, countAudit(t, s))
	}
}
