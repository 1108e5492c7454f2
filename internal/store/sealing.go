// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/virtasant/terraform-provider-virtco/internal/secrets"
)

// Every secret the store keeps is sealed (secrets.Keyring.Seal) with where it is stored as
// additional data, so that a sealed value moved to another row does not open there, and a copy of
// the database without the key file yields no token (ARCHITECTURE.md, "Secrets at rest").

func userWhere(customer, name string) string { return secrets.Where("users.token", customer, name) }

var masterWhere = secrets.Where("settings.value", "master_token")

func answerWhere(column string, k *IdempotencyKey) string {
	return secrets.Where("idempotency_keys."+column, k.Scope, k.Key, k.Fingerprint)
}

// sealBatch bounds the rows one transaction of sealAtRest seals, so that sealing a large database
// holds no lock for long, and a start that is interrupted resumes where it stopped.
const sealBatch = 100

// sealReport counts what sealAtRest sealed.
type sealReport struct {
	keyID    string
	plain    int // values stored in the clear, by a version before sealing
	resealed int // values sealed under an older key, sealed again under the sealing key
}

func (r *sealReport) count(wasPlain bool) {
	if wasPlain {
		r.plain++
	} else {
		r.resealed++
	}
}

func (r sealReport) log(log *slog.Logger) {
	if r.plain+r.resealed > 0 {
		log.Info(fmt.Sprintf("secrets: sealed with key %s: %d values stored in the clear, %d sealed under an older key",
			r.keyID, r.plain, r.resealed))
	}
}

// reopen is a stored value in the clear: opened when it is sealed, as it is when it was stored
// before sealing.
func (t tx) reopen(where, stored string) (plain []byte, wasPlain bool, err error) {
	if !secrets.IsSealed(stored) {
		return []byte(stored), true, nil
	}
	plain, err = t.keys.Open(where, stored)
	return plain, false, err
}

// sealAtRest seals, under the sealing key, every secret stored in the clear (by a version before
// sealing) or under an older key: users' tokens, with their index, the master token, and the
// recorded answers of Idempotency-Keys. It runs at every start, in batches, each its own
// transaction; what it has sealed it does not touch again, so that it is cheap once done and
// resumes after an interruption. On PostgreSQL it runs under the migration lock.
func (s *sqlStore) sealAtRest(ctx context.Context, db txBeginner) (sealReport, error) {
	r := sealReport{keyID: s.keys.SealingKeyID()}
	prefix := s.keys.SealedPrefix()
	for _, batch := range []func(t tx) (int, error){
		func(t tx) (int, error) { return sealUsers(ctx, t, prefix, &r) },
		func(t tx) (int, error) { return sealMasterToken(ctx, t, prefix, &r) },
		func(t tx) (int, error) { return sealAnswers(ctx, t, prefix, &r) },
	} {
		for {
			var n int
			err := s.runTx(ctx, db, func(t tx) (err error) {
				n, err = batch(t)
				return err
			})
			if err != nil {
				var unknown *secrets.UnknownKeyError
				if errors.As(err, &unknown) {
					err = fmt.Errorf("%w; add that key's line back to the key file", err)
				}
				return r, fmt.Errorf("sealing secrets: %w", err)
			}
			if n < sealBatch {
				break
			}
		}
	}
	return r, nil
}

// notSealedWith selects the rows whose column does not begin with the sealing key's prefix.
func notSealedWith(column string) string { return `substr(` + column + `, 1, ?) <> ?` }

func sealUsers(ctx context.Context, t tx, prefix string, r *sealReport) (int, error) {
	type row struct{ customer, name, token string }
	rows, err := queryAll(ctx, t, func(sc scanner) (u row, err error) {
		err = sc.Scan(&u.customer, &u.name, &u.token)
		return u, err
	}, `SELECT customer, name, token FROM users WHERE `+notSealedWith("token")+` ORDER BY customer, name LIMIT ?`,
		len(prefix), prefix, sealBatch)
	if err != nil {
		return 0, err
	}
	for _, u := range rows {
		where := userWhere(u.customer, u.name)
		plain, wasPlain, err := t.reopen(where, u.token)
		if err != nil {
			return 0, fmt.Errorf("the token of user %q of customer %q: %w", u.name, u.customer, err)
		}
		if _, err := t.exec(ctx, `UPDATE users SET token = ?, token_hash = ? WHERE customer = ? AND name = ? AND token = ?`,
			t.keys.Seal(where, plain), t.keys.Index(string(plain)), u.customer, u.name, u.token); err != nil {
			return 0, err
		}
		r.count(wasPlain)
	}
	return len(rows), nil
}

func sealMasterToken(ctx context.Context, t tx, prefix string, r *sealReport) (int, error) {
	rows, err := queryAll(ctx, t, func(sc scanner) (v string, err error) {
		err = sc.Scan(&v)
		return v, err
	}, `SELECT value FROM settings WHERE name = 'master_token' AND `+notSealedWith("value"), len(prefix), prefix)
	if err != nil {
		return 0, err
	}
	for _, v := range rows {
		plain, wasPlain, err := t.reopen(masterWhere, v)
		if err != nil {
			return 0, fmt.Errorf("the master token: %w", err)
		}
		if _, err := t.exec(ctx, `UPDATE settings SET value = ? WHERE name = 'master_token' AND value = ?`,
			t.keys.Seal(masterWhere, plain), v); err != nil {
			return 0, err
		}
		r.count(wasPlain)
	}
	return len(rows), nil
}

// sealAnswers seals recorded answers; a record whose answer is not recorded yet (status 0) lives
// only inside its write's transaction, and holds nothing.
func sealAnswers(ctx context.Context, t tx, prefix string, r *sealReport) (int, error) {
	type row struct {
		id     int64
		k      IdempotencyKey
		header string
		body   []byte
	}
	rows, err := queryAll(ctx, t, func(sc scanner) (a row, err error) {
		err = sc.Scan(&a.id, &a.k.Scope, &a.k.Key, &a.k.Fingerprint, &a.header, &a.body)
		return a, err
	}, `SELECT id, scope, idem_key, fingerprint, header, body FROM idempotency_keys
		WHERE status <> 0 AND `+notSealedWith("header")+` ORDER BY id LIMIT ?`, len(prefix), prefix, sealBatch)
	if err != nil {
		return 0, err
	}
	for _, a := range rows {
		header, wasPlain, err := t.reopen(answerWhere("header", &a.k), a.header)
		if err != nil {
			return 0, fmt.Errorf("the recorded answer of Idempotency-Key %q: %w", a.k.Key, err)
		}
		body, _, err := t.reopen(answerWhere("body", &a.k), string(a.body))
		if err != nil {
			return 0, fmt.Errorf("the recorded answer of Idempotency-Key %q: %w", a.k.Key, err)
		}
		if _, err := t.exec(ctx, `UPDATE idempotency_keys SET header = ?, body = ? WHERE id = ? AND header = ?`,
			t.keys.Seal(answerWhere("header", &a.k), header), []byte(t.keys.Seal(answerWhere("body", &a.k), body)), a.id, a.header); err != nil {
			return 0, err
		}
		r.count(wasPlain)
	}
	return len(rows), nil
}
