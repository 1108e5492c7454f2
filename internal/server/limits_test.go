// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// TestRefusedWithoutKeyLeavesNoTrace: writes refused at authentication, with no key or a key
// nobody has, add nothing to the audit trail; they are counted, and logged at most once a second
// with the number of those left out.
func TestRefusedWithoutKeyLeavesNoTrace(t *testing.T) {
	const n = 300
	var logs lockedBuffer
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken()}
	// Room for every refusal here, and the ones after: TestAuthFailuresLimited is about the limit.
	e.configure = func(s *Server) { s.authFailures.burst = n + 10 }
	e.url, e.store = e.serve(testDB(t), slog.New(slog.NewJSONHandler(&logs, nil)))
	var clock atomic.Int64
	clock.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	e.srv.refused.now = func() time.Time { return time.Unix(0, clock.Load()) }
	e.seed()
	entries := e.auditCount()
	logs.Reset()

	writes := []struct{ method, path string }{
		{"PUT", "/v1/customers/acme.com"},
		{"DELETE", "/v1/customers/acme.com/users/joe"},
		{"POST", "/v1/customers/acme.com/users/joe/rotate"},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012"},
		{"GET", legacyPath("provision", "eve@acme.com")},
		{"GET", legacyPath("unprovision", "acme.com")},
	}
	for i := 0; i < n; i++ {
		w := writes[i%len(writes)]
		key := []string{"", "vcu_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not-a-key"}[i%3]
		if r := e.call(w.method, w.path, key, nil); r.status != 401 {
			t.Fatalf("%s %s: %d %s", w.method, w.path, r.status, r.body)
		}
	}
	if got := e.auditCount(); got != entries {
		t.Fatalf("%d refused requests added %d audit entries", n, got-entries)
	}
	lines := func() []map[string]any {
		var out []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
			out = append(out, rec)
		}
		return out
	}
	got := lines()
	if len(got) != 1 || got[0]["msg"] != "refused" || got[0]["suppressed"] != float64(0) || got[0]["status"] != float64(401) {
		t.Fatalf("%d refusals in one second logged as %d lines: %v", n, len(got), got)
	}
	clock.Add(int64(refusalLogInterval))
	e.must(401, "GET", "/v1/customers", "", nil)
	if got = lines(); len(got) != 2 || got[1]["suppressed"] != float64(n-1) {
		t.Fatalf("the next second's line does not count the %d left out: %v", n-1, got[1:])
	}

	// A key the server knows is audited when refused, whatever it sends.
	e.must(403, "PUT", "/v1/customers/acme.com", e.master, nil)
	if got := e.auditCount(); got != entries+1 {
		t.Fatalf("a refusal of the master token left %d entries", got-entries)
	}
	body := string(e.must(200, "GET", "/metrics", e.ops, nil).body)
	for _, want := range []string{`virtco_unauthenticated_requests_total{reason="no_key"} 101`,
		`virtco_unauthenticated_requests_total{reason="invalid_key"} 200`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestAuditFieldsCapped: an authenticated refusal is in the trail, but no field of its entry is
// longer than the cap, however long the request.
func TestAuditFieldsCapped(t *testing.T) {
	e := newEnv(t)
	name := strings.Repeat("a", 1900) + ".com"
	e.must(400, "PUT", "/v1/customers/"+name+"/users/joe", e.ops, nil)
	got := e.audit("").Entries
	last := got[len(got)-1]
	if last.Outcome != "400 invalid_argument" || !strings.HasPrefix(last.Request, "PUT /v1/customers/aaa") {
		t.Fatalf("entry: %+v", last)
	}
	for field, v := range map[string]string{"request": last.Request, "customer": last.Customer, "target": last.Target, "detail": last.Detail} {
		if len(v) > store.AuditDetailMax || (field != "detail" && len(v) > store.AuditFieldMax) {
			t.Errorf("%s is %d bytes", field, len(v))
		}
	}
	if !strings.HasSuffix(last.Request, "…[cut]") {
		t.Errorf("a cut request is not marked: %q", last.Request)
	}
}

// TestURITooLong: a path or query over MaxTargetBytes gets 414 before it is routed, also without
// a key; one at the limit is served.
func TestURITooLong(t *testing.T) {
	e := newEnv(t)
	entries := e.auditCount()
	for _, target := range []string{
		"/v1/customers/" + strings.Repeat("a", MaxTargetBytes),
		"/v1/customers/acme.com/users/" + strings.Repeat("j", 64<<10),
		"/v1/audit?customer=" + strings.Repeat("a", MaxTargetBytes),
	} {
		for _, key := range []string{e.ops, ""} {
			method := "PUT"
			if strings.HasPrefix(target, "/v1/audit") {
				method = "GET"
			}
			r := e.call(method, target, key, nil)
			if r.status != 414 || r.errorCode() != "uri_too_long" || strings.Contains(r.message(), "aaaa") {
				t.Fatalf("%d-byte target: %d %s", len(target), r.status, r.body)
			}
		}
	}
	atLimit := "/v1/audit?customer=" + strings.Repeat("a", MaxTargetBytes-len("/v1/audit?customer=")-len(".com")) + ".com"
	if r := e.call("GET", atLimit, e.ops, nil); r.status != 400 || r.field() != "customer" {
		t.Fatalf("a target of exactly %d bytes: %d %s", len(atLimit), r.status, r.body)
	}
	if got := e.auditCount(); got != entries {
		t.Fatalf("refused targets left %d audit entries", got-entries)
	}

	// Over MaxHeaderBytes, Go's server refuses the request itself.
	resp, err := http.Get(e.url + "/v1/customers/" + strings.Repeat("a", MaxHeaderBytes+8<<10))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a request line over MaxHeaderBytes: %d", resp.StatusCode)
	}
}

// TestSlowBody: a client that sends its headers and then trickles the body gets 408 with a
// message that names no address, once the read timeout is over; the write is audited as such.
func TestSlowBody(t *testing.T) {
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken(), readTimeout: 300 * time.Millisecond}
	e.url, e.store = e.serve(testDB(t), nil)

	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	full := `{"aws_region": "eu-west-1"}`
	_, err = io.WriteString(conn, "PUT /v1/customers/acme.com HTTP/1.1\r\nHost: virtco\r\nx-api-key: "+e.ops+
		"\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(full))+"\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	// One byte every 100ms: the body would take 2.7s, far over the read timeout.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i := 0; i < len(full); i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{full[i]}); err != nil {
				return
			}
		}
	}()
	req, _ := http.NewRequest("PUT", e.url+"/v1/customers/acme.com", strings.NewReader(full))
	req.Header.Set("x-api-key", e.ops)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkContract(t, req, []byte(full), resp, body)
	r := response{status: resp.StatusCode, header: resp.Header, body: body}
	if r.status != 408 || r.errorCode() != "request_timeout" || strings.Contains(string(body), "127.0.0.1") {
		t.Fatalf("slow body: %d %s", r.status, body)
	}
	e.must(404, "GET", "/v1/customers/acme.com", e.ops, nil)
	got := e.audit("").Entries
	if last := got[len(got)-1]; last.Action != "customer.put" || last.Outcome != "408 request_timeout" {
		t.Fatalf("the slow write's entry: %+v", last)
	}
}

// lockedBuffer is a log the server's goroutines write while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}
