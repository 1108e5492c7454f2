// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// hookOptions are a server's flags that send its events to h.
func hookOptions(h *servertest.Hooks) servertest.Options {
	return servertest.Options{DiagAccounts: `[{"name":"Diag3","account_id":"111122223333","region":"us-east-1"}]`,
		Args: append(h.Args(), "--verify-roles=false")}
}

// TestWebhookEventsOfAnApply: what an apply and a destroy of a customer, two users and a role
// write reaches the webhook, signed, in order.
func TestWebhookEventsOfAnApply(t *testing.T) {
	h := servertest.StartHooks(t)
	p := servertest.Start(t, hookOptions(h))
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
	evs, err := h.Await("acme.com", "customer.created", "user.provisioned", "user.provisioned", "account.registered", "account.done",
		"user.revoked", "account.purge", "account.removed", "customer.deleted")
	if err != nil {
		t.Fatal(err)
	}
	if users := evs[1].Payload.User + " " + evs[2].Payload.User + " " + evs[5].Payload.User; users != "ann joe joe" {
		t.Fatalf("the users of the user events: %s; want ann joe joe", users)
	}
}

// TestWebhookEventsSurviveSIGKILL: a server killed during a stream of writes delivers, once
// restarted, the event of every write it acknowledged.
func TestWebhookEventsSurviveSIGKILL(t *testing.T) {
	h := servertest.StartHooks(t)
	p := servertest.Start(t, hookOptions(h))
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
	if err := h.Wait("the event of every acknowledged write", func(evs []servertest.HookEvent) bool {
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
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d writes acknowledged before SIGKILL, %d events received", len(acked), len(h.Events()))
}
