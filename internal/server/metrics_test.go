// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
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

	body := string(e.must(200, "GET", "/metrics", "", nil).body)
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
	if body := string(e.must(200, "GET", "/metrics", "", nil).body); strings.Contains(body, "virtco_database_errors_total 0") {
		t.Error("database errors were not counted")
	}
}
