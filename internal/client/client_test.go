// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testKey       = "ops_4f8a9c2e7b1d6035-do-not-print"
	testUserAgent = "terraform-provider-virtco/test"
)

// harness is a Client wired to a test server, with its sleeps and log entries recorded.
type harness struct {
	c *Client

	mu    sync.Mutex
	reqs  []recorded
	waits []time.Duration
	logs  []map[string]any
}

type recorded struct {
	method, path, query string
	header              http.Header
	body                string
}

func (h *harness) requests() []recorded {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]recorded(nil), h.reqs...)
}

func (h *harness) recordedWaits() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.waits...)
}

func (h *harness) logText() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Sprint(h.logs)
}

// newHarness starts a server whose handler is told the number of the attempt (from 0), and a
// client for it. Waits between retries are recorded, not slept.
func newHarness(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, n int), cfg ...func(*Config)) *harness {
	t.Helper()
	h := &harness{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		n := len(h.reqs)
		h.reqs = append(h.reqs, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(body)})
		h.mu.Unlock()
		handler(w, r, n)
	}))
	t.Cleanup(srv.Close)
	h.c = h.client(t, srv.URL, cfg...)
	return h
}

func (h *harness) client(t *testing.T, address string, cfg ...func(*Config)) *Client {
	t.Helper()
	conf := &Config{
		Address:      address,
		APIKey:       testKey,
		UserAgent:    testUserAgent,
		MaxRetries:   3,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 8 * time.Millisecond,
		Logger: func(_ context.Context, msg string, fields map[string]any) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.logs = append(h.logs, fields)
		},
	}
	for _, f := range cfg {
		f(conf)
	}
	c, err := New(conf)
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		h.mu.Lock()
		h.waits = append(h.waits, d)
		h.mu.Unlock()
		return ctx.Err()
	}
	return c
}

// apiErrorHandler answers every request with the API's error shape.
func apiErrorHandler(status int, code, msg string, header ...string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		writeAPIError(w, status, code, msg)
	}
}

func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func jsonEqual(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("body %q is not JSON: %v", got, err)
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad test: %v", err)
	}
	return reflect.DeepEqual(g, w)
}

func TestNewChecksConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     *Config
		want    string
		setting string // of the *ConfigError
	}{
		{"nil", nil, "no configuration", ""},
		{"no address", &Config{APIKey: "k"}, "address is empty", "Address"},
		{"relative", &Config{Address: "127.0.0.1:8080", APIKey: "k"}, "http:// or https://", "Address"},
		{"ftp", &Config{Address: "ftp://example.com", APIKey: "k"}, "http:// or https://", "Address"},
		{"no host", &Config{Address: "http:///v1", APIKey: "k"}, "no host", "Address"},
		{"credentials", &Config{Address: "http://u:p@example.com", APIKey: "k"}, "credentials", "Address"},
		{"query", &Config{Address: "http://example.com/?a=b", APIKey: "k"}, "query or fragment", "Address"},
		{"not a URL", &Config{Address: "http://exa mple.com:x", APIKey: "k"}, "not a URL", "Address"},
		{"no key", &Config{Address: "http://example.com"}, "API key is empty", "APIKey"},
		{"key newline", &Config{Address: "http://example.com", APIKey: "k\n"}, "trailing newline", "APIKey"},
		{"user agent", &Config{Address: "http://example.com", APIKey: "k", UserAgent: "a\nb"}, "user agent", "UserAgent"},
		{"negative timeout", &Config{Address: "http://example.com", APIKey: "k", Timeout: -1}, "timeout", "Timeout"},
		{"negative wait", &Config{Address: "http://example.com", APIKey: "k", RetryWaitMax: -1}, "must not be negative", "RetryWaitMax"},
		{"min over max", &Config{Address: "http://example.com", APIKey: "k", RetryWaitMin: time.Minute, RetryWaitMax: time.Second}, "minimum retry wait", "RetryWaitMin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() error = %v, want one containing %q", err, tc.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Setting != tc.setting || err.Error() != "virtco client: "+ce.Reason {
				t.Fatalf("New() error = %#v, want a *ConfigError about %q", err, tc.setting)
			}
			if !errors.Is(err, ErrInvalidConfig) ||
				errors.Is(err, ErrInvalidAddress) != (tc.setting == "Address") ||
				errors.Is(err, ErrInvalidAPIKey) != (tc.setting == "APIKey") {
				t.Errorf("errors.Is: config %v, address %v, API key %v", errors.Is(err, ErrInvalidConfig),
					errors.Is(err, ErrInvalidAddress), errors.Is(err, ErrInvalidAPIKey))
			}
			if errors.Is(err, ErrInvalidArgument) {
				t.Error("a configuration error is taken for an API answer")
			}
		})
	}

	t.Run("key mistaken for the address is not echoed", func(t *testing.T) {
		_, err := New(&Config{Address: testKey, APIKey: testKey})
		if err == nil || strings.Contains(err.Error(), testKey) {
			t.Fatalf("error = %v", err)
		}
	})

	t.Run("defaults", func(t *testing.T) {
		c, err := New(&Config{Address: "https://virtco.example.com/api/", APIKey: "k"})
		if err != nil {
			t.Fatal(err)
		}
		if c.Address() != "https://virtco.example.com/api" || c.timeout != DefaultTimeout || c.maxRetries != DefaultMaxRetries ||
			c.waitMin != DefaultRetryWaitMin || c.waitMax != DefaultRetryWaitMax || c.userAgent != DefaultUserAgent {
			t.Fatalf("defaults not applied: %+v", c)
		}
		c, err = New(&Config{Address: "http://x", APIKey: "k", MaxRetries: NoRetries})
		if err != nil || c.maxRetries != 0 {
			t.Fatalf("NoRetries: %v %d", err, c.maxRetries)
		}
	})
}

// TestCalls checks that every method sends the right request and decodes the documented answer.
func TestCalls(t *testing.T) {
	for _, tc := range apiCalls() {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) { tc.writeResponse(w) })
			got, err := tc.call(context.Background(), h.c)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) && tc.want != nil {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
			reqs := h.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.method != tc.method || r.path != tc.path || r.query != tc.query {
				t.Errorf("sent %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tc.method, tc.path, tc.query)
			}
			wantHeader := map[string]string{"X-Api-Key": testKey, "Accept": "application/json", "User-Agent": testUserAgent}
			for k, v := range tc.header {
				wantHeader[k] = v
			}
			if tc.body != "" {
				wantHeader["Content-Type"] = "application/json"
				if !jsonEqual(t, r.body, tc.body) {
					t.Errorf("body %s, want %s", r.body, tc.body)
				}
			} else if r.body != "" || r.header.Get("Content-Type") != "" {
				t.Errorf("sent body %q with Content-Type %q, want none", r.body, r.header.Get("Content-Type"))
			}
			for k, v := range wantHeader {
				if got := r.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			for _, k := range []string{"If-Match", "If-None-Match", "Authorization", "Idempotency-Key"} {
				if _, ok := wantHeader[k]; !ok && r.header.Get(k) != "" && (k != "Idempotency-Key" || !tc.keyed) {
					t.Errorf("unexpected header %s: %q", k, r.header.Get(k))
				}
			}
			if key := r.header.Get("Idempotency-Key"); tc.keyed && (len(key) < 16 || checkIdempotencyKey(key) != nil) {
				t.Errorf("Idempotency-Key %q, want a random key of printable ASCII", key)
			}
		})
	}
}

func TestLoggerFields(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 0 {
			writeAPIError(w, 503, "unavailable", "busy")
			return
		}
		_, _ = io.WriteString(w, customerJSON)
	})
	if _, err := h.c.Customers.Get(context.Background(), "acme.com"); err != nil {
		t.Fatal(err)
	}
	if len(h.logs) != 2 {
		t.Fatalf("%d log entries, want 2: %v", len(h.logs), h.logs)
	}
	first, second := h.logs[0], h.logs[1]
	for _, f := range []map[string]any{first, second} {
		if f["method"] != "GET" || f["path"] != "/v1/customers/acme.com" || f["duration"] == nil {
			t.Errorf("log fields %v", f)
		}
	}
	if first["status"] != 503 || first["attempt"] != 1 || first["retry_in"] == nil || first["error"] == nil {
		t.Errorf("first attempt logged as %v", first)
	}
	if second["status"] != 200 || second["attempt"] != 2 || second["error"] != nil {
		t.Errorf("second attempt logged as %v", second)
	}
}

func TestPathSegmentsAreEscaped(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) { _, _ = io.WriteString(w, userJSON) })
	if _, err := h.c.Users.Get(context.Background(), "a/b c?d", "x#y%z"); err != nil {
		t.Fatal(err)
	}
	if got, want := h.requests()[0].path, "/v1/customers/a%2Fb%20c%3Fd/users/x%23y%25z"; got != want {
		t.Errorf("path %s, want %s", got, want)
	}
	for _, name := range []string{"", ".", ".."} {
		_, err := h.c.Users.Get(context.Background(), "acme.com", name)
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "user name") {
			t.Errorf("user %q: error %v, want ErrInvalidArgument naming the user name", name, err)
		}
	}
	if n := len(h.requests()); n != 1 {
		t.Errorf("%d requests, want the invalid names never sent", n)
	}
}

func TestAddressPathPrefix(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) { _, _ = io.WriteString(w, `{"customers":[]}`) })
	c := h.client(t, h.c.Address()+"/virtco/")
	if _, err := c.Customers.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.requests()[0].path; got != "/virtco/v1/customers" {
		t.Errorf("path %s", got)
	}
}

func TestErrorStatuses(t *testing.T) {
	all := []error{ErrInvalidArgument, ErrUnauthenticated, ErrPermissionDenied, ErrNotFound, ErrConflict,
		ErrPreconditionFailed, ErrPayloadTooLarge, ErrIdempotencyKeyReused, ErrRateLimited, ErrServer, ErrUnreachable}
	for _, tc := range []struct {
		status   int
		code     string
		want     error
		attempts int // MaxRetries is 3
	}{
		{400, "invalid_argument", ErrInvalidArgument, 1},
		{401, "unauthenticated", ErrUnauthenticated, 1},
		{403, "permission_denied", ErrPermissionDenied, 1},
		{404, "not_found", ErrNotFound, 1},
		{409, "conflict", ErrConflict, 1},
		{412, "precondition_failed", ErrPreconditionFailed, 1},
		{413, "payload_too_large", ErrPayloadTooLarge, 1},
		{422, "idempotency_key_reused", ErrIdempotencyKeyReused, 1},
		{429, "rate_limited", ErrRateLimited, 4},
		{500, "internal", ErrServer, 4},
		{502, "unavailable", ErrServer, 4},
		{503, "unavailable", ErrServer, 4},
		{504, "unavailable", ErrServer, 4},
		{501, "internal", ErrServer, 1},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			msg := `diag_account "Nope" does not exist; want one of Diag3`
			h := newHarness(t, apiErrorHandler(tc.status, tc.code, msg))
			_, _, err := h.c.Customers.Put(context.Background(), "acme.com", CustomerPutOptions{DiagAccount: "Nope"})
			for _, e := range all {
				if got := errors.Is(err, e); got != (e == tc.want) { //nolint:errorlint // comparing the sentinels themselves
					t.Errorf("errors.Is(err, %q) = %v", e, got)
				}
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("%v is not an *APIError", err)
			}
			want := APIError{StatusCode: tc.status, Code: tc.code, Message: msg, Method: "PUT", Path: "/v1/customers/acme.com"}
			if *apiErr != want {
				t.Errorf("APIError %+v, want %+v", *apiErr, want)
			}
			prefix := fmt.Sprintf("PUT /v1/customers/acme.com: %d %s: %s", tc.status, tc.code, msg)
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("message %q, want it to start %q", err, prefix)
			}
			if n := len(h.requests()); n != tc.attempts {
				t.Errorf("%d attempts, want %d", n, tc.attempts)
			}
			if tc.attempts > 1 && !strings.Contains(err.Error(), "gave up after 4 attempts") {
				t.Errorf("message %q does not say it gave up", err)
			}
		})
	}
}

func TestErrorBodyNotJSON(t *testing.T) {
	page := "<html><body><h1>502 Bad Gateway</h1>\n\n" + strings.Repeat("nginx ", 100) + "</body></html>"
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		_, _ = io.WriteString(w, page)
	}, func(c *Config) { c.MaxRetries = NoRetries })
	_, err := h.c.Customers.List(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, ErrServer) || apiErr.Code != "" {
		t.Fatalf("error %#v", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "GET /v1/customers: 502 Bad Gateway: <html><body><h1>502 Bad Gateway</h1> nginx") ||
		!strings.HasSuffix(msg, "...") || len(apiErr.Message) > snippetBytes+3 {
		t.Errorf("message %q", msg)
	}
}

// TestErrorField: a 400 about one field of the request says which, and the client passes it on;
// errors about no one field have none.
func TestErrorField(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"path parameter", `{"error":{"code":"invalid_argument","message":"\"ACME.com\" is not a customer name","field":"customer"}}`, "customer"},
		{"body field", `{"error":{"code":"invalid_argument","message":"diag_account \"Nope\" does not exist","field":"diag_account"}}`, "diag_account"},
		{"no field", `{"error":{"code":"invalid_argument","message":"the request body is not valid JSON"}}`, ""},
		{"a token in it", `{"error":{"code":"invalid_argument","message":"x","field":"vcu_0123456789abcdef"}}`, "vcu_" + redacted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(400)
				_, _ = io.WriteString(w, tc.body)
			})
			_, _, err := h.c.Customers.Put(context.Background(), "acme.com", CustomerPutOptions{})
			var apiErr *APIError
			if !errors.As(err, &apiErr) || !errors.Is(err, ErrInvalidArgument) || apiErr.Field != tc.want {
				t.Fatalf("error %#v, want field %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "field") {
				t.Errorf("the field is not part of the message: %q", err)
			}
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	elsewhere := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) {})
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, elsewhere.c.Address()+"/v1/customers", http.StatusTemporaryRedirect)
	})
	_, err := h.c.Customers.List(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 307 || !strings.Contains(err.Error(), elsewhere.c.Address()) {
		t.Fatalf("error %v", err)
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("the redirect was followed (%d requests), and the key with it", n)
	}
}

func TestResponseTooLarge(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		_, _ = io.WriteString(w, `{"customers":[`+strings.Repeat(customerSummaryJSON+",", maxResponseBytes/len(customerSummaryJSON)+1))
	})
	_, err := h.c.Customers.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("error %v", err)
	}
}

func TestBadJSON(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) { _, _ = io.WriteString(w, `{"name":`) })
	_, err := h.c.Customers.Get(context.Background(), "acme.com")
	if err == nil || !strings.Contains(err.Error(), "decoding the response") || len(h.requests()) != 1 {
		t.Fatalf("error %v after %d requests", err, len(h.requests()))
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name, retryAfter string
		want             time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"zero", "0", 0},
		{"capped at RetryWaitMax", "3600", time.Minute},
		{"HTTP date capped", time.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat), time.Minute},
		{"HTTP date in the past", "Mon, 02 Jan 2006 15:04:05 GMT", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				if n < 2 {
					w.Header().Set("Retry-After", tc.retryAfter)
					writeAPIError(w, 429, "rate_limited", "slow down")
					return
				}
				_, _ = io.WriteString(w, `{"customers":[]}`)
			}, func(c *Config) { c.RetryWaitMax = time.Minute })
			if _, err := h.c.Customers.List(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := len(h.requests()); n != 3 {
				t.Errorf("%d attempts, want 3", n)
			}
			if got := h.recordedWaits(); !reflect.DeepEqual(got, []time.Duration{tc.want, tc.want}) {
				t.Errorf("waits %v, want two of %v", got, tc.want)
			}
		})
	}
}

func TestBackoffIsExponentialWithFullJitter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		jitter func(int64) int64
		want   []time.Duration
	}{
		{"highest", func(n int64) int64 { return n - 1 }, []time.Duration{1, 2, 4, 8, 8}},
		{"lowest", func(int64) int64 { return 0 }, []time.Duration{1, 1, 1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, apiErrorHandler(500, "internal", "boom"), func(c *Config) { c.MaxRetries = 5 })
			h.c.jitter = tc.jitter
			_, err := h.c.Customers.List(context.Background())
			if !errors.Is(err, ErrServer) || len(h.requests()) != 6 {
				t.Fatalf("error %v after %d attempts", err, len(h.requests()))
			}
			want := make([]time.Duration, len(tc.want))
			for i, w := range tc.want {
				want[i] = w * time.Millisecond
			}
			if got := h.recordedWaits(); !reflect.DeepEqual(got, want) {
				t.Errorf("waits %v, want %v", got, want)
			}
		})
	}
	// And the real jitter stays within bounds.
	h := newHarness(t, apiErrorHandler(502, "unavailable", "boom"), func(c *Config) { c.MaxRetries = 20 })
	_, _ = h.c.Customers.List(context.Background())
	for _, w := range h.recordedWaits() {
		if w < time.Millisecond || w > 8*time.Millisecond {
			t.Errorf("wait %v outside [1ms, 8ms]", w)
		}
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	statuses := []int{500, 502, 503, 504}
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < len(statuses) {
			writeAPIError(w, statuses[n], "internal", fmt.Sprintf("attempt %d", n))
			return
		}
		_, _ = io.WriteString(w, customerJSON)
	}, func(c *Config) { c.MaxRetries = 4 })
	cust, _, err := h.c.Customers.Put(context.Background(), "acme.com", CustomerPutOptions{DiagAccount: "Diag3", IfMatch: `"1"`})
	if err != nil || cust.Name != "acme.com" {
		t.Fatalf("%v %v", cust, err)
	}
	reqs := h.requests()
	if len(reqs) != 5 {
		t.Fatalf("%d attempts, want 5", len(reqs))
	}
	for i, r := range reqs { // the body and headers are sent again in full
		if r.body != `{"diag_account":"Diag3"}` || r.header.Get("If-Match") != `"1"` || r.header.Get("X-Api-Key") != testKey {
			t.Errorf("attempt %d sent %q with %v", i+1, r.body, r.header)
		}
	}
}

func TestGivesUpWithTheLastError(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		writeAPIError(w, 503, "unavailable", fmt.Sprintf("attempt %d", n+1))
	})
	_, err := h.c.Customers.List(context.Background())
	if !errors.Is(err, ErrServer) || !strings.Contains(err.Error(), "unavailable: attempt 4 (gave up after 4 attempts)") {
		t.Fatalf("error %v", err)
	}
}

// TestRotateRetryPolicy: a rotation is retried after any answer that may have been lost, because
// its Idempotency-Key makes the server answer a retry of a rotation it made with that rotation's
// token; and every retry carries the same key.
func TestRotateRetryPolicy(t *testing.T) {
	for _, tc := range []struct {
		status   int
		attempts int
	}{
		{500, 2}, // the server may have rotated: the retry gets that rotation's answer
		{502, 2},
		{504, 2},
		{503, 2}, // turned away before acting
		{429, 2},
		{409, 1},
		{422, 1}, // the key was used on another request: retrying cannot help
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				if n == 0 {
					writeAPIError(w, tc.status, "internal", "no")
					return
				}
				_, _ = io.WriteString(w, userJSON)
			})
			_, err := h.c.Users.Rotate(context.Background(), "acme.com", "joe", UserRotateOptions{})
			if n := len(h.requests()); n != tc.attempts {
				t.Errorf("%d attempts, want %d (err %v)", n, tc.attempts, err)
			}
			if (err == nil) != (tc.attempts == 2) {
				t.Errorf("error %v", err)
			}
			checkOneKey(t, h.requests())
		})
	}
}

// closedAddress is the address of a listener that is closed again, so that dialing it is refused.
func closedAddress(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + l.Addr().String()
	l.Close()
	return addr
}

func TestConnectionRefused(t *testing.T) {
	h := &harness{}
	addr := closedAddress(t)
	c := h.client(t, addr)
	for _, call := range []func() error{
		func() error { _, err := c.Customers.List(context.Background()); return err },
		func() error {
			_, err := c.Users.Rotate(context.Background(), "acme.com", "joe", UserRotateOptions{})
			return err
		}, // a dial error is safe to retry even for POST
	} {
		h.logs = nil
		h.waits = nil
		err := call()
		if !errors.Is(err, ErrUnreachable) {
			t.Fatalf("error %v is not ErrUnreachable", err)
		}
		want := "the server could not be reached at " + addr + ": dial tcp"
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "gave up after 4 attempts") {
			t.Errorf("message %q, want it to contain %q", err, want)
		}
		var op *net.OpError
		if !errors.As(err, &op) {
			t.Errorf("error %v does not wrap the *net.OpError", err)
		}
		if len(h.logs) != 4 || len(h.waits) != 3 {
			t.Errorf("%d attempts and %d waits, want 4 and 3", len(h.logs), len(h.waits))
		}
	}
}

// hangUp answers by closing the connection after reading the request: the server may have acted.
func hangUp(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestConnectionLostAfterSending(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) { hangUp(w) })
	_, err := h.c.Users.Rotate(context.Background(), "acme.com", "joe", UserRotateOptions{})
	if !errors.Is(err, ErrUnreachable) || len(h.requests()) != 4 {
		t.Errorf("POST with an Idempotency-Key: %d attempts (want 4), error %v", len(h.requests()), err)
	}
	checkOneKey(t, h.requests())

	h = newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n < 2 {
			hangUp(w)
			return
		}
		_, _ = io.WriteString(w, userJSON)
	})
	if _, err := h.c.Users.Get(context.Background(), "acme.com", "joe"); err != nil || len(h.requests()) != 3 {
		t.Errorf("GET: %d attempts (want 3), error %v", len(h.requests()), err)
	}
}

func TestResponseCutShort(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		defer conn.Close()
		_, _ = io.WriteString(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":")
		_ = buf.Flush()
	})
	_, err := h.c.Users.Get(context.Background(), "acme.com", "joe")
	if err == nil || !strings.Contains(err.Error(), "reading the response") || len(h.requests()) != 4 {
		t.Errorf("%d attempts (want 4), error %v", len(h.requests()), err)
	}
	h.reqs = nil
	_, err = h.c.Users.Rotate(context.Background(), "acme.com", "joe", UserRotateOptions{})
	if err == nil || len(h.requests()) != 4 {
		t.Errorf("POST with an Idempotency-Key: %d attempts (want 4), error %v", len(h.requests()), err)
	}
	checkOneKey(t, h.requests())
}

func TestAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			select { // hold the first attempt until the client gives up on it
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		_, _ = io.WriteString(w, `{"customers":[]}`)
	}, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	if _, err := h.c.Customers.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(h.requests()); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	if !strings.Contains(h.logText(), "no answer within 50ms") {
		t.Errorf("the timeout is not logged: %s", h.logText())
	}
}

func TestDeadlineStopsRetrying(t *testing.T) {
	t.Run("backoff past the deadline", func(t *testing.T) {
		h := newHarness(t, apiErrorHandler(503, "unavailable", "database down"), func(c *Config) {
			c.RetryWaitMin, c.RetryWaitMax = 10*time.Second, 10*time.Second
		})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := h.c.Customers.List(ctx)
		if !errors.Is(err, ErrServer) || !strings.Contains(err.Error(), "database down") ||
			!strings.Contains(err.Error(), "would pass the deadline") {
			t.Errorf("error %v", err)
		}
		if len(h.requests()) != 1 || len(h.recordedWaits()) != 0 {
			t.Errorf("%d attempts, %d waits; want 1 and none", len(h.requests()), len(h.recordedWaits()))
		}
	})
	t.Run("Retry-After past the deadline", func(t *testing.T) {
		h := newHarness(t, apiErrorHandler(429, "rate_limited", "too many requests", "Retry-After", "120"),
			func(c *Config) { c.RetryWaitMax = 10 * time.Minute })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := h.c.Customers.List(ctx)
		if !errors.Is(err, ErrRateLimited) || len(h.requests()) != 1 || len(h.recordedWaits()) != 0 {
			t.Errorf("%d attempts, %d waits, error %v", len(h.requests()), len(h.recordedWaits()), err)
		}
	})
}

func TestCancellationStopsAtOnce(t *testing.T) {
	t.Run("while waiting", func(t *testing.T) {
		h := newHarness(t, apiErrorHandler(503, "unavailable", "busy"), func(c *Config) { c.RetryWaitMin = time.Hour; c.RetryWaitMax = time.Hour })
		ctx, cancel := context.WithCancel(context.Background())
		h.c.sleep = func(ctx context.Context, d time.Duration) error {
			cancel()
			return sleepContext(ctx, d) // the real one, which must return at once
		}
		_, err := h.c.Customers.List(ctx)
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrServer) || len(h.requests()) != 1 {
			t.Errorf("%d attempts, error %v", len(h.requests()), err)
		}
	})
	t.Run("while waiting for an answer", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		h := newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			cancel()
			<-r.Context().Done()
		})
		_, err := h.c.Customers.List(ctx)
		if !errors.Is(err, context.Canceled) || len(h.requests()) != 1 || len(h.recordedWaits()) != 0 {
			t.Errorf("%d attempts, error %v", len(h.requests()), err)
		}
	})
}

// TestSecretsNeverLeak makes requests with a known key fail in every way and looks for the key
// and tokens in the errors and in everything the logger was told.
func TestSecretsNeverLeak(t *testing.T) {
	var errs []string
	check := func(h *harness, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		errs = append(errs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), h.logText())
	}
	echo := func(w http.ResponseWriter, r *http.Request, _ int) { // a server that repeats what it was sent
		writeAPIError(w, 400, "invalid_argument", "bad key "+r.Header.Get("x-api-key")+" and token "+testToken)
	}
	for _, handler := range []func(http.ResponseWriter, *http.Request, int){
		echo,
		apiErrorHandler(401, "unauthenticated", "the key is not valid"),
		apiErrorHandler(403, "permission_denied", "no"),
		apiErrorHandler(429, "rate_limited", "slow down", "Retry-After", "1"),
		apiErrorHandler(500, "internal", "boom"),
		func(w http.ResponseWriter, r *http.Request, _ int) { // a proxy's page that echoes headers
			w.WriteHeader(502)
			_ = r.Header.Write(w)
		},
		func(w http.ResponseWriter, _ *http.Request, _ int) { hangUp(w) },
		func(w http.ResponseWriter, r *http.Request, _ int) {
			http.Redirect(w, r, "http://elsewhere.invalid/?k="+testKey, http.StatusFound)
		},
		func(w http.ResponseWriter, _ *http.Request, _ int) { _, _ = io.WriteString(w, "not json "+testKey) },
	} {
		h := newHarness(t, handler)
		_, err := h.c.Users.Get(context.Background(), "acme.com", "joe")
		check(h, err)
		_, err = h.c.Users.Rotate(context.Background(), "acme.com", "joe", UserRotateOptions{})
		check(h, err)
	}
	h := &harness{}
	c := h.client(t, closedAddress(t))
	_, err := c.MasterToken(context.Background())
	check(h, err)
	h = newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() }, func(c *Config) { c.Timeout = time.Millisecond })
	_, err = h.c.Customers.List(context.Background())
	check(h, err)

	all := strings.Join(errs, "\n")
	for _, secret := range []string{testKey, testToken} {
		if strings.Contains(all, secret) {
			t.Errorf("a secret leaked:\n%s", all)
		}
	}
	if !strings.Contains(all, "bad key [REDACTED] and token vcu_[REDACTED]") {
		t.Errorf("the server's message is not kept around the redactions:\n%s", all)
	}
}

func TestUserPrintsWithoutToken(t *testing.T) {
	u := wantUser
	for _, s := range []string{
		fmt.Sprintf("%v", u), fmt.Sprintf("%+v", u), fmt.Sprintf("%#v", u), fmt.Sprintf("%s", u), fmt.Sprintf("%q", u),
		fmt.Sprintf("%v", &u), fmt.Sprintf("%+v", []User{u}), fmt.Sprintf("%+v", map[string]*User{"joe": &u}),
		fmt.Sprintf("%+v", put[*User]{&u, true}), fmt.Sprint(u), u.String(), u.GoString(),
	} {
		if strings.Contains(s, testToken) || !strings.Contains(s, "joe@acme.com-API-Key") || !strings.Contains(s, redacted) {
			t.Errorf("printed as %s", s)
		}
	}
	if got := fmt.Sprintf("%+v", u); !strings.HasPrefix(got, "{Name:joe Customer:acme.com KeyID:ab12cd34ef") {
		t.Errorf("%%+v gives %s", got)
	}
	if got := fmt.Sprintf("%#v", u); !strings.HasPrefix(got, `client.User{Name:"joe"`) {
		t.Errorf("%%#v gives %s", got)
	}
	if u.Token != testToken {
		t.Error("printing changed the token")
	}
	if s := fmt.Sprintf("%+v", User{Name: "new"}); strings.Contains(s, redacted) {
		t.Errorf("an empty token shows as redacted: %s", s)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"5", 5 * time.Second, true},
		{" 5 ", 5 * time.Second, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false},
		{"9999999999999", time.Duration(1<<63-1) / time.Second * time.Second, true},
		{"Mon, 06 May 2024 07:08:39 GMT", 30 * time.Second, true},
		{"Mon, 06 May 2024 07:00:00 GMT", 0, true},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// checkOneKey checks that every attempt of one call carried the same Idempotency-Key.
func checkOneKey(t *testing.T, reqs []recorded) string {
	t.Helper()
	if len(reqs) == 0 {
		t.Fatal("no request")
	}
	key := reqs[0].header.Get("Idempotency-Key")
	if key == "" {
		t.Fatalf("%s %s: no Idempotency-Key", reqs[0].method, reqs[0].path)
	}
	for i, r := range reqs {
		if got := r.header.Get("Idempotency-Key"); got != key {
			t.Errorf("attempt %d carried Idempotency-Key %q, the first %q", i+1, got, key)
		}
	}
	return key
}

// TestIdempotencyKeys: every create and rotation carries an Idempotency-Key, the same on each
// retry of one call and a new one for the next call; a call that is not retried safely without
// one (POST) is retried with one after an answer that may have been lost.
func TestIdempotencyKeys(t *testing.T) {
	calls := map[string]func(c *Client) error{
		"Customers.Put": func(c *Client) error {
			_, _, err := c.Customers.Put(context.Background(), "acme.com", CustomerPutOptions{IfNoneMatch: "*"})
			return err
		},
		"Users.Put": func(c *Client) error {
			_, _, err := c.Users.Put(context.Background(), "acme.com", "joe", UserPutOptions{})
			return err
		},
		"Users.Rotate": func(c *Client) error {
			_, err := c.Users.Rotate(context.Background(), "acme.com", "joe", UserRotateOptions{})
			return err
		},
		"AWSAccounts.Put": func(c *Client) error {
			_, _, err := c.AWSAccounts.Put(context.Background(), "acme.com", "123456789012", AWSAccountPutOptions{State: RoleInProgress})
			return err
		},
	}
	answers := map[string]string{"Customers.Put": customerJSON, "Users.Put": userJSON, "Users.Rotate": userJSON, "AWSAccounts.Put": awsAccountJSON}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			// Each call fails three ways that may come after the server acted, then succeeds.
			h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				switch n % 4 {
				case 0:
					writeAPIError(w, 502, "unavailable", "the load balancer lost the answer")
				case 1:
					hangUp(w)
				case 2:
					writeAPIError(w, 500, "internal", "boom")
				default:
					_, _ = io.WriteString(w, answers[name])
				}
			})
			if err := call(h.c); err != nil {
				t.Fatal(err)
			}
			first := h.requests()
			if len(first) != 4 {
				t.Fatalf("%d attempts, want 4", len(first))
			}
			key := checkOneKey(t, first)
			_ = call(h.c)
			second := h.requests()[4:]
			if again := checkOneKey(t, second); again == key {
				t.Errorf("two calls sent the same Idempotency-Key %q", key)
			}
		})
	}
	// Without a key a POST is not retried once it may have reached the server.
	h := newHarness(t, apiErrorHandler(502, "unavailable", "lost"))
	if _, err := h.c.do(context.Background(), http.MethodPost, "/v1/customers/acme.com/users/joe/rotate", nil, nil, nil); err == nil || len(h.requests()) != 1 {
		t.Errorf("a POST without a key: %d attempts (want 1), error %v", len(h.requests()), err)
	}
}

// TestCallersIdempotencyKey: a key the caller gives is sent as it is, on every attempt; one the
// server would refuse is refused before anything is sent.
func TestCallersIdempotencyKey(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 0 {
			writeAPIError(w, 504, "unavailable", "gateway timeout")
			return
		}
		_, _ = io.WriteString(w, awsAccountJSON)
	})
	const own = "rolegrant 2024-05-06 acme.com/123456789012 #1"
	if _, _, err := h.c.AWSAccounts.Put(context.Background(), "acme.com", "123456789012", AWSAccountPutOptions{State: RoleDone,
		RoleARN: "arn:aws:iam::123456789012:role/r", IdempotencyKey: own}); err != nil {
		t.Fatal(err)
	}
	if key := checkOneKey(t, h.requests()); key != own || len(h.requests()) != 2 {
		t.Errorf("sent %q in %d attempts, want %q in 2", key, len(h.requests()), own)
	}
	if body := h.requests()[0].body; !jsonEqual(t, body, `{"role_arn":"arn:aws:iam::123456789012:role/r","state":"done"}`) {
		t.Errorf("body %s: the key must not be in it", body)
	}
	for _, bad := range []string{strings.Repeat("k", 256), "clé", "a\nb"} {
		_, _, err := h.c.Customers.Put(context.Background(), "acme.com", CustomerPutOptions{IdempotencyKey: bad})
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "printable ASCII") {
			t.Errorf("key %q: %v", bad, err)
		}
	}
	if n := len(h.requests()); n != 2 {
		t.Errorf("a refused key was sent: %d requests", n)
	}
}

// A failed call says whether the server certainly did not act on it (every attempt failed to
// connect or was turned away), so that a caller knows when a lost answer may hide an effect.
func TestNotActed(t *testing.T) {
	put := func(c *Client) error {
		_, _, err := c.Users.Put(t.Context(), "acme.com", "joe", UserPutOptions{})
		return err
	}
	turnedAway := newHarness(t, apiErrorHandler(503, "unavailable", "busy"))
	if err := put(turnedAway.c); !errors.Is(err, ErrNotActed) || !errors.Is(err, ErrServer) {
		t.Errorf("503 on every attempt: %v", err)
	}
	lost := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			writeAPIError(w, 502, "bad_gateway", "the upstream's answer was lost")
			return
		}
		writeAPIError(w, 503, "unavailable", "busy")
	})
	if err := put(lost.c); errors.Is(err, ErrNotActed) || !errors.Is(err, ErrServer) {
		t.Errorf("a 502 then 503s: %v, want an error that may hide an effect", err)
	}
	refused := (&harness{}).client(t, "http://127.0.0.1:1")
	if err := put(refused); !errors.Is(err, ErrNotActed) || !errors.Is(err, ErrUnreachable) {
		t.Errorf("no connection: %v", err)
	}
	answered := newHarness(t, apiErrorHandler(403, "permission_denied", "no"))
	if err := put(answered.c); errors.Is(err, ErrNotActed) || !errors.Is(err, ErrPermissionDenied) {
		t.Errorf("a 403: %v", err)
	}
}

// A request written on a reused connection whose answer never comes is resent by net/http itself
// (it has an Idempotency-Key); when that resend cannot connect, the call may still have been acted
// on, and must not say otherwise.
func TestNotActedAfterAWrittenAttempt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		br := bufio.NewReader(conn)
		// the first request is answered, and the connection kept for the next
		if req, err := http.ReadRequest(br); err == nil {
			_, _ = io.Copy(io.Discard, req.Body)
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"users\": []}\n")
		}
		// the second is read in full, then the server is gone: no answer, no new connection
		if req, err := http.ReadRequest(br); err == nil {
			_, _ = io.Copy(io.Discard, req.Body)
			got.Add(1)
		}
		_ = ln.Close()
		_ = conn.Close()
	}()
	c := (&harness{}).client(t, "http://"+ln.Addr().String(), func(cfg *Config) { cfg.MaxRetries = NoRetries })
	if _, err := c.Users.List(t.Context(), "acme.com"); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Users.Put(t.Context(), "acme.com", "joe", UserPutOptions{})
	if err == nil || got.Load() != 1 {
		t.Fatalf("the put: %v; requests that reached the server: %d", err, got.Load())
	}
	if errors.Is(err, ErrNotActed) {
		t.Errorf("a put that reached the server says it was not acted on: %v", err)
	}
}

// GetMany asks for as many names as one request's target holds, and for the rest in more
// requests, each within the API's limit.
func TestGetManySplitsNamesOverRequests(t *testing.T) {
	var asked []string
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if n := len(r.URL.RequestURI()); n > 2048 {
			t.Errorf("request %d has a target of %d bytes; the API takes at most 2048", requests, n)
		}
		var out []string
		for _, name := range r.URL.Query()["name"] {
			asked = append(asked, name)
			if !strings.HasPrefix(name, "gone-") {
				out = append(out, `{"name":"`+name+`"}`)
			}
		}
		_, _ = w.Write([]byte(`{"customers":[` + strings.Join(out, ",") + `]}`))
	}))
	defer srv.Close()
	c, err := New(&Config{Address: srv.URL, APIKey: testKey, MaxRetries: NoRetries})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range 300 {
		prefix := "customer-"
		if i%10 == 0 {
			prefix = "gone-"
		}
		names = append(names, fmt.Sprintf("%s%03d.example.com", prefix, i))
	}
	got, err := c.Customers.GetMany(context.Background(), names, CustomerGetManyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if requests < 2 {
		t.Errorf("300 names went in %d request(s); they do not fit in one", requests)
	}
	if !slices.Equal(asked, names) {
		t.Errorf("the requests asked for %d names; want each of the %d once, in order", len(asked), len(names))
	}
	for _, name := range names {
		if _, found := got[name]; found == strings.HasPrefix(name, "gone-") {
			t.Errorf("%s: found is %v", name, found)
		}
	}
	if _, err := c.Customers.GetMany(context.Background(), []string{"acme.com", ".."}, CustomerGetManyOptions{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a name that is no path segment: %v; want ErrInvalidArgument", err)
	}
}
