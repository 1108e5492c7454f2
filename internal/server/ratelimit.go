// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"container/list"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Two limits turn a client away with 429 before it costs more (ARCHITECTURE.md, "What a request
// may cost"). Failed authentications are limited per client address, always: guessing keys gets
// slow, and a flood of wrong keys stops reaching the store, which a key of the user kind costs a
// query. Requests of one key are limited when the operator sets a rate (Config.RateLimit).

const (
	// AuthFailureBurst is how many failed authentications (no key, or a key that is not valid) a
	// client address may make before it is turned away. It is generous so that a person who
	// mistypes a key, or a script retrying with a stale one, is never stopped by it.
	AuthFailureBurst = 20
	// AuthFailureRefill is how often an address gets back one failure it may make: once the burst
	// is spent, a brute force gets one guess a second.
	AuthFailureRefill = time.Second
	// MaxLimitedClients bounds the buckets each limit keeps, one per client address (or key). A
	// bucket that has refilled is forgotten, since a full bucket and none are the same; past the
	// bound, the one least recently used goes, so that no number of addresses can grow the map.
	// At a few hundred bytes a bucket, that is a few MB at most.
	MaxLimitedClients = 10_000
)

// buckets are token buckets by key (a client address, a key's identity), at most max of them.
// Every operation holds mu, so that checking a bucket and taking from it is one step.
type buckets[K comparable] struct {
	limit rate.Limit
	burst int
	max   int
	now   func() time.Time // time.Now; a test's clock

	mu    sync.Mutex
	byKey map[K]*list.Element // each holds a *bucket[K]
	lru   list.List           // the most recently taken from at the front
}

type bucket[K comparable] struct {
	key K
	lim *rate.Limiter
}

func newBuckets[K comparable](limit rate.Limit, burst, maxKept int) *buckets[K] {
	return &buckets[K]{limit: limit, burst: burst, max: maxKept, now: time.Now, byKey: map[K]*list.Element{}}
}

// wait is how long until key's bucket holds a token again: 0 when it holds one now.
func (b *buckets[K]) wait(key K) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.byKey[key]
	if !ok {
		return 0
	}
	tokens := e.Value.(*bucket[K]).lim.TokensAt(b.now())
	if tokens >= float64(b.burst) {
		b.remove(e)
		return 0
	}
	return b.untilOne(tokens)
}

// take takes a token from key's bucket, whether or not it holds one: a failure that got past
// wait while others emptied the bucket still counts, as a debt that postpones the next token.
func (b *buckets[K]) take(key K) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.get(key).ReserveN(b.now(), 1)
}

// allow takes a token from key's bucket when it holds one, and returns 0; otherwise it takes
// nothing and returns how long until it holds one.
func (b *buckets[K]) allow(key K) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	lim, now := b.get(key), b.now()
	if tokens := lim.TokensAt(now); tokens < 1 {
		return b.untilOne(tokens)
	}
	lim.ReserveN(now, 1)
	return 0
}

// len is how many buckets are kept.
func (b *buckets[K]) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byKey)
}

// get is key's bucket, made full when there is none, and marked as the most recently used. It
// first forgets the least recently used buckets that have refilled, and the least recently used
// one whatever its state while there are max: amortised, each bucket is forgotten once.
func (b *buckets[K]) get(key K) *rate.Limiter {
	if e, ok := b.byKey[key]; ok {
		b.lru.MoveToFront(e)
		return e.Value.(*bucket[K]).lim
	}
	now := b.now()
	for back := b.lru.Back(); back != nil; back = b.lru.Back() {
		if len(b.byKey) < b.max && back.Value.(*bucket[K]).lim.TokensAt(now) < float64(b.burst) {
			break
		}
		b.remove(back)
	}
	lim := rate.NewLimiter(b.limit, b.burst)
	b.byKey[key] = b.lru.PushFront(&bucket[K]{key: key, lim: lim})
	return lim
}

func (b *buckets[K]) remove(e *list.Element) {
	delete(b.byKey, e.Value.(*bucket[K]).key)
	b.lru.Remove(e)
}

// untilOne is how long a bucket with tokens takes to hold one: 0 when it does.
func (b *buckets[K]) untilOne(tokens float64) time.Duration {
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(b.limit) * float64(time.Second))
}

// retryAfter is d in whole seconds, rounded up, for Retry-After: at least 1, so that a client
// that honours it does not come back before the token it waits for.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// The labels of virtco_rate_limited_requests_total.
const (
	limitAuthFailures = "auth_failures"
	limitKey          = "key"
)

// rateLimited answers 429 with Retry-After, counted under limit.
func (s *Server) rateLimited(w http.ResponseWriter, limit string, wait time.Duration, format string, args ...any) {
	seconds := retryAfter(wait)
	s.metrics.rateLimited.WithLabelValues(limit).Inc()
	w.Header().Set("Retry-After", fmt.Sprint(seconds))
	writeError(w, errorf(http.StatusTooManyRequests, "rate_limited", "%s; try again in %d s", fmt.Sprintf(format, args...), seconds))
}

// admit authenticates a request, or answers it and returns false. An address whose failures have
// emptied its bucket is answered 429 before its key is looked at, so that a brute force learns
// nothing from it and costs nothing; a failure takes a token (refusals.go). With a rate per key,
// a key over it gets 429 too, before anything is audited: such requests cost no more than any
// refused at authentication.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (principal, bool) {
	client := s.clientPrefix(r)
	if wait := s.authFailures.wait(client); wait > 0 {
		s.rateLimited(w, limitAuthFailures, wait, "too many requests without a valid API key from this address")
		return principal{}, false
	}
	p, err := s.authenticate(r)
	if err != nil {
		s.refuseUnauthenticated(w, r, client, err)
		return principal{}, false
	}
	if s.keyRate == nil {
		return p, true
	}
	if wait := s.keyRate.allow(p.rateKey()); wait > 0 {
		// The caller is known, so that the log line of the refusal names its key's kind and id.
		*callerFrom(r.Context()) = p
		s.rateLimited(w, limitKey, wait, "%s is over its rate of %g requests a second", p.describe(), float64(s.keyRate.limit))
		return principal{}, false
	}
	return p, true
}

// rateKey is the identity of a key for its rate: its kind and, for a user token, its key id. The
// key itself is never kept.
func (p principal) rateKey() string {
	return p.kind.String() + ":" + p.keyID
}

// keyRateBurst is the burst of a rate per key: one second's worth, at least one request.
func keyRateBurst(perSecond float64) int {
	return max(1, int(math.Ceil(perSecond)))
}

// clientPrefix is whom a request's failures are counted against: the host of RemoteAddr, an
// IPv6 one by its /64, since one machine commonly holds a whole /64 and could otherwise make
// each guess from a new address. Behind a proxy every client is the proxy, unless the proxy is
// one of Config.TrustedProxies: then the client is the address X-Forwarded-For names last that is
// not itself a trusted proxy. A RemoteAddr that is not an address (a test's, a Unix socket's) is
// the zero prefix, one bucket for all of them.
func (s *Server) clientPrefix(r *http.Request) netip.Prefix {
	addr := parseHostAddr(r.RemoteAddr)
	if addr.IsValid() && s.trusted(addr) {
		addr = s.forwardedFor(r, addr)
	}
	if !addr.IsValid() {
		return netip.Prefix{}
	}
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

// forwardedFor walks X-Forwarded-For from its end, each proxy having appended the address it
// had the request from, and stops at the first address that is not a trusted proxy: the ones
// before it are what the client wrote, and may be anything. An entry that is not an address
// stops the walk at the trusted proxy that appended it.
func (s *Server) forwardedFor(r *http.Request, peer netip.Addr) netip.Addr {
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		addr := parseHostAddr(strings.TrimSpace(hops[i]))
		if !addr.IsValid() {
			break
		}
		peer = addr
		if !s.trusted(addr) {
			break
		}
	}
	return peer
}

func (s *Server) trusted(addr netip.Addr) bool {
	for _, p := range s.trustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseHostAddr reads an address with or without a port (X-Forwarded-For has either), an IPv4
// address in IPv6 as IPv4; the zero Addr when it is none.
func parseHostAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}

// ParseTrustedProxies reads a list of proxies, addresses or CIDR prefixes separated by commas or
// spaces, for Config.TrustedProxies.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.FieldsFunc(list, func(c rune) bool { return c == ',' || c == ' ' }) {
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix such as 10.0.0.0/8", item)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
