// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

const userColumns = "customer, name, key_id, token, version, created_at, updated_at"

// scanUser reads a user and opens its token.
func (t tx) scanUser(sc scanner) (User, error) {
	var u User
	var created, updated, sealed string
	if err := sc.Scan(&u.Customer, &u.Name, &u.KeyID, &sealed, &u.Version, &created, &updated); err != nil {
		return u, err
	}
	u.CreatedAt, u.UpdatedAt = parseTime(created), parseTime(updated)
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

// putUser creates the user unless it exists; the caller holds the customer's lock.
func (s *sqlStore) putUser(ctx context.Context, t tx, customer, name string, key NewKey) (User, bool, error) {
	u, err := getUser(ctx, t, customer, name)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return u, false, err
	}
	now := fmtTime(s.now())
	if _, err := t.exec(ctx, `INSERT INTO users (customer, name, key_id, token, token_hash, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, customer, name, key.KeyID, t.keys.Seal(userWhere(customer, name), []byte(key.Token)),
		t.keys.Index(key.Token), firstVersion(), now, now); err != nil {
		return u, false, err
	}
	if err := s.touchCustomer(ctx, t, customer); err != nil {
		return u, false, err
	}
	u, err = getUser(ctx, t, customer, name)
	return u, true, err
}

func (s *sqlStore) PutUser(ctx context.Context, customer, name string, key NewKey, pre Precondition) (User, bool, error) {
	var u User
	var created bool
	err := s.writeRecorded(ctx, func(t tx) (Written, error) {
		if _, err := s.lockChild(ctx, t, userChild(customer, name), pre); err != nil {
			return Written{}, err
		}
		var err error
		if u, created, err = s.putUser(ctx, t, customer, name, key); err == nil && created {
			err = s.appendEvent(ctx, t, EventUserProvisioned, customer, UserPayload{Customer: customer, User: name})
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
			err = s.appendEvent(ctx, t, EventUserRotated, customer, UserPayload{Customer: customer, User: name})
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
