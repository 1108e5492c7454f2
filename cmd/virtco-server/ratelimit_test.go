// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/server"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// answer is what a client sees of a response.
type answer struct {
	status     int
	retryAfter string
	code       string
	body       string
}

// send makes one request through client, with key (none when empty) and extra headers as name,
// value pairs.
func send(t *testing.T, client *http.Client, method, url, key string, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal(b, &e)
	return answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), code: e.Error.Code, body: string(b)}
}

// clientFrom is an HTTP client whose connections come from the local address ip: on Linux the
// whole of 127/8 is loopback, so one test can be two clients.
func clientFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	if probe, err := d.DialContext(t.Context(), "tcp", "127.0.0.1:1"); probe != nil {
		_ = probe.Close()
	} else if strings.Contains(err.Error(), "assign requested address") {
		t.Fatalf("cannot connect from %s (this test needs a second loopback address, as Linux has in 127/8): %v", ip, err)
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// These tests are about client addresses, which the server sees only when a client reaches it
// directly, not through the contract proxy.

// TestWrongKeyFloodLimited: a flood of wrong keys from one client gets 429 with Retry-After, then
// even with the right key; the ops key from another address still gets 200.
func TestWrongKeyFloodLimited(t *testing.T) {
	p := servertest.Start(t, servertest.Options{})
	attacker, other := clientFrom(t, "127.0.0.1"), clientFrom(t, "127.0.0.2")
	statuses := map[int]int{}
	var limited answer
	for i := 0; i < 3*server.AuthFailureBurst; i++ {
		a := send(t, attacker, "PUT", p.DirectURL+"/v1/customers/acme.com", "vco_guess-"+strings.Repeat("x", i%7))
		statuses[a.status]++
		if a.status == 429 {
			limited = a
		}
	}
	// The refill of one failure a second lets a slow machine fail a few times more.
	if statuses[401] < server.AuthFailureBurst || statuses[429] == 0 || statuses[401]+statuses[429] != 3*server.AuthFailureBurst {
		t.Fatalf("%d wrong keys from one address: %v, want %d or a few more 401 and the rest 429", 3*server.AuthFailureBurst, statuses, server.AuthFailureBurst)
	}
	if limited.code != "rate_limited" || limited.retryAfter != "1" {
		t.Fatalf("the 429: code %q, Retry-After %q", limited.code, limited.retryAfter)
	}
	if a := send(t, attacker, "GET", p.DirectURL+"/v1/customers", p.OpsKey); a.status != 429 || a.retryAfter == "" {
		t.Fatalf("the ops key from the flooding address: %+v", a)
	}
	if a := send(t, other, "PUT", p.DirectURL+"/v1/customers/acme.com", p.OpsKey); a.status != 201 {
		t.Fatalf("the ops key from another address: %+v", a)
	}
	m := send(t, other, "GET", p.DirectURL+"/metrics", p.OpsKey)
	want := fmt.Sprintf(`virtco_rate_limited_requests_total{limit="auth_failures"} %d`, statuses[429]+1)
	if m.status != 200 || !strings.Contains(m.body, want) {
		t.Fatalf("metrics from another address: %d, want %s", m.status, want)
	}
	t.Logf("%d wrong keys: %v", 3*server.AuthFailureBurst, statuses)
}

// TestRateLimitSettings: --rate-limit and --trusted-proxies, or their variables, reach the
// server; a flag wins over its variable.
func TestRateLimitSettings(t *testing.T) {
	// A thousandth of a request a second: the second request within the test is over it.
	p := servertest.Start(t, servertest.Options{Env: []string{"VIRTCO_RATE_LIMIT=0.001", "VIRTCO_TRUSTED_PROXIES=127.0.0.1"}})
	c := http.DefaultClient
	if a := send(t, c, "GET", p.DirectURL+"/v1/customers", p.OpsKey); a.status != 200 {
		t.Fatalf("first request: %+v", a)
	}
	if a := send(t, c, "GET", p.DirectURL+"/v1/customers", p.OpsKey); a.status != 429 || a.code != "rate_limited" || a.retryAfter == "" {
		t.Fatalf("over VIRTCO_RATE_LIMIT: %+v", a)
	}
	// Behind the trusted proxy, each client its own failures.
	for i := 0; i < server.AuthFailureBurst+1; i++ {
		send(t, c, "GET", p.DirectURL+"/v1/customers", "not-a-key", "X-Forwarded-For", "203.0.113.9")
	}
	if a := send(t, c, "GET", p.DirectURL+"/v1/customers", "not-a-key", "X-Forwarded-For", "203.0.113.9"); a.status != 429 {
		t.Fatalf("a flooding client behind the proxy: %+v", a)
	}
	if a := send(t, c, "GET", p.DirectURL+"/v1/customers", "not-a-key", "X-Forwarded-For", "198.51.100.7"); a.status != 401 {
		t.Fatalf("another client behind the proxy: %+v", a)
	}

	for _, want := range []string{"rate limit: 0.001 requests a second per API key", "trusted proxies: X-Forwarded-For names the client behind 127.0.0.1/32"} {
		if !strings.Contains(p.Logs(), want) {
			t.Errorf("the log does not say %q:\n%s", want, p.Logs())
		}
	}

	q := servertest.Start(t, servertest.Options{Env: []string{"VIRTCO_RATE_LIMIT=0.001"}, Args: []string{"--rate-limit", "0"}})
	for i := 0; i < 3; i++ {
		if a := send(t, c, "GET", q.DirectURL+"/v1/customers", q.OpsKey); a.status != 200 {
			t.Fatalf("--rate-limit 0 over VIRTCO_RATE_LIMIT, request %d: %+v", i+1, a)
		}
	}
	if strings.Contains(q.Logs(), "rate limit:") {
		t.Errorf("--rate-limit 0 logs a rate limit:\n%s", q.Logs())
	}
}

func TestParseRateLimitFlags(t *testing.T) {
	t.Setenv("VIRTCO_RATE_LIMIT", "")
	t.Setenv("VIRTCO_TRUSTED_PROXIES", "")
	o, _, err := parseFlags(nil, io.Discard)
	if err != nil || o.serving.rateLimit != 0 || len(o.serving.trustedProxies) != 0 {
		t.Fatalf("defaults: %v, %v, %v", o.serving.rateLimit, o.serving.trustedProxies, err)
	}
	t.Setenv("VIRTCO_RATE_LIMIT", "5")
	t.Setenv("VIRTCO_TRUSTED_PROXIES", "10.0.0.0/8")
	o, _, err = parseFlags([]string{"--rate-limit", "0.5", "--trusted-proxies", "192.0.2.1, 2001:db8::/32"}, io.Discard)
	if err != nil || o.serving.rateLimit != 0.5 || len(o.serving.trustedProxies) != 2 || o.serving.trustedProxies[0].String() != "192.0.2.1/32" {
		t.Fatalf("flags over variables: %v, %v, %v", o.serving.rateLimit, o.serving.trustedProxies, err)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--rate-limit", "fast"}, `--rate-limit (VIRTCO_RATE_LIMIT) "fast" is not a number of requests a second`},
		{[]string{"--rate-limit", "-1"}, `--rate-limit (VIRTCO_RATE_LIMIT) "-1"`},
		{[]string{"--rate-limit", "NaN"}, `--rate-limit (VIRTCO_RATE_LIMIT) "NaN"`},
		{[]string{"--rate-limit", "+Inf"}, `--rate-limit (VIRTCO_RATE_LIMIT) "+Inf"`},
		{[]string{"--trusted-proxies", "proxy.internal"}, `--trusted-proxies (VIRTCO_TRUSTED_PROXIES): "proxy.internal" is neither an address nor a CIDR prefix`},
		{[]string{"--trusted-proxies", "10.0.0.0/40"}, `"10.0.0.0/40" is neither`},
	} {
		if _, _, err := parseFlags(c.args, io.Discard); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%v: %v, want it to say %s", c.args, err, c.says)
		}
	}
}
