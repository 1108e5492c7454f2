// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func newTestClock() *testClock {
	return &testClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func testBuckets(limit rate.Limit, burst, maxKept int) (*buckets[string], *testClock) {
	b, c := newBuckets[string](limit, burst, maxKept), newTestClock()
	b.now = c.now
	return b, c
}

// TestBucketsBurstThenRefill: a client may fail burst times at once, then once per refill; the
// wait it is told is what is left of that refill.
func TestBucketsBurstThenRefill(t *testing.T) {
	b, clock := testBuckets(rate.Every(time.Second), 3, 10)
	for i := 0; i < 3; i++ {
		if w := b.wait("a"); w != 0 {
			t.Fatalf("failure %d: wait %v within the burst", i+1, w)
		}
		b.take("a")
	}
	if w := b.wait("a"); w != time.Second {
		t.Fatalf("after the burst: wait %v, want 1s", w)
	}
	if w := b.wait("b"); w != 0 {
		t.Fatalf("another client waits %v", w)
	}
	clock.add(400 * time.Millisecond)
	if w := b.wait("a"); w != 600*time.Millisecond || retryAfter(w) != 1 {
		t.Fatalf("0.4 s later: wait %v (Retry-After %d), want 600ms (1)", w, retryAfter(w))
	}
	clock.add(600 * time.Millisecond)
	if w := b.wait("a"); w != 0 {
		t.Fatalf("a refill later: wait %v", w)
	}
	// A failure that got past wait while others spent the token still counts, as debt.
	b.take("a")
	b.take("a")
	if w := b.wait("a"); w != 2*time.Second || retryAfter(w) != 2 {
		t.Fatalf("one failure into debt: wait %v (Retry-After %d), want 2s (2)", w, retryAfter(w))
	}
}

// TestBucketsAllow: allow spends a token only when there is one, so that requests turned away do
// not postpone the next one admitted.
func TestBucketsAllow(t *testing.T) {
	b, clock := testBuckets(2, 2, 10)
	for i := 0; i < 2; i++ {
		if w := b.allow("ops:"); w != 0 {
			t.Fatalf("request %d: wait %v within the burst", i+1, w)
		}
	}
	for i := 0; i < 5; i++ {
		if w := b.allow("ops:"); w != 500*time.Millisecond {
			t.Fatalf("over the rate, try %d: wait %v, want 500ms", i+1, w)
		}
	}
	if w := b.allow("user:k1"); w != 0 {
		t.Fatalf("another key waits %v", w)
	}
	clock.add(500 * time.Millisecond)
	if w := b.allow("ops:"); w != 0 {
		t.Fatalf("half a second later: wait %v", w)
	}
}

// TestBucketsBounded: however many clients, at most max buckets are kept; the one least recently
// used goes first, and the others keep their state.
func TestBucketsBounded(t *testing.T) {
	b, _ := testBuckets(rate.Every(time.Hour), 1, 3)
	for _, k := range []string{"a", "b", "c", "a", "d"} {
		b.take(k)
	}
	if n := b.len(); n != 3 {
		t.Fatalf("%d buckets kept, max 3", n)
	}
	// b was the least recently used when d came: forgotten, it may fail again.
	if w := b.wait("b"); w != 0 {
		t.Fatalf("the evicted client still waits %v", w)
	}
	for _, k := range []string{"a", "c", "d"} {
		if w := b.wait(k); w == 0 {
			t.Fatalf("%s lost its bucket though b was used less recently", k)
		}
	}
	for i := 0; i < 1000; i++ {
		b.take(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}).String())
	}
	if n := b.len(); n != 3 {
		t.Fatalf("after 1000 clients: %d buckets kept, max 3", n)
	}
}

// TestBucketsForgetRefilled: a bucket that has refilled is the same as none, so it is dropped,
// whether it is looked at or only passed by while making another.
func TestBucketsForgetRefilled(t *testing.T) {
	b, clock := testBuckets(rate.Every(time.Second), 2, 100)
	b.take("a")
	b.take("b")
	b.take("b")
	clock.add(time.Second)
	// a is full again, b not yet.
	b.take("c")
	if n := b.len(); n != 2 {
		t.Fatalf("%d buckets kept, want b and c", n)
	}
	if w := b.wait("b"); w != 0 {
		t.Fatalf("b after one refill: wait %v", w)
	}
	clock.add(time.Second)
	if w := b.wait("b"); w != 0 {
		t.Fatalf("b refilled: wait %v", w)
	}
	if w := b.wait("c"); w != 0 {
		t.Fatalf("c refilled: wait %v", w)
	}
	if n := b.len(); n != 0 {
		t.Fatalf("%d refilled buckets kept", n)
	}
}

func TestClientPrefix(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"IPv4", "192.0.2.7:1234", nil, "192.0.2.7/32"},
		{"IPv6 by its /64", "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::/64"},
		{"IPv6 neighbour in the same /64", "[2001:db8:1:2:ffff::1]:443", nil, "2001:db8:1:2::/64"},
		{"IPv4 in IPv6", "[::ffff:192.0.2.7]:1", nil, "192.0.2.7/32"},
		{"no address", "@", nil, "invalid Prefix"},
		{"untrusted peer's X-Forwarded-For ignored", "192.0.2.7:1", []string{"203.0.113.9"}, "192.0.2.7/32"},
		{"trusted proxy without X-Forwarded-For", "10.1.1.1:5", nil, "10.1.1.1/32"},
		{"trusted proxy", "10.1.1.1:5", []string{"203.0.113.9"}, "203.0.113.9/32"},
		{"trusted proxy, address with port", "10.1.1.1:5", []string{"203.0.113.9:4711"}, "203.0.113.9/32"},
		{"trusted chain, client's own entries ignored", "10.1.1.1:5", []string{"198.51.100.1, 203.0.113.9, 10.2.2.2"}, "203.0.113.9/32"},
		{"several header lines", "10.1.1.1:5", []string{"198.51.100.1", "203.0.113.9"}, "203.0.113.9/32"},
		{"IPv6 client behind the proxy", "[fd00::1]:5", []string{"2001:db8:1:2::99"}, "2001:db8:1:2::/64"},
		{"only proxies", "10.1.1.1:5", []string{"10.3.3.3"}, "10.3.3.3/32"},
		{"garbage stops the walk", "10.1.1.1:5", []string{"203.0.113.9, not-an-address"}, "10.1.1.1/32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{trustedProxies: proxies}
			r := httptest.NewRequest("GET", "/v1/customers", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientPrefix(r).String(); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	// Without trusted proxies X-Forwarded-For means nothing, whoever sends it.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.1.1:5"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	if got := (&Server{}).clientPrefix(r).String(); got != "10.1.1.1/32" {
		t.Fatalf("no trusted proxies: got %s", got)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.1/8,192.168.1.1  ::1,,2001:db8::/32 ::ffff:172.16.0.1")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, p := range got {
		s = append(s, p.String())
	}
	if want := "10.0.0.0/8 192.168.1.1/32 ::1/128 2001:db8::/32 172.16.0.1/32"; strings.Join(s, " ") != want {
		t.Fatalf("got %v, want %s", s, want)
	}
	if got, err := ParseTrustedProxies(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v, %v", got, err)
	}
	for _, bad := range []string{"proxy.example.com", "10.0.0.0/33", "10.0.0.1:80", "10.0.0.0/8;10.1.0.0/16"} {
		_, err := ParseTrustedProxies("192.0.2.1," + bad)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("%q: error %v, want one naming it and what is allowed", bad, err)
		}
	}
}

// clientFrom is an HTTP client whose connections come from the local address ip (on Linux the
// whole of 127/8 is loopback), so that a test can be two clients.
func clientFrom(t testing.TB, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	probe, err := d.DialContext(t.Context(), "tcp", "127.0.0.1:1")
	if err != nil && strings.Contains(err.Error(), "assign requested address") {
		t.Fatalf("cannot connect from %s (this test needs a second loopback address, as Linux has in 127/8): %v", ip, err)
	}
	if probe != nil {
		_ = probe.Close()
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestAuthFailuresLimited: a flood of wrong keys from one address gets 429 with Retry-After,
// whatever key it sends next, and leaves no audit entry; the ops key from another address is
// served. A refill later, the address may fail once more.
func TestAuthFailuresLimited(t *testing.T) {
	clock := newTestClock()
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken()}
	e.configure = func(s *Server) { s.authFailures.now = clock.now }
	e.url, e.store = e.serve(testDB(t), nil)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	entries := e.auditCount()

	keys := []string{"", "vcu_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not-a-key"}
	for i := 0; i < AuthFailureBurst; i++ {
		e.must(401, "PUT", "/v1/customers/acme.com/users/joe", keys[i%len(keys)], nil)
	}
	for _, key := range append(keys, e.ops) {
		r := e.call("PUT", "/v1/customers/acme.com/users/joe", key, nil)
		if r.status != 429 || r.errorCode() != "rate_limited" || r.header.Get("Retry-After") != "1" {
			t.Fatalf("key %.8q after %d failures: %d, Retry-After %q: %s", key, AuthFailureBurst, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	r := e.call("GET", legacyPath("provision", "eve@acme.com"), "not-a-key", nil)
	if r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("legacy protocol: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	if got := e.auditCount(); got != entries {
		t.Fatalf("the flood added %d audit entries", got-entries)
	}
	// A load balancer's health checks may come from the address a flood comes through.
	e.must(200, "GET", "/healthz", "", nil)
	e.must(200, "GET", "/readyz", "", nil)

	// Another address is another client.
	e.client = clientFrom(t, "127.0.0.2")
	e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil)
	body := string(e.must(200, "GET", "/metrics", e.ops, nil).body)
	for _, want := range []string{`virtco_rate_limited_requests_total{limit="auth_failures"} 5`, `virtco_rate_limited_requests_total{limit="key"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// A refill later the first address has one failure again, then waits as before.
	e.client = nil
	clock.add(AuthFailureRefill)
	e.must(401, "GET", "/v1/customers", "not-a-key", nil)
	if r := e.call("GET", "/v1/customers", e.ops, nil); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("after the refill's failure: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	clock.add(AuthFailureRefill)
	e.must(200, "GET", "/v1/customers", e.ops, nil)
}

// TestAuthFailuresLimitedBehindProxy: behind a trusted proxy, the client is the one
// X-Forwarded-For names, so that one client's flood does not lock out the others.
func TestAuthFailuresLimitedBehindProxy(t *testing.T) {
	clock := newTestClock()
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken()}
	e.configure = func(s *Server) {
		s.authFailures.now = clock.now
		s.trustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	e.url, e.store = e.serve(testDB(t), nil)
	for i := 0; i < AuthFailureBurst; i++ {
		e.must(401, "GET", "/v1/customers", "not-a-key", nil, "X-Forwarded-For", "203.0.113.9")
	}
	e.must(429, "GET", "/v1/customers", e.ops, nil, "X-Forwarded-For", "203.0.113.9")
	// An address the client writes itself before the proxy's is no escape.
	e.must(429, "GET", "/v1/customers", "not-a-key", nil, "X-Forwarded-For", "198.51.100.1, 203.0.113.9")
	e.must(200, "GET", "/v1/customers", e.ops, nil, "X-Forwarded-For", "198.51.100.7")
	e.must(200, "GET", "/v1/customers", e.ops, nil)
}

// TestKeyRateLimited: with a rate per key, a key over it gets 429 with Retry-After and no audit
// entry, even for a write; another key is unaffected, and the key is served again a second later.
func TestKeyRateLimited(t *testing.T) {
	clock := newTestClock()
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken(), rateLimit: 2}
	e.configure = func(s *Server) { s.keyRate.now = clock.now }
	e.url, e.store = e.serve(testDB(t), nil)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	var joe struct{ Token string }
	e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil).decode(t, &joe)
	entries := e.auditCount()

	// The two requests above spent the ops key's burst, and the clock stands still.
	for _, path := range []string{"/v1/customers", "/v1/customers/acme.com/users/joe"} {
		var r response
		if path == "/v1/customers" {
			r = e.call("GET", path, e.ops, nil)
		} else {
			r = e.call("PUT", path, e.ops, nil)
		}
		if r.status != 429 || r.errorCode() != "rate_limited" || r.header.Get("Retry-After") != "1" ||
			!strings.Contains(r.message(), "ops key") {
			t.Fatalf("%s over the rate: %d, Retry-After %q: %s", path, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	if got := e.auditCount(); got != entries {
		t.Fatalf("requests over the rate added %d audit entries", got-entries)
	}
	e.must(200, "GET", "/v1/customers/acme.com", joe.Token, nil)
	e.must(200, "GET", "/v1/customers", e.master, nil)
	// Refused over the rate are no failures of authentication.
	if w := e.srv.authFailures.wait(netip.MustParsePrefix("127.0.0.1/32")); w != 0 {
		t.Fatalf("429s for the rate took from the address's failures: wait %v", w)
	}

	clock.add(time.Second)
	e.must(200, "GET", "/v1/customers", e.ops, nil)
	body := string(e.must(200, "GET", "/metrics", e.ops, nil).body)
	if want := `virtco_rate_limited_requests_total{limit="key"} 2`; !strings.Contains(body, want) {
		t.Errorf("metrics lack %s", want)
	}
}
