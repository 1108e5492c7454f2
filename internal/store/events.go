// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// The types of the events a write that changes access appends (ARCHITECTURE.md, "Events").
const (
	EventCustomerCreated   = "customer.created"
	EventCustomerUpdated   = "customer.updated"
	EventCustomerDeleted   = "customer.deleted"
	EventUserProvisioned   = "user.provisioned"
	EventUserRotated       = "user.rotated"
	EventUserRevoked       = "user.revoked"
	EventUserExpired       = "user.expired"       // its expires_at passed, by the server's clock
	EventAccountRegistered = "account.registered" // written in-progress (or pending)
	EventAccountDone       = "account.done"
	EventAccountVerified   = "account.verified"
	EventAccountFailed     = "account.failed"
	EventAccountPurge      = "account.purge"
	EventAccountRemoved    = "account.removed"
)

// EventTypes lists every event type, in the order of a resource's life.
var EventTypes = []string{
	EventCustomerCreated, EventCustomerUpdated, EventCustomerDeleted,
	EventUserProvisioned, EventUserRotated, EventUserRevoked, EventUserExpired,
	EventAccountRegistered, EventAccountDone, EventAccountVerified, EventAccountFailed, EventAccountPurge, EventAccountRemoved,
}

// Event is one access change, as committed. Payload is a CustomerPayload, UserPayload or
// AccountPayload by Type; it never holds a token or a key.
type Event struct {
	ID       int64 // grows in commit order
	Type     string
	At       time.Time
	Customer string
	Payload  json.RawMessage
}

// DiagPayload is the diagnostic account an event names: the principal the platform assumes
// customers' roles from.
type DiagPayload struct {
	Name         string `json:"name"`
	AccountID    string `json:"account_id"`
	PrincipalARN string `json:"principal_arn,omitempty"`
	Region       string `json:"region"`
}

// CustomerPayload is the payload of customer.* events. Users and Accounts are what a
// customer.deleted removed with it.
type CustomerPayload struct {
	Customer       string       `json:"customer"`
	ExternalID     string       `json:"external_id"`
	AWSRegion      string       `json:"aws_region"`
	Regions        []string     `json:"regions"`
	AutoRunFinders bool         `json:"auto_run_finders"`
	DiagAccount    *DiagPayload `json:"diag_account,omitempty"`
	Users          []string     `json:"users,omitempty"`
	Accounts       []string     `json:"accounts,omitempty"`
}

// UserPayload is the payload of user.* events: which user, never its key, and when its key
// expires (user.revoked: never said).
type UserPayload struct {
	Customer  string     `json:"customer"`
	User      string     `json:"user"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// AccountPayload is the payload of account.* events: what the platform needs to start (or stop)
// working in the account, with the customer's settings at the time.
type AccountPayload struct {
	Customer           string       `json:"customer"`
	AccountID          string       `json:"account_id"`
	RoleARN            string       `json:"role_arn"`
	State              string       `json:"state"`
	ExternalID         string       `json:"external_id"`
	AWSRegion          string       `json:"aws_region"`
	Regions            []string     `json:"regions"`          // the account's own
	CustomerRegions    []string     `json:"customer_regions"` // the customer's
	AutoRunFinders     bool         `json:"auto_run_finders"`
	DiagAccount        *DiagPayload `json:"diag_account,omitempty"`
	Verification       string       `json:"verification"`
	VerificationDetail string       `json:"verification_message,omitempty"`
}

func diagPayload(d *DiagAccount) *DiagPayload {
	if d == nil {
		return nil
	}
	return &DiagPayload{Name: d.Name, AccountID: d.AccountID, PrincipalARN: d.PrincipalARN, Region: d.Region}
}

func customerPayload(c Customer) CustomerPayload {
	return CustomerPayload{Customer: c.Name, ExternalID: c.ExternalID, AWSRegion: c.AWSRegion, Regions: nonNil(c.Regions),
		AutoRunFinders: c.AutoRunFinders, DiagAccount: diagPayload(c.Diag)}
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// appendEvent records an event in t's transaction: it commits, or not, with the write. On
// PostgreSQL it has no id until sequenceEvents numbers it, after its commit (ARCHITECTURE.md,
// "Events"). Every write appends its events after the row locks it takes, so two writes of the
// same customer append theirs in the order they commit.
func (s *sqlStore) appendEvent(ctx context.Context, t tx, typ, customer string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	_, err = t.exec(ctx, `INSERT INTO events (type, at, customer, payload) VALUES (?, ?, ?, ?)`,
		typ, fmtTime(s.now()), customer, string(body))
	return err
}

// sequencerLock is the PostgreSQL advisory lock of the one sequenceEvents at a time: writers
// never take it.
const sequencerLock = 0x7669727465767473 // "virtevts"

// sequenceBatch bounds how many events one sequenceEvents numbers.
const sequenceBatch = 5000

// sequenceEvents gives the committed events that have none an id, on PostgreSQL, where a
// sequence taken at insert would not follow commit order. It numbers only what its snapshot
// sees, which has committed, under a lock held to its own commit, so an event committed later
// gets a greater id; within one pass, row_id order keeps each customer's events in the order
// they were written. SQLite's ids are given at insert.
func (s *sqlStore) sequenceEvents(ctx context.Context) error {
	if pending, err := s.unsequenced(ctx); err != nil || !pending {
		return err
	}
	return s.write(ctx, func(t tx) error {
		if _, err := t.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(sequencerLock)); err != nil {
			return fmt.Errorf("lock the event sequencer: %w", err)
		}
		// A separate statement from the lock: its snapshot is taken after the last sequencer
		// committed, so it sees that one's ids and event_sequence.
		_, err := t.exec(ctx, `WITH pending AS (
				SELECT row_id, row_number() OVER (ORDER BY row_id) AS n FROM events
				WHERE id IS NULL ORDER BY row_id LIMIT ?),
			taken AS (
				UPDATE event_sequence SET last = last + (SELECT COUNT(*) FROM pending)
				RETURNING last - (SELECT COUNT(*) FROM pending) AS base)
			UPDATE events SET id = taken.base + pending.n FROM pending, taken WHERE events.row_id = pending.row_id`,
			sequenceBatch)
		return err
	})
}

// customerEvent appends an event that carries the customer as it now stands in t.
func (s *sqlStore) customerEvent(ctx context.Context, t tx, typ, name string) error {
	c, err := getCustomer(ctx, t, name)
	if err != nil {
		return err
	}
	return s.appendEvent(ctx, t, typ, name, customerPayload(c))
}

// accountPayload reads what an account event carries, as the account stands in t.
func accountPayload(ctx context.Context, t tx, customer, accountID string) (AccountPayload, error) {
	c, err := getCustomer(ctx, t, customer)
	if err != nil {
		return AccountPayload{}, err
	}
	a, err := getAccount(ctx, t, customer, accountID)
	if err != nil {
		return AccountPayload{}, err
	}
	return AccountPayload{Customer: customer, AccountID: accountID, RoleARN: a.RoleARN, State: a.State,
		ExternalID: c.ExternalID, AWSRegion: c.AWSRegion, Regions: nonNil(a.Regions), CustomerRegions: nonNil(c.Regions),
		AutoRunFinders: c.AutoRunFinders, DiagAccount: diagPayload(c.Diag),
		Verification: a.Verification.State, VerificationDetail: a.Verification.Message}, nil
}

// accountEventType is the event of a client's write of an account in state.
func accountEventType(state string) string {
	switch state {
	case StateDone:
		return EventAccountDone
	case StatePurge:
		return EventAccountPurge
	default:
		return EventAccountRegistered
	}
}

// deletedEvent builds, before a child is deleted, the event its deletion appends.
func deletedEvent(ctx context.Context, t tx, c child) (typ string, payload any, err error) {
	if c.table == "users" {
		return EventUserRevoked, UserPayload{Customer: c.customer, User: c.value}, nil
	}
	p, err := accountPayload(ctx, t, c.customer, c.value)
	return EventAccountRemoved, p, err
}

// unsequenced tells whether any committed event waits for sequenceEvents: never on SQLite.
func (s *sqlStore) unsequenced(ctx context.Context) (bool, error) {
	if s.d.name != "postgres" {
		return false, nil
	}
	var pending bool
	err := s.read(ctx, func(t tx) error {
		return t.row(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id IS NULL)`).Scan(&pending)
	})
	return pending, err
}

// maxEventPage bounds what one ListEvents or ListFailedDeliveries reads: the API's largest page,
// 1,000, and one more that tells it whether there is a next page.
const maxEventPage = 1001

func (s *sqlStore) ListEvents(ctx context.Context, after int64, limit int) ([]Event, error) {
	if limit <= 0 || limit > maxEventPage {
		limit = maxEventPage
	}
	if err := s.sequenceEvents(ctx); err != nil {
		return nil, err
	}
	return readValue(ctx, s, func(t tx) ([]Event, error) {
		return queryAll(ctx, t, func(sc scanner) (Event, error) {
			var e Event
			var at, payload string
			err := sc.Scan(&e.ID, &e.Type, &at, &e.Customer, &payload)
			e.At, e.Payload = parseTime(at), json.RawMessage(payload)
			return e, err
		}, `SELECT id, type, at, customer, payload FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	})
}
