// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/server"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// flood sends n requests from 4 clients at once; next makes the i-th request, and check is given
// each answer's status (0 when the request failed).
func flood(t *testing.T, n int, next func(i int) *http.Request, check func(i, status int)) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				resp, err := client.Do(next(i))
				if err != nil {
					check(i, 0)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				check(i, resp.StatusCode)
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
}

// dbBytes is the size of the SQLite database with its WAL and shared-memory files.
func dbBytes(t *testing.T, db string) int64 {
	t.Helper()
	var total int64
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	return total
}

// rssBytes is the resident memory of the process pid (Linux).
func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("no /proc to read the server's memory from (this test needs Linux): %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/<pid>/status")
	return 0
}

// The tests of this file are about what lies below the API (the HTTP server's limits, client
// addresses, raw connections), so they reach the server directly rather than through the
// contract proxy.

// TestRefusedRequestsCostNoDisk: 2,000 writes without a key, half of them with 64 KB paths, are
// refused (401; 414 for the long paths; 429 once the address has spent its failures) and leave
// the database files as they were, give or take a page.
func TestRefusedRequestsCostNoDisk(t *testing.T) {
	p := servertest.Start(t, servertest.Options{})
	if status, body := request(t, "PUT", p.DirectURL+"/v1/customers/acme.com", p.OpsKey, ""); status != 201 {
		t.Fatalf("%d %s", status, body)
	}
	_, before := request(t, "GET", p.DirectURL+"/v1/audit?limit=1000", p.OpsKey, "")
	size := dbBytes(t, p.DB)

	long := "/v1/customers/acme.com/users/" + strings.Repeat("x", 64<<10)
	paths := []string{"/v1/customers/acme.com", "/v1/customers/acme.com/users/joe", "/v1/customers/acme.com/users/joe/rotate",
		"/v1/customers/acme.com/aws-accounts/123456789012", "/internal?target=provision&customer=eve@acme.com", "/v1/diag-accounts/Diag3"}
	methods := []string{"PUT", "DELETE", "POST", "PUT", "GET", "PUT"}
	var mu sync.Mutex
	statuses := map[int]int{}
	flood(t, 2000, func(i int) *http.Request {
		path, method := paths[i%len(paths)], methods[i%len(paths)]
		if i%2 == 1 {
			path = long
		}
		req, _ := http.NewRequest(method, p.DirectURL+path, strings.NewReader(`{"state":"done"}`))
		if i%3 == 0 {
			req.Header.Set("x-api-key", "vcu_stolen-or-made-up")
		}
		return req
	}, func(i, status int) {
		mu.Lock()
		statuses[status]++
		mu.Unlock()
	})
	for status, n := range statuses {
		if status != 401 && status != 414 && status != 429 {
			t.Errorf("%d answers were %d", n, status)
		}
	}
	if statuses[414] != 1000 {
		t.Errorf("%d of the 1000 long paths got 414", statuses[414])
	}
	// All from one address: past the burst of failures, the short paths are turned away.
	if statuses[401]+statuses[429] != 1000 || statuses[401] < server.AuthFailureBurst || statuses[429] == 0 {
		t.Errorf("the 1000 short paths got %d 401 and %d 429, want at least %d 401 and the rest 429",
			statuses[401], statuses[429], server.AuthFailureBurst)
	}
	if grown := dbBytes(t, p.DB) - size; grown >= 64<<10 {
		t.Errorf("2000 refused requests grew the database files by %d bytes", grown)
	}
	// From another address: this one has spent its failures.
	if after := send(t, clientFrom(t, "127.0.0.2"), "GET", p.DirectURL+"/v1/audit?limit=1000", p.OpsKey); after.status != 200 || after.body != string(before) {
		t.Errorf("refused requests changed the audit trail: %d %s", after.status, after.body)
	}
	if n := strings.Count(p.Logs(), `msg=refused`); n == 0 || n > 200 {
		t.Errorf("2000 refusals made %d log lines; they are logged once a second at most", n)
	}
	t.Logf("answers %v; database files %d -> %d bytes", statuses, size, dbBytes(t, p.DB))
}

// TestMethodFloodBoundsMemory: 2,000 requests with invented 1 KB methods, and 100 with 500 KB
// ones, neither grow the metrics page past 100 KB nor the server's memory by 10 MB.
func TestMethodFloodBoundsMemory(t *testing.T) {
	p := servertest.Start(t, servertest.Options{})
	paths := []string{"/v1/customers", "/v1/customers/acme.com", "/metrics", "/healthz", "/nowhere"}
	// Warm up: the server's heap and its connections settle at their working size first.
	flood(t, 400, func(i int) *http.Request {
		req, _ := http.NewRequest("GET", p.DirectURL+paths[i%len(paths)], nil)
		req.Header.Set("x-api-key", p.OpsKey)
		return req
	}, func(int, int) {})
	rss := rssBytes(t, p.Pid())

	method := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		for i := range b {
			b[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[int(b[i])%26]
		}
		return string(b)
	}
	var mu sync.Mutex
	statuses := map[int]int{}
	count := func(_, status int) {
		mu.Lock()
		statuses[status]++
		mu.Unlock()
	}
	flood(t, 2000, func(i int) *http.Request {
		req, _ := http.NewRequest(method(1024), p.DirectURL+paths[i%len(paths)], nil)
		return req
	}, count)
	flood(t, 100, func(i int) *http.Request {
		req, _ := http.NewRequest(method(500<<10), p.DirectURL+paths[i%len(paths)], nil)
		return req
	}, count)

	status, page := request(t, "GET", p.DirectURL+"/metrics", p.OpsKey, "")
	if status != 200 || len(page) >= 100<<10 {
		t.Errorf("the metrics page: %d, %d bytes", status, len(page))
	}
	grown := rssBytes(t, p.Pid()) - rss
	if grown >= 10<<20 {
		t.Errorf("the server's memory grew by %d MB", grown>>20)
	}
	t.Logf("answers %v; metrics page %d bytes; RSS %d -> %d kB", statuses, len(page), rss>>10, (rss+grown)>>10)
}

// TestSlowClients: a body trickled after the headers gets 408 once --read-timeout is over, with a
// message that names no address; headers that never end get the connection closed.
func TestSlowClients(t *testing.T) {
	p := servertest.Start(t, servertest.Options{Args: []string{"--read-timeout", "1s"}})
	addr := strings.TrimPrefix(p.DirectURL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"aws_region": "eu-west-1"}`
	fmt.Fprintf(conn, "PUT /v1/customers/acme.com HTTP/1.1\r\nHost: virtco\r\nx-api-key: %s\r\nContent-Length: %d\r\n\r\n{", p.OpsKey, len(body))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 408 || !strings.Contains(string(answer), `"code":"request_timeout"`) || strings.Contains(string(answer), "127.0.0.1") {
		t.Fatalf("slow body: %d %s", resp.StatusCode, answer)
	}
	if status, _ := request(t, "GET", p.DirectURL+"/v1/customers/acme.com", p.OpsKey, ""); status != 404 {
		t.Fatalf("the slow write was made: %d", status)
	}

	// Headers that never end: the server hangs up after the header timeout, answering nothing.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "GET /healthz HTTP/1.1\r\nHost: virtco\r\n")
	_ = slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := slow.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("a client whose headers never end: read %d bytes, %v; want the connection closed", n, err)
	}
}

// TestMetricsAddress: with --metrics-addr the metrics are served there without a key; on the
// API's address they still need the ops key.
func TestMetricsAddress(t *testing.T) {
	p := servertest.Start(t, servertest.Options{Args: []string{"--metrics-addr", "127.0.0.1:0"}})
	if p.MetricsURL == "" {
		t.Fatalf("no metrics address in the log:\n%s", p.Logs())
	}
	request(t, "PUT", p.URL+"/v1/customers/acme.com", p.OpsKey, "")
	status, page := request(t, "GET", p.MetricsURL, "", "")
	if status != 200 || !strings.Contains(string(page), "virtco_customers 1") {
		t.Fatalf("the metrics address: %d\n%s", status, page)
	}
	if status, _ := request(t, "GET", p.URL+"/metrics", "", ""); status != 401 {
		t.Fatalf("/metrics on the API's address without a key: %d", status)
	}
	if status, _ := request(t, "GET", p.URL+"/metrics", p.OpsKey, ""); status != 200 {
		t.Fatalf("/metrics on the API's address with the ops key: %d", status)
	}
	if status, _ := request(t, "GET", strings.TrimSuffix(p.MetricsURL, "/metrics")+"/v1/customers", p.OpsKey, ""); status != 404 {
		t.Fatalf("the metrics address serves the API: %d", status)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("SIGTERM with a metrics address: %v\n%s", err, p.Logs())
	}
}

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "90": 90 * 24 * time.Hour, "7d": 7 * 24 * time.Hour,
		"36h": 36 * time.Hour, "2160h": 90 * 24 * time.Hour, "0": 0, "0s": 0, "0d": 0} {
		if got, err := parseRetention(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "-1d", "-3h", "1.5d", "d", "90days"} {
		if _, err := parseRetention(in); err == nil || !strings.Contains(err.Error(), "--audit-retention (VIRTCO_AUDIT_RETENTION)") {
			t.Errorf("%q: %v", in, err)
		}
	}
}
