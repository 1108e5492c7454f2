// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/secrets"
)

//go:embed migrations
var migrations embed.FS

// Open opens the store a --db value names: a postgres:// URL, or else a SQLite file path. The
// schema is brought up to date before it returns, and every secret in it is sealed under the
// keys' sealing key (sealAtRest).
func Open(ctx context.Context, db string, opts ...Option) (Store, error) {
	s := &sqlStore{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.keys == nil {
		s.keys = processKeys()
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var err error
	if IsPostgresURL(db) {
		err = openPostgres(ctx, db, s)
	} else {
		err = openSQLite(ctx, db, s)
	}
	if err != nil {
		return nil, err
	}
	if s.groupCommit == nil {
		s.groupCommit = &s.d.groupCommit
	}
	if *s.groupCommit {
		s.gc = newCommitter(s)
	}
	if s.d.prepare {
		s.readers = newReadPool(s.rdb, readConns)
	}
	return s, nil
}

// Option changes a store that Open opens.
type Option func(*sqlStore)

// WithClock makes the store take the time from now rather than from time.Now, so that a test can
// move it past IdempotencyRetention, or the audit's retention, without waiting for it.
func WithClock(now func() time.Time) Option {
	return func(s *sqlStore) { s.now = now }
}

// WithKeys gives the store the keys of the key file, to seal and open its secrets with.
func WithKeys(keys *secrets.Keyring) Option {
	return func(s *sqlStore) { s.keys = keys }
}

// withGroupCommit runs the store's writes in batches or not, whatever its engine does by default
// (tests and measurements of either way on either engine).
func withGroupCommit(on bool) Option {
	return func(s *sqlStore) { s.groupCommit = &on }
}

// WithLogger makes the store say what it sealed when it opened.
func WithLogger(log *slog.Logger) Option {
	return func(s *sqlStore) { s.log = log }
}

// processKeys are the keys of a store opened without WithKeys: made for this process and lost
// with it, so that no such store ever keeps a secret in the clear. virtco-server always passes
// its key file's keys; tests need none of their own.
var processKeys = sync.OnceValue(secrets.Generate)

// IsPostgresURL tells whether a --db value names PostgreSQL.
func IsPostgresURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// migrate applies the engine's migrations that the database has not seen, in file-name order,
// each in its own transaction with its record in schema_migrations, then seals what was stored
// in the clear or under an older key.
func migrate(ctx context.Context, db txBeginner, s *sqlStore) (sealReport, error) {
	if err := migrateSchema(ctx, db, s); err != nil {
		return sealReport{}, err
	}
	return s.sealAtRest(ctx, db)
}

func migrateSchema(ctx context.Context, db txBeginner, s *sqlStore) error {
	d := s.d
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	dir := "migrations/" + d.name
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		body, err := fs.ReadFile(migrations, dir+"/"+name)
		if err != nil {
			return err
		}
		err = s.runTx(ctx, db, func(t tx) error {
			var n int
			if err := t.row(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, name).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := t.exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := t.exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, name, fmtTime(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// redactURL hides the password of a database URL in messages.
func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 {
		return u
	}
	creds := u[scheme+3 : at]
	if colon := strings.Index(creds, ":"); colon >= 0 {
		return u[:scheme+3] + creds[:colon] + ":xxxxx" + u[at:]
	}
	return u
}
