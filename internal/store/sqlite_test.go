// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestSQLitePragmas: every connection, the writer's and the readers', runs with the settings the
// README promises: WAL; synchronous=FULL, so that a write is on disk before the API acknowledges
// it; foreign keys; secure_delete, so that a deleted row is not left in free pages.
func TestSQLitePragmas(t *testing.T) {
	s := openWith(t, filepath.Join(t.TempDir(), "virtco.db"), testKeys(t, "k1"))
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "secure_delete": "1", "busy_timeout": "10000"}
	for name, db := range map[string]*sql.DB{"writer": s.wdb, "reader": s.rdb} {
		for pragma, value := range want {
			var got string
			if err := db.QueryRowContext(t.Context(), `PRAGMA `+pragma).Scan(&got); err != nil || got != value {
				t.Errorf("%s connection: PRAGMA %s is %q (%v), want %q", name, pragma, got, err, value)
			}
		}
	}
}
