// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package readshare lets the resources of one Terraform run share their reads of the API.
//
// Terraform reads every resource on its own, ten at a time: 40 customers of 5 users each would be
// 240 requests for one refresh. Here a read asks for what many resources need at once (many
// customers by name, with their users), and every resource that needs it takes its part of the
// one answer, whether it asks while the request is in flight or after.
//
// Nothing read before a write is served after it: every write through the run's client (a
// Barrier transport) forgets every answer, before the write is sent and again after it is
// answered, so that a read that overlapped it is not kept either. Answers live in the provider
// process, which serves one Terraform command, so nothing is kept across runs.
package readshare

import (
	"context"
	"net/http"
	"sync"
)

// Epoch counts the writes of a run; an answer is served only within the epoch it was asked in.
// The zero Epoch is ready to use.
type Epoch struct {
	mu sync.Mutex
	n  uint64
}

// Forget ends the current epoch: no answer asked before now is served again.
func (e *Epoch) Forget() {
	e.mu.Lock()
	e.n++
	e.mu.Unlock()
}

// Barrier wraps next so that every request that may write (any method but GET, HEAD and
// OPTIONS) ends the epoch before it is sent and again once it is answered or has failed.
func (e *Epoch) Barrier(next http.RoundTripper) http.RoundTripper {
	return barrier{epoch: e, next: next}
}

type barrier struct {
	epoch *Epoch
	next  http.RoundTripper
}

func (b barrier) RoundTrip(r *http.Request) (*http.Response, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return b.next.RoundTrip(r)
	}
	b.epoch.Forget()
	defer b.epoch.Forget()
	return b.next.RoundTrip(r)
}

// answer is one key's answer, or the wait for it.
type answer[V any] struct {
	epoch uint64
	done  chan struct{}
	value V
	found bool
	err   error
}

func (a *answer[V]) wait(ctx context.Context) (V, bool, error) {
	select {
	case <-a.done:
		return a.value, a.found, a.err
	case <-ctx.Done():
		var zero V
		return zero, false, ctx.Err()
	}
}

// Batch shares the reads of keys that one request can fetch many of at once. A key asked for
// while a request is in flight waits for the next request, which takes every key waiting by
// then; so at Terraform's parallelism of ten, forty keys cost about five requests.
type Batch[K comparable, V any] struct {
	epoch *Epoch
	// fetch reads keys and returns those that exist; it may split them into several requests.
	fetch func(ctx context.Context, keys []K) (map[K]V, error)

	mu      sync.Mutex
	answers map[K]*answer[V]
	waiting []asked[K, V]
	busy    bool
}

// asked is a key waiting for the next request, with the answer its callers wait on (which the
// map may no longer hold, once a write has ended its epoch).
type asked[K comparable, V any] struct {
	key    K
	answer *answer[V]
}

// NewBatch is a Batch of the run whose writes e counts.
func NewBatch[K comparable, V any](e *Epoch, fetch func(ctx context.Context, keys []K) (map[K]V, error)) *Batch[K, V] {
	return &Batch[K, V]{epoch: e, fetch: fetch, answers: map[K]*answer[V]{}}
}

// Get returns key's value and whether it exists. An error is returned to every caller waiting on
// that request and is not kept: the next Get asks again.
func (b *Batch[K, V]) Get(ctx context.Context, key K) (V, bool, error) {
	b.epoch.mu.Lock()
	epoch := b.epoch.n
	b.epoch.mu.Unlock()

	b.mu.Lock()
	a := b.answers[key]
	if a == nil || a.epoch != epoch {
		a = &answer[V]{epoch: epoch, done: make(chan struct{})}
		b.answers[key] = a
		b.waiting = append(b.waiting, asked[K, V]{key, a})
	}
	start := !b.busy && len(b.waiting) > 0
	if start {
		b.busy = true
	}
	b.mu.Unlock()
	if start {
		// The caller's context only bounds its own wait: the request serves the others too, so a
		// caller that gives up must not cancel it.
		go b.run(context.WithoutCancel(ctx))
	}
	return a.wait(ctx)
}

// run fetches the waiting keys, and then those that came while it did, until none wait.
func (b *Batch[K, V]) run(ctx context.Context) {
	for {
		b.mu.Lock()
		batch := b.waiting
		b.waiting = nil
		if len(batch) == 0 {
			b.busy = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()

		keys := make([]K, 0, len(batch))
		seen := make(map[K]bool, len(batch))
		for _, w := range batch {
			if !seen[w.key] {
				seen[w.key] = true
				keys = append(keys, w.key)
			}
		}
		values, err := b.fetch(ctx, keys)

		b.mu.Lock()
		for _, w := range batch {
			a := w.answer
			a.value, a.found = values[w.key]
			a.err = err
			if err != nil && b.answers[w.key] == a {
				delete(b.answers, w.key)
			}
			close(a.done)
		}
		b.mu.Unlock()
	}
}
