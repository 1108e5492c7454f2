// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// IdempotencyRetention is how long the answer to a request under an Idempotency-Key is kept: a
// retry within it gets that answer; after it the key is forgotten and runs as a new request.
const IdempotencyRetention = 24 * time.Hour

// idempotencyCleanupBatch bounds how many expired records one recording transaction deletes, so
// that forgetting old keys costs each write a little, and needs no goroutine of its own.
const idempotencyCleanupBatch = 100

// ErrIdempotencyKeyReused is a write whose Idempotency-Key its caller first sent with another
// request (another method, path or body): the store neither runs it nor answers it from the record.
var ErrIdempotencyKeyReused = errors.New("idempotency key reused")

// Answer is an HTTP answer as the server sent it, kept so that it can be sent again.
type Answer struct {
	Status int
	Header map[string]string // the headers the answer needs besides Content-Type, e.g. ETag
	Body   []byte
}

// Written is what a write made, as its store method returns it: the customer, user, AWS account
// or master token it wrote, and whether it created it. An IdempotencyKey renders its answer from it.
type Written struct {
	Created     bool
	Customer    Customer
	User        User
	Account     AWSAccount
	MasterToken string
}

// IdempotencyKey is the Idempotency-Key of a write. Attached to the write's context with
// WithIdempotencyKey, it makes the store record the write's answer in the write's own
// transaction, so that no write under a key commits without its answer and no answer exists
// without its write; a later write under the same key (and scope) runs nothing and returns a
// *ReplayError with that answer, or ErrIdempotencyKeyReused when it is another request.
type IdempotencyKey struct {
	// Scope is whose key it is (the kind of API key, and a user key's id), so that two callers'
	// keys never meet.
	Scope string
	Key   string
	// Fingerprint identifies the request (a hash of its method, path and body).
	Fingerprint string
	// Answer renders the answer to record from what the write made. The store calls it inside the
	// write's transaction, after the write; it must not use the store.
	Answer   func(Written) Answer
	recorded bool
}

type idempotencyCtxKey struct{}

// WithIdempotencyKey attaches k to a write's context (see IdempotencyKey).
func WithIdempotencyKey(ctx context.Context, k *IdempotencyKey) context.Context {
	return context.WithValue(ctx, idempotencyCtxKey{}, k)
}

// IdempotencyKeyFrom is the key WithIdempotencyKey attached to ctx.
func IdempotencyKeyFrom(ctx context.Context) (*IdempotencyKey, bool) {
	k, ok := ctx.Value(idempotencyCtxKey{}).(*IdempotencyKey)
	return k, ok && k != nil
}

// pendingKey is the context's key when it has not been recorded with a write yet.
func pendingKey(ctx context.Context) *IdempotencyKey {
	k, _ := ctx.Value(idempotencyCtxKey{}).(*IdempotencyKey)
	if k == nil || k.Key == "" || k.recorded {
		return nil
	}
	return k
}

// ReplayError is a write that did not run because its Idempotency-Key already has an answer:
// the answer of the first request under the key, to be sent again as it was.
type ReplayError struct {
	Answer Answer
}

func (e *ReplayError) Error() string {
	return fmt.Sprintf("the Idempotency-Key was used before: its recorded answer is %d", e.Answer.Status)
}

// claimKey runs first in the transaction of a write under k. It forgets k's record when it has
// expired, answers from the record when there is one, and else inserts k's record, to be filled
// in by recordAnswer when the write is done. The record's unique (scope, key) is what keeps two
// requests under one key from both running: on PostgreSQL the second one's insert waits for the
// first transaction and then fails as a unique violation, write runs it again, and this time it
// finds the first one's answer. On SQLite write transactions are serial anyway.
func (s *sqlStore) claimKey(ctx context.Context, t tx, k *IdempotencyKey) error {
	now := s.now()
	if _, err := t.exec(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND created_at < ?`,
		k.Scope, k.Key, fmtTime(now.Add(-IdempotencyRetention))); err != nil {
		return err
	}
	var fingerprint, header string
	var body []byte
	var a Answer
	err := t.row(ctx, `SELECT fingerprint, status, header, body FROM idempotency_keys WHERE scope = ? AND idem_key = ?`,
		k.Scope, k.Key).Scan(&fingerprint, &a.Status, &header, &body)
	switch {
	case err == nil && fingerprint != k.Fingerprint:
		return fmt.Errorf("%w: Idempotency-Key %q was first sent with another request (another method, path or body) "+
			"less than %s ago; send a new key with each new request, and the same key only to retry the same request",
			ErrIdempotencyKeyReused, k.Key, retentionWords)
	case err == nil:
		return replay(t, k, a.Status, header, body)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO idempotency_keys (scope, idem_key, fingerprint, created_at, status, header, body)
		VALUES (?, ?, ?, ?, 0, '{}', ?)`, k.Scope, k.Key, k.Fingerprint, fmtTime(now), []byte{})
	return err
}

// replay opens a recorded answer, sealed because a user's answer holds its token, and returns it
// as a *ReplayError.
func replay(t tx, k *IdempotencyKey, status int, sealedHeader string, sealedBody []byte) error {
	header, err := t.keys.Open(answerWhere("header", k), sealedHeader)
	if err != nil {
		return fmt.Errorf("the recorded answer of Idempotency-Key %q: %w", k.Key, err)
	}
	body, err := t.keys.Open(answerWhere("body", k), string(sealedBody))
	if err != nil {
		return fmt.Errorf("the recorded answer of Idempotency-Key %q: %w", k.Key, err)
	}
	a := Answer{Status: status, Body: body}
	if err := json.Unmarshal(header, &a.Header); err != nil {
		return fmt.Errorf("the recorded answer of an Idempotency-Key has unreadable headers: %w", err)
	}
	return &ReplayError{Answer: a}
}

// retentionWords is IdempotencyRetention as messages say it.
const retentionWords = "24 hours"

// recordAnswer fills in the record claimKey inserted with the write's answer, sealed, and forgets a
// bounded batch of expired records. SKIP LOCKED (PostgreSQL) leaves rows another transaction is
// deleting to that one, so that two cleanups neither wait for each other nor deadlock.
func (s *sqlStore) recordAnswer(ctx context.Context, t tx, k *IdempotencyKey, w Written) error {
	if k.Answer == nil {
		return errors.New("store: a write under an Idempotency-Key has no Answer to record")
	}
	a := k.Answer(w)
	header := a.Header
	if header == nil {
		header = map[string]string{}
	}
	headerJSON, err := json.Marshal(header)
	if err != nil {
		return err
	}
	sealedHeader, sealedBody := t.keys.Seal(answerWhere("header", k), headerJSON), t.keys.Seal(answerWhere("body", k), a.Body)
	if _, err := t.exec(ctx, `UPDATE idempotency_keys SET status = ?, header = ?, body = ? WHERE scope = ? AND idem_key = ?`,
		a.Status, sealedHeader, []byte(sealedBody), k.Scope, k.Key); err != nil {
		return err
	}
	_, err = t.exec(ctx, fmt.Sprintf(`DELETE FROM idempotency_keys WHERE id IN
		(SELECT id FROM idempotency_keys WHERE created_at < ? LIMIT %d%s)`, idempotencyCleanupBatch, s.d.skipLocked),
		fmtTime(s.now().Add(-IdempotencyRetention)))
	return err
}
