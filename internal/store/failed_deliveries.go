// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"strings"
	"time"
)

// FailedDelivery is a delivery whose retry window ended: only a replay sends it again.
type FailedDelivery struct {
	EventID   int64
	EventType string
	Customer  string
	Endpoint  string // the store's name of the endpoint, a hash of its URL
	Attempts  int
	LastError string
	FailedAt  time.Time
}

func (s *sqlStore) ListFailedDeliveries(ctx context.Context, limit int) ([]FailedDelivery, error) {
	if limit <= 0 || limit > maxEventPage {
		limit = maxEventPage
	}
	return readValue(ctx, s, func(t tx) ([]FailedDelivery, error) {
		return queryAll(ctx, t, func(sc scanner) (d FailedDelivery, err error) {
			var failed string
			err = sc.Scan(&d.EventID, &d.EventType, &d.Customer, &d.Endpoint, &d.Attempts, &d.LastError, &failed)
			d.FailedAt = parseOptTime(failed)
			return d, err
		}, `SELECT d.event_id, e.type, d.customer, d.endpoint, d.attempts, d.last_error, d.failed_at
			FROM deliveries d JOIN events e ON e.id = d.event_id
			WHERE d.state = 'failed' ORDER BY d.event_id, d.endpoint LIMIT ?`, limit)
	})
}

func (s *sqlStore) DropWebhooks(ctx context.Context, keep []string) (endpoints, deliveries int, err error) {
	err = s.write(ctx, func(t tx) error {
		endpoints, deliveries = 0, 0
		not, args := `true`, make([]any, len(keep))
		if len(keep) > 0 {
			not = `endpoint NOT IN (?` + strings.Repeat(", ?", len(keep)-1) + `)`
			for i, k := range keep {
				args[i] = k
			}
		}
		// Delivered ones go with their events when those are pruned.
		res, err := t.exec(ctx, `DELETE FROM deliveries WHERE state <> 'delivered' AND `+not, args...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		deliveries = int(n)
		if res, err = t.exec(ctx, `DELETE FROM webhook_cursors WHERE `+not, args...); err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		endpoints = int(n)
		return nil
	})
	return endpoints, deliveries, err
}
