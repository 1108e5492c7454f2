// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

type eventPage struct {
	Events []struct {
		ID             int64
		Type, Customer string
		Payload        json.RawMessage
	}
	NextAfter int64 `json:"next_after"`
	More      bool
}

func (e *env) events(query, key string) eventPage {
	e.t.Helper()
	var p eventPage
	e.must(200, "GET", "/v1/events"+query, key, nil).decode(e.t, &p)
	return p
}

// TestEventFeedFullPage: a page of the largest size says whether another follows.
func TestEventFeedFullPage(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Go(func() {
			for i := w; i < 1001; i += 10 {
				name := fmt.Sprintf("c%04d.example", i)
				if _, _, err := e.store.PutCustomer(t.Context(), name, store.CustomerSpec{AWSRegion: "us-east-1"}, "ext-"+name, store.Precondition{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	first := e.events("?limit=1000", e.ops)
	if len(first.Events) != 1000 || !first.More {
		t.Fatalf("the first page of 1,001 events: %d events, more %v; want 1000 and more", len(first.Events), first.More)
	}
	if last := e.events(fmt.Sprintf("?limit=1000&after=%d", first.NextAfter), e.ops); len(last.Events) != 1 || last.More {
		t.Fatalf("the second page: %d events, more %v; want 1 and no more", len(last.Events), last.More)
	}
}

// TestEventFeed: the writes of the API and of the legacy protocol that change access are in the
// feed, in order, with what a consumer needs and no secret; refused writes and reads are not.
func TestEventFeed(t *testing.T) {
	e := newEnv(t)
	joe, ann := e.seed()
	e.must(403, "GET", "/v1/events", joe, nil) // a user's key reads no feed
	e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", joe,
		map[string]any{"state": "in-progress", "role_arn": "arn:aws:iam::123456789012:role/virtco"})
	e.must(200, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", joe,
		map[string]any{"state": "done", "role_arn": "arn:aws:iam::123456789012:role/virtco", "regions": []string{"eu-west-1"}})
	e.must(403, "PUT", "/v1/customers/acme.com/users/eve", ann, nil) // refused: no event
	e.must(200, "GET", "/v1/customers/acme.com", joe, nil)           // a read: no event
	e.must(200, "POST", "/v1/customers/acme.com/users/joe/rotate", e.ops, nil)
	e.must(200, "GET", legacyPath("provision", "bob@acme.com"), e.ops, nil)
	e.must(200, "GET", legacyPath("unprovision", "bob@acme.com"), e.ops, nil)
	e.must(204, "DELETE", "/v1/customers/other.org", e.ops, nil)

	all := e.events("?limit=1000", e.ops)
	var got []string
	for _, ev := range all.Events {
		got = append(got, ev.Type+" "+ev.Customer)
	}
	want := []string{
		"customer.created acme.com", "customer.created other.org",
		"user.provisioned acme.com", "user.provisioned other.org",
		"account.registered acme.com", "account.done acme.com",
		"user.rotated acme.com", "user.provisioned acme.com", "user.revoked acme.com",
		"customer.deleted other.org",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if all.More || all.NextAfter != all.Events[len(all.Events)-1].ID {
		t.Errorf("the last page: more %v, next_after %d", all.More, all.NextAfter)
	}
	var done struct {
		AccountID   string `json:"account_id"`
		RoleARN     string `json:"role_arn"`
		ExternalID  string `json:"external_id"`
		Regions     []string
		DiagAccount struct {
			Name      string
			AccountID string `json:"account_id"`
		} `json:"diag_account"`
	}
	if err := json.Unmarshal(all.Events[5].Payload, &done); err != nil {
		t.Fatal(err)
	}
	if done.AccountID != "123456789012" || done.RoleARN == "" || done.ExternalID == "" ||
		fmt.Sprint(done.Regions) != "[eu-west-1]" || done.DiagAccount.Name != "Diag3" || done.DiagAccount.AccountID != "111122223333" {
		t.Errorf("account.done payload: %s", all.Events[5].Payload)
	}

	// No secret is in the feed.
	raw := string(e.must(200, "GET", "/v1/events?limit=1000", e.master, nil).body)
	for _, secret := range []string{e.ops, e.master, joe, ann, "vcu_", "vcm_"} {
		if strings.Contains(raw, secret) {
			t.Errorf("the feed holds a secret (%.8s…)", secret)
		}
	}

	// Pages: after the last id handled, in order, and an empty page keeps the cursor.
	first := e.events("?limit=4", e.master)
	if len(first.Events) != 4 || !first.More || first.NextAfter != all.Events[3].ID {
		t.Fatalf("first page: %+v", first)
	}
	next := e.events(fmt.Sprintf("?after=%d&limit=4", first.NextAfter), e.ops)
	if len(next.Events) != 4 || next.Events[0].ID != all.Events[4].ID {
		t.Fatalf("second page: %+v", next)
	}
	end := e.events(fmt.Sprintf("?after=%d", all.NextAfter), e.ops)
	if len(end.Events) != 0 || end.More || end.NextAfter != all.NextAfter {
		t.Fatalf("the page after the last event: %+v", end)
	}

	// Bad parameters are refused.
	for _, q := range []string{"?after=-1", "?after=x", "?limit=0", "?limit=1001"} {
		e.must(400, "GET", "/v1/events"+q, e.ops, nil)
	}
}

// TestEventRetention: the server prunes events older than the retention that no webhook still
// has to deliver, and keeps the recent ones.
func TestEventRetention(t *testing.T) {
	var offset atomic.Int64 // how far the store's clock is behind
	offset.Store(int64(48 * time.Hour))
	e := newEnv(t, store.WithClock(func() time.Time { return time.Now().Add(-time.Duration(offset.Load())) }))
	e.must(201, "PUT", "/v1/customers/old.com", e.ops, nil)
	offset.Store(0)
	e.must(201, "PUT", "/v1/customers/new.com", e.ops, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.srv.RunEventRetention(ctx, 24*time.Hour, 10*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the old event pruned", func() bool { return len(e.feed()) == 1 })
	if got := e.feed(); got[0].Customer != "new.com" {
		t.Fatalf("events left: %v", got)
	}
}
