// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// An Idempotency-Key makes a create or a rotation safe to retry after its answer was lost: the
// store records the answer in the write's own transaction, and a retry under the same key gets
// that answer again instead of running (ARCHITECTURE.md, "An apply and a destroy").

const (
	idempotencyHeader = "Idempotency-Key"
	// replayedHeader marks an answer that was sent before, so that a caller can tell a retry that
	// met its first attempt's answer from a fresh one.
	replayedHeader     = "Idempotent-Replayed"
	maxIdempotencyKey  = 255
	idempotencyKeyRule = "an Idempotency-Key is 1-255 printable ASCII characters, such as a UUID; send a new one with each new request"
)

// withIdempotencyKey attaches the request's Idempotency-Key, when it has one, to its context for
// the store. The key is the caller's: its scope is the kind of API key and a user key's id.
func withIdempotencyKey(r *http.Request, p principal) (*http.Request, error) {
	values := r.Header.Values(idempotencyHeader)
	if len(values) == 0 {
		return r, nil
	}
	key := values[0]
	switch {
	case len(values) > 1:
		return r, invalid(idempotencyHeader, "the request has %d Idempotency-Key headers; %s", len(values), idempotencyKeyRule)
	case key == "" || len(key) > maxIdempotencyKey:
		return r, invalid(idempotencyHeader, "the Idempotency-Key is %d characters long; %s", len(key), idempotencyKeyRule)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return r, invalid(idempotencyHeader, "the Idempotency-Key has a character that is not printable ASCII at byte %d; %s", i+1, idempotencyKeyRule)
		}
	}
	body, err := readBody(r)
	if err != nil {
		return r, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	scope := p.kind.String()
	if p.kind == kindUser {
		scope += ":" + p.keyID
	}
	k := &store.IdempotencyKey{Scope: scope, Key: key, Fingerprint: fingerprint(r, body)}
	return r.WithContext(store.WithIdempotencyKey(r.Context(), k)), nil
}

// fingerprint tells one request from another under the same key: its method, path and query,
// conditional headers and body. The parts are separated by NUL, which none of the others holds.
func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	for _, part := range []string{r.Method, r.URL.RequestURI(), r.Header.Get("If-Match"), r.Header.Get("If-None-Match")} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// recordAnswer hands render to the store for the request's Idempotency-Key, if it has one: the
// store renders the answer with it inside the write's transaction and records it there. The
// handler then sends render's answer itself, the same bytes, so that a replay matches the first.
func recordAnswer(r *http.Request, render func(store.Written) store.Answer) {
	if k, ok := store.IdempotencyKeyFrom(r.Context()); ok {
		k.Answer = render
	}
}

// jsonAnswer is the answer writeJSON sends, as bytes.
func jsonAnswer(status int, v any, header map[string]string) store.Answer {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	return store.Answer{Status: status, Header: header, Body: b.Bytes()}
}

func sendAnswer(w http.ResponseWriter, a store.Answer) {
	for k, v := range a.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// sendReplay sends the recorded answer of the first request under the key.
func sendReplay(w http.ResponseWriter, replay *store.ReplayError) {
	w.Header().Set(replayedHeader, "true")
	sendAnswer(w, replay.Answer)
}
