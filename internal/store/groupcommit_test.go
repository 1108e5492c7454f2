// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
)

// The group commit's tests run on SQLite, where writes are grouped by default, and on PostgreSQL
// with grouping turned on, so that the batches' savepoints are held to both engines' rules.
func TestGroupCommit(t *testing.T) {
	engines := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "virtco.db") },
		"postgres": func(t *testing.T) string { return pgtest.Shared(t).NewDatabase(t) },
	}
	tests := map[string]func(t *testing.T, db string){
		"ManyWriters":       testManyWriters,
		"FailingWriteAlone": testFailingWriteAlone,
	}
	for engine, newDB := range engines {
		for name, fn := range tests {
			t.Run(engine+"/"+name, func(t *testing.T) { fn(t, newDB(t)) })
		}
	}
}

func openGrouped(t *testing.T, db string) *sqlStore {
	t.Helper()
	s, err := Open(t.Context(), db, withGroupCommit(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s.(*sqlStore)
}

// testManyWriters: 200 writers at once, each provisioning users of one of 50 customers; every
// write acknowledged is there once the store is opened again, and each customer's version counts
// its users' writes, so that no write of a batch was lost or applied twice.
func testManyWriters(t *testing.T, db string) {
	ctx := t.Context()
	s := openGrouped(t, db)
	const writers, customers, each = 200, 50, 3
	for c := range customers {
		mustCustomer(t, s, fmt.Sprintf("c%02d.com", c), "")
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked = map[string]string{} // customer/user -> token
	)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				customer, name := fmt.Sprintf("c%02d.com", (w+i)%customers), fmt.Sprintf("w%03d-%d", w, i)
				u, created, err := s.PutUser(ctx, customer, name, key(w*each+i), Precondition{MustNotExist: true})
				if err != nil || !created {
					t.Errorf("PUT %s/%s: created=%v %v", customer, name, created, err)
					continue
				}
				mu.Lock()
				acked[customer+"/"+name] = u.Token
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	again := openGrouped(t, db)
	stored := 0
	for c := range customers {
		customer := fmt.Sprintf("c%02d.com", c)
		users, err := again.ListUsers(ctx, customer)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if acked[customer+"/"+u.Name] != u.Token {
				t.Errorf("%s/%s: stored with another token than the one acknowledged", customer, u.Name)
			}
		}
		stored += len(users)
		if got, _ := again.GetCustomer(ctx, customer); got.Version != int64(1+len(users)) {
			t.Errorf("%s: version %d after %d user writes", customer, got.Version, len(users))
		}
	}
	if stored != len(acked) || stored != writers*each {
		t.Fatalf("%d users stored, %d acknowledged, %d written", stored, len(acked), writers*each)
	}
}

// holdBatch runs a write that blocks until release is called, so that the writes submitted
// meanwhile queue for the next batch; wait blocks until n writes are queued behind it.
func holdBatch(t *testing.T, s *sqlStore) (wait func(n int), release func()) {
	t.Helper()
	running, held := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.write(context.Background(), func(tx) error {
			close(running)
			<-held
			return nil
		})
	}()
	<-running
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(held)
			if err := <-done; err != nil {
				t.Errorf("the holding write: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return func(n int) {
		for s.gc.queued() < n {
			time.Sleep(time.Millisecond)
		}
	}, release
}

// testFailingWriteAlone: in one batch, writes that fail (a precondition, a customer that does not
// exist, a unique key, a panic) each get their own error and change nothing, and the writes
// around them commit with their audit entries and Idempotency-Key answers.
func testFailingWriteAlone(t *testing.T, db string) {
	ctx := t.Context()
	s := openGrouped(t, db)
	mustCustomer(t, s, "acme.com", "")
	if _, _, err := s.PutUser(ctx, "acme.com", "taken", key(0), Precondition{}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.GetCustomer(ctx, "acme.com")
	wait, release := holdBatch(t, s)

	type result struct {
		name string
		err  error
	}
	results := make(chan result, 16)
	var wg sync.WaitGroup
	submit := func(name string, fn func() error) {
		wg.Go(func() { results <- result{name, fn()} })
	}
	entries := map[string]*AuditEntry{}
	for i := range 4 {
		name := fmt.Sprintf("ok%d", i)
		kctx, e := idemCtx(ctx, idem("ops", "k-"+name, "PUT "+name), "user.put")
		entries[name] = e
		submit(name, func() error {
			_, _, err := s.PutUser(kctx, "acme.com", name, key(i+1), Precondition{MustNotExist: true})
			return err
		})
	}
	pctx, pe := idemCtx(ctx, idem("ops", "k-pre", "PUT taken"), "user.put")
	entries["precondition"] = pe
	submit("precondition", func() error {
		_, _, err := s.PutUser(pctx, "acme.com", "taken", key(10), Precondition{MustNotExist: true})
		return err
	})
	submit("not-found", func() error {
		_, _, err := s.PutUser(ctx, "nobody.org", "joe", key(11), Precondition{})
		return err
	})
	submit("unique", func() error {
		return s.write(ctx, func(t tx) error {
			_, err := t.exec(ctx, `INSERT INTO customers (name, external_id, aws_region, regions, auto_run_finders, version, created_at, updated_at)
				VALUES ('acme.com', 'e', 'us-east-1', '[]', ?, 1, '', '')`, true)
			return err
		})
	})
	submit("panic", func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("panicked: %v", v)
			}
		}()
		return s.write(ctx, func(t tx) error {
			if _, err := t.exec(ctx, `UPDATE customers SET aws_region = 'eu-west-1' WHERE name = 'acme.com'`); err != nil {
				return err
			}
			panic("a bug in a write")
		})
	})
	wait(8)
	release()
	wg.Wait()
	close(results)

	got := map[string]error{}
	for r := range results {
		got[r.name] = r.err
	}
	for i := range 4 {
		if err := got[fmt.Sprintf("ok%d", i)]; err != nil {
			t.Errorf("ok%d failed beside the failing writes: %v", i, err)
		}
	}
	if err := got["precondition"]; !errors.Is(err, ErrPreconditionFailed) {
		t.Errorf("precondition: %v", err)
	}
	if err := got["not-found"]; !errors.Is(err, ErrNotFound) {
		t.Errorf("not-found: %v", err)
	}
	if err := got["unique"]; !s.d.isUniqueViolation(err) {
		t.Errorf("unique: %v", err)
	}
	if err := got["panic"]; err == nil || err.Error() != "panicked: a bug in a write" {
		t.Errorf("panic: %v", err)
	}

	c, err := s.GetCustomer(ctx, "acme.com")
	if err != nil {
		t.Fatal(err)
	}
	if c.AWSRegion != before.AWSRegion || c.Version != before.Version+4 || len(c.Users) != 5 {
		t.Fatalf("after the batch: region %s, version %d (was %d), users %v", c.AWSRegion, c.Version, before.Version, c.Users)
	}
	if u, _ := s.GetUser(ctx, "acme.com", "taken"); u.Token != key(0).Token {
		t.Errorf("the refused write changed the user it was refused on")
	}
	if n, _ := s.Counts(ctx); n.Customers != 1 {
		t.Errorf("%d customers", n.Customers)
	}
	for name, e := range entries {
		if want := name != "precondition"; e.Recorded() != want {
			t.Errorf("%s: audit entry recorded=%v", name, e.Recorded())
		}
	}
	if n := countAudit(t, s); n != 4 {
		t.Errorf("%d audit entries, want the 4 of the writes that committed", n)
	}
	if n := countKeys(t, s); n != 4 {
		t.Errorf("%d Idempotency-Key records, want the 4 of the writes that committed", n)
	}
	// The answers were recorded with the writes: a retry of each replays it.
	for i := range 4 {
		name := fmt.Sprintf("ok%d", i)
		kctx, _ := idemCtx(ctx, idem("ops", "k-"+name, "PUT "+name), "user.put")
		var replay *ReplayError
		if _, _, err := s.PutUser(kctx, "acme.com", name, key(99), Precondition{}); !errors.As(err, &replay) {
			t.Errorf("retry of %s: %v, want its recorded answer", name, err)
		}
	}
}

// TestGroupCommitFailure: when a batch's COMMIT fails, every write of the batch gets the error and
// none of them is in the database, not only the one that made the commit fail; the next batch
// commits. The commit is made to fail by a write whose foreign key is checked only at COMMIT.
func TestGroupCommitFailure(t *testing.T) {
	ctx := t.Context()
	db := filepath.Join(t.TempDir(), "virtco.db")
	s := openGrouped(t, db)
	mustCustomer(t, s, "acme.com", "")
	wait, release := holdBatch(t, s)

	errs := make(chan error, 16)
	var wg sync.WaitGroup
	entries := []*AuditEntry{}
	for i := range 10 {
		kctx, e := idemCtx(ctx, idem("ops", fmt.Sprintf("k%d", i), "PUT"), "user.put")
		entries = append(entries, e)
		wg.Go(func() {
			_, _, err := s.PutUser(kctx, "acme.com", fmt.Sprintf("u%d", i), key(i), Precondition{})
			errs <- err
		})
	}
	wg.Go(func() {
		errs <- s.write(ctx, func(t tx) error {
			if _, err := t.exec(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
				return err
			}
			_, err := t.exec(ctx, `INSERT INTO users (customer, name, key_id, token, token_hash, version, created_at, updated_at)
				VALUES ('nobody.org', 'ghost', 'k', 't', 'h', 1, '', '')`)
			return err
		})
	})
	wait(11)
	release()
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if err == nil {
			t.Error("a write of the batch whose commit failed was acknowledged")
		}
		n++
	}
	if n != 11 {
		t.Fatalf("%d answers, want 11", n)
	}
	for i, e := range entries {
		if e.Recorded() {
			t.Errorf("write %d: its audit entry says recorded", i)
		}
	}
	if users, err := s.ListUsers(ctx, "acme.com"); err != nil || len(users) != 0 {
		t.Fatalf("users after the failed commit: %v %v", users, err)
	}
	if c, _ := s.GetCustomer(ctx, "acme.com"); c.Version != 1 {
		t.Fatalf("version %d after the failed commit", c.Version)
	}
	// The connection was rolled back: the next batch runs and commits.
	if _, _, err := s.PutUser(ctx, "acme.com", "after", key(20), Precondition{}); err != nil {
		t.Fatalf("a write after the failed commit: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again := openGrouped(t, db)
	if users, err := again.ListUsers(ctx, "acme.com"); err != nil || len(users) != 1 || users[0].Name != "after" {
		t.Fatalf("after reopening: %v %v", users, err)
	}
	if n := countAudit(t, again); n != 0 {
		t.Fatalf("%d audit entries of writes that did not commit", n)
	}
}

// TestGroupCommitClosed: Close answers the writes already submitted, and a write after it fails.
func TestGroupCommitClosed(t *testing.T) {
	s := openGrouped(t, filepath.Join(t.TempDir(), "virtco.db"))
	mustCustomer(t, s, "acme.com", "")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutUser(t.Context(), "acme.com", "late", key(1), Precondition{}); !errors.Is(err, errStoreClosed) {
		t.Fatalf("a write after Close: %v", err)
	}
}
