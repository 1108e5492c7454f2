// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// testDeliveries: an endpoint gets the events after it started, the oldest pending one of each
// customer at a time, and a lease keeps a second holder off a delivery under way.
func testDeliveries(t *testing.T, s Store) {
	ctx := t.Context()
	mustCustomer(t, s, "before.com", "") // before the endpoint: not delivered
	eps := []string{"ep1", "ep2"}
	for _, ep := range eps {
		if err := s.StartWebhook(ctx, ep); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.StartWebhook(ctx, "ep1"); err != nil { // again: keeps its cursor
		t.Fatal(err)
	}
	if work, err := s.WebhookWork(ctx, eps); err != nil || work {
		t.Fatalf("work before any event: %v, %v", work, err)
	}
	mustCustomer(t, s, "acme.com", "")
	mustCustomer(t, s, "globex.com", "")
	if _, _, err := s.PutUser(ctx, "acme.com", "joe", key(1), Precondition{}); err != nil {
		t.Fatal(err)
	}
	if work, err := s.WebhookWork(ctx, eps); err != nil || !work {
		t.Fatalf("no work after events: %v, %v", work, err)
	}
	claim := func(holder string) []string {
		t.Helper()
		ds, err := s.ClaimDeliveries(ctx, eps, holder, time.Minute, 100, 1)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, fmt.Sprintf("%s %s %s", d.Endpoint, d.Event.Type, d.Event.Customer))
		}
		sort.Strings(got)
		return got
	}
	first, err := s.ClaimDeliveries(ctx, eps, "A", time.Minute, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	// acme.com's user waits for acme.com's creation; globex.com does not.
	if len(first) != 4 {
		t.Fatalf("first claim: %+v", first)
	}
	if got := claim("B"); len(got) != 0 {
		t.Fatalf("B claimed what A leases: %v", got)
	}
	var acme1 Delivery
	for _, d := range first {
		out := DeliveryOutcome{State: DeliveryDelivered}
		if d.Endpoint == "ep1" && d.Event.Customer == "acme.com" {
			// Refused: due again at once.
			acme1, out = d, DeliveryOutcome{State: DeliveryPending, NextAt: time.Now().Add(-time.Second), Error: "500"}
		}
		if held, err := s.FinishDeliveries(ctx, []Finished{{d, out}}); err != nil || held != 1 {
			t.Fatalf("finish %+v: %v, %v", d, held, err)
		}
	}
	if held, err := s.FinishDeliveries(ctx, []Finished{{acme1, DeliveryOutcome{State: DeliveryDelivered}}}); err != nil || held != 0 {
		t.Fatalf("a finished lease finished again: %v, %v", held, err)
	}
	want := []string{"ep1 customer.created acme.com", "ep2 user.provisioned acme.com"}
	if got := claim("B"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("second claim: %v, want %v", got, want)
	}
	c, err := s.CountDeliveries(ctx)
	if err != nil || c != (DeliveryCounts{Pending: 3, Delivered: 3}) {
		t.Fatalf("counts: %+v, %v", c, err)
	}
}

// testDeliveryChains: a claim takes a customer's queue from its head, in order, as far as the
// chain allows and each delivery is due and free; what is given back untried is claimed again in
// order, and a delivery due later holds back the ones behind it.
func testDeliveryChains(t *testing.T, s Store) {
	ctx := t.Context()
	eps := []string{"ep"}
	if err := s.StartWebhook(ctx, "ep"); err != nil {
		t.Fatal(err)
	}
	mustCustomer(t, s, "acme.com", "")
	for i := range 3 {
		if _, _, err := s.PutUser(ctx, "acme.com", fmt.Sprintf("u%d", i), key(i+1), Precondition{}); err != nil {
			t.Fatal(err)
		}
	}
	mustCustomer(t, s, "globex.com", "")
	claim := func(holder string, queues, chain int) []Delivery {
		t.Helper()
		ds, err := s.ClaimDeliveries(ctx, eps, holder, time.Minute, queues, chain)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	ids := func(ds []Delivery) string {
		var got []string
		for _, d := range ds {
			got = append(got, fmt.Sprintf("%s:%d", d.Event.Customer, d.Event.ID))
		}
		return strings.Join(got, " ")
	}
	a := claim("A", 1, 3)
	if got := ids(a); got != "acme.com:1 acme.com:2 acme.com:3" {
		t.Fatalf("A claimed %s; want acme.com's first three events, and no other queue's", got)
	}
	a = append(a, claim("A", 10, 3)...)
	if got := ids(a[3:]); got != "globex.com:5" {
		t.Fatalf("A claimed %s next; want globex.com's event, and nothing of acme.com's behind its leases", got)
	}
	if got := ids(claim("B", 10, 10)); got != "" {
		t.Fatalf("B claimed %s behind A's leases; want nothing", got)
	}
	// The first delivered, the second due in an hour, the third given back untried.
	held, err := s.FinishDeliveries(ctx, []Finished{
		{a[0], DeliveryOutcome{State: DeliveryDelivered}},
		{a[1], DeliveryOutcome{State: DeliveryPending, NextAt: time.Now().Add(time.Hour), Error: "500"}},
		{a[2], DeliveryOutcome{}},
		{a[3], DeliveryOutcome{State: DeliveryDelivered}},
	})
	if err != nil || held != 4 {
		t.Fatalf("finished %d of 4: %v", held, err)
	}
	if got := ids(claim("B", 10, 10)); got != "" {
		t.Fatalf("B claimed %s while acme.com's second event waits for its retry; want nothing", got)
	}
	if c, err := s.CountDeliveries(ctx); err != nil || c != (DeliveryCounts{Pending: 3, Delivered: 2}) {
		t.Fatalf("counts: %+v, %v", c, err)
	}
}

// testEventRetention: PruneEvents deletes old events that every endpoint has delivered, a batch
// at a time, and keeps those still pending (or failed) and those not yet queued.
func testEventRetention(t *testing.T, s Store) {
	ctx := t.Context()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s.(*sqlStore).now = func() time.Time { return now }
	if err := s.StartWebhook(ctx, "ep"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a.com", "b.com", "c.com"} {
		mustCustomer(t, s, c, "")
	}
	ds, err := s.ClaimDeliveries(ctx, []string{"ep"}, "A", time.Minute, 10, 5)
	if err != nil || len(ds) != 3 {
		t.Fatalf("claimed %d: %v", len(ds), err)
	}
	for _, d := range ds {
		out := DeliveryOutcome{State: DeliveryDelivered}
		if d.Event.Customer == "c.com" {
			out = DeliveryOutcome{State: DeliveryPending, NextAt: now.Add(time.Hour)}
		}
		if _, err := s.FinishDeliveries(ctx, []Finished{{d, out}}); err != nil {
			t.Fatal(err)
		}
	}
	mustCustomer(t, s, "e.com", "") // not queued yet
	now = now.Add(8 * 24 * time.Hour)
	mustCustomer(t, s, "d.com", "") // recent
	if n, err := s.PruneEvents(ctx, 0, 100); err != nil || n != 0 {
		t.Fatalf("a retention of zero pruned %d: %v", n, err)
	}
	for _, want := range []int{1, 1, 0} {
		if n, err := s.PruneEvents(ctx, 7*24*time.Hour, 1); err != nil || n != want {
			t.Fatalf("pruned %d, want %d: %v", n, want, err)
		}
	}
	left, err := s.ListEvents(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range left {
		got = append(got, e.Customer)
	}
	if fmt.Sprint(got) != "[c.com e.com d.com]" {
		t.Fatalf("events left: %v", got)
	}
	if c, err := s.CountDeliveries(ctx); err != nil || c != (DeliveryCounts{Pending: 1}) {
		t.Fatalf("deliveries left: %+v, %v", c, err)
	}
}
