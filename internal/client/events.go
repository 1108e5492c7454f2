// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
)

// Events is the feed of access changes, in commit order (ops key or master token).
type Events interface {
	// List returns the events after opts.After; poll again with the page's NextAfter.
	List(ctx context.Context, opts EventListOptions) (*EventPage, error)
	// Replay sends the event's failed webhook deliveries again (ops key); it says how many.
	Replay(ctx context.Context, id int64) (int, error)
	// FailedDeliveries lists up to limit (1-1000; 0: the server's default, 100) webhook
	// deliveries that failed for their whole retry window, oldest event first (ops key).
	FailedDeliveries(ctx context.Context, limit int) (*DeliveryPage, error)
}

// EventListOptions pages Events.List.
type EventListOptions struct {
	After int64 // the id of the last event handled; zero from the start
	Limit int   // 1-1000; the server's default is 100
}

// Event is one access change.
type Event = apiv1.Event

// EventPage is one page of the event feed.
type EventPage = apiv1.EventPage

type events struct{ c *Client }

func (s *events) List(ctx context.Context, opts EventListOptions) (*EventPage, error) {
	q := url.Values{}
	if opts.After > 0 {
		q.Set("after", strconv.FormatInt(opts.After, 10))
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var out EventPage
	if _, err := s.c.do(ctx, http.MethodGet, "/v1/events", nil, &out, &requestOptions{query: q}); err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *events) Replay(ctx context.Context, id int64) (int, error) {
	var out apiv1.EventReplay
	if _, err := s.c.do(ctx, http.MethodPost, "/v1/events/"+strconv.FormatInt(id, 10)+"/replay", nil, &out, nil); err != nil {
		return 0, err
	}
	return out.Replayed, nil
}

// FailedDelivery is a webhook delivery whose retry window ended.
type FailedDelivery = apiv1.FailedDelivery

// DeliveryPage is a page of failed deliveries.
type DeliveryPage = apiv1.DeliveryPage

func (s *events) FailedDeliveries(ctx context.Context, limit int) (*DeliveryPage, error) {
	q := url.Values{"state": {"failed"}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out DeliveryPage
	if _, err := s.c.do(ctx, http.MethodGet, "/v1/deliveries", nil, &out, &requestOptions{query: q}); err != nil {
		return nil, err
	}
	return &out, nil
}
