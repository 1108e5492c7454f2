// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// openPostgres connects to PostgreSQL. Several servers may share the database: row locks
// (SELECT ... FOR UPDATE on the customer) order their writes, and a lost race on a unique key
// runs the transaction again.
func openPostgres(ctx context.Context, url string, s *sqlStore) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return fmt.Errorf("PostgreSQL %s: %w", redactURL(url), err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxLifetime(30 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return fmt.Errorf("PostgreSQL %s does not answer: %s", redactURL(url), redactURLsIn(err.Error()))
	}
	s.rdb, s.wdb = db, db
	s.d = dialect{name: "postgres", placeholder: dollarPlaceholders, forUpdate: " FOR UPDATE", skipLocked: " FOR UPDATE SKIP LOCKED",
		isUniqueViolation: isPostgresUnique, begin: "BEGIN"}
	report, err := migratePostgres(ctx, db, s)
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("PostgreSQL %s: %w", redactURL(url), err)
	}
	report.log(s.log)
	return nil
}

// migrationLock is the advisory lock that keeps servers starting together from migrating, or
// sealing, at once.
const migrationLock = 0x766972746367 // "virtcg"

func migratePostgres(ctx context.Context, db *sql.DB, s *sqlStore) (sealReport, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return sealReport{}, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return sealReport{}, fmt.Errorf("lock for migrations: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck // the lock also ends with the session
	return migrate(ctx, conn, s)
}

func isPostgresUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// dollarPlaceholders numbers placeholders as PostgreSQL wants them ($1, $2, ...). The shared
// queries never put a "?" inside a string literal.
func dollarPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// redactURLsIn hides passwords of any postgres URL inside a driver's message.
func redactURLsIn(msg string) string {
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		if i := strings.Index(msg, scheme); i >= 0 {
			end := strings.IndexAny(msg[i:], " \"'")
			if end < 0 {
				end = len(msg) - i
			}
			msg = msg[:i] + redactURL(msg[i:i+end]) + msg[i+end:]
		}
	}
	return msg
}
