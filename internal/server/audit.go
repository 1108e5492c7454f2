// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/names"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// newAuditEntry starts the audit entry of a request; it is armed (recorded) only when action is
// set, which a handler may still do (the legacy protocol writes through GET).
func newAuditEntry(r *http.Request, action string) *store.AuditEntry {
	e := &store.AuditEntry{KeyKind: "none", Action: action, Request: r.Method + " " + r.URL.Path,
		Customer: r.PathValue("customer"), Target: r.PathValue("customer")}
	switch {
	case r.PathValue("user") != "":
		e.Target = r.PathValue("user") + "@" + e.Customer
	case r.PathValue("account_id") != "":
		e.Target = e.Customer + "/" + r.PathValue("account_id")
	case r.PathValue("name") != "":
		e.Target = r.PathValue("name")
	}
	return e
}

// auditEntryFrom is the request's audit entry, for handlers that fill it in themselves.
func auditEntryFrom(r *http.Request) *store.AuditEntry {
	if e, ok := store.AuditFrom(r.Context()); ok {
		return e
	}
	return &store.AuditEntry{}
}

// recordRefusal records the entry of a write the store never committed: refused, invalid or
// failed, or answered without an error though nothing was written (its handler set the outcome).
// An audit trail that cannot be written is logged, never silently dropped.
func (s *Server) recordRefusal(ctx context.Context, e *store.AuditEntry, ae *apiError) {
	if e.Action == "" || e.Recorded() {
		return
	}
	if e.Outcome == "" {
		e.Outcome = store.OutcomeOK
	}
	if ae != nil {
		e.Outcome, e.Detail = strconv.Itoa(ae.status)+" "+ae.code, ae.message
	}
	if err := s.store.RecordAudit(context.WithoutCancel(ctx), e); err != nil {
		s.metrics.dbErrors.Inc()
		s.log.ErrorContext(ctx, "audit entry not recorded", "error", err, "action", e.Action, "target", e.Target, "outcome", e.Outcome)
	}
}

// auditPruneBatch is how many audit entries one pruning transaction deletes at most: a backlog is
// pruned a batch at a time, so that writes wait for one batch at most, not for the backlog.
const auditPruneBatch = 1000

// auditPrunePause is the pause between two batches of one pruning, which lets the writes that
// queued up behind a batch go first.
const auditPrunePause = 20 * time.Millisecond

// RunAuditRetention deletes the audit entries older than retention, now and then every interval,
// until ctx ends. A retention of 0 keeps every entry and returns at once.
func (s *Server) RunAuditRetention(ctx context.Context, retention, interval time.Duration) {
	if retention <= 0 {
		return
	}
	for {
		n, err := s.pruneAudit(ctx, retention)
		if n > 0 {
			s.log.InfoContext(ctx, "audit retention: pruned entries older than the retention", "entries", n, "retention", retention.String())
		}
		if err != nil && ctx.Err() == nil {
			s.metrics.dbErrors.Inc()
			s.log.ErrorContext(ctx, "audit retention: pruning failed; it is tried again at the next interval", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// pruneAudit deletes the entries older than retention a batch at a time, until none is left.
func (s *Server) pruneAudit(ctx context.Context, retention time.Duration) (int, error) {
	total := 0
	for {
		n, err := s.store.PruneAudit(ctx, retention, s.pruneBatch)
		total += n
		s.metrics.auditPruned.Add(float64(n))
		if err != nil || n < s.pruneBatch {
			return total, err
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(auditPrunePause):
		}
	}
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("reading the audit trail"); err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.AuditFilter{Customer: q.Get("customer")}
	if f.Customer != "" {
		if err := checkName("customer", names.CustomerName, f.Customer); err != nil {
			return err
		}
	}
	var err error
	if f.Since, err = timeParam(q.Get("since"), "since"); err != nil {
		return err
	}
	if f.Until, err = timeParam(q.Get("until"), "until"); err != nil {
		return err
	}
	if f.AfterID, err = intParam(q.Get("after_id"), "after_id", 0, 1<<62, 0); err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), "limit", 1, 1000, 100)
	if err != nil {
		return err
	}
	// One more than asked tells whether there is a next page.
	f.Limit = int(limit) + 1
	entries, err := s.store.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	out := apiv1.AuditPage{Entries: []apiv1.AuditEntry{}}
	if len(entries) > int(limit) {
		entries = entries[:limit]
		out.NextAfterID = entries[len(entries)-1].ID
	}
	for _, e := range entries {
		out.Entries = append(out.Entries, auditEntryView(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func timeParam(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, invalid(name, "%s %q is not an RFC 3339 time such as 2026-11-22T10:00:00Z", name, v)
	}
	return t, nil
}

func intParam(v, name string, lo, hi, def int64) (int64, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, invalid(name, "%s %q is not a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}
