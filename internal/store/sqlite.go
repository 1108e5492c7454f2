// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// openSQLite opens a SQLite file in WAL mode. synchronous=FULL makes a commit durable before the
// API acknowledges it, even across a power loss, not only across a crash of the process.
func openSQLite(ctx context.Context, path string) (*sqlStore, error) {
	if path == "" {
		return nil, errors.New("the SQLite database path is empty")
	}
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("cannot open SQLite database %s: directory %s does not exist", path, dir)
		}
	}
	dsn := func(txlock string) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Set("_txlock", txlock)
		return "file:" + path + "?" + q.Encode()
	}
	// Writers take the lock when they begin, so two writers never deadlock upgrading a read lock.
	wdb, err := sql.Open("sqlite", dsn("immediate"))
	if err != nil {
		return nil, err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxIdleTime(0)
	rdb, err := sql.Open("sqlite", dsn("deferred"))
	if err != nil {
		_ = wdb.Close()
		return nil, err
	}
	rdb.SetMaxOpenConns(8)
	rdb.SetMaxIdleConns(8)

	d := dialect{name: "sqlite", placeholder: func(q string) string { return q }, isUniqueViolation: isSQLiteUnique}
	if err := migrate(ctx, wdb, d); err != nil {
		_ = wdb.Close()
		_ = rdb.Close()
		return nil, fmt.Errorf("cannot open SQLite database %s: %w", path, err)
	}
	return &sqlStore{rdb: rdb, wdb: wdb, d: d, now: time.Now}, nil
}

func isSQLiteUnique(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}
