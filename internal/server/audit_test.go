// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

type auditPage struct {
	Entries []struct {
		ID                                       int64
		At                                       time.Time
		KeyKind                                  string `json:"key_kind"`
		KeyID                                    string `json:"key_id"`
		Actor, Action, Request, Customer, Target string
		Outcome, Detail                          string
	}
	NextAfterID int64 `json:"next_after_id"`
}

func (e *env) audit(query string) auditPage {
	e.t.Helper()
	var p auditPage
	e.must(200, "GET", "/v1/audit"+query, e.ops, nil).decode(e.t, &p)
	return p
}

// TestAuditTrail: every write of a key the server knows, granted or refused, is in the trail with
// who, what, on what and how it ended; reads are not, nor writes refused at authentication;
// tokens never are.
func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	joe, ann := e.seed()
	start := len(e.audit("").Entries)
	if start != 6 { // the seed's six writes
		t.Fatalf("%d entries after the seed, want 6", start)
	}
	e.must(200, "GET", "/v1/customers/acme.com", joe, nil) // a read: not audited
	e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", joe, map[string]any{"state": "in-progress"})
	e.must(403, "PUT", "/v1/customers/acme.com/users/eve", ann, nil)
	e.must(401, "DELETE", "/v1/customers/acme.com", "vcu_stolen", nil)
	e.must(400, "PUT", "/v1/customers/acme.com", e.ops, map[string]any{"diag_account": "Nope"})
	e.must(200, "POST", "/v1/customers/acme.com/users/joe/rotate", e.ops, nil)
	e.must(200, "GET", legacyPath("provision", "bob@acme.com"), e.ops, nil)
	e.must(200, "GET", legacyPath("diags", ""), e.ops, nil) // a legacy read: not audited

	got := e.audit("?customer=acme.com").Entries
	var lines []string
	for _, en := range got[len(got)-5:] {
		lines = append(lines, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s", en.KeyKind, en.Actor, en.Action, en.Request, en.Target, en.Outcome, en.Detail))
		if en.At.IsZero() || en.Customer != "acme.com" {
			t.Errorf("entry without time or customer: %+v", en)
		}
	}
	want := []string{
		"user|joe@acme.com|aws_account.put|PUT /v1/customers/acme.com/aws-accounts/123456789012|acme.com/123456789012|ok|",
		`user|ann@other.org|user.put|PUT /v1/customers/acme.com/users/eve|eve@acme.com|403 permission_denied|provisioning users needs the ops key; this request used the user token of ann@other.org`,
		`ops||customer.put|PUT /v1/customers/acme.com|acme.com|400 invalid_argument|diag_account "Nope" does not exist; known: Diag3, Diag9`,
		"ops||user.rotate|POST /v1/customers/acme.com/users/joe/rotate|joe@acme.com|ok|",
		"ops||legacy.provision|GET /internal?target=provision&customer=bob@acme.com|bob@acme.com|ok|",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit trail:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got[len(got)-5].KeyID == "" {
		t.Error("a user's entry lacks its key id")
	}

	// No secret is in the trail.
	raw := string(e.must(200, "GET", "/v1/audit?limit=1000", e.ops, nil).body)
	for _, secret := range []string{e.ops, e.master, joe, ann, "vcu_stolen"} {
		if strings.Contains(raw, secret) {
			t.Fatalf("the audit trail holds a secret")
		}
	}

	// Paging and time filters.
	all := e.audit("?limit=1000").Entries
	page := e.audit("?limit=5")
	next := e.audit(fmt.Sprintf("?limit=5&after_id=%d", page.NextAfterID))
	if len(page.Entries) != 5 || page.NextAfterID != all[4].ID || next.Entries[0].ID != all[5].ID {
		t.Fatalf("paging: %+v / %+v", page, next)
	}
	if last := e.audit(fmt.Sprintf("?after_id=%d", all[len(all)-1].ID)); len(last.Entries) != 0 || last.NextAfterID != 0 {
		t.Fatalf("after the last entry: %+v", last)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if n := len(e.audit("?since=" + future).Entries); n != 0 {
		t.Fatalf("%d entries in the future", n)
	}
	if n := len(e.audit("?until=" + future).Entries); n != len(all) {
		t.Fatalf("until the future: %d of %d", n, len(all))
	}

	// Only ops reads it, and bad filters say what is allowed.
	e.must(403, "GET", "/v1/audit", e.master, nil)
	e.must(403, "GET", "/v1/audit", ann, nil)
	for q, says := range map[string]string{
		"?since=yesterday": "not an RFC 3339 time",
		"?limit=0":         "from 1 to 1000",
		"?after_id=-1":     "whole number",
		"?customer=ACME":   "lower-case DNS domain",
	} {
		param, _, _ := strings.Cut(q[1:], "=")
		if r := e.must(400, "GET", "/v1/audit"+q, e.ops, nil); !strings.Contains(r.message(), says) || r.field() != param {
			t.Errorf("%s: %s", q, r.body)
		}
	}
}

// TestAuditRetention: the server deletes the entries older than the retention, a batch per
// transaction until none is left, and keeps the newer ones; a retention of 0 keeps everything.
func TestAuditRetention(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(start.UnixNano())
	e := newEnv(t, store.WithClock(func() time.Time { return time.Unix(0, clock.Load()).UTC() }))
	e.srv.pruneBatch = 10
	for i := 0; i < 25; i++ {
		e.must(201, "PUT", fmt.Sprintf("/v1/diag-accounts/Diag%d", i), e.ops, map[string]any{"account_id": "111122223333"})
	}
	clock.Add(int64(30 * 24 * time.Hour))
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	e.must(403, "PUT", "/v1/customers/other.org", e.master, nil)
	clock.Add(int64(61 * 24 * time.Hour))

	const retention = 90 * 24 * time.Hour
	e.srv.RunAuditRetention(t.Context(), 0, time.Hour) // keeps everything, and returns at once
	if n := e.auditCount(); n != 27 {
		t.Fatalf("a retention of 0 left %d of 27 entries", n)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); e.srv.RunAuditRetention(ctx, retention, time.Hour) }()
	for i := 0; e.auditCount() > 2; i++ {
		if i == 3000 {
			t.Fatalf("%d entries left after 30s of pruning", e.auditCount())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	got := e.audit("").Entries
	if len(got) != 2 || got[0].Target != "acme.com" || got[1].Outcome != "403 permission_denied" {
		t.Fatalf("after pruning: %+v", got)
	}
	if body := string(e.must(200, "GET", "/metrics", e.ops, nil).body); !strings.Contains(body, "virtco_audit_entries_pruned_total 25") {
		t.Fatal("the pruned entries are not counted")
	}
}
