package server

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks measure the API over HTTP on a SQLite file, with several clients at once, and
// report requests per second and the 99th percentile latency.

func BenchmarkGetCustomer(b *testing.B) {
	e := newEnv(b)
	e.seed()
	benchRequests(b, func(int64) (string, string) { return "GET", "/v1/customers/acme.com" }, e)
}

func BenchmarkPutUser(b *testing.B) {
	e := newEnv(b)
	e.seed()
	benchRequests(b, func(i int64) (string, string) {
		return "PUT", fmt.Sprintf("/v1/customers/acme.com/users/bench%d", i)
	}, e)
}

func benchRequests(b *testing.B, next func(i int64) (method, path string), e *env) {
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
			method, path := next(counter.Add(1))
			req, _ := http.NewRequest(method, e.url+path, nil)
			req.Header.Set("x-api-key", e.ops)
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
