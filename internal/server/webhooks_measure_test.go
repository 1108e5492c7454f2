// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestMeasureWebhookLatency measures, with VIRTCO_MEASURE_EVENTS=1, the delivery latency from an
// event's commit to a receiver under a stream of 1,000 writes from 10 clients, and the events
// delivered a second. It asserts nothing about speed: it reports.
func TestMeasureWebhookLatency(t *testing.T) {
	if os.Getenv("VIRTCO_MEASURE_EVENTS") == "" {
		t.Skip("a measurement: VIRTCO_MEASURE_EVENTS=1")
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		last      time.Time
	)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct{ At time.Time }
		_ = json.Unmarshal(body, &ev)
		now := time.Now()
		mu.Lock()
		latencies, last = append(latencies, now.Sub(ev.At)), now
		mu.Unlock()
	}))
	defer hs.Close()
	e := newWebhookEnv(t, WebhookConfig{URLs: []string{hs.URL}, Secret: []byte("s")})
	for c := range 10 {
		e.must(201, "PUT", fmt.Sprintf("/v1/customers/c%d.com", c), e.ops, nil)
	}
	waitFor(t, "the customers' events", func() bool { mu.Lock(); defer mu.Unlock(); return len(latencies) == 10 })
	mu.Lock()
	latencies = nil
	mu.Unlock()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range 100 {
				e.must(201, "PUT", fmt.Sprintf("/v1/customers/c%d.com/users/u%d", c, u), e.ops, nil)
			}
		}()
	}
	wg.Wait()
	writes := time.Since(start)
	waitFor(t, "1,000 events", func() bool { mu.Lock(); defer mu.Unlock(); return len(latencies) == 1000 })
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	t.Logf("1,000 writes in %v (%.0f/s); delivered by %v (%.0f events/s); latency p50 %v, p99 %v, max %v",
		writes.Round(time.Millisecond), 1000/writes.Seconds(), last.Sub(start).Round(time.Millisecond), 1000/last.Sub(start).Seconds(),
		latencies[500].Round(time.Millisecond), latencies[990].Round(time.Millisecond), latencies[999].Round(time.Millisecond))
}
