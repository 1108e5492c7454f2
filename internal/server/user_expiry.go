// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"time"
)

// DefaultUserExpiryInterval is how often the server looks for users whose expiry passed.
const DefaultUserExpiryInterval = 30 * time.Second

// userExpiryBatch is how many users one transaction marks expired at most.
const userExpiryBatch = 500

// expireUsers appends, by the server's clock, the user.expired event of every user whose
// expires_at passed and has none yet; it says how many.
func (s *Server) expireUsers(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.store.ExpireUsers(ctx, s.now(), userExpiryBatch)
		total += n
		if err != nil || n < userExpiryBatch {
			if total > 0 {
				s.webhooks.poke()
			}
			return total, err
		}
	}
}

// RunUserExpiry appends the user.expired events, now and then every interval until ctx ends:
// expiry is a matter of time, not of a write, so no write appends them (ARCHITECTURE.md,
// "Events"). Several servers on one database append each expiry's event once.
func (s *Server) RunUserExpiry(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultUserExpiryInterval
	}
	for ctx.Err() == nil {
		n, err := s.expireUsers(ctx)
		if err != nil && ctx.Err() == nil {
			s.metrics.dbErrors.Inc()
			s.log.ErrorContext(ctx, "user expiry: cannot append the events of expired users; tried again at the next interval", "error", err)
		}
		if n > 0 {
			s.log.InfoContext(ctx, "user expiry: appended user.expired events", "users", n)
		}
		sleep(ctx, interval)
	}
}
