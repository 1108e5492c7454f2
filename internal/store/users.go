// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

const userColumns = "customer, name, key_id, token, version, created_at, updated_at, expires_at"

// scanUser reads a user and opens its token.
func (t tx) scanUser(sc scanner) (User, error) {
	var u User
	var created, updated, sealed string
	var expires sql.NullString
	if err := sc.Scan(&u.Customer, &u.Name, &u.KeyID, &sealed, &u.Version, &created, &updated, &expires); err != nil {
		return u, err
	}
	u.CreatedAt, u.UpdatedAt = parseTime(created), parseTime(updated)
	u.ExpiresAt = optTime(expires)
	token, err := t.keys.Open(userWhere(u.Customer, u.Name), sealed)
	if err != nil {
		return u, fmt.Errorf("the token of user %q of customer %q: %w", u.Name, u.Customer, err)
	}
	u.Token = string(token)
	return u, nil
}

func errNoUser(customer, name string) error {
	return fmt.Errorf("%w: user %q of customer %q does not exist", ErrNotFound, name, customer)
}

func userChild(customer, name string) child {
	return child{customer: customer, what: fmt.Sprintf("user %q of customer %q", name, customer),
		table: "users", key: "name", value: name, notFound: errNoUser(customer, name)}
}

func getUser(ctx context.Context, t tx, customer, name string) (User, error) {
	return queryOne(ctx, t, t.scanUser, errNoUser(customer, name),
		`SELECT `+userColumns+` FROM users WHERE customer = ? AND name = ?`, customer, name)
}

func listUsers(ctx context.Context, t tx, customer string) ([]User, error) {
	return queryAll(ctx, t, t.scanUser, `SELECT `+userColumns+` FROM users WHERE customer = ? ORDER BY name`, customer)
}

// userNames lists a customer's users without opening their tokens.
func userNames(ctx context.Context, t tx, customer string) ([]string, error) {
	return queryAll(ctx, t, func(sc scanner) (name string, err error) {
		err = sc.Scan(&name)
		return name, err
	}, `SELECT name FROM users WHERE customer = ? ORDER BY name`, customer)
}

// expiry is what a write does to a user's expiry: keep says to leave an existing user's as it is.
type expiry struct {
	keep bool
	at   *time.Time
}

// column is the expiry as stored: NULL for none.
func (e expiry) column() sql.NullString {
	if e.at == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: fmtTime(*e.at), Valid: true}
}

// optTime reads a nullable time column: nil for NULL.
func optTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	at := parseTime(s.String)
	return &at
}

// sameExpiry compares two expiries at the store's precision.
func sameExpiry(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return fmtTime(*a) == fmtTime(*b)
}

// putUser creates the user unless it exists, and sets its expiry unless told to keep it; the
// caller holds the customer's lock.
func (s *sqlStore) putUser(ctx context.Context, t tx, customer, name string, key NewKey, exp expiry) (User, bool, error) {
	u, err := getUser(ctx, t, customer, name)
	if err == nil {
		if exp.keep || sameExpiry(u.ExpiresAt, exp.at) {
			return u, false, nil
		}
		if _, err := t.exec(ctx, `UPDATE users SET expires_at = ?, version = version + 1, updated_at = ? WHERE customer = ? AND name = ?`,
			exp.column(), fmtTime(s.now()), customer, name); err != nil {
			return u, false, err
		}
		if err := s.touchCustomer(ctx, t, customer); err != nil {
			return u, false, err
		}
		u, err = getUser(ctx, t, customer, name)
		return u, false, err
	}
	if !errors.Is(err, ErrNotFound) {
		return u, false, err
	}
	now := fmtTime(s.now())
	if _, err := t.exec(ctx, `INSERT INTO users (customer, name, key_id, token, token_hash, version, created_at, updated_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, customer, name, key.KeyID, t.keys.Seal(userWhere(customer, name), []byte(key.Token)),
		t.keys.Index(key.Token), firstVersion(), now, now, exp.column()); err != nil {
		return u, false, err
	}
	if err := s.touchCustomer(ctx, t, customer); err != nil {
		return u, false, err
	}
	u, err = getUser(ctx, t, customer, name)
	return u, true, err
}

func (s *sqlStore) PutUser(ctx context.Context, customer, name string, key NewKey, pre Precondition) (User, bool, error) {
	return s.putUserWith(ctx, customer, name, key, expiry{keep: true}, pre)
}

func (s *sqlStore) PutUserUntil(ctx context.Context, customer, name string, key NewKey, expiresAt *time.Time, pre Precondition) (User, bool, error) {
	return s.putUserWith(ctx, customer, name, key, expiry{at: expiresAt}, pre)
}

func (s *sqlStore) putUserWith(ctx context.Context, customer, name string, key NewKey, exp expiry, pre Precondition) (User, bool, error) {
	var u User
	var created bool
	err := s.writeRecorded(ctx, func(t tx) (Written, error) {
		if _, err := s.lockChild(ctx, t, userChild(customer, name), pre); err != nil {
			return Written{}, err
		}
		var err error
		if u, created, err = s.putUser(ctx, t, customer, name, key, exp); err == nil && created {
			err = s.appendEvent(ctx, t, EventUserProvisioned, customer, userPayload(u))
		}
		return Written{User: u, Created: created}, err
	})
	return u, created, err
}

func (s *sqlStore) GetUser(ctx context.Context, customer, name string) (User, error) {
	return readValue(ctx, s, func(t tx) (User, error) { return getUser(ctx, t, customer, name) })
}

func (s *sqlStore) ListUsers(ctx context.Context, customer string) ([]User, error) {
	return readValue(ctx, s, func(t tx) ([]User, error) {
		if err := customerExists(ctx, t, customer); err != nil {
			return nil, err
		}
		return listUsers(ctx, t, customer)
	})
}

func (s *sqlStore) DeleteUser(ctx context.Context, customer, name string, pre Precondition) error {
	return s.deleteChild(ctx, userChild(customer, name), pre)
}

func (s *sqlStore) RotateUser(ctx context.Context, customer, name string, key NewKey, pre Precondition) (User, error) {
	var u User
	err := s.writeRecorded(ctx, func(t tx) (Written, error) {
		c := userChild(customer, name)
		found, err := s.lockChild(ctx, t, c, pre)
		switch {
		case err != nil:
			return Written{}, err
		case !found:
			return Written{}, c.notFound
		}
		if _, err := t.exec(ctx, `UPDATE users SET token = ?, token_hash = ?, version = version + 1, updated_at = ?
			WHERE customer = ? AND name = ?`, t.keys.Seal(userWhere(customer, name), []byte(key.Token)), t.keys.Index(key.Token),
			fmtTime(s.now()), customer, name); err != nil {
			return Written{}, err
		}
		if err := s.touchCustomer(ctx, t, customer); err != nil {
			return Written{}, err
		}
		if u, err = getUser(ctx, t, customer, name); err == nil {
			err = s.appendEvent(ctx, t, EventUserRotated, customer, userPayload(u))
		}
		return Written{User: u}, err
	})
	return u, err
}

// UserByToken looks the token up by its index under every key, so that a row an older key
// sealed is found as well as one the sealing key did.
func (s *sqlStore) UserByToken(ctx context.Context, token string) (User, error) {
	return readValue(ctx, s, func(t tx) (User, error) {
		indexes := t.keys.Indexes(token)
		args := make([]any, len(indexes))
		for i, h := range indexes {
			args[i] = h
		}
		return queryOne(ctx, t, t.scanUser, fmt.Errorf("%w: no user has this token", ErrNotFound),
			`SELECT `+userColumns+` FROM users WHERE token_hash IN (?`+strings.Repeat(", ?", len(indexes)-1)+`)`, args...)
	})
}
