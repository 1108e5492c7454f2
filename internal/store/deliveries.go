// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The states of a delivery of an event to a webhook endpoint.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // the retry window ended; only a replay sends it again
)

// Delivery is a leased delivery of one event to one endpoint: FinishDeliveries must still hold it.
type Delivery struct {
	Endpoint  string
	Event     Event
	Attempts  int       // attempts so far
	RetryFrom time.Time // when it was queued or replayed: its retry window starts here
	Holder    string
}

// DeliveryOutcome is what FinishDeliveries records: delivered, failed for good, or due again at
// NextAt; no State: not attempted, the lease given back.
type DeliveryOutcome struct {
	State  string
	NextAt time.Time
	Error  string
}

// Finished is a leased delivery and its outcome.
type Finished struct {
	Delivery
	Outcome DeliveryOutcome
}

// DeliveryCounts are the deliveries by state.
type DeliveryCounts struct{ Pending, Delivered, Failed int }

// queueBatch bounds how many events one transaction queues for an endpoint.
const queueBatch = 500

func (s *sqlStore) StartWebhook(ctx context.Context, endpoint string) error {
	if err := s.sequenceEvents(ctx); err != nil { // what committed before it, it does not get
		return err
	}
	return s.write(ctx, func(t tx) error {
		// A new endpoint gets the events from now on, not the whole history.
		_, err := t.exec(ctx, `INSERT INTO webhook_cursors (endpoint, after_id)
			SELECT ?, COALESCE(MAX(id), 0) FROM events WHERE true ON CONFLICT (endpoint) DO NOTHING`, endpoint)
		return err
	})
}

func (s *sqlStore) WebhookWork(ctx context.Context, endpoints []string) (bool, error) {
	work, err := s.unsequenced(ctx)
	if err != nil || work {
		return work, err
	}
	err = s.read(ctx, func(t tx) error {
		now := fmtTime(s.now())
		var n int
		if err := t.row(ctx, `SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND next_at <= ? AND lease_until < ?`,
			now, now).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			work = true
			return nil
		}
		var last sql.NullInt64
		if err := t.row(ctx, `SELECT MAX(id) FROM events`).Scan(&last); err != nil || !last.Valid {
			return err
		}
		for _, ep := range endpoints {
			var after int64
			if err := t.row(ctx, `SELECT after_id FROM webhook_cursors WHERE endpoint = ?`, ep).Scan(&after); err != nil {
				return err
			}
			if after < last.Int64 {
				work = true
				return nil
			}
		}
		return nil
	})
	return work, err
}

func (s *sqlStore) ClaimDeliveries(ctx context.Context, endpoints []string, holder string, leaseFor time.Duration, limit, chain int) ([]Delivery, error) {
	if err := s.sequenceEvents(ctx); err != nil {
		return nil, err
	}
	var out []Delivery
	err := s.write(ctx, func(t tx) error {
		out = nil
		now := s.now()
		nowText := fmtTime(now)
		for _, ep := range endpoints {
			if err := s.queueDeliveries(ctx, t, ep, nowText); err != nil {
				return err
			}
		}
		type queued struct {
			endpoint, customer string
			id                 int64
			ready              bool
		}
		// The first pending deliveries of each (endpoint, customer) queue: a customer's events
		// go in order, so a queue is claimed from its head, as far as each delivery is due and
		// leased by nobody; one customer's outage holds up no other's.
		heads, err := queryAll(ctx, t, func(sc scanner) (q queued, err error) {
			err = sc.Scan(&q.endpoint, &q.customer, &q.id, &q.ready)
			return q, err
		}, `SELECT endpoint, customer, event_id, next_at <= ? AND lease_until < ? FROM (
				SELECT endpoint, customer, event_id, next_at, lease_until,
					row_number() OVER (PARTITION BY endpoint, customer ORDER BY event_id) AS pos
				FROM deliveries WHERE state = 'pending') q
			WHERE pos <= ? ORDER BY endpoint, customer, event_id`, nowText, nowText, chain)
		if err != nil {
			return err
		}
		// Each queue's prefix of deliveries ready to go, of up to limit queues.
		var want []queued
		var last queued
		blocked, queues := false, 0
		for _, q := range heads {
			if q.endpoint != last.endpoint || q.customer != last.customer {
				if last, blocked = q, !q.ready; !blocked {
					if queues == limit {
						break
					}
					queues++
				}
			}
			if blocked = blocked || !q.ready; !blocked {
				want = append(want, q)
			}
		}
		until := fmtTime(now.Add(leaseFor))
		leased := map[queued]Delivery{}
		for endpoint, ids := range groupIDs(want, func(q queued) (string, int64) { return q.endpoint, q.id }) {
			in, args := inList(ids)
			// The condition again, as in ClaimDueVerifications: another server may have leased
			// some since the SELECT.
			if _, err := t.exec(ctx, `UPDATE deliveries SET lease_until = ?, lease_holder = ?
				WHERE endpoint = ? AND state = 'pending' AND lease_until < ? AND event_id IN `+in,
				append([]any{until, holder, endpoint, nowText}, args...)...); err != nil {
				return err
			}
			ds, err := queryAll(ctx, t, func(sc scanner) (d Delivery, err error) {
				var at, payload, from string
				err = sc.Scan(&d.Event.ID, &d.Event.Type, &at, &d.Event.Customer, &payload, &d.Attempts, &from)
				d.Endpoint, d.Holder = endpoint, holder
				d.Event.At, d.Event.Payload, d.RetryFrom = parseTime(at), json.RawMessage(payload), parseOptTime(from)
				return d, err
			}, `SELECT e.id, e.type, e.at, e.customer, e.payload, d.attempts, d.retry_from
				FROM deliveries d JOIN events e ON e.id = d.event_id
				WHERE d.endpoint = ? AND d.state = 'pending' AND d.lease_holder = ? AND d.lease_until = ? AND d.event_id IN `+in,
				append([]any{endpoint, holder, until}, args...)...)
			if err != nil {
				return err
			}
			for _, d := range ds {
				leased[queued{endpoint: endpoint, customer: d.Event.Customer, id: d.Event.ID, ready: true}] = d
			}
		}
		// A queue goes out as far as it was leased without a gap; what another server took in
		// between leaves the rest of the queue to later.
		var giveBack []queued
		last, blocked = queued{}, false
		for _, q := range want {
			if q.endpoint != last.endpoint || q.customer != last.customer {
				last, blocked = q, false
			}
			d, ok := leased[q]
			switch {
			case !ok:
				blocked = true
			case blocked:
				giveBack = append(giveBack, q)
			default:
				out = append(out, d)
			}
		}
		for endpoint, ids := range groupIDs(giveBack, func(q queued) (string, int64) { return q.endpoint, q.id }) {
			in, args := inList(ids)
			if _, err := t.exec(ctx, `UPDATE deliveries SET lease_until = '', lease_holder = ''
				WHERE endpoint = ? AND lease_holder = ? AND event_id IN `+in, append([]any{endpoint, holder}, args...)...); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// groupIDs groups the event ids of l by a key.
func groupIDs[T any, K comparable](l []T, key func(T) (K, int64)) map[K][]int64 {
	m := map[K][]int64{}
	for _, v := range l {
		k, id := key(v)
		m[k] = append(m[k], id)
	}
	return m
}

// inList is the SQL list "(?, ?, ...)" of ids and its arguments.
func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return `(?` + strings.Repeat(", ?", len(ids)-1) + `)`, args
}

// queueDeliveries makes a pending delivery to the endpoint of each event after its cursor. Ids
// grow in commit order (sequenceEvents), so an event committed after the cursor moved has a
// greater id than the cursor.
func (s *sqlStore) queueDeliveries(ctx context.Context, t tx, endpoint, now string) error {
	var after int64
	err := t.row(ctx, `SELECT after_id FROM webhook_cursors WHERE endpoint = ?`+s.d.forUpdate, endpoint).Scan(&after)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `INSERT INTO deliveries (endpoint, event_id, customer, state, next_at, retry_from)
		SELECT ?, id, customer, 'pending', ?, ? FROM events WHERE id > ? ORDER BY id LIMIT ?`,
		endpoint, now, now, after, queueBatch); err != nil {
		return err
	}
	_, err = t.exec(ctx, `UPDATE webhook_cursors SET after_id = (SELECT COALESCE(MAX(event_id), ?) FROM deliveries WHERE endpoint = ?)
		WHERE endpoint = ?`, after, endpoint, endpoint)
	return err
}

func (s *sqlStore) FinishDeliveries(ctx context.Context, fs []Finished) (int, error) {
	var held int
	err := s.write(ctx, func(t tx) error {
		held = 0
		now := fmtTime(s.now())
		count := func(res sql.Result, err error) error {
			if err == nil {
				n, _ := res.RowsAffected()
				held += int(n)
			}
			return err
		}
		// Most deliveries are delivered, or given back untried: a statement for all of an
		// endpoint's (a round's are all one holder's).
		var delivered, untried []Finished
		for _, f := range fs {
			var err error
			switch f.Outcome.State {
			case DeliveryDelivered:
				delivered = append(delivered, f)
			case "":
				untried = append(untried, f)
			default:
				failed := ""
				if f.Outcome.State == DeliveryFailed {
					failed = now
				}
				err = count(t.exec(ctx, `UPDATE deliveries SET state = ?, attempts = attempts + 1, next_at = ?, last_error = ?,
					failed_at = ?, lease_until = '', lease_holder = ''
					WHERE endpoint = ? AND event_id = ? AND state = 'pending' AND lease_holder = ?`,
					f.Outcome.State, fmtOptTime(f.Outcome.NextAt), clip(f.Outcome.Error, maxVerificationMessage), failed,
					f.Endpoint, f.Event.ID, f.Holder))
			}
			if err != nil {
				return err
			}
		}
		type lease struct{ endpoint, holder string }
		for _, group := range []struct {
			fs   []Finished
			set  string
			args []any
		}{
			{delivered, `state = 'delivered', attempts = attempts + 1, next_at = '', last_error = '', delivered_at = ?,`, []any{now}},
			{untried, ``, nil},
		} {
			for l, ids := range groupIDs(group.fs, func(f Finished) (lease, int64) { return lease{f.Endpoint, f.Holder}, f.Event.ID }) {
				in, args := inList(ids)
				if err := count(t.exec(ctx, `UPDATE deliveries SET `+group.set+` lease_until = '', lease_holder = ''
					WHERE endpoint = ? AND state = 'pending' AND lease_holder = ? AND event_id IN `+in,
					slices.Concat(group.args, []any{l.endpoint, l.holder}, args)...)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return held, err
}

func (s *sqlStore) ReplayEvent(ctx context.Context, id int64) (int, error) {
	var n int64
	err := s.writeAudited(ctx, func(t tx) error {
		var found int
		if err := t.row(ctx, `SELECT COUNT(*) FROM events WHERE id = ?`, id).Scan(&found); err != nil {
			return err
		}
		if found == 0 {
			return fmt.Errorf("%w: there is no event %d (delivered events are pruned after the retention)", ErrNotFound, id)
		}
		now := fmtTime(s.now())
		res, err := t.exec(ctx, `UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?, retry_from = ?, last_error = '',
			failed_at = '', lease_until = '', lease_holder = '' WHERE event_id = ? AND state = 'failed'`, now, now, id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

func (s *sqlStore) PruneEvents(ctx context.Context, retention time.Duration, limit int) (int, error) {
	if retention <= 0 || limit <= 0 {
		return 0, nil
	}
	var n int
	err := s.write(ctx, func(t tx) error {
		// Queued for every endpoint (at or below each cursor), and delivered wherever queued: a
		// pending or failed delivery keeps its event until it is delivered or replayed.
		ids, err := queryAll(ctx, t, func(sc scanner) (id int64, err error) {
			err = sc.Scan(&id)
			return id, err
		}, `SELECT e.id FROM events e WHERE e.at < ?
			AND e.id <= COALESCE((SELECT MIN(after_id) FROM webhook_cursors), e.id)
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state <> 'delivered')
			ORDER BY e.id LIMIT ?`, fmtTime(s.now().Add(-retention)), limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		in := `(?` + strings.Repeat(", ?", len(ids)-1) + `)`
		if _, err := t.exec(ctx, `DELETE FROM deliveries WHERE event_id IN `+in, args...); err != nil {
			return err
		}
		res, err := t.exec(ctx, `DELETE FROM events WHERE id IN `+in, args...)
		if err != nil {
			return err
		}
		deleted, err := res.RowsAffected()
		n = int(deleted)
		return err
	})
	return n, err
}

func (s *sqlStore) CountDeliveries(ctx context.Context) (DeliveryCounts, error) {
	var c DeliveryCounts
	err := s.read(ctx, func(t tx) error {
		rows, err := queryAll(ctx, t, func(sc scanner) (r struct {
			state string
			n     int
		}, err error) {
			err = sc.Scan(&r.state, &r.n)
			return r, err
		}, `SELECT state, COUNT(*) FROM deliveries GROUP BY state`)
		for _, r := range rows {
			switch r.state {
			case DeliveryPending:
				c.Pending = r.n
			case DeliveryDelivered:
				c.Delivered = r.n
			case DeliveryFailed:
				c.Failed = r.n
			}
		}
		return err
	})
	return c, err
}
