// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package openapitest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestProxy: what passes through the proxy is held to the spec, and the proxy comes and goes
// with its server.
func TestProxy(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/healthz":
			_, _ = w.Write([]byte(`{"status":"ok"}`))
		case "/readyz":
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write([]byte(`{"error":{"code":"internal","message":"a teapot"}}`))
		default:
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{}`))
		}
	}))
	defer server.Close()
	p := StartProxy(t, server.URL)
	var mu sync.Mutex
	var violations []string
	p.report = func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		violations = append(violations, fmt.Sprintf(format, args...))
	}
	get := func(method, path string) int {
		t.Helper()
		req, _ := http.NewRequest(method, p.URL+path, nil)
		req.Header.Set("x-api-key", "k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		method, path string
		status       int
		violation    string // "" for none
	}{
		{"GET", "/healthz", 200, ""},
		{"GET", "/readyz", 418, "the answer 418 does not match"},
		{"GET", "/v1/customers/acme.com", 200, "the answer 200 does not match"},
		{"GET", "/v1/nothing", 200, "is not in api/openapi.yaml but got 200"},
	} {
		mu.Lock()
		violations = nil
		mu.Unlock()
		if got := get(c.method, c.path); got != c.status {
			t.Errorf("%s %s through the proxy: %d, want %d", c.method, c.path, got, c.status)
		}
		mu.Lock()
		switch {
		case c.violation == "" && len(violations) > 0:
			t.Errorf("%s %s: %v", c.method, c.path, violations)
		case c.violation != "" && (len(violations) != 1 || !strings.Contains(violations[0], c.violation)):
			t.Errorf("%s %s: violations %q, want one saying %q", c.method, c.path, violations, c.violation)
		}
		mu.Unlock()
	}

	// Stopped, the proxy refuses connections as its stopped server would; resumed, it serves again.
	p.Stop(false)
	_, err := http.Get(p.URL + "/healthz")
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		t.Errorf("a request to the stopped proxy: %v, want a refused connection", err)
	}
	p.Resume()
	if got := get("GET", "/healthz"); got != 200 {
		t.Errorf("after Resume: %d", got)
	}
}
