// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
)

// BenchmarkAPI measures reads and writes over HTTP with several clients at once, on SQLite, on
// PostgreSQL, and with two servers sharing one PostgreSQL (requests alternate between them, as
// behind a load balancer): GET customer with the ops key, a user token (looked up by its index,
// its sealed token opened) and the master token (checked against the database's); GET users (20
// sealed tokens opened); PUT user (a token sealed). It reports requests per second and the 99th
// percentile latency.
func BenchmarkAPI(b *testing.B) {
	backends := []struct {
		name    string
		db      func(b *testing.B) string
		servers int
	}{
		{"sqlite", func(b *testing.B) string { return b.TempDir() + "/virtco.db" }, 1},
		{"postgres", func(b *testing.B) string { return pgtest.Shared(b).NewDatabase(b) }, 1},
		{"postgres-2-servers", func(b *testing.B) string { return pgtest.Shared(b).NewDatabase(b) }, 2},
	}
	ops := []struct {
		name  string
		users int                             // users of acme.com besides joe, provisioned before
		key   func(e *env, joe string) string // the key the requests carry
		next  func(i int64) (method, path string)
	}{
		{"GetCustomer", 0, opsKey, func(int64) (string, string) { return "GET", "/v1/customers/acme.com" }},
		{"GetCustomerAsUser", 0, func(_ *env, joe string) string { return joe }, func(int64) (string, string) { return "GET", "/v1/customers/acme.com" }},
		{"GetCustomerAsMaster", 0, func(e *env, _ string) string { return e.master }, func(int64) (string, string) { return "GET", "/v1/customers/acme.com" }},
		{"ListUsers", 19, opsKey, func(int64) (string, string) { return "GET", "/v1/customers/acme.com/users" }},
		{"PutUser", 0, opsKey, func(i int64) (string, string) { return "PUT", fmt.Sprintf("/v1/customers/acme.com/users/bench%d", i) }},
	}
	for _, op := range ops {
		for _, be := range backends {
			b.Run(op.name+"/"+be.name, func(b *testing.B) {
				e := &env{t: b, ops: NewOpsKey(), master: NewMasterToken()}
				db := be.db(b)
				urls := []string{}
				for i := 0; i < be.servers; i++ {
					url, st := e.serve(db, nil)
					urls = append(urls, url)
					e.url, e.store = url, st
				}
				joe, _ := e.seed()
				for i := 0; i < op.users; i++ {
					e.must(201, "PUT", fmt.Sprintf("/v1/customers/acme.com/users/u%02d", i), e.ops, nil)
				}
				benchRequests(b, urls, op.key(e, joe), op.next)
			})
		}
	}
}

func opsKey(e *env, _ string) string { return e.ops }

func benchRequests(b *testing.B, urls []string, key string, next func(i int64) (method, path string)) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var (
		counter   atomic.Int64
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
	)
	b.SetParallelism(4) // 4 clients per CPU
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			i := counter.Add(1)
			method, path := next(i)
			req, _ := http.NewRequest(method, urls[int(i)%len(urls)]+path, nil)
			req.Header.Set("x-api-key", key)
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			local = append(local, time.Since(t0))
			if resp.StatusCode >= 300 {
				b.Errorf("%s %s: %d", method, path, resp.StatusCode)
				return
			}
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}
