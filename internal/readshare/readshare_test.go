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

// source counts the requests a test's reads make; each answers every key but "missing" with the
// number of the request, so that a test tells a shared answer from a new one.
type source struct {
	requests atomic.Int64
	gate     chan struct{} // when set, each request waits for it
	mu       sync.Mutex
	batches  [][]string
}

func (s *source) fetch(ctx context.Context, keys []string) (map[string]int64, error) {
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
	return out, ctx.Err()
}

func (s *source) inFlight() {
	for s.requests.Load() == 0 {
		waitABit()
	}
}

func read(t *testing.T, b *readshare.Batch[string, int64], key string) int64 {
	t.Helper()
	v, _, err := b.Get(t.Context(), key)
	if err != nil {
		t.Error(err)
	}
	return v
}

func TestReadersShareOneRequest(t *testing.T) {
	var epoch readshare.Epoch
	src := &source{gate: make(chan struct{})}
	batch := readshare.NewBatch(&epoch, src.fetch)

	var wg sync.WaitGroup
	got := make([]int64, 10)
	for i := range got {
		wg.Go(func() { got[i] = read(t, batch, "acme.com") })
	}
	src.inFlight()
	close(src.gate)
	wg.Wait()
	if n := src.requests.Load(); n != 1 {
		t.Fatalf("ten readers of one key at once made %d requests; want 1", n)
	}
	for i, v := range got {
		if v != 1 {
			t.Errorf("reader %d got request %d's answer; want the shared one (1)", i, v)
		}
	}
	if v := read(t, batch, "acme.com"); v != 1 || src.requests.Load() != 1 {
		t.Errorf("a reader after the answer got request %d's, after %d requests; want the kept one", v, src.requests.Load())
	}
	if v := read(t, batch, "other.com"); v != 2 {
		t.Errorf("another key got request %d's answer; want its own, the second", v)
	}
}

func TestBatchTakesEveryKeyAskedWhileARequestIsInFlight(t *testing.T) {
	var epoch readshare.Epoch
	src := &source{gate: make(chan struct{})}
	batch := readshare.NewBatch(&epoch, src.fetch)

	type result struct {
		key   string
		value int64
		found bool
	}
	results := make(chan result, 10)
	get := func(key string) {
		v, found, err := batch.Get(t.Context(), key)
		if err != nil {
			t.Error(err)
		}
		results <- result{key, v, found}
	}
	go get("first")
	src.inFlight()
	// While the first request is in flight, these wait, and go in one request after it.
	keys := []string{"b", "c", "missing", "b", "d"}
	for _, k := range keys {
		go get(k)
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

func TestAWriteForgetsEveryAnswer(t *testing.T) {
	var epoch readshare.Epoch
	batch := readshare.NewBatch(&epoch, (&source{}).fetch)
	if v := read(t, batch, "a"); v != 1 {
		t.Fatalf("first read: request %d; want 1", v)
	}
	transport := epoch.Barrier(roundTrip(func(*http.Request) {}))
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
		if _, err := transport.RoundTrip(request(t, method)); err != nil {
			t.Fatal(err)
		}
	}
	if v := read(t, batch, "a"); v != 1 {
		t.Errorf("after a GET, HEAD and OPTIONS, a read got request %d's answer; want the kept one (1)", v)
	}
	want := int64(2)
	for _, method := range []string{http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodPatch} {
		if _, err := transport.RoundTrip(request(t, method)); err != nil {
			t.Fatal(err)
		}
		if v := read(t, batch, "a"); v != want {
			t.Errorf("after a %s, a read got request %d's answer; want a new one (%d)", method, v, want)
		}
		want++
	}
}

// A read that was in flight while a write was made is not served to a read after the write, and
// neither is a read made while the write was in flight.
func TestAnswersThatOverlapAWriteAreNotKept(t *testing.T) {
	var epoch readshare.Epoch
	src := &source{gate: make(chan struct{})}
	batch := readshare.NewBatch(&epoch, src.fetch)

	first := make(chan int64)
	go func() { first <- read(t, batch, "a") }()
	src.inFlight()
	epoch.Forget() // a write, while the read is in flight
	close(src.gate)
	if v := <-first; v != 1 {
		t.Fatalf("the read in flight got request %d's answer; want its own (1)", v)
	}
	if v := read(t, batch, "a"); v != 2 {
		t.Errorf("a read after the write got request %d's answer; want a new one (2)", v)
	}

	var during int64
	write := epoch.Barrier(roundTrip(func(*http.Request) { during = read(t, batch, "a") }))
	if _, err := write.RoundTrip(request(t, http.MethodDelete)); err != nil {
		t.Fatal(err)
	}
	if during != 3 {
		t.Errorf("a read while the write was in flight got request %d's answer; want a new one (3)", during)
	}
	if v := read(t, batch, "a"); v != 4 {
		t.Errorf("a read after the write got request %d's answer; want a new one (4), not the one read during it", v)
	}
}

func TestErrorsAreNotKept(t *testing.T) {
	var epoch readshare.Epoch
	fail := errors.New("the API is down")
	calls := 0
	batch := readshare.NewBatch(&epoch, func(context.Context, []string) (map[string]int, error) {
		calls++
		if calls == 1 {
			return nil, fail
		}
		return map[string]int{"a": calls}, nil
	})
	if _, _, err := batch.Get(t.Context(), "a"); !errors.Is(err, fail) {
		t.Fatalf("first read: %v; want the request's error", err)
	}
	if v, found, err := batch.Get(t.Context(), "a"); err != nil || !found || v != 2 {
		t.Errorf("the read after a failure: %d, %v, %v; want a new request's answer (2)", v, found, err)
	}
}

// A reader that gives up does not cancel the request the others wait on.
func TestAReaderThatGivesUpLeavesTheRequestToTheOthers(t *testing.T) {
	var epoch readshare.Epoch
	src := &source{gate: make(chan struct{})}
	batch := readshare.NewBatch(&epoch, src.fetch)
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := make(chan error)
	go func() {
		_, _, err := batch.Get(ctx, "a")
		gaveUp <- err
	}()
	src.inFlight()
	other := make(chan int64)
	go func() { other <- read(t, batch, "a") }()
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

func request(t *testing.T, method string) *http.Request {
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
