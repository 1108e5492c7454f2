// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"time"
)

// userPayload is what a user event says of u.
func userPayload(u User) UserPayload {
	return UserPayload{Customer: u.Customer, User: u.Name, ExpiresAt: u.ExpiresAt}
}

// expiredUser is a user whose expiry has passed and has no user.expired event yet.
type expiredUser struct {
	customer, name, expires string
}

func (s *sqlStore) ExpireUsers(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	var n int
	err := s.write(ctx, func(t tx) error {
		n = 0
		// The rows are locked as they are picked, and another server's are passed over: each
		// server marks different users, and the marks' condition below makes an event of an
		// expiry once whatever the engine.
		due, err := queryAll(ctx, t, func(sc scanner) (u expiredUser, err error) {
			err = sc.Scan(&u.customer, &u.name, &u.expires)
			return u, err
		}, `SELECT customer, name, expires_at FROM users
			WHERE expires_at IS NOT NULL AND expires_at <= ? AND (expired_event_for IS NULL OR expired_event_for <> expires_at)
			ORDER BY expires_at, customer, name LIMIT ?`+s.d.skipLocked, fmtTime(now), limit)
		if err != nil {
			return err
		}
		var marked []expiredUser
		for _, u := range due {
			res, err := t.exec(ctx, `UPDATE users SET expired_event_for = expires_at
				WHERE customer = ? AND name = ? AND expires_at = ? AND (expired_event_for IS NULL OR expired_event_for <> expires_at)`,
				u.customer, u.name, u.expires)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				marked = append(marked, u)
			}
		}
		// The events after every row lock (appendEvent).
		for _, u := range marked {
			at := parseTime(u.expires)
			if err := s.appendEvent(ctx, t, EventUserExpired, u.customer,
				UserPayload{Customer: u.customer, User: u.name, ExpiresAt: &at}); err != nil {
				return err
			}
		}
		n = len(marked)
		return nil
	})
	return n, err
}
