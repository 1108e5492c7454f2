// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// receiver is a webhook endpoint for the tests: it checks each request's signature, as a
// consumer would, and keeps the events it accepted.
type receiver struct {
	t      *testing.T
	secret []byte
	url    string

	mu       sync.Mutex
	failing  bool // answer 500
	refused  int
	received []receivedEvent
}

type receivedEvent struct {
	ID             int64
	Type, Customer string
}

func newReceiver(t *testing.T, secret []byte) *receiver {
	r := &receiver{t: t, secret: secret}
	hs := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(hs.Close)
	r.url = hs.URL + "/hook"
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	// What a consumer does: HMAC-SHA256 of "<timestamp>.<body>" under the shared secret.
	want := Sign(r.secret, req.Header.Get("X-Virtco-Timestamp"), body)
	if !hmac.Equal([]byte(want), []byte(req.Header.Get("X-Virtco-Signature"))) {
		r.t.Errorf("a request with a bad signature %q", req.Header.Get("X-Virtco-Signature"))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev receivedEvent
	if err := json.Unmarshal(body, &ev); err != nil || fmt.Sprint(ev.ID) != req.Header.Get("X-Virtco-Event-Id") {
		r.t.Errorf("event %s, X-Virtco-Event-Id %s: %v", body, req.Header.Get("X-Virtco-Event-Id"), err)
	}
	if strings.Contains(string(body), "vcu_") || strings.Contains(string(body), "vcm_") {
		r.t.Errorf("an event holds a secret: %s", body)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		r.refused++
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	r.received = append(r.received, ev)
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) setFailing(f bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing = f
}

func (r *receiver) snapshot() (received []receivedEvent, refused int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedEvent(nil), r.received...), r.refused
}

// newWebhookEnv is a server that pushes to the receivers, with short pauses, and runs its
// deliveries until the test ends.
func newWebhookEnv(t *testing.T, cfg WebhookConfig) *env {
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken(), webhooks: cfg}
	e.url, e.store = e.serve(testDB(t), nil)
	t.Cleanup(runWebhooks(e.srv))
	return e
}

// waitFor polls cond until it holds; the timeout only keeps a broken test from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
	}
}

// feed is every event in the pull feed.
func (e *env) feed() []receivedEvent {
	var out []receivedEvent
	for _, ev := range e.events("?limit=1000", e.ops).Events {
		out = append(out, receivedEvent{ev.ID, ev.Type, ev.Customer})
	}
	return out
}

// byCustomer is each customer's events in the order given.
func byCustomer(evs []receivedEvent) map[string][]receivedEvent {
	m := map[string][]receivedEvent{}
	for _, ev := range evs {
		m[ev.Customer] = append(m[ev.Customer], ev)
	}
	return m
}

// TestWebhooks: every event reaches every endpoint, signed and in order per customer, and an
// endpoint that answers 500 for a while loses nothing: its events arrive after it recovers.
func TestWebhooks(t *testing.T) {
	secret := []byte("a shared secret")
	up, flaky := newReceiver(t, secret), newReceiver(t, secret)
	flaky.setFailing(true)
	e := newWebhookEnv(t, WebhookConfig{URLs: []string{up.url, flaky.url}, Secret: secret,
		Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Poll: 20 * time.Millisecond})
	joe, _ := e.seed()
	e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", joe,
		map[string]any{"state": "in-progress", "role_arn": "arn:aws:iam::123456789012:role/virtco"})
	e.must(200, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", joe,
		map[string]any{"state": "done", "role_arn": "arn:aws:iam::123456789012:role/virtco"})
	e.must(200, "POST", "/v1/customers/acme.com/users/joe/rotate", e.ops, nil)
	e.must(204, "DELETE", "/v1/customers/other.org/users/ann", e.ops, nil)
	want := e.feed()
	if len(want) != 8 {
		t.Fatalf("%d events in the feed: %v", len(want), want)
	}

	waitFor(t, "the events at the endpoint that is up", func() bool { got, _ := up.snapshot(); return len(got) >= len(want) })
	waitFor(t, "refusals by the flaky endpoint", func() bool { _, n := flaky.snapshot(); return n >= 5 })
	flaky.setFailing(false)
	waitFor(t, "the events at the recovered endpoint", func() bool { got, _ := flaky.snapshot(); return len(got) >= len(want) })

	wantBy := byCustomer(want)
	for name, r := range map[string]*receiver{"up": up, "flaky": flaky} {
		got, _ := r.snapshot()
		if len(got) != len(want) {
			t.Errorf("%s: %d events, want %d: %v", name, len(got), len(want), got)
		}
		if gotBy := byCustomer(got); fmt.Sprint(gotBy) != fmt.Sprint(wantBy) {
			t.Errorf("%s: events per customer:\n got %v\nwant %v", name, gotBy, wantBy)
		}
	}
	// The receiver has an event before the server records its delivery.
	waitFor(t, "the deliveries recorded", func() bool {
		c, err := e.store.CountDeliveries(t.Context())
		return err == nil && c == store.DeliveryCounts{Delivered: 2 * len(want)}
	})
	metrics := string(e.must(200, "GET", "/metrics", e.ops, nil).body)
	for _, m := range []string{`virtco_event_deliveries{state="delivered"} 16`, "virtco_event_delivery_latency_seconds_count 16",
		`virtco_event_delivery_attempts_total{outcome="pending"}`} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

// TestWebhookWindow: an endpoint down for the whole retry window gets its events marked failed,
// and a customer's later events are not held up behind them.
func TestWebhookWindow(t *testing.T) {
	secret := []byte("s")
	down := newReceiver(t, secret)
	down.setFailing(true)
	e := newWebhookEnv(t, WebhookConfig{URLs: []string{down.url}, Secret: secret, Window: 300 * time.Millisecond,
		Backoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Poll: 20 * time.Millisecond})
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil)
	waitFor(t, "failed deliveries", func() bool {
		c, err := e.store.CountDeliveries(t.Context())
		return err == nil && c.Failed == 2
	})
	c, err := e.store.CountDeliveries(t.Context())
	if err != nil || c != (store.DeliveryCounts{Failed: 2}) {
		t.Fatalf("deliveries: %+v, %v", c, err)
	}
	if _, refused := down.snapshot(); refused < 4 {
		t.Errorf("%d attempts for two events, want retries", refused)
	}
	evs := e.feed()
	failed := e.failedDeliveries()
	if len(failed) != 2 {
		t.Fatalf("failed deliveries listed: %+v", failed)
	}
	for i, d := range failed {
		if d.EventID != evs[i].ID || d.EventType != evs[i].Type || d.Customer != "acme.com" || d.Endpoint != endpointName(down.url) ||
			d.Attempts < 1 || !strings.Contains(d.LastError, "500") || d.FailedAt.IsZero() {
			t.Errorf("failed delivery %d: %+v, of event %+v", i, d, evs[i])
		}
	}
	e.must(403, "GET", "/v1/deliveries?state=failed", e.master, nil)
	if r := e.must(400, "GET", "/v1/deliveries?state=pending", e.ops, nil); r.field() != "state" {
		t.Errorf("state=pending: %s", r.body)
	}

	// A replay once the endpoint is back delivers them.
	down.setFailing(false)
	for _, ev := range evs {
		var out struct{ ID, Replayed int64 }
		e.must(200, "POST", fmt.Sprintf("/v1/events/%d/replay", ev.ID), e.ops, nil).decode(t, &out)
		if out.ID != ev.ID || out.Replayed != 1 {
			t.Errorf("replay of %d: %+v", ev.ID, out)
		}
	}
	waitFor(t, "the replayed events", func() bool { got, _ := down.snapshot(); return len(got) == 2 })
	if got, _ := down.snapshot(); fmt.Sprint(got) != fmt.Sprint(evs) {
		t.Errorf("replayed: %v, want %v", got, evs)
	}
	waitFor(t, "the replays recorded", func() bool {
		c, err := e.store.CountDeliveries(t.Context())
		return err == nil && c == store.DeliveryCounts{Delivered: 2}
	})
	if failed := e.failedDeliveries(); len(failed) != 0 {
		t.Errorf("delivered by replay, yet listed failed: %+v", failed)
	}
	var again struct{ Replayed int }
	e.must(200, "POST", fmt.Sprintf("/v1/events/%d/replay", evs[0].ID), e.ops, nil).decode(t, &again)
	if again.Replayed != 0 {
		t.Errorf("a delivered event replayed: %+v", again)
	}
	e.must(404, "POST", "/v1/events/999/replay", e.ops, nil)
	e.must(400, "POST", "/v1/events/x/replay", e.ops, nil)
	e.must(403, "POST", fmt.Sprintf("/v1/events/%d/replay", evs[0].ID), e.master, nil)
	audit := e.audit("").Entries
	if last := audit[len(audit)-1]; last.Action != "event.replay" || last.Outcome != "403 permission_denied" {
		t.Errorf("the last audit entry: %+v", last)
	}
}

// failedDeliveries is GET /v1/deliveries?state=failed.
func (e *env) failedDeliveries() []apiv1.FailedDelivery {
	e.t.Helper()
	var p apiv1.DeliveryPage
	e.must(200, "GET", "/v1/deliveries?state=failed&limit=1000", e.ops, nil).decode(e.t, &p)
	if p.More {
		e.t.Fatalf("more than 1,000 failed deliveries")
	}
	return p.Deliveries
}

// TestWebhookRedirect: an endpoint that redirects is not followed, nor is the event sent where it
// points; the delivery fails saying where it was sent, without the credentials of either URL,
// and so does one that cannot be reached.
func TestWebhookRedirect(t *testing.T) {
	secret := []byte("s")
	target := newReceiver(t, secret)
	mover := httptest.NewServer(http.RedirectHandler(target.url+"?token=elsewhere-secret", http.StatusTemporaryRedirect))
	t.Cleanup(mover.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	moving := strings.Replace(mover.URL, "http://", "http://ann:moving-secret@", 1) + "/hook?key=moving-secret"
	unreachable := strings.Replace(closed.URL, "http://", "http://ann:unreachable-secret@", 1) + "/hook?key=unreachable-secret"
	e := newWebhookEnv(t, WebhookConfig{URLs: []string{moving, unreachable}, Secret: secret, Window: 100 * time.Millisecond,
		Backoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Poll: 20 * time.Millisecond})
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	waitFor(t, "failed deliveries", func() bool { return len(e.failedDeliveries()) == 2 })
	if got, _ := target.snapshot(); len(got) != 0 {
		t.Errorf("the redirect was followed: the target got %v", got)
	}
	for _, d := range e.failedDeliveries() {
		switch d.Endpoint {
		case endpointName(moving):
			if want := "redirected (307 Temporary Redirect) to " + target.url; !strings.Contains(d.LastError, want) {
				t.Errorf("the redirect's error %q does not say %q", d.LastError, want)
			}
		case endpointName(unreachable):
			if !strings.Contains(d.LastError, strings.TrimPrefix(closed.URL, "http://")+"/hook") {
				t.Errorf("the unreachable endpoint's error %q does not name it", d.LastError)
			}
		default:
			t.Errorf("a delivery to an endpoint not configured: %+v", d)
		}
		if strings.Contains(d.LastError, "secret") {
			t.Errorf("an error holds a URL's credentials: %q", d.LastError)
		}
	}
}

// TestWebhookEndpointRemoved: a server started without an endpoint drops its cursor and the
// deliveries it had not made, so that they no longer keep events from being pruned; the endpoints
// still configured keep theirs.
// runWebhooks runs srv's deliveries until the function it returns is called.
func runWebhooks(srv *Server) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.RunWebhooks(ctx) }()
	return func() { cancel(); <-done }
}

func TestWebhookEndpointRemoved(t *testing.T) {
	secret := []byte("s")
	kept, removed := newReceiver(t, secret), newReceiver(t, secret)
	removed.setFailing(true)
	var offset atomic.Int64 // how far the store's clock is behind
	offset.Store(int64(48 * time.Hour))
	clock := store.WithClock(func() time.Time { return time.Now().Add(-time.Duration(offset.Load())) })
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken(), webhooks: WebhookConfig{URLs: []string{kept.url, removed.url},
		Secret: secret, Backoff: time.Hour, MaxBackoff: time.Hour, Poll: 10 * time.Millisecond}}
	db := testDB(t)
	e.url, e.store = e.serve(db, nil, clock)
	first := e.srv
	stop := runWebhooks(first)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	// The delivery recorded, not only received: a receiver has the event before the server has
	// its answer, and a delivery that stop cuts short stays pending, which keeps the event.
	waitFor(t, "a delivery, recorded, and a failed attempt", func() bool {
		got, _ := kept.snapshot()
		_, refused := removed.snapshot()
		c, err := e.store.CountDeliveries(t.Context())
		return len(got) == 1 && refused == 1 && err == nil && c.Delivered == 1
	})
	stop()
	offset.Store(0)

	// A server with no webhook at all (an API server sharing the database) changes nothing:
	// nothing can be pruned while the removed endpoint's delivery is pending.
	e.webhooks.URLs = nil
	_, apiOnly := e.serve(db, nil, clock)
	if pruned, err := apiOnly.PruneEvents(t.Context(), 24*time.Hour, 10); err != nil || pruned != 0 {
		t.Fatalf("pruned %d events (%v) after a server with no webhook started; want none", pruned, err)
	}

	// The same database, the removed endpoint no longer configured.
	e.webhooks.URLs = []string{kept.url}
	_, st := e.serve(db, nil, clock)
	pruned, err := st.PruneEvents(t.Context(), 24*time.Hour, 10)
	if err != nil || pruned != 1 {
		t.Fatalf("pruned %d events (%v), want the one only the removed endpoint held", pruned, err)
	}
	if c, err := st.CountDeliveries(t.Context()); err != nil || c != (store.DeliveryCounts{}) {
		t.Errorf("deliveries left: %+v, %v", c, err)
	}
	// The kept endpoint still gets the events.
	stop = runWebhooks(e.srv)
	e.must(201, "PUT", "/v1/customers/other.org", e.ops, nil)
	waitFor(t, "the next event at the kept endpoint, recorded", func() bool {
		got, _ := kept.snapshot()
		c, err := st.CountDeliveries(t.Context())
		return len(got) == 2 && err == nil && c == store.DeliveryCounts{Delivered: 1}
	})

	// A server still configured with the removed endpoint (servers sharing a database with
	// different URLs) makes its cursor again, and sends it the events from then on.
	stop()
	removed.setFailing(false)
	defer runWebhooks(first)()
	waitFor(t, "the removed endpoint's cursor made again", func() bool {
		_, err := st.WebhookWork(t.Context(), []string{endpointName(removed.url)})
		return err == nil
	})
	e.must(201, "PUT", "/v1/customers/third.net", e.ops, nil)
	waitFor(t, "the event at the endpoint configured again", func() bool {
		got, _ := removed.snapshot()
		return len(got) == 1 && got[0].Customer == "third.net"
	})
}

func TestWebhooksNeedASecret(t *testing.T) {
	st, err := store.Open(t.Context(), testDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := New(st, Config{OpsKey: NewOpsKey(), Webhooks: WebhookConfig{URLs: []string{"http://x"}}}); err == nil {
		t.Fatal("a server with webhooks and no secret started")
	}
}

// TestWebhooksTwoServers: two servers on one PostgreSQL deliver each of 200 events once to each
// endpoint between them, in order per customer.
func TestWebhooksTwoServers(t *testing.T) {
	if os.Getenv("VIRTCO_TEST_STORE") != "postgres" {
		t.Skip("servers share a database on PostgreSQL (VIRTCO_TEST_STORE=postgres)")
	}
	secret := []byte("s")
	r1, r2 := newReceiver(t, secret), newReceiver(t, secret)
	cfg := WebhookConfig{URLs: []string{r1.url, r2.url}, Secret: secret, Poll: 10 * time.Millisecond}
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken(), webhooks: cfg}
	db := testDB(t)
	e.url, e.store = e.serve(db, nil)
	first := e.srv
	_, _ = e.serve(db, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, srv := range []*Server{first, e.srv} {
		wg.Add(1)
		go func() { defer wg.Done(); srv.RunWebhooks(ctx) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	for c := range 4 {
		e.must(201, "PUT", fmt.Sprintf("/v1/customers/c%d.com", c), e.ops, nil)
		for u := range 49 {
			e.must(201, "PUT", fmt.Sprintf("/v1/customers/c%d.com/users/u%d", c, u), e.ops, nil)
		}
	}
	want := e.feed()
	if len(want) != 200 {
		t.Fatalf("%d events", len(want))
	}
	for _, r := range []*receiver{r1, r2} {
		waitFor(t, "200 events", func() bool { got, _ := r.snapshot(); return len(got) >= 200 })
	}
	waitFor(t, "the deliveries recorded", func() bool {
		c, err := e.store.CountDeliveries(t.Context())
		return err == nil && c.Delivered == 400
	})
	for _, r := range []*receiver{r1, r2} {
		got, _ := r.snapshot()
		if len(got) != 200 || fmt.Sprint(byCustomer(got)) != fmt.Sprint(byCustomer(want)) {
			t.Errorf("%d events received, per customer:\n got %v\nwant %v", len(got), byCustomer(got), byCustomer(want))
		}
	}
}
