// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"fmt"
	"sort"
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
		ds, err := s.ClaimDeliveries(ctx, eps, holder, time.Minute, 100)
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
	first, err := s.ClaimDeliveries(ctx, eps, "A", time.Minute, 100)
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
		if held, err := s.FinishDelivery(ctx, d, out); err != nil || !held {
			t.Fatalf("finish %+v: %v, %v", d, held, err)
		}
	}
	if held, err := s.FinishDelivery(ctx, acme1, DeliveryOutcome{State: DeliveryDelivered}); err != nil || held {
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
