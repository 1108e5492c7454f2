// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package readshare_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/readshare"
)

// source counts the requests a test's reads make; each answers with the number of the request,
// so that a test tells a shared answer from a new one.
type source struct {
	requests atomic.Int64
	gate     chan struct{} // when set, each request waits for it
	mu       sync.Mutex
	batches  [][]string
}

func (s *source) one(context.Context, string) (int64, error) {
	n := s.requests.Add(1)
	if s.gate != nil {
		<-s.gate
	}
	return n, nil
}

func (s *source) many(_ context.Context, keys []string) (map[string]int64, error) {
	n := s.requests.Add(1)
	s.mu.Lock()
	s.batches = append(s.batches, slices.Clone(keys))
	s.mu.Unlock()
	if s.gate != nil {
		<-s.gate
	}
	out := map[string]int64{}
	for _, k := range keys {
		if k != "missing" {
			out[k] = n
		}
	}
	return out, nil
}

func TestKeyedSharesOneRequestAmongReaders(t *testing.T) {
	var epoch readshare.Epoch
	src := &source{gate: make(chan struct{})}
	keyed := readshare.NewKeyed(&epoch, src.one)

	var wg sync.WaitGroup
	got := make([]int64, 10)
	for i := range got {
		wg.Go(func() {
			v, err := keyed.Get(t.Context(), "acme.com")
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	for src.requests.Load() == 0 {
		waitABit()
	}
	close(src.gate)
	wg.Wait()
	if n := src.requests.Load(); n != 1 {
		t.Fatalf("ten readers at once made %d requests; want 1", n)
	}
	for i, v := range got {
		if v != 1 {
			t.Errorf("reader %d got the answer of request %d; want 1", i, v)
		}
	}
	if v, _ := keyed.Get(t.Context(), "acme.com"); v != 1 || src.requests.Load() != 1 {
		t.Errorf("a reader after the answer got request %d's, after %d requests; want the shared one", v, src.requests.Load())
	}
	if v, _ := keyed.Get(t.Context(), "other.com"); v != 2 {
		t.Errorf("another key got request %d's answer; want its own, the second", v)
	}
}

func TestAWriteForgetsEveryAnswer(t *testing.T) {
	var epoch readshare.Epoch
	src := &source{}
	keyed := readshare.NewKeyed(&epoch, src.one)
	batch := readshare.NewBatch(&epoch, src.many)
	if v, _ := keyed.Get(t.Context(), "a"); v != 1 {
		t.Fatalf("first read: request %d; want 1", v)
	}
	if v, _, _ := batch.Get(t.Context(), "b"); v != 2 {
		t.Fatalf("first batched read: request %d; want 2", v)
	}

	write := epoch.Barrier(roundTrip(func(*http.Request) {}))
	if _, err := write.RoundTrip(mustRequest(t, http.MethodGet)); err != nil {
		t.Fatal(err)
	}
	if v, _ := keyed.Get(t.Context(), "a"); v != 1 {
		t.Errorf("after a GET, a read got request %d's answer; want the kept one (1)", v)
	}
	if _, err := write.RoundTrip(mustRequest(t, http.MethodPut)); err != nil {
		t.Fatal(err)
	}
	if v, _ := keyed.Get(t.Context(), "a"); v != 3 {
		t.Errorf("after a PUT, a read got request %d's answer; want a new one (3)", v)
	}
	if v, _, _ := batch.Get(t.Context(), "b"); v != 4 {
		t.Errorf("after a PUT, a batched read got request %d's answer; want a new one (4)", v)
	}
}

// A read that was in flight while a write was made is not served to a read after the write, and
// neither is a read made while the write was in flight.
func TestAnswersThatOverlapAWriteAreNotKept(t *testing.T) {
	var epoch readshare.Epoch
	src := &source{gate: make(chan struct{})}
	keyed := readshare.NewKeyed(&epoch, src.one)

	first := make(chan int64)
	go func() {
		v, _ := keyed.Get(t.Context(), "a")
		first <- v
	}()
	for src.requests.Load() == 0 {
		waitABit()
	}
	epoch.Forget() // a write, while the read is in flight
	close(src.gate)
	if v := <-first; v != 1 {
		t.Fatalf("the read in flight got request %d's answer; want its own (1)", v)
	}
	if v, _ := keyed.Get(t.Context(), "a"); v != 2 {
		t.Errorf("a read after the write got request %d's answer; want a new one (2)", v)
	}

	var during int64
	write := epoch.Barrier(roundTrip(func(*http.Request) { during, _ = keyed.Get(t.Context(), "a") }))
	if _, err := write.RoundTrip(mustRequest(t, http.MethodDelete)); err != nil {
		t.Fatal(err)
	}
	if during != 3 {
		t.Errorf("a read while the write was in flight got request %d's answer; want a new one (3)", during)
	}
	if v, _ := keyed.Get(t.Context(), "a"); v != 4 {
		t.Errorf("a read after the write got request %d's answer; want a new one (4), not the one read during it", v)
	}
}

func TestBatchTakesEveryKeyAskedWhileARequestIsInFlight(t *testing.T) {
	var epoch readshare.Epoch
	src := &source{gate: make(chan struct{})}
	batch := readshare.NewBatch(&epoch, src.many)

	type result struct {
		key   string
		value int64
		found bool
	}
	results := make(chan result, 10)
	read := func(key string) {
		v, found, err := batch.Get(t.Context(), key)
		if err != nil {
			t.Error(err)
		}
		results <- result{key, v, found}
	}
	go read("first")
	for src.requests.Load() == 0 {
		waitABit()
	}
	// While the first request is in flight, these wait, and go in one request after it.
	keys := []string{"b", "c", "missing", "b", "d"}
	for _, k := range keys {
		go read(k)
	}
	waitUntil(t, func() bool { return batch.Waiting() == 4 }) // "b" once
	close(src.gate)

	for range 1 + len(keys) {
		r := <-results
		switch {
		case r.key == "missing" && r.found:
			t.Errorf("%q was found; want not found", r.key)
		case r.key == "first" && (r.value != 1 || !r.found):
			t.Errorf("%q: request %d, found %v; want 1, true", r.key, r.value, r.found)
		case r.key != "first" && r.key != "missing" && (r.value != 2 || !r.found):
			t.Errorf("%q: request %d, found %v; want the second request's, found", r.key, r.value, r.found)
		}
	}
	for _, b := range src.batches {
		slices.Sort(b)
	}
	want := [][]string{{"first"}, {"b", "c", "d", "missing"}}
	if !slices.EqualFunc(src.batches, want, slices.Equal) {
		t.Errorf("requests asked for %v; want %v", src.batches, want)
	}
	if _, found, _ := batch.Get(t.Context(), "missing"); found || src.requests.Load() != 2 {
		t.Errorf("a key not found was asked again (%d requests) or found (%v); want neither", src.requests.Load(), found)
	}
}

func TestErrorsAreNotKept(t *testing.T) {
	var epoch readshare.Epoch
	fail := errors.New("the API is down")
	calls := 0
	keyed := readshare.NewKeyed(&epoch, func(context.Context, string) (int, error) {
		calls++
		if calls == 1 {
			return 0, fail
		}
		return calls, nil
	})
	if _, err := keyed.Get(t.Context(), "a"); !errors.Is(err, fail) {
		t.Fatalf("first read: %v; want the request's error", err)
	}
	if v, err := keyed.Get(t.Context(), "a"); err != nil || v != 2 {
		t.Errorf("the read after a failure: %d, %v; want a new request's answer (2)", v, err)
	}

	batchCalls := 0
	batch := readshare.NewBatch(&epoch, func(context.Context, []string) (map[string]int, error) {
		batchCalls++
		if batchCalls == 1 {
			return nil, fail
		}
		return map[string]int{"a": batchCalls}, nil
	})
	if _, _, err := batch.Get(t.Context(), "a"); !errors.Is(err, fail) {
		t.Fatalf("first batched read: %v; want the request's error", err)
	}
	if v, found, err := batch.Get(t.Context(), "a"); err != nil || !found || v != 2 {
		t.Errorf("the batched read after a failure: %d, %v, %v; want a new request's answer (2)", v, found, err)
	}
}

// A reader that gives up does not cancel the request the others wait on.
func TestAReaderThatGivesUpLeavesTheRequestToTheOthers(t *testing.T) {
	var epoch readshare.Epoch
	src := &source{gate: make(chan struct{})}
	keyed := readshare.NewKeyed(&epoch, func(ctx context.Context, key string) (int64, error) {
		v, _ := src.one(ctx, key)
		return v, ctx.Err()
	})
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := make(chan error)
	go func() {
		_, err := keyed.Get(ctx, "a")
		gaveUp <- err
	}()
	for src.requests.Load() == 0 {
		waitABit()
	}
	other := make(chan int64)
	go func() {
		v, err := keyed.Get(t.Context(), "a")
		if err != nil {
			t.Error(err)
		}
		other <- v
	}()
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("the reader that gave up got %v; want context.Canceled", err)
	}
	close(src.gate)
	if v := <-other; v != 1 {
		t.Errorf("the other reader got request %d's answer; want the shared one (1)", v)
	}
}

type roundTrip func(*http.Request)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) {
	f(r)
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
}

func mustRequest(t *testing.T, method string) *http.Request {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), method, "http://virtco.invalid/v1/customers/a", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func waitABit() { time.Sleep(time.Millisecond) }

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatal("gave up waiting")
		}
		waitABit()
	}
}
