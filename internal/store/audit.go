// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// AuditEntry is one write to the control plane, granted or refused: who (the kind of key and the
// user's key id, never a key), what, on what, when, and how it ended.
type AuditEntry struct {
	ID       int64
	At       time.Time
	KeyKind  string // ops, master, user, or none when the key was missing or refused
	KeyID    string // a user key's id; empty for the ops key and the master token
	Actor    string // user@customer for user keys
	Action   string // e.g. customer.put, user.rotate, legacy.provision
	Request  string // method and path, e.g. "PUT /v1/customers/acme.com"
	Customer string
	Target   string // the object written: acme.com, joe@acme.com, acme.com/123456789012, Diag3
	Outcome  string // "ok", or the status and code of a refusal: "403 permission_denied"
	Detail   string // the refusal's message
	recorded bool
}

// Outcome of an entry whose write committed.
const OutcomeOK = "ok"

type auditKey struct{}

// WithAudit attaches an audit entry to a write: the store records it in the write's own
// transaction, so that no write commits without its entry. Entries of writes that never reach
// the store are recorded with RecordAudit.
func WithAudit(ctx context.Context, e *AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, e)
}

// AuditFrom is the entry WithAudit attached to ctx.
func AuditFrom(ctx context.Context) (*AuditEntry, bool) {
	e, ok := ctx.Value(auditKey{}).(*AuditEntry)
	return e, ok
}

// Recorded tells whether the store has committed the entry with its write.
func (e *AuditEntry) Recorded() bool { return e.recorded }

// pendingAudit is the context's entry when it is armed (has an action) and not yet recorded.
func pendingAudit(ctx context.Context) *AuditEntry {
	e, _ := ctx.Value(auditKey{}).(*AuditEntry)
	if e == nil || e.Action == "" || e.recorded {
		return nil
	}
	return e
}

// AuditFilter selects audit entries; zero fields do not filter. Entries come oldest first.
type AuditFilter struct {
	Customer string
	Since    time.Time // at or after
	Until    time.Time // before
	AfterID  int64     // for paging: entries after this id
	Limit    int       // at most this many (default and cap 1000)
}

const auditColumns = "id, at, key_kind, key_id, actor, action, request, customer, target, outcome, detail"

// The most an audit entry keeps of each field, in bytes. Most of an entry comes from the request
// (its path, its query), so without a cap a caller would decide how much each entry costs.
const (
	AuditFieldMax  = 256
	AuditDetailMax = 1024
)

// auditCutMark ends a field that was cut to its cap.
const auditCutMark = "…[cut]"

// auditField is s as the audit keeps it: valid UTF-8 without NUL (PostgreSQL's text refuses
// both, and a path may carry either, percent-encoded), at most limit bytes, cut on a rune boundary
// and marked when it was longer.
func auditField(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= limit {
		return s
	}
	end := limit - len(auditCutMark)
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + auditCutMark
}

func insertAudit(ctx context.Context, t tx, e *AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	f := func(s string) string { return auditField(s, AuditFieldMax) }
	_, err := t.exec(ctx, `INSERT INTO audit_log (at, key_kind, key_id, actor, action, request, customer, target, outcome, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		fmtTime(e.At), f(e.KeyKind), f(e.KeyID), f(e.Actor), f(e.Action), f(e.Request), f(e.Customer), f(e.Target), f(e.Outcome),
		auditField(e.Detail, AuditDetailMax))
	return err
}

func (s *sqlStore) RecordAudit(ctx context.Context, e *AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	err := s.write(ctx, func(t tx) error { return insertAudit(ctx, t, e) })
	if err == nil {
		e.recorded = true
	}
	return err
}

// PruneAudit deletes at most limit entries older than retention, oldest first, in one
// transaction, and says how many it deleted: a caller that prunes a large backlog does it in
// batches, so that no one transaction holds the writers up for long. SKIP LOCKED (PostgreSQL)
// leaves the rows another server is pruning at the same time to that server.
func (s *sqlStore) PruneAudit(ctx context.Context, retention time.Duration, limit int) (int, error) {
	if retention <= 0 || limit <= 0 {
		return 0, nil
	}
	var n int64
	err := s.write(ctx, func(t tx) error {
		res, err := t.exec(ctx, fmt.Sprintf(`DELETE FROM audit_log WHERE id IN
			(SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT %d%s)`, limit, s.d.skipLocked),
			fmtTime(s.now().Add(-retention)))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

func (s *sqlStore) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) { where, args = append(where, cond), append(args, arg) }
	if f.Customer != "" {
		add("customer = ?", f.Customer)
	}
	if !f.Since.IsZero() {
		add("at >= ?", fmtTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", fmtTime(f.Until))
	}
	if f.AfterID > 0 {
		add("id > ?", f.AfterID)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY id LIMIT %d", f.Limit)
	return readValue(ctx, s, func(t tx) ([]AuditEntry, error) { return queryAll(ctx, t, scanAudit, q, args...) })
}

func scanAudit(sc scanner) (AuditEntry, error) {
	var e AuditEntry
	var at string
	err := sc.Scan(&e.ID, &at, &e.KeyKind, &e.KeyID, &e.Actor, &e.Action, &e.Request, &e.Customer, &e.Target, &e.Outcome, &e.Detail)
	e.At, e.recorded = parseTime(at), true
	return e, err
}

// Counts is how much the platform has provisioned, for metrics.
type Counts struct {
	Customers int
	Users     int
	Roles     map[string]int // AWS accounts by role state
	// Verifications counts AWS accounts by verification state.
	Verifications map[string]int
}

func countBy(ctx context.Context, t tx, query string, into map[string]int) error {
	rows, err := t.query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var n int
		if err := rows.Scan(&key, &n); err != nil {
			return err
		}
		into[key] = n
	}
	return rows.Err()
}

func (s *sqlStore) Counts(ctx context.Context) (Counts, error) {
	c := Counts{Roles: map[string]int{}, Verifications: map[string]int{}}
	err := s.read(ctx, func(t tx) error {
		if err := t.row(ctx, `SELECT COUNT(*) FROM customers`).Scan(&c.Customers); err != nil {
			return err
		}
		if err := t.row(ctx, `SELECT COUNT(*) FROM users`).Scan(&c.Users); err != nil {
			return err
		}
		rows, err := t.query(ctx, `SELECT state, COUNT(*) FROM aws_accounts GROUP BY state`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var state string
			var n int
			if err := rows.Scan(&state, &n); err != nil {
				return err
			}
			c.Roles[state] = n
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return countBy(ctx, t, `SELECT verification_state, COUNT(*) FROM aws_accounts GROUP BY verification_state`, c.Verifications)
	})
	return c, err
}
