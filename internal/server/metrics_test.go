// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	joe, _ := e.seed()
	e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", joe, map[string]any{"state": "in-progress"})
	e.must(200, "GET", "/v1/customers/acme.com", joe, nil)
	e.must(200, "GET", "/v1/customers/acme.com", joe, nil)
	e.must(404, "GET", "/v1/customers/nope.com", e.ops, nil)

	body := string(e.must(200, "GET", "/metrics", e.ops, nil).body)
	for _, want := range []string{
		`virtco_http_requests_total{method="GET",route="/v1/customers/{customer}",status="200"} 2`,
		`virtco_http_requests_total{method="GET",route="/v1/customers/{customer}",status="404"} 1`,
		`virtco_http_requests_total{method="PUT",route="/v1/customers/{customer}/users/{user}",status="201"} 2`,
		`virtco_http_request_duration_seconds_count{method="GET",route="/v1/customers/{customer}"} 3`,
		`virtco_customers 2`,
		`virtco_users 2`,
		`virtco_roles{state="in-progress"} 1`,
		`virtco_roles{state="done"} 0`,
		`virtco_database_errors_total 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "acme.com") {
		t.Error("a customer name made a metric series")
	}

	// A database that fails shows in the error counter.
	_ = e.store.Close()
	e.must(500, "GET", "/v1/customers/acme.com", e.ops, nil)
	if body := string(e.must(200, "GET", "/metrics", e.ops, nil).body); strings.Contains(body, "virtco_database_errors_total 0") {
		t.Error("database errors were not counted")
	}
}

// TestMetricsNeedTheOpsKey: on the API's address the metrics are the ops key's only; the handler
// for an address of their own serves them without a key, and nothing else.
func TestMetricsNeedTheOpsKey(t *testing.T) {
	e := newEnv(t)
	joe, _ := e.seed()
	e.must(401, "GET", "/metrics", "", nil)
	e.must(401, "GET", "/metrics", "vco_not-the-key", nil)
	e.must(403, "GET", "/metrics", e.master, nil)
	e.must(403, "GET", "/metrics", joe, nil)
	e.must(200, "GET", "/metrics", "", nil, "Authorization", "Bearer "+e.ops)

	own := httptest.NewServer(e.srv.MetricsHandler())
	t.Cleanup(own.Close)
	get := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, own.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get("GET", "/metrics"); status != 200 || !strings.Contains(body, "virtco_customers 2") ||
		!strings.Contains(body, `virtco_unauthenticated_requests_total{reason="no_key"} 1`) ||
		!strings.Contains(body, `virtco_unauthenticated_requests_total{reason="invalid_key"} 1`) {
		t.Fatalf("the metrics' own address: %d\n%s", status, body)
	}
	for _, path := range []string{"/v1/customers", "/healthz", "/"} {
		if status, _ := get("GET", path); status != 404 {
			t.Errorf("the metrics' own address serves %s: %d", path, status)
		}
	}
	if status, _ := get("POST", "/metrics"); status != 405 {
		t.Errorf("POST /metrics on the metrics' own address: %d", status)
	}
}

// TestMetricsLabelsAreBounded: methods a client invents, however many and however long, count
// as "other", and paths as their route: the page does not grow with them.
func TestMetricsLabelsAreBounded(t *testing.T) {
	e := newEnv(t)
	before := len(e.must(200, "GET", "/metrics", e.ops, nil).body)
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := 0; i < 200; i++ {
		b := make([]byte, 1024)
		_, _ = rand.Read(b)
		for j := range b {
			b[j] = letters[int(b[j])%len(letters)]
		}
		path := []string{"/v1/customers", "/v1/customers/acme.com", "/nowhere/" + fmt.Sprint(i), "/metrics"}[i%4]
		r := e.call(string(b), path, "", nil)
		if r.status != 401 && r.status != 404 && r.status != 405 {
			t.Fatalf("%s with an invented method: %d %s", path, r.status, r.body)
		}
		if len(r.body) > 512 {
			t.Fatalf("the answer echoes the method whole: %s", r.body)
		}
	}
	body := string(e.must(200, "GET", "/metrics", e.ops, nil).body)
	if !strings.Contains(body, `virtco_http_requests_total{method="other",route="/v1/customers",status="405"} 50`) ||
		!strings.Contains(body, `virtco_http_requests_total{method="other",route="unmatched",status="404"} 50`) {
		t.Fatalf("invented methods are not counted as other:\n%s", body)
	}
	if grown := len(body) - before; grown > 8<<10 {
		t.Fatalf("the metrics grew by %d bytes with 200 invented methods", grown)
	}
}
