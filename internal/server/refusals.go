// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Requests that prove no key are what anyone on the network can send, as fast as they like, so
// they must cost nothing that lasts: no audit entry, no series of their own in the metrics, and at
// most one log line a second. Those refused at authentication are counted in
// virtco_unauthenticated_requests_total, those a rate limit turned away in
// virtco_rate_limited_requests_total; the log line that gets through says how many it stands for.

// refusalLogInterval is how often at most a request refused without a key is logged.
const refusalLogInterval = time.Second

// sampledLog logs at most one line per interval and counts the lines it left out, so that a
// flood shows in the log as its size, not as its lines.
type sampledLog struct {
	log *slog.Logger
	now func() time.Time // time.Now; a test's clock

	mu         sync.Mutex
	limiter    *rate.Limiter
	suppressed int
}

func newSampledLog(log *slog.Logger, every time.Duration) *sampledLog {
	return &sampledLog{log: log, now: time.Now, limiter: rate.NewLimiter(rate.Every(every), 1)}
}

// Info logs msg with args when the interval allows it, adding "suppressed": how many were left
// out since the last line.
func (l *sampledLog) Info(ctx context.Context, msg string, args ...any) {
	l.mu.Lock()
	if !l.limiter.AllowN(l.now(), 1) {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	n := l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	l.log.InfoContext(ctx, msg, append(args, "suppressed", n)...)
}

// methodLabel is the method as metrics label it: one of HTTP's own, or "other", because Go's
// server takes any token as a method and each new label value would be a new series kept forever.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// clip shortens what a client sent (a method, a path) for a log line or a message, so that a
// client cannot make the server write more than it has to.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// unauthenticatedReason is the label of a request refused at authentication: whether it carried
// a key at all.
func unauthenticatedReason(r *http.Request) string {
	if presentedKey(r) == "" {
		return "no_key"
	}
	return "invalid_key"
}

// refuseUnauthenticated answers a request whose key was missing, unknown, or could not be
// checked. It leaves no audit entry: there is no one to attribute it to, and recording it would
// let anyone fill the disk. A missing or unknown key takes a token from the client's bucket of
// failures (ratelimit.go); a key that could not be checked, because the store failed, does not:
// the client did nothing wrong; nor does a user token past its expiry, a real key (auth.go).
func (s *Server) refuseUnauthenticated(w http.ResponseWriter, r *http.Request, client netip.Prefix, err error) {
	ae := s.toAPIError(r.Context(), err)
	var expired *expiredKeyError
	switch {
	case errors.As(err, &expired):
		s.metrics.unauthenticated.WithLabelValues("expired_key").Inc()
	case ae.status == http.StatusUnauthorized:
		s.metrics.unauthenticated.WithLabelValues(unauthenticatedReason(r)).Inc()
		s.authFailures.take(client)
	}
	writeError(w, ae)
}
