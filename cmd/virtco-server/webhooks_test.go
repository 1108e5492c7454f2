// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// hookReceiver is a webhook endpoint: it verifies each request as the README tells a consumer
// to, and keeps the events.
type hookReceiver struct {
	t      *testing.T
	secret string
	url    string

	mu     sync.Mutex
	events []hookEvent
	ids    map[int64]bool
}

type hookEvent struct {
	ID             int64
	Type, Customer string
	Payload        struct{ User string }
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{t: t, secret: "webhook-secret-for-tests", ids: map[int64]bool{}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mac := hmac.New(sha256.New, []byte(r.secret))
		mac.Write([]byte(req.Header.Get("X-Virtco-Timestamp") + "." + string(body)))
		if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(want), []byte(req.Header.Get("X-Virtco-Signature"))) {
			t.Errorf("a request with a bad signature: %s", body)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev hookEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("%s: %v", body, err)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.ids[ev.ID] { // at least once: a retry after a crash is recognised by its id
			r.ids[ev.ID] = true
			r.events = append(r.events, ev)
		}
	}))
	t.Cleanup(hs.Close)
	r.url = hs.URL
	return r
}

func (r *hookReceiver) snapshot() []hookEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookEvent(nil), r.events...)
}

// options are the server's flags that push to r.
func (r *hookReceiver) options(t *testing.T) servertest.Options {
	f := filepath.Join(t.TempDir(), "webhook.secret")
	if err := os.WriteFile(f, []byte(r.secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return servertest.Options{DiagAccounts: `[{"name":"Diag3","account_id":"111122223333","region":"us-east-1"}]`,
		Args: []string{"--webhook-url", r.url, "--webhook-secret-file", f, "--verify-roles=false"}}
}

func (r *hookReceiver) waitFor(t *testing.T, what string, cond func([]hookEvent) bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(r.snapshot()); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s; received %v", what, r.snapshot())
		}
	}
}

// TestWebhookEventsOfAnApply: what an apply and a destroy of a customer, two users and a role
// write reaches the webhook, signed, in order.
func TestWebhookEventsOfAnApply(t *testing.T) {
	r := newHookReceiver(t)
	p := servertest.Start(t, r.options(t))
	role := `"role_arn":"arn:aws:iam::123456789012:role/virtco"`
	for _, w := range []struct{ method, path, body string }{
		{"PUT", "/v1/customers/acme.com", `{"diag_account":"Diag3"}`},
		{"PUT", "/v1/customers/acme.com/users/ann", ""},
		{"PUT", "/v1/customers/acme.com/users/joe", ""},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", `{"state":"in-progress",` + role + `}`},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", `{"state":"done",` + role + `}`},
		// The destroy.
		{"DELETE", "/v1/customers/acme.com/users/joe", ""},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", `{"state":"purge",` + role + `}`},
		{"DELETE", "/v1/customers/acme.com/aws-accounts/123456789012", ""},
		{"DELETE", "/v1/customers/acme.com", ""},
	} {
		if status, body := request(t, w.method, p.URL+w.path, p.OpsKey, w.body); status/100 != 2 {
			t.Fatalf("%s %s: %d %s", w.method, w.path, status, body)
		}
	}
	want := "customer.created user.provisioned(ann) user.provisioned(joe) account.registered account.done " +
		"user.revoked(joe) account.purge account.removed customer.deleted"
	r.waitFor(t, "nine events", func(evs []hookEvent) bool { return len(evs) >= 9 })
	var got []string
	for _, ev := range r.snapshot() {
		s := ev.Type
		if ev.Payload.User != "" {
			s += "(" + ev.Payload.User + ")"
		}
		got = append(got, s)
	}
	if strings.Join(got, " ") != want {
		t.Fatalf("events:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

// TestWebhookEventsSurviveSIGKILL: a server killed during a stream of writes delivers, once
// restarted, the event of every write it acknowledged.
func TestWebhookEventsSurviveSIGKILL(t *testing.T) {
	r := newHookReceiver(t)
	p := servertest.Start(t, r.options(t))
	if status, body := request(t, "PUT", p.URL+"/v1/customers/acme.com", p.OpsKey, ""); status != 201 {
		t.Fatalf("%d %s", status, body)
	}
	var (
		mu    sync.Mutex
		acked []string
		n     atomic.Int64
		wg    sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				user := fmt.Sprintf("w%d-u%d", w, i)
				req, _ := http.NewRequest("PUT", p.URL+"/v1/customers/acme.com/users/"+user, nil)
				req.Header.Set("x-api-key", p.OpsKey)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode != 201 {
					return
				}
				mu.Lock()
				acked = append(acked, user)
				mu.Unlock()
				n.Add(1)
			}
		}()
	}
	for deadline := time.Now().Add(2 * time.Minute); n.Load() < 100; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes acknowledged in 2 minutes", n.Load())
		}
	}
	p.Kill()
	wg.Wait()
	p.Restart()
	r.waitFor(t, "the event of every acknowledged write", func(evs []hookEvent) bool {
		got := map[string]bool{}
		for _, ev := range evs {
			got[ev.Payload.User] = true
		}
		for _, u := range acked {
			if !got[u] {
				return false
			}
		}
		return true
	})
	t.Logf("%d writes acknowledged before SIGKILL, %d events received", len(acked), len(r.snapshot()))
}
