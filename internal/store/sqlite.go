// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// openSQLite opens a SQLite file in WAL mode. synchronous=FULL makes a commit durable before the
// API acknowledges it, even across a power loss, not only across a crash of the process.
// secure_delete overwrites what a write removes, so that a deleted row is not left in free pages.
func openSQLite(ctx context.Context, path string, s *sqlStore) error {
	if path == "" {
		return errors.New("the SQLite database path is empty")
	}
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("cannot open SQLite database %s: directory %s does not exist", path, dir)
		}
	}
	if err := createOwnerOnly(path); err != nil {
		return fmt.Errorf("cannot create SQLite database %s: %w", path, err)
	}
	dsn := func(txlock string) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "secure_delete(1)")
		q.Set("_txlock", txlock)
		return "file:" + path + "?" + q.Encode()
	}
	// Writers take the lock when they begin, so two writers never deadlock upgrading a read lock.
	wdb, err := sql.Open("sqlite", dsn("immediate"))
	if err != nil {
		return err
	}
	// The committer holds one connection for the store's life and is the only writer once the
	// store is open; a second one serves Ping, and before the committer, migrations.
	wdb.SetMaxOpenConns(2)
	wdb.SetConnMaxIdleTime(0)
	rdb, err := sql.Open("sqlite", dsn("deferred"))
	if err != nil {
		_ = wdb.Close()
		return err
	}
	// readConns of them are the store's readers (readPool); the others serve Ping and tests.
	rdb.SetMaxOpenConns(readConns + 2)
	rdb.SetMaxIdleConns(readConns + 2)

	s.rdb, s.wdb = rdb, wdb
	s.d = dialect{name: "sqlite", placeholder: func(q string) string { return q }, isUniqueViolation: isSQLiteUnique,
		begin: "BEGIN IMMEDIATE", groupCommit: true, prepare: true}
	report, err := migrate(ctx, wdb, s)
	if err == nil && report.plain > 0 {
		err = scrubSQLite(ctx, wdb)
	}
	if err != nil {
		_ = wdb.Close()
		_ = rdb.Close()
		return fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	report.log(s.log)
	return nil
}

// readConns is how many connections read at once.
const readConns = 8

// createOwnerOnly creates an empty database file readable by its owner only, unless there is one:
// SQLite gives the -wal and -shm files the mode of the database file, so they are owner-only too.
func createOwnerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// scrubSQLite rewrites the database once secrets stored in the clear were sealed: VACUUM leaves
// no page that held them, and truncating the WAL drops the frames that did.
func scrubSQLite(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("vacuum after sealing: %w", err)
	}
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint after sealing: %w", err)
	}
	return nil
}

func isSQLiteUnique(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}
