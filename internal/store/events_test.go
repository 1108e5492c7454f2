// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// testEvents follows a customer's life and checks the events each write appended, in commit
// order, with what a consumer needs and no secret.
func testEvents(t *testing.T, s Store) {
	ctx := t.Context()
	mustDiag(t, s, "diag-1", DiagReady)
	mustCustomer(t, s, "acme.com", "diag-1")
	for i, name := range []string{"ann", "joe"} {
		if _, _, err := s.PutUser(ctx, "acme.com", name, key(i), Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	// The same user again makes nothing, and tells no one.
	if _, _, err := s.PutUser(ctx, "acme.com", "ann", key(9), Precondition{}); err != nil {
		t.Fatal(err)
	}
	a := AWSAccount{Customer: "acme.com", AccountID: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/virtco",
		Regions: []string{"eu-west-1"}, State: StateInProgress}
	for range 2 { // the second write changes nothing
		if _, _, err := s.PutAWSAccount(ctx, a, Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	a.State = StateDone
	if _, _, err := s.PutAWSAccount(ctx, a, Precondition{}); err != nil {
		t.Fatal(err)
	}
	// A write refused by its precondition appends nothing.
	if _, _, err := s.PutAWSAccount(ctx, a, Precondition{MustNotExist: true}); err == nil {
		t.Fatal("a create of an account that exists succeeded")
	}
	verify := func(holder, state string) {
		t.Helper()
		j, err := s.ClaimVerification(ctx, "acme.com", a.AccountID, holder, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.FinishVerification(ctx, j, VerifyOutcome{Verification: Verification{State: state, CheckedAt: time.Now()}}); err != nil {
			t.Fatal(err)
		}
	}
	verify("A/1", VerifyVerified)
	verify("A/2", VerifyVerified) // the same verdict again is no news
	verify("A/3", VerifyFailed)
	if _, err := s.RotateUser(ctx, "acme.com", "ann", key(10), Precondition{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "acme.com", "joe", Precondition{}); err != nil {
		t.Fatal(err)
	}
	a.State = StatePurge
	if _, _, err := s.PutAWSAccount(ctx, a, Precondition{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAWSAccount(ctx, "acme.com", a.AccountID, Precondition{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Provision(ctx, "globex.com", "bob", "", "ext-globex", key(11)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Provision(ctx, "globex.com", "bob", "", "ext-globex", key(12)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCustomer(ctx, "acme.com", Precondition{}); err != nil {
		t.Fatal(err)
	}

	events, err := s.ListEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	type line struct{ typ, customer string }
	want := []line{
		{EventCustomerCreated, "acme.com"},
		{EventUserProvisioned, "acme.com"},
		{EventUserProvisioned, "acme.com"},
		{EventAccountRegistered, "acme.com"},
		{EventAccountDone, "acme.com"},
		{EventAccountVerified, "acme.com"},
		{EventAccountFailed, "acme.com"},
		{EventUserRotated, "acme.com"},
		{EventUserRevoked, "acme.com"},
		{EventAccountPurge, "acme.com"},
		{EventAccountRemoved, "acme.com"},
		{EventCustomerCreated, "globex.com"},
		{EventUserProvisioned, "globex.com"},
		{EventCustomerDeleted, "acme.com"},
	}
	var got []line
	for i, e := range events {
		got = append(got, line{e.Type, e.Customer})
		if i > 0 && e.ID <= events[i-1].ID {
			t.Errorf("event %d has id %d after %d", i, e.ID, events[i-1].ID)
		}
		if e.At.IsZero() || !json.Valid(e.Payload) {
			t.Errorf("event %d: time %v, payload %s", e.ID, e.At, e.Payload)
		}
		if p := string(e.Payload); strings.Contains(p, "vcu_") || strings.Contains(p, "vcm_") || strings.Contains(p, "token") {
			t.Errorf("event %d (%s) holds a secret: %s", e.ID, e.Type, p)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events:\n got %v\nwant %v", got, want)
	}

	var done AccountPayload
	if err := json.Unmarshal(events[4].Payload, &done); err != nil {
		t.Fatal(err)
	}
	wantDone := AccountPayload{Customer: "acme.com", AccountID: "123456789012", RoleARN: a.RoleARN, State: StateDone,
		ExternalID: "ext-acme.com", AWSRegion: "us-east-1", Regions: []string{"eu-west-1"}, CustomerRegions: []string{},
		AutoRunFinders: true, DiagAccount: &DiagPayload{Name: "diag-1", AccountID: "111122223333", Region: "us-east-1"},
		Verification: VerifyPending}
	if !reflect.DeepEqual(done, wantDone) {
		t.Errorf("account.done payload:\n got %+v\nwant %+v", done, wantDone)
	}
	var user UserPayload
	if err := json.Unmarshal(events[1].Payload, &user); err != nil || user != (UserPayload{Customer: "acme.com", User: "ann"}) {
		t.Errorf("user.provisioned payload %s: %v", events[1].Payload, err)
	}
	var gone CustomerPayload
	if err := json.Unmarshal(events[13].Payload, &gone); err != nil {
		t.Fatal(err)
	}
	if gone.Customer != "acme.com" || !reflect.DeepEqual(gone.Users, []string{"ann"}) || len(gone.Accounts) != 0 {
		t.Errorf("customer.deleted payload: %+v", gone)
	}

	// Pages: after an id, at most limit, in the same order.
	page, err := s.ListEvents(ctx, events[2].ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 3 || page[0].ID != events[3].ID || page[2].ID != events[5].ID {
		t.Errorf("the page after %d: %+v", events[2].ID, page)
	}
	if last, err := s.ListEvents(ctx, events[len(events)-1].ID, 10); err != nil || len(last) != 0 {
		t.Errorf("after the last event: %v, %v", last, err)
	}
}

// testEventsFeedOrder polls the feed while writers commit at once: a consumer that reads after
// the last id it saw must see every event, so ids must become visible in order (on PostgreSQL,
// two transactions could otherwise commit ids 6 then 5).
func testEventsFeedOrder(t *testing.T, s Store) {
	ctx := t.Context()
	const writers, each = 8, 10
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("c%d-%d.example", w, i)
				if _, _, err := s.PutCustomer(ctx, name, CustomerSpec{AWSRegion: "us-east-1"}, "ext-"+name, Precondition{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	var seen []int64
	poll := func() {
		after := int64(0)
		if len(seen) > 0 {
			after = seen[len(seen)-1]
		}
		page, err := s.ListEvents(ctx, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			seen = append(seen, e.ID)
		}
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		poll()
	}
	for range writers * each { // what was left to read after the last write
		poll()
	}
	all, err := s.ListEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != writers*each || len(seen) != len(all) {
		t.Fatalf("%d events committed, %d in the table, the poller saw %d", writers*each, len(all), len(seen))
	}
}
