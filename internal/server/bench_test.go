// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
)

// benchClients is how many clients send requests at once, each waiting for its answer before it
// sends the next, and benchCustomers how many customers the PUT benchmark spreads its users over:
// the load the control plane's goals are stated for (ARCHITECTURE.md, "Writes").
const (
	benchClients   = 50
	benchCustomers = 50
)

// BenchmarkAPI measures reads and writes over HTTP with benchClients clients at once, on SQLite,
// on PostgreSQL, and with two servers sharing one PostgreSQL (requests alternate between them, as
// behind a load balancer): GET customer with the ops key, a user token (looked up by its index,
// its sealed token opened) and the master token (checked against the database's); GET users (20
// sealed tokens opened); PUT user, each a new user (a token sealed) of one of benchCustomers
// customers. It reports requests per second and the 99th percentile latency, clients included.
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
		name   string
		users  int                             // users of acme.com besides joe, provisioned before
		spread bool                            // benchCustomers customers c00.com... made before
		key    func(e *env, joe string) string // the key the requests carry
		next   func(i int64) (method, path string)
	}{
		{"GetCustomer", 0, false, opsKey, func(int64) (string, string) { return "GET", "/v1/customers/acme.com" }},
		{"GetCustomerAsUser", 0, false, func(_ *env, joe string) string { return joe }, func(int64) (string, string) { return "GET", "/v1/customers/acme.com" }},
		{"GetCustomerAsMaster", 0, false, func(e *env, _ string) string { return e.master }, func(int64) (string, string) { return "GET", "/v1/customers/acme.com" }},
		{"ListUsers", 19, false, opsKey, func(int64) (string, string) { return "GET", "/v1/customers/acme.com/users" }},
		{"PutUser", 0, true, opsKey, func(i int64) (string, string) {
			return "PUT", fmt.Sprintf("/v1/customers/c%02d.com/users/bench%d", i%benchCustomers, i)
		}},
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
				for i := 0; op.spread && i < benchCustomers; i++ {
					e.must(201, "PUT", fmt.Sprintf("/v1/customers/c%02d.com", i), e.ops, nil)
				}
				benchRequests(b, urls, op.key(e, joe), op.next)
			})
		}
	}
}

func opsKey(e *env, _ string) string { return e.ops }

// benchRequests sends b.N requests from benchClients goroutines, each a client that waits for
// its answer before it sends the next one.
func benchRequests(b *testing.B, urls []string, key string, next func(i int64) (method, path string)) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	var (
		counter   atomic.Int64
		mu        sync.Mutex
		wg        sync.WaitGroup
		latencies = make([]time.Duration, 0, b.N)
	)
	n := int64(b.N)
	b.ResetTimer()
	start := time.Now()
	for range benchClients {
		wg.Go(func() {
			local := make([]time.Duration, 0, b.N/benchClients+1)
			defer func() {
				mu.Lock()
				latencies = append(latencies, local...)
				mu.Unlock()
			}()
			for {
				i := counter.Add(1)
				if i > n {
					return
				}
				method, path := next(i)
				req, _ := http.NewRequest(method, urls[int(i)%len(urls)]+path, nil)
				req.Header.Set("x-api-key", key)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local = append(local, time.Since(t0))
				if resp.StatusCode >= 300 {
					b.Errorf("%s %s: %d", method, path, resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}
