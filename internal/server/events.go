// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"net/http"
	"strconv"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// listEvents is the pull feed of access changes (ARCHITECTURE.md, "Events"): events after an id,
// in commit order, so that a consumer that remembers the last id it handled misses none.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireReadAll("reading the event feed"); err != nil {
		return err
	}
	q := r.URL.Query()
	after, err := intParam(q.Get("after"), "after", 0, 1<<62, 0)
	if err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), "limit", 1, 1000, 100)
	if err != nil {
		return err
	}
	// One more than asked tells whether there is a next page.
	events, err := s.store.ListEvents(r.Context(), after, int(limit)+1)
	if err != nil {
		return err
	}
	out := apiv1.EventPage{Events: []apiv1.Event{}, NextAfter: after}
	if len(events) > int(limit) {
		events, out.More = events[:limit], true
	}
	for _, e := range events {
		out.Events = append(out.Events, eventView(e))
		out.NextAfter = e.ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// replayEvent sends an event's failed deliveries again, each with a new retry window.
func (s *Server) replayEvent(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("replaying an event"); err != nil {
		return err
	}
	auditEntryFrom(r).Target = "event/" + r.PathValue("id")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return invalid("id", "event id %q is not a positive whole number", clip(r.PathValue("id"), 32))
	}
	n, err := s.store.ReplayEvent(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiv1.EventReplay{ID: id, Replayed: n})
	return nil
}

// listDeliveries lists the failed webhook deliveries, for an operator to replay their events.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("listing webhook deliveries"); err != nil {
		return err
	}
	q := r.URL.Query()
	if state := q.Get("state"); state != store.DeliveryFailed {
		return invalid("state", "state %q: only failed deliveries are listed (state=failed)", clip(state, 32))
	}
	limit, err := intParam(q.Get("limit"), "limit", 1, 1000, 100)
	if err != nil {
		return err
	}
	ds, err := s.store.ListFailedDeliveries(r.Context(), int(limit)+1)
	if err != nil {
		return err
	}
	out := apiv1.DeliveryPage{Deliveries: []apiv1.FailedDelivery{}}
	if len(ds) > int(limit) {
		ds, out.More = ds[:limit], true
	}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, apiv1.FailedDelivery{EventID: d.EventID, EventType: d.EventType,
			Customer: d.Customer, Endpoint: d.Endpoint, Attempts: d.Attempts, LastError: d.LastError, FailedAt: d.FailedAt})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func eventView(e store.Event) apiv1.Event {
	return apiv1.Event{ID: e.ID, Type: e.Type, At: e.At, Customer: e.Customer, Payload: e.Payload}
}
