// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package servertest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Hooks is a webhook endpoint for a test's server, a consumer as the README ("Events") tells one
// to be: it checks each request's signature and timestamp before it believes the body, refuses
// (401) one that fails, and keeps each event once, by its id, since delivery is at least once.
// A refused request fails the test: the server signs every event it sends.
type Hooks struct {
	// URL is the endpoint, for --webhook-url.
	URL string
	// SecretFile holds the secret the server signs with, for --webhook-secret-file.
	SecretFile string

	secret []byte // what the receiver checks signatures with

	mu      sync.Mutex
	events  []HookEvent
	seen    map[int64]bool
	refused []string
}

// HookEvent is an event as the endpoint received it.
type HookEvent struct {
	ID       int64       `json:"id"`
	Type     string      `json:"type"`
	Customer string      `json:"customer"`
	Payload  HookPayload `json:"payload"`
	// Body is the request's body as received, for a test of what must not be in it.
	Body string `json:"-"`
}

// HookPayload is the fields of the payloads (README, "Events") a consumer acts on; each type has
// some of them.
type HookPayload struct {
	Customer     string   `json:"customer"`
	ExternalID   string   `json:"external_id"`
	User         string   `json:"user"`
	AccountID    string   `json:"account_id"`
	RoleARN      string   `json:"role_arn"`
	State        string   `json:"state"`
	Verification string   `json:"verification"`
	Users        []string `json:"users"`
	Accounts     []string `json:"accounts"`
}

func (e HookEvent) String() string {
	var who []string
	for _, s := range []string{e.Payload.User, e.Payload.AccountID} {
		if s != "" {
			who = append(who, s)
		}
	}
	if len(who) == 0 {
		return fmt.Sprintf("%d %s", e.ID, e.Type)
	}
	return fmt.Sprintf("%d %s(%s)", e.ID, e.Type, strings.Join(who, ","))
}

// hookTimestampTolerance is how old (or how far ahead) a request's timestamp may be: the server
// stamps each attempt as it sends it.
const hookTimestampTolerance = 5 * time.Minute

// StartHooks starts the endpoint; it stops when the test ends. Start it before the server, so
// that the server has stopped sending when it stops.
func StartHooks(t testing.TB) *Hooks {
	t.Helper()
	h := &Hooks{secret: []byte("webhook-secret-for-tests"), seen: map[int64]bool{}}
	h.SecretFile = filepath.Join(t.TempDir(), "webhook.secret")
	if err := os.WriteFile(h.SecretFile, append(h.secret, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(h.receive))
	h.URL = hs.URL
	t.Cleanup(func() {
		hs.Close()
		if r := h.refusals(); len(r) > 0 {
			t.Errorf("the webhook endpoint refused %d requests: %s", len(r), strings.Join(r, "; "))
		}
	})
	return h
}

// Args are the server's flags that make it send its events to h.
func (h *Hooks) Args() []string {
	return []string{"--webhook-url", h.URL, "--webhook-secret-file", h.SecretFile}
}

func (h *Hooks) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.refuse(w, fmt.Sprintf("reading the body: %v", err))
		return
	}
	ts := r.Header.Get("X-Virtco-Timestamp")
	mac := hmac.New(sha256.New, h.secret)
	mac.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Virtco-Signature"))) {
		h.refuse(w, fmt.Sprintf("bad signature: X-Virtco-Signature %q is not the HMAC of timestamp %q and body %s", r.Header.Get("X-Virtco-Signature"), ts, body))
		return
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if age := time.Since(time.Unix(sec, 0)); err != nil || age > hookTimestampTolerance || age < -hookTimestampTolerance {
		h.refuse(w, fmt.Sprintf("X-Virtco-Timestamp %q is not Unix seconds within %s of now", ts, hookTimestampTolerance))
		return
	}
	var ev HookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		h.refuse(w, fmt.Sprintf("%s: %v", body, err))
		return
	}
	if id := r.Header.Get("X-Virtco-Event-Id"); id != strconv.FormatInt(ev.ID, 10) {
		h.refuse(w, fmt.Sprintf("X-Virtco-Event-Id %q, but the body's id is %d", id, ev.ID))
		return
	}
	ev.Body = string(body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.seen[ev.ID] { // a repeat after a crash or a lost answer is recognised by its id
		h.seen[ev.ID] = true
		h.events = append(h.events, ev)
	}
}

func (h *Hooks) refuse(w http.ResponseWriter, why string) {
	h.mu.Lock()
	h.refused = append(h.refused, why)
	h.mu.Unlock()
	http.Error(w, why, http.StatusUnauthorized)
}

func (h *Hooks) refusals() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.refused...)
}

// Events are the events received so far, each once, in the order they arrived.
func (h *Hooks) Events() []HookEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HookEvent(nil), h.events...)
}

// Of are the events of customer received so far, in the order they arrived.
func (h *Hooks) Of(customer string) []HookEvent {
	var of []HookEvent
	for _, ev := range h.Events() {
		if ev.Customer == customer {
			of = append(of, ev)
		}
	}
	return of
}

// hookWait is how long Wait waits: delivery starts at once, but the server may be retrying.
const hookWait = time.Minute

// Wait polls until cond holds of the events received so far (at most a minute), and says what
// arrived when it does not, or when the endpoint refused a request.
func (h *Hooks) Wait(what string, cond func([]HookEvent) bool) error {
	for deadline := time.Now().Add(hookWait); ; time.Sleep(20 * time.Millisecond) {
		if r := h.refusals(); len(r) > 0 {
			return fmt.Errorf("waiting for %s, the webhook endpoint refused a request: %s", what, r[0])
		}
		evs := h.Events()
		if cond(evs) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s in vain for %s; received %v", hookWait, what, evs)
		}
	}
}

// Await waits until the events of customer received so far are exactly types, in order, and
// returns them. It gives up at once when one arrives that types does not have next.
func (h *Hooks) Await(customer string, types ...string) ([]HookEvent, error) {
	want := strings.Join(types, " ")
	var got []HookEvent
	var diverged bool
	err := h.Wait(fmt.Sprintf("the events of %s: %s", customer, want), func([]HookEvent) bool {
		got = h.Of(customer)
		diverged = len(got) > len(types)
		for i := 0; i < len(got) && !diverged; i++ {
			diverged = got[i].Type != types[i]
		}
		return diverged || len(got) == len(types)
	})
	if err == nil && diverged {
		err = fmt.Errorf("the events of %s:\n got %v\nwant %s", customer, got, want)
	}
	return got, err
}
