// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package store keeps the control plane's state: diagnostic accounts, customers, their users and
// keys, and their AWS accounts. One interface, two engines: SQLite (embedded, the default) and
// PostgreSQL (several stateless servers on one database).
package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Errors a Store returns; test them with errors.Is. The wrapped message says what was missing or
// in the way, in words fit for an API error.
var (
	ErrNotFound           = errors.New("not found")
	ErrConflict           = errors.New("conflict")
	ErrPreconditionFailed = errors.New("precondition failed")
	ErrInvalid            = errors.New("invalid") // refers to something that does not exist
)

// Role states, in the order the platform moves through them.
const (
	StatePending    = "pending"
	StateInProgress = "in-progress"
	StateDone       = "done"
	StatePurge      = "purge"
)

// Diagnostic account states, and what a customer's diag_account_status says.
const (
	DiagReady        = "ready-for-use"
	DiagProvisioning = "provisioning"
	DiagUnavailable  = "unavailable"

	DiagAccountUnavailable = "diagnostics_account_unavailable"
)

// DiagAccount is one of the platform's AWS accounts that runs diagnostics and assumes
// customers' roles.
type DiagAccount struct {
	Name         string
	AccountID    string
	PrincipalARN string // empty means the account's root
	Region       string
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CustomerSpec is what a client sets on a customer.
type CustomerSpec struct {
	DiagAccount    string // empty for none
	AWSRegion      string
	Regions        []string
	AutoRunFinders bool
}

// Customer is a customer with what hangs off it.
type Customer struct {
	Name string
	CustomerSpec
	ExternalID string
	Version    int64 // bumped by every change to the customer, its users or its AWS accounts
	CreatedAt  time.Time
	UpdatedAt  time.Time

	Diag     *DiagAccount // the assigned diagnostic account; nil when none
	Users    []string     // user names, sorted
	Accounts []AWSAccount // sorted by account id
}

// DiagStatus is diag_account_status: ready only when a ready diagnostic account is assigned.
func (c *Customer) DiagStatus() string {
	if c.Diag != nil && c.Diag.Status == DiagReady {
		return DiagReady
	}
	return DiagAccountUnavailable
}

// RoleStatus sums up the states of the customer's AWS accounts: the least advanced one wins, and
// a purge under way shows before anything else.
func (c *Customer) RoleStatus() string {
	return RoleStatus(c.Accounts)
}

// RoleStatus is the customer-level role status of a set of accounts.
func RoleStatus(accounts []AWSAccount) string {
	if len(accounts) == 0 {
		return StatePending
	}
	rank := map[string]int{StatePurge: 0, StatePending: 1, StateInProgress: 2, StateDone: 3}
	status := StateDone
	for _, a := range accounts {
		if rank[a.State] < rank[status] {
			status = a.State
		}
	}
	return status
}

// CustomerSummary is a line of the customer list.
type CustomerSummary struct {
	Name        string
	DiagAccount string
	DiagStatus  string
	RoleStatus  string
}

// User is a user of a customer with its API key.
type User struct {
	Customer  string
	Name      string
	KeyID     string
	Token     string
	Version   int64 // bumped by every rotation and change of expiry: the user's entity tag
	CreatedAt time.Time
	UpdatedAt time.Time
	// ExpiresAt is when the key stops working; nil: never.
	ExpiresAt *time.Time
}

// Expired says whether the user's key has expired at now.
func (u *User) Expired(now time.Time) bool { return u.ExpiresAt != nil && !now.Before(*u.ExpiresAt) }

// KeyName is the key's name as the platform has always spelled it.
func (u *User) KeyName() string { return u.Name + "@" + u.Customer + "-API-Key" }

// NewKey is a freshly minted key offered to the store; it is used only when a new one is needed.
type NewKey struct {
	KeyID string
	Token string
}

// AWSAccount is a customer's AWS account and the state of the platform's role in it.
type AWSAccount struct {
	Customer  string
	AccountID string
	RoleARN   string
	Regions   []string
	State     string
	Version   int64 // bumped by every change a client makes: the account's entity tag
	CreatedAt time.Time
	UpdatedAt time.Time

	// ExpiresAt is when the role's trust stops letting the platform in; nil: never. A PUT
	// replaces it.
	ExpiresAt *time.Time

	// Verification is what the platform found when it last assumed the role; only the platform
	// writes it (FinishVerification), and it leaves Version alone, so that it never fails a
	// client's If-Match.
	Verification Verification
	// VerifyRetryUntil, on a write that makes the account done, is until when the verification
	// that follows retries a refusal (IAM propagation); zero: not at all. Read back, it is the
	// current window.
	VerifyRetryUntil time.Time
}

// Verification states (ARCHITECTURE.md, "Verification").
const (
	VerifyPending     = "pending"     // not tried yet, or retrying within the window after done
	VerifyVerified    = "verified"    // the platform assumed the role as the diag account
	VerifyFailed      = "failed"      // AWS refused
	VerifyExpired     = "expired"     // AWS refused after the account's expires_at, as the trust says
	VerifyUnavailable = "unavailable" // no credentials for the diag account, or verification is off
)

// VerificationStates are the verification states, in a fixed order (metrics).
var VerificationStates = []string{VerifyPending, VerifyVerified, VerifyFailed, VerifyUnavailable, VerifyExpired}

// Verification is the platform's last verdict on an AWS account's role.
type Verification struct {
	State          string
	CheckedAt      time.Time // zero: never checked
	Message        string
	AssumedRoleARN string
}

// Precondition guards a write (HTTP If-Match / If-None-Match) by the version of the object it
// writes: a customer, a user or an AWS account, each with a version of its own.
type Precondition struct {
	// Versions, when not nil, are the versions the object may have (If-Match with entity tags,
	// any of which may match); an empty, non-nil list matches nothing (only tags that cannot
	// match were given).
	Versions     []int64
	MustExist    bool // If-Match: *
	MustNotExist bool // If-None-Match: *
}

// firstVersion is the version of a new user or AWS account: random, below 2^53 (so that any JSON
// reader holds it exactly), rather than 1. A user removed and provisioned again is another user
// with another token; starting its versions at 1 would give it the entity tag of the first, and
// an If-Match read before the removal would match it. Versions then count up by one, so the tags
// of two incarnations meet with a chance of about one in 2^53.
func firstVersion() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (since Go 1.24)
	return int64(binary.BigEndian.Uint64(b[:])>>11) | 1
}

// IfMatch is the precondition that the object has one of versions.
func IfMatch(versions ...int64) Precondition {
	return Precondition{Versions: append([]int64{}, versions...)}
}

// check is the precondition against the object what names (`customer "acme.com"`), of version
// when found.
func (p Precondition) check(what string, version int64, found bool) error {
	switch {
	case p.MustNotExist && found:
		return fmt.Errorf("%w: %s already exists (If-None-Match: *)", ErrPreconditionFailed, what)
	case (p.MustExist || p.Versions != nil) && !found:
		return fmt.Errorf("%w: %s does not exist (If-Match)", ErrPreconditionFailed, what)
	case p.Versions != nil && !slices.Contains(p.Versions, version):
		return fmt.Errorf("%w: %s has changed since it was read (If-Match)", ErrPreconditionFailed, what)
	}
	return nil
}

// Store is the control plane's persistence. Every method is one transaction: a write that
// returns nil is durable, and so is the audit entry its context carries (WithAudit), and the
// answer to its Idempotency-Key (WithIdempotencyKey). A write under a key that has an answer
// already writes nothing and returns a *ReplayError.
type Store interface {
	Ping(ctx context.Context) error
	Close() error

	PutDiagAccount(ctx context.Context, d DiagAccount) (DiagAccount, bool, error) // bool: created
	GetDiagAccount(ctx context.Context, name string) (DiagAccount, error)
	ListDiagAccounts(ctx context.Context) ([]DiagAccount, error)

	// MasterToken returns the stored master token, storing candidate first when there is none.
	MasterToken(ctx context.Context, candidate string) (string, error)
	// SetMasterToken replaces the master token; a write like the others, it can carry an audit
	// entry and an Idempotency-Key (its answer renders Written.MasterToken).
	SetMasterToken(ctx context.Context, token string) error
	// ReadMasterToken returns the stored master token (ErrNotFound when there is none).
	ReadMasterToken(ctx context.Context) (string, error)

	PutCustomer(ctx context.Context, name string, spec CustomerSpec, externalID string, pre Precondition) (Customer, bool, error)
	GetCustomer(ctx context.Context, name string) (Customer, error)
	ListCustomers(ctx context.Context) ([]CustomerSummary, error)
	DeleteCustomer(ctx context.Context, name string, pre Precondition) error

	// PutUser provisions a user of an existing customer; an existing user keeps its key.
	PutUser(ctx context.Context, customer, name string, key NewKey, pre Precondition) (User, bool, error)
	// PutUserUntil is PutUser that also sets when the key expires (nil: never), on a new user as
	// on an existing one, which keeps its key: a changed expiry bumps the version.
	PutUserUntil(ctx context.Context, customer, name string, key NewKey, expiresAt *time.Time, pre Precondition) (User, bool, error)
	GetUser(ctx context.Context, customer, name string) (User, error)
	ListUsers(ctx context.Context, customer string) ([]User, error)
	DeleteUser(ctx context.Context, customer, name string, pre Precondition) error
	RotateUser(ctx context.Context, customer, name string, key NewKey, pre Precondition) (User, error)
	// UserByToken finds the user a token belongs to (ErrNotFound when none does).
	UserByToken(ctx context.Context, token string) (User, error)

	// Provision is the legacy write: create the customer when needed (assigning diag when not
	// empty), then the user. The customer and user are created or kept in one transaction.
	Provision(ctx context.Context, customer, user, diag, externalID string, key NewKey) (User, error)

	PutAWSAccount(ctx context.Context, a AWSAccount, pre Precondition) (AWSAccount, bool, error)
	GetAWSAccount(ctx context.Context, customer, accountID string) (AWSAccount, error)
	ListAWSAccounts(ctx context.Context, customer string) ([]AWSAccount, error)
	DeleteAWSAccount(ctx context.Context, customer, accountID string, pre Precondition) error

	// ClaimDueVerifications leases to holder, for leaseFor, up to limit done accounts whose
	// verification is due and not leased by anyone else. Servers sharing the database each claim
	// different accounts: the lease is taken with a conditional UPDATE.
	ClaimDueVerifications(ctx context.Context, holder string, leaseFor time.Duration, limit int) ([]VerifyJob, error)
	// ClaimVerification leases one account to holder whether due or not: ErrNotFound when it is
	// not registered, ErrInvalid when it is not done, ErrConflict while another holder has it.
	ClaimVerification(ctx context.Context, customer, accountID, holder string, leaseFor time.Duration) (VerifyJob, error)
	// FinishVerification records what the job's verification found and releases the lease. It
	// writes nothing and returns false when the lease is lost: the account was changed, removed
	// or leased anew meanwhile.
	FinishVerification(ctx context.Context, job VerifyJob, out VerifyOutcome) (bool, error)
	// NextVerificationDue is when the next verification may be claimed (the later of when it is
	// due and when its lease ends); false when none is scheduled.
	NextVerificationDue(ctx context.Context) (time.Time, bool, error)

	// RecordAudit records an entry of a write that did not reach the store (refused, invalid).
	RecordAudit(ctx context.Context, e *AuditEntry) error
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// PruneAudit deletes at most limit entries older than retention and says how many it deleted.
	PruneAudit(ctx context.Context, retention time.Duration, limit int) (int, error)
	Counts(ctx context.Context) (Counts, error)

	// ListEvents lists up to limit events (at most 1001) with an id above after, in commit order
	// (ARCHITECTURE.md, "Events").
	ListEvents(ctx context.Context, after int64, limit int) ([]Event, error)
	// StartWebhook makes the endpoint's cursor, at the last event, unless it has one.
	StartWebhook(ctx context.Context, endpoint string) error
	// WebhookWork tells, with a read, whether ClaimDeliveries would find anything to do.
	WebhookWork(ctx context.Context, endpoints []string) (bool, error)
	// ClaimDeliveries queues the endpoints' new events, then leases due deliveries that no other
	// holder leases, of up to limit queues (an endpoint and a customer): of each, the oldest
	// pending ones in order, up to chain of them, stopping at the first that is not due or is
	// leased. They come grouped by queue, each in event order.
	ClaimDeliveries(ctx context.Context, endpoints []string, holder string, leaseFor time.Duration, limit, chain int) ([]Delivery, error)
	// FinishDeliveries records in one transaction the outcome of each delivery whose lease is
	// still its holder's, and says how many it recorded.
	FinishDeliveries(ctx context.Context, fs []Finished) (int, error)
	// ReplayEvent makes the event's failed deliveries pending again, due now, with a new retry
	// window; it says how many. ErrNotFound: no such event.
	ReplayEvent(ctx context.Context, id int64) (int, error)
	// PruneEvents deletes at most limit events older than retention that every endpoint has
	// queued and delivered, with their deliveries; it says how many.
	PruneEvents(ctx context.Context, retention time.Duration, limit int) (int, error)
	// CountDeliveries counts the deliveries by state.
	CountDeliveries(ctx context.Context) (DeliveryCounts, error)
	// ExpireUsers appends a user.expired event for each of up to limit users whose expires_at is
	// at or before now and has no such event yet, marking it in the same transaction, so that an
	// expiry has one event however many servers call it; it says how many.
	ExpireUsers(ctx context.Context, now time.Time, limit int) (int, error)
	// ListFailedDeliveries lists up to limit failed deliveries, oldest event first.
	ListFailedDeliveries(ctx context.Context, limit int) ([]FailedDelivery, error)
	// DropWebhooks deletes the cursors and the deliveries not yet delivered of every endpoint
	// but those given, so that they keep no event from being pruned; it says how many endpoints
	// and deliveries it dropped.
	DropWebhooks(ctx context.Context, keep []string) (endpoints, deliveries int, err error)
}
