// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func testVerification(t *testing.T, s Store) {
	ctx := t.Context()
	mustDiag(t, s, "Diag3", DiagReady)
	mustCustomer(t, s, "acme.com", "Diag3")
	mustCustomer(t, s, "other.org", "")
	const arn = "arn:aws:iam::123456789012:role/r"
	a := AWSAccount{Customer: "acme.com", AccountID: "123456789012", State: StateInProgress}
	got, _, err := s.PutAWSAccount(ctx, a, Precondition{})
	if err != nil || got.Verification.State != VerifyPending || !got.Verification.CheckedAt.IsZero() {
		t.Fatalf("a new account's verification: %+v %v", got.Verification, err)
	}
	if jobs, err := s.ClaimDueVerifications(ctx, "A/1", time.Minute, 10); err != nil || len(jobs) != 0 {
		t.Fatalf("an account in progress was due: %+v %v", jobs, err)
	}
	if _, due, err := s.NextVerificationDue(ctx); due || err != nil {
		t.Fatalf("a verification due with no account done: %v", err)
	}
	if _, err := s.ClaimVerification(ctx, "acme.com", "123456789012", "A/1", time.Minute); !errors.Is(err, ErrInvalid) {
		t.Fatalf("claiming an account in progress: %v", err)
	}
	if _, err := s.ClaimVerification(ctx, "acme.com", "999999999999", "A/1", time.Minute); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claiming an unknown account: %v", err)
	}

	// Done: due now, with the retry window the write gave.
	until := time.Now().Add(2 * time.Minute).UTC().Truncate(time.Microsecond)
	a.State, a.RoleARN, a.VerifyRetryUntil = StateDone, arn, until
	done, _, err := s.PutAWSAccount(ctx, a, Precondition{})
	if err != nil || !done.VerifyRetryUntil.Equal(until) || done.Verification.State != VerifyPending {
		t.Fatalf("done: %+v %v", done, err)
	}
	if next, due, err := s.NextVerificationDue(ctx); !due || err != nil || time.Until(next) > 0 {
		t.Fatalf("the done account is not due now: %v %v %v", next, due, err)
	}
	jobs, err := s.ClaimDueVerifications(ctx, "A/1", time.Minute, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim of the done account: %+v %v", jobs, err)
	}
	j := jobs[0]
	if j.RoleARN != arn || j.ExternalID != "ext-acme.com" || j.Diag == nil || j.Diag.Name != "Diag3" || !j.RetryUntil.Equal(until) || j.Holder != "A/1" {
		t.Fatalf("job: %+v", j)
	}
	// Leased: nobody else gets it, due or asked for.
	if again, err := s.ClaimDueVerifications(ctx, "B/1", time.Minute, 10); err != nil || len(again) != 0 {
		t.Fatalf("a leased account claimed again: %+v %v", again, err)
	}
	if _, err := s.ClaimVerification(ctx, "acme.com", "123456789012", "B/2", time.Minute); !errors.Is(err, ErrConflict) {
		t.Fatalf("claiming a leased account: %v", err)
	}

	checked := time.Now().UTC().Truncate(time.Microsecond)
	v := Verification{State: VerifyVerified, CheckedAt: checked, Message: "assumed", AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/r/s"}
	if held, err := s.FinishVerification(ctx, j, VerifyOutcome{Verification: v, NextDue: time.Now().Add(time.Hour)}); err != nil || !held {
		t.Fatalf("finish: %v %v", held, err)
	}
	got, _ = s.GetAWSAccount(ctx, "acme.com", "123456789012")
	if got.Verification != v || got.Version != done.Version || !got.VerifyRetryUntil.IsZero() {
		t.Fatalf("after the verdict: %+v (version %d, was %d)", got, got.Version, done.Version)
	}
	c, _ := s.GetCustomer(ctx, "acme.com")
	if c.Accounts[0].Verification != v {
		t.Fatalf("the customer's accounts lack the verdict: %+v", c.Accounts)
	}
	if again, _ := s.ClaimDueVerifications(ctx, "A/2", time.Minute, 10); len(again) != 0 {
		t.Fatalf("due again before NextDue: %+v", again)
	}
	if held, _ := s.FinishVerification(ctx, j, VerifyOutcome{Verification: Verification{State: VerifyFailed}}); held {
		t.Fatal("a released lease recorded a verdict")
	}

	// A purge while a verification is under way drops its verdict and forgets the last one.
	j, err = s.ClaimVerification(ctx, "acme.com", "123456789012", "B/3", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a.State = StatePurge
	if _, _, err := s.PutAWSAccount(ctx, a, Precondition{}); err != nil {
		t.Fatalf("a purge waited on, or was refused by, a lease: %v", err)
	}
	if held, _ := s.FinishVerification(ctx, j, VerifyOutcome{Verification: v}); held {
		t.Fatal("a verdict recorded on a purged account")
	}
	if got, _ := s.GetAWSAccount(ctx, "acme.com", "123456789012"); got.Verification.State != VerifyPending || got.Verification.Message != "" {
		t.Fatalf("purged account's verification: %+v", got.Verification)
	}

	// A lease that ran out is taken over; the first holder's verdict is then dropped.
	a.State = StateDone
	if _, _, err := s.PutAWSAccount(ctx, a, Precondition{}); err != nil {
		t.Fatal(err)
	}
	first, err := s.ClaimDueVerifications(ctx, "A/4", -time.Second, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("%+v %v", first, err)
	}
	second, err := s.ClaimDueVerifications(ctx, "B/4", time.Minute, 10)
	if err != nil || len(second) != 1 {
		t.Fatalf("an expired lease was not taken over: %+v %v", second, err)
	}
	if held, _ := s.FinishVerification(ctx, first[0], VerifyOutcome{Verification: v}); held {
		t.Fatal("the expired lease's holder recorded a verdict")
	}
	failed := Verification{State: VerifyFailed, CheckedAt: checked, Message: "AccessDenied"}
	if held, _ := s.FinishVerification(ctx, second[0], VerifyOutcome{Verification: failed}); !held {
		t.Fatal("the lease's holder could not record its verdict")
	}

	// One AWS account, one customer.
	if _, _, err := s.PutAWSAccount(ctx, AWSAccount{Customer: "other.org", AccountID: "123456789012", State: StateInProgress}, Precondition{}); !errors.Is(err, ErrConflict) {
		t.Fatalf("an account of another customer registered: %v", err)
	}
	counts, err := s.Counts(ctx)
	if err != nil || counts.Verifications[VerifyFailed] != 1 {
		t.Fatalf("counts: %+v %v", counts, err)
	}
	if err := s.DeleteAWSAccount(ctx, "acme.com", "123456789012", Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutAWSAccount(ctx, AWSAccount{Customer: "other.org", AccountID: "123456789012", State: StateInProgress}, Precondition{}); err != nil {
		t.Fatalf("an account removed from one customer, registered to another: %v", err)
	}
}

// testVerificationClaimsRace: claimers at once, as servers sharing a database, each get different
// accounts: every due account is claimed exactly once.
func testVerificationClaimsRace(t *testing.T, s Store) {
	ctx := t.Context()
	mustDiag(t, s, "Diag3", DiagReady)
	mustCustomer(t, s, "acme.com", "Diag3")
	const n = 20
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("1000000000%02d", i)
		if _, _, err := s.PutAWSAccount(ctx, AWSAccount{Customer: "acme.com", AccountID: id, State: StateDone,
			RoleARN: "arn:aws:iam::" + id + ":role/r"}, Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for round := 0; round < 10; round++ {
				jobs, err := s.ClaimDueVerifications(ctx, fmt.Sprintf("w%d/%d", w, round), time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, j := range jobs {
					claimed[j.AccountID]++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	if len(claimed) != n {
		t.Fatalf("%d of %d accounts claimed", len(claimed), n)
	}
	for id, k := range claimed {
		if k != 1 {
			t.Errorf("account %s claimed %d times", id, k)
		}
	}
}

// undoMigration0005 puts a SQLite database back as a version before verification left it.
func undoMigration0005(t *testing.T, s Store) {
	t.Helper()
	db := s.(*sqlStore).wdb
	stmts := []string{`DROP INDEX aws_accounts_verify_due`, `DROP INDEX aws_accounts_account_id`}
	for _, col := range []string{"verification_state", "verification_message", "verification_checked_at", "verification_assumed_role_arn",
		"verify_due_at", "verify_retry_until", "verify_attempts", "verify_lease_until", "verify_lease_holder"} {
		stmts = append(stmts, `ALTER TABLE aws_accounts DROP COLUMN `+col)
	}
	stmts = append(stmts, `DELETE FROM schema_migrations WHERE version = '0005_verification.sql'`)
	for _, q := range stmts {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestMigration0005: an older database's done accounts are verified once after the upgrade, and
// one where two customers registered one account stops the start, saying so.
func TestMigration0005(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "virtco.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustDiag(t, s, "Diag3", DiagReady)
	mustCustomer(t, s, "acme.com", "Diag3")
	mustCustomer(t, s, "other.org", "Diag3")
	if _, _, err := s.PutAWSAccount(ctx, AWSAccount{Customer: "acme.com", AccountID: "123456789012", State: StateDone,
		RoleARN: "arn:aws:iam::123456789012:role/r"}, Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimDueVerifications(ctx, "x", time.Hour, 10); err != nil {
		t.Fatal(err)
	}
	undoMigration0005(t, s)
	_ = s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAWSAccount(ctx, "acme.com", "123456789012")
	if err != nil || got.State != StateDone || got.Verification.State != VerifyPending {
		t.Fatalf("after the upgrade: %+v %v", got, err)
	}
	if jobs, err := s.ClaimDueVerifications(ctx, "y", time.Minute, 10); err != nil || len(jobs) != 1 {
		t.Fatalf("a done account is not due after the upgrade: %+v %v", jobs, err)
	}

	undoMigration0005(t, s)
	if _, err := s.(*sqlStore).wdb.ExecContext(ctx, `INSERT INTO aws_accounts (customer, account_id, role_arn, regions, state, version, created_at, updated_at)
		VALUES ('other.org', '123456789012', '', '[]', 'pending', 1, '', '')`); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "0005_verification.sql") {
		t.Fatalf("two customers of one account: %v", err)
	}
}
