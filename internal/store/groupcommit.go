// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// maxBatch bounds how many writes share one transaction, so that no batch holds the database
// for long and one write's caller never waits behind an unbounded queue.
const maxBatch = 128

// errStoreClosed answers a write that arrives after Close.
var errStoreClosed = errors.New("the store is closed")

// committer runs the writes of a store in batches (ARCHITECTURE.md, "Writes"): every write that
// arrives while a batch commits waits for the next one, which runs them all in one transaction,
// each under a savepoint of its own, and commits once. One fsync then makes a whole batch
// durable, where each write used to pay for one; SQLite has one writer at a time, so without
// this the writes of 50 clients wait in line for 50 fsyncs.
type committer struct {
	s *sqlStore

	mu      sync.Mutex
	pending []*writeReq
	closed  bool
	wake    chan struct{} // capacity 1: a batch is waiting to be run
	done    chan struct{} // closed when the loop has answered every write and returned

	conn *stmtConn // the writer's connection, the loop's alone; nil until the first batch
}

// writeReq is one caller's write, waiting for its batch to commit.
type writeReq struct {
	ctx context.Context
	fn  func(t tx) error
	err chan error // capacity 1: the write's outcome, sent once its batch committed or failed
	// ferr is fn's own error; it becomes the answer once the batch commits.
	ferr error
}

func newCommitter(s *sqlStore) *committer {
	c := &committer{s: s, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.loop()
	return c
}

// submit runs fn in the next batch and returns once that batch is committed: nil means fn's
// write is durable. The caller waits even when its context ends meanwhile, because fn writes to
// the caller's variables and, once run, is committed or not with the whole batch; a write whose
// context ended before its batch began is not run.
func (c *committer) submit(ctx context.Context, fn func(t tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, err: make(chan error, 1)}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errStoreClosed
	}
	c.pending = append(c.pending, r)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // the loop is already told
	}
	err := <-r.err
	if p := (panicked{}); errors.As(err, &p) {
		panic(p.value) // in the caller's goroutine, as it would have without batches
	}
	return err
}

// panicked is the error of a write that panicked: the batch rolls it back to its savepoint, like
// a write that failed, and the write's caller panics with the value.
type panicked struct{ value any }

func (p panicked) Error() string { return fmt.Sprintf("the write panicked: %v", p.value) }

// callSaved calls fn, turning a panic into a panicked error so that the committer lives on.
func callSaved(fn func(t tx) error, t tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	return fn(t)
}

// queued is how many writes wait for a batch (tests).
func (c *committer) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// close runs the writes already submitted, refuses any more, and returns when every one is
// answered.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	<-c.done
}

func (c *committer) loop() {
	defer close(c.done)
	defer c.dropConn()
	for range c.wake {
		for {
			c.mu.Lock()
			n := min(len(c.pending), maxBatch)
			batch := c.pending[:n:n]
			c.pending = c.pending[n:]
			if len(c.pending) == 0 {
				c.pending = nil // let the backing array go
			}
			closed := c.closed
			c.mu.Unlock()
			if n == 0 {
				if closed {
					return
				}
				break
			}
			c.run(batch)
		}
	}
}

// run runs one batch and answers each of its writes: a write's own error (a precondition, a
// replay, a unique key) when the batch committed, and the batch's error to every write, whatever
// its own outcome, when it did not, since what each one read came from the uncommitted batch.
func (c *committer) run(batch []*writeReq) {
	err := c.runBatch(batch)
	for _, r := range batch {
		if err != nil {
			r.err <- err
		} else {
			r.err <- r.ferr
		}
	}
}

// runBatch runs the writes of batch in one transaction on the writer's connection, each under a
// savepoint: a write that fails is rolled back to its savepoint alone, and the others commit.
// The transaction's statements are issued on the connection rather than through *sql.Tx, so that
// a COMMIT that fails (a deferred constraint leaves SQLite's transaction open) can still be
// rolled back before the connection serves the next batch.
func (c *committer) runBatch(batch []*writeReq) (err error) {
	s := c.s
	ctx := context.Background() // the batch is every caller's: no one caller's context may end it
	if c.conn == nil {
		conn, err := s.wdb.Conn(ctx)
		if err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		c.conn = &stmtConn{conn: conn, stmts: map[string]*sql.Stmt{}}
	}
	conn := c.conn
	if _, err := conn.ExecContext(ctx, s.d.begin); err != nil {
		c.dropConn()
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err == nil {
			return
		}
		// A connection that cannot even roll back is given up, and the next batch takes another.
		if _, rerr := conn.conn.ExecContext(ctx, `ROLLBACK`); rerr != nil {
			c.dropConn()
		}
	}()
	t := tx{q: conn, d: s.d, keys: s.keys, detached: true}
	for _, r := range batch {
		if r.ferr = r.ctx.Err(); r.ferr != nil {
			continue
		}
		if err := s.runSaved(ctx, t, r); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (c *committer) dropConn() {
	if c.conn != nil {
		c.conn.close()
		c.conn = nil
	}
}

// runSaved runs one write of a batch under a savepoint, again after a lost race on a unique key
// as write does; it sets the write's own outcome and returns an error only when the batch's
// transaction can no longer be trusted (a savepoint that cannot be released or rolled back to).
func (s *sqlStore) runSaved(ctx context.Context, t tx, r *writeReq) error {
	for attempt := 0; attempt < 3; attempt++ {
		if _, err := t.q.ExecContext(ctx, `SAVEPOINT write`); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		r.ferr = callSaved(r.fn, t)
		if r.ferr == nil {
			if _, err := t.q.ExecContext(ctx, `RELEASE SAVEPOINT write`); err != nil {
				return fmt.Errorf("release savepoint: %w", err)
			}
			return nil
		}
		if _, err := t.q.ExecContext(ctx, `ROLLBACK TO SAVEPOINT write`); err != nil {
			return fmt.Errorf("roll back to savepoint: %w", errors.Join(err, r.ferr))
		}
		if _, err := t.q.ExecContext(ctx, `RELEASE SAVEPOINT write`); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
		if !s.d.isUniqueViolation(r.ferr) {
			return nil
		}
	}
	return nil
}
