// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/secrets"
)

// dialect is what differs between the SQL engines; the queries themselves are shared.
type dialect struct {
	name string
	// placeholder turns the shared "?" placeholders into the engine's own.
	placeholder func(query string) string
	// forUpdate locks the rows a write transaction reads (PostgreSQL); SQLite's write transactions
	// already hold the database lock.
	forUpdate string
	// skipLocked locks the rows a subquery picks, passing over those another transaction holds
	// (PostgreSQL), for cleanups that any transaction may do.
	skipLocked string
	// isUniqueViolation tells a lost race on a unique key, so the transaction can be run again.
	isUniqueViolation func(error) bool
	// begin starts a batch's write transaction (groupcommit.go): SQLite takes the write lock at
	// once, so that the batch never fails to upgrade a read lock.
	begin string
	// groupCommit runs writes in batches that share a transaction and its commit (ARCHITECTURE.md,
	// "Writes").
	groupCommit bool
	// prepare keeps the readers' statements prepared (statements.go): SQLite's driver would parse
	// each one again, where pgx keeps its own cache.
	prepare bool
}

// sqlStore implements Store on database/sql. Reads go to rdb, writes to wdb: for SQLite the
// committer holds one connection of wdb and is its only writer, so writers queue in Go instead
// of spinning on SQLITE_BUSY.
type sqlStore struct {
	rdb, wdb *sql.DB
	d        dialect
	now      func() time.Time
	// keys seal the secrets the store keeps (tokens, answers that hold them) and index tokens.
	keys *secrets.Keyring
	log  *slog.Logger
	// gc runs the writes when commits are grouped; nil otherwise.
	gc *committer
	// groupCommit overrides the dialect's groupCommit when set (withGroupCommit).
	groupCommit *bool
	// readers lend the readers' connections with their prepared statements when the dialect
	// prepares; nil otherwise.
	readers *readPool
}

var _ Store = (*sqlStore)(nil)

// timeFormat is fixed-width so that times stored as text sort in time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

func encodeList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func decodeList(s string) []string {
	l := []string{}
	_ = json.Unmarshal([]byte(s), &l)
	return l
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// tx wraps a transaction so that queries are written once with "?" placeholders, and carries
// the keys that seal and open what it stores.
type tx struct {
	q    querier
	d    dialect
	keys *secrets.Keyring
	// detached runs the statements whatever becomes of their caller's context: in a batch the
	// transaction is every caller's, and SQLite rolls back the whole transaction when a statement
	// is interrupted.
	detached bool
}

func (t tx) ctx(ctx context.Context) context.Context {
	if t.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (t tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(t.ctx(ctx), t.d.placeholder(query), args...)
}

func (t tx) row(ctx context.Context, query string, args ...any) *sql.Row {
	return t.q.QueryRowContext(t.ctx(ctx), t.d.placeholder(query), args...)
}

func (t tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(t.ctx(ctx), t.d.placeholder(query), args...)
}

// write runs fn in a write transaction: in the next batch when commits are grouped, else in a
// transaction of its own. A unique-key race with another writer (two creates of the same customer
// on PostgreSQL) runs fn again, when it will see the other writer's row.
func (s *sqlStore) write(ctx context.Context, fn func(t tx) error) error {
	if s.gc != nil {
		return s.gc.submit(ctx, fn)
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = s.runTx(ctx, s.wdb, fn)
		if err == nil || !s.d.isUniqueViolation(err) {
			return err
		}
	}
	return err
}

// read runs fn in a read transaction, so that a customer and its users and accounts are read from
// one snapshot.
func (s *sqlStore) read(ctx context.Context, fn func(t tx) error) error {
	if s.readers == nil {
		return s.runTx(ctx, s.rdb, fn)
	}
	// A SQLite read takes microseconds, and a context that can end costs a goroutine per
	// statement in the driver and per transaction and result set in database/sql, more than the
	// read itself: once begun, the read runs to its end.
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := s.readers.get(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	bg := context.Background()
	if _, err := c.ExecContext(bg, `BEGIN`); err != nil {
		s.readers.put(c, true)
		return fmt.Errorf("begin transaction: %w", err)
	}
	ferr := fn(tx{q: c, d: s.d, keys: s.keys, detached: true})
	end := `COMMIT`
	if ferr != nil {
		end = `ROLLBACK`
	}
	if _, err := c.ExecContext(bg, end); err != nil {
		s.readers.put(c, true)
		return errors.Join(ferr, fmt.Errorf("end transaction: %w", err))
	}
	s.readers.put(c, false)
	return ferr
}

// txBeginner is a *sql.DB or one *sql.Conn of it.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *sqlStore) runTx(ctx context.Context, db txBeginner, fn func(t tx) error) error {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx{q: sqlTx, d: s.d, keys: s.keys}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// writeAudited is write that also records the context's pending audit entry, and the answer to
// its Idempotency-Key, in the same transaction.
func (s *sqlStore) writeAudited(ctx context.Context, fn func(t tx) error) error {
	return s.writeRecorded(ctx, func(t tx) (Written, error) { return Written{}, fn(t) })
}

// writeRecorded is writeAudited for a write whose answer depends on what it made: fn returns
// that, for the context's IdempotencyKey to render its answer from. Under a key that has an
// answer already, fn does not run (claimKey).
func (s *sqlStore) writeRecorded(ctx context.Context, fn func(t tx) (Written, error)) error {
	entry, key := pendingAudit(ctx), pendingKey(ctx)
	if entry != nil && entry.At.IsZero() {
		entry.At = s.now()
	}
	err := s.write(ctx, func(t tx) error {
		if key != nil {
			if err := s.claimKey(ctx, t, key); err != nil {
				return err
			}
		}
		w, err := fn(t)
		if err != nil {
			return err
		}
		if entry != nil {
			entry.Outcome = OutcomeOK
			if err := insertAudit(ctx, t, entry); err != nil {
				return err
			}
		}
		if key != nil {
			return s.recordAnswer(ctx, t, key, w)
		}
		return nil
	})
	if entry != nil {
		entry.recorded = err == nil
	}
	if key != nil {
		key.recorded = err == nil
	}
	return err
}

func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.wdb.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return s.rdb.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

func (s *sqlStore) Close() error {
	if s.gc != nil {
		s.gc.close()
	}
	if s.readers != nil {
		s.readers.close()
	}
	err := s.rdb.Close()
	if s.wdb != s.rdb {
		err = errors.Join(err, s.wdb.Close())
	}
	return err
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// readValue runs fn in a read transaction and returns what it read.
func readValue[T any](ctx context.Context, s *sqlStore, fn func(t tx) (T, error)) (T, error) {
	var v T
	err := s.read(ctx, func(t tx) (err error) {
		v, err = fn(t)
		return err
	})
	return v, err
}

// queryOne scans the row a query finds with scan; notFound is the error when it finds none.
func queryOne[T any](ctx context.Context, t tx, scan func(scanner) (T, error), notFound error, query string, args ...any) (T, error) {
	v, err := scan(t.row(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound
	}
	return v, err
}

// queryAll scans every row a query finds with scan; no rows is an empty slice, not nil.
func queryAll[T any](ctx context.Context, t tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// updateOrInsert runs update and, when it matched no row, insert; created tells that insert ran.
func updateOrInsert(ctx context.Context, t tx, update string, updateArgs []any, insert string, insertArgs ...any) (created bool, err error) {
	res, err := t.exec(ctx, update, updateArgs...)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return false, nil
	}
	_, err = t.exec(ctx, insert, insertArgs...)
	return true, err
}
