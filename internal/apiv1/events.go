// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package apiv1

import (
	"encoding/json"
	"time"
)

// Event is one access change, as GET /v1/events lists it and a webhook receives it. Payload's
// shape follows Type (README, "Events"); it never holds a token or a key.
type Event struct {
	ID       int64           `json:"id"`
	Type     string          `json:"type"`
	At       time.Time       `json:"at"`
	Customer string          `json:"customer"`
	Payload  json.RawMessage `json:"payload"`
}

// EventPage is one page of the event feed, the body of GET /v1/events. NextAfter is the after of
// the next request: the last event's id, or the request's own after when the page is empty, so
// that a consumer polls with it whether or not anything came. More tells that the next page is
// already there.
type EventPage struct {
	Events    []Event `json:"events"`
	NextAfter int64   `json:"next_after"`
	More      bool    `json:"more"`
}

// EventReplay is the answer of POST /v1/events/{id}/replay: how many failed deliveries of the
// event are pending again (0: none had failed).
type EventReplay struct {
	ID       int64 `json:"id"`
	Replayed int   `json:"replayed"`
}

// FailedDelivery is a webhook delivery whose retry window ended: only a replay of its event
// (POST /v1/events/{id}/replay) sends it again. Endpoint is the server's name of the URL, a
// hash of it, since a URL may hold credentials (README, "Events").
type FailedDelivery struct {
	EventID   int64     `json:"event_id"`
	EventType string    `json:"event_type"`
	Customer  string    `json:"customer"`
	Endpoint  string    `json:"endpoint"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	FailedAt  time.Time `json:"failed_at"`
}

// DeliveryPage is the body of GET /v1/deliveries?state=failed: the failed deliveries, oldest
// event first. More tells that there are more than the page holds: replay these, then list again.
type DeliveryPage struct {
	Deliveries []FailedDelivery `json:"deliveries"`
	More       bool             `json:"more"`
}
