// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// WebhookConfig says where and how the server pushes events (ARCHITECTURE.md, "Events").
type WebhookConfig struct {
	// URLs receive every event by POST; none switches delivery off.
	URLs []string
	// Secret signs each request (X-Virtco-Signature); required with URLs.
	Secret []byte
	// Window is how long an event is retried after it was committed before it is marked failed;
	// 0: 24h.
	Window time.Duration
	// Backoff is the first pause after a failed attempt; it doubles, with jitter, up to
	// MaxBackoff. 0: 1s and 5m.
	Backoff, MaxBackoff time.Duration
	// Poll is how often the server looks for new events; 0: 500ms.
	Poll time.Duration
	// Timeout bounds one request; 0: 10s.
	Timeout time.Duration
	// Client sends the requests, through a copy that follows no redirect and times out after
	// Timeout unless it has a timeout of its own; nil: a client of its own.
	Client *http.Client
}

// DefaultWebhookWindow is how long an event is retried by default.
const DefaultWebhookWindow = 24 * time.Hour

// A claim leases the deliveries of up to deliveryQueues customer queues, and so bounds the
// requests under way at once, and up to deliveryChain of each queue, sent one after the other.
const (
	deliveryQueues = 32
	deliveryChain  = 16
)

// webhooks pushes events to the configured endpoints.
type webhooks struct {
	cfg       WebhookConfig
	st        store.Store
	log       *slog.Logger
	holder    string
	endpoints []string          // the store's names of the endpoints, in cfg.URLs' order
	urls      map[string]string // endpoint name to URL
	latency   prometheus.Histogram
	outcomes  *prometheus.CounterVec
	// nudge wakes the deliverer after a write of this server, so that its events leave at once
	// rather than at the next poll; capacity 1.
	nudge chan struct{}
}

// poke tells the deliverer that a write may have appended events.
func (w *webhooks) poke() {
	select {
	case w.nudge <- struct{}{}:
	default:
	}
}

// redactWebhookURL is a URL without what may be a secret in it (user info, query).
func redactWebhookURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// endpointName is how the store knows a URL: a hash, since a URL may carry credentials.
func endpointName(url string) string {
	h := sha256.Sum256([]byte(url))
	return hex.EncodeToString(h[:16])
}

func newWebhooks(st store.Store, cfg WebhookConfig, log *slog.Logger) (*webhooks, error) {
	if len(cfg.URLs) > 0 && len(cfg.Secret) == 0 {
		return nil, fmt.Errorf("server: webhooks need a secret to sign their requests")
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWebhookWindow
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	// A copy: the redirects refused and the timeout set here are the webhooks' alone.
	client := http.Client{}
	if cfg.Client != nil {
		client = *cfg.Client
	}
	if client.Timeout <= 0 {
		client.Timeout = cfg.Timeout
	}
	// A redirect is a failed attempt: followed, it would send signed events wherever the
	// endpoint, or whoever answers for it, points.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.Client = &client
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	w := &webhooks{cfg: cfg, st: st, log: log, holder: "server-" + hex.EncodeToString(b), urls: map[string]string{},
		nudge: make(chan struct{}, 1),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "virtco_event_delivery_latency_seconds",
			Help:    "From an event's commit to its delivery to a webhook endpoint.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10)}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "virtco_event_delivery_attempts_total",
			Help: "Attempts to deliver an event to a webhook endpoint by this server, by outcome."}, []string{"outcome"}),
	}
	for _, u := range cfg.URLs {
		name := endpointName(u)
		if _, dup := w.urls[name]; dup {
			continue
		}
		w.urls[name] = u
		w.endpoints = append(w.endpoints, name)
		// Before the server serves: an endpoint gets every event acknowledged after it starts.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := st.StartWebhook(ctx, name)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("server: start the webhook %s: %w", redactWebhookURL(u), err)
		}
	}
	if len(w.endpoints) == 0 {
		// A server that delivers nothing may share the database with servers that do: their
		// endpoints are not its to drop.
		return w, nil
	}
	// Endpoints no longer configured would keep their events from being pruned forever.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	endpoints, deliveries, err := st.DropWebhooks(ctx, w.endpoints)
	if err != nil {
		return nil, fmt.Errorf("server: drop the webhooks no longer configured: %w", err)
	}
	if endpoints > 0 || deliveries > 0 {
		log.Warn("webhooks: dropped the endpoints no longer configured, with their deliveries not yet made",
			"endpoints", endpoints, "deliveries", deliveries)
	}
	return w, nil
}

// restart makes again the cursors of the server's endpoints that another server, configured
// without them, dropped at its start: from then on they get the events committed after.
func (w *webhooks) restart(ctx context.Context) {
	for _, ep := range w.endpoints {
		if err := w.st.StartWebhook(ctx, ep); err != nil {
			return
		}
	}
}

// RunWebhooks pushes events to the webhooks until ctx ends; it returns at once when there are
// none. A delivery under way when ctx ends is given back, due at once, to whichever server runs
// next; its endpoint may then get it twice, which the event id lets it recognise.
func (s *Server) RunWebhooks(ctx context.Context) {
	w := s.webhooks
	if len(w.endpoints) == 0 {
		return
	}
	for ctx.Err() == nil {
		// A read first: an idle server costs the database no write transaction per poll.
		work, err := w.st.WebhookWork(ctx, w.endpoints)
		if err == nil && work {
			var ds []store.Delivery
			leaseFor, claimed := w.cfg.Timeout+30*time.Second, time.Now()
			ds, err = w.st.ClaimDeliveries(ctx, w.endpoints, w.holder, leaseFor, deliveryQueues, deliveryChain)
			if err == nil && len(ds) > 0 {
				w.deliverAll(ctx, ds, claimed.Add(leaseFor))
				continue // more may be due: the next event of each customer
			}
		}
		if err != nil && ctx.Err() == nil {
			s.metrics.dbErrors.Inc()
			w.log.ErrorContext(ctx, "webhooks: cannot read or claim deliveries", "error", err)
			w.restart(ctx)
		}
		// Other servers' writes and retries that come due are found by the poll.
		t := time.NewTimer(w.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-w.nudge:
		}
		t.Stop()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// deliverAll sends a claim's deliveries, leased until leaseEnd by this server's clock, and records
// their outcomes in one write. Each customer's queue at an endpoint is sent in order, one event
// after the other, the queues at once.
func (w *webhooks) deliverAll(ctx context.Context, ds []store.Delivery, leaseEnd time.Time) {
	outcomes := make([]store.Finished, len(ds))
	var wg sync.WaitGroup
	for start, end := 0, 0; start < len(ds); start = end {
		for end = start + 1; end < len(ds) && ds[end].Endpoint == ds[start].Endpoint && ds[end].Event.Customer == ds[start].Event.Customer; end++ {
		}
		queue, out := ds[start:end], outcomes[start:end]
		wg.Go(func() { w.deliverQueue(ctx, queue, out, leaseEnd) })
	}
	wg.Wait()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := w.st.FinishDeliveries(wctx, outcomes); err != nil {
		// The leases run out and the deliveries are tried again: at least once.
		w.log.ErrorContext(ctx, "webhooks: cannot record the deliveries", "deliveries", len(ds), "error", err)
	}
}

// deliverQueue sends one customer's deliveries to one endpoint in order, and stops at the first
// that fails, or when the next one might outlast its lease: the rest are given back untried, so
// that nothing overtakes an event not yet delivered.
func (w *webhooks) deliverQueue(ctx context.Context, ds []store.Delivery, outcomes []store.Finished, leaseEnd time.Time) {
	stopped := false
	for i, d := range ds {
		outcomes[i].Delivery = d
		if stopped || time.Now().Add(w.cfg.Timeout).After(leaseEnd) {
			stopped = true
			continue
		}
		outcomes[i].Outcome = w.deliver(ctx, d)
		stopped = outcomes[i].Outcome.State != store.DeliveryDelivered
	}
}

// deliver sends one event and says what became of it.
func (w *webhooks) deliver(ctx context.Context, d store.Delivery) store.DeliveryOutcome {
	err := w.post(ctx, d)
	now := time.Now()
	switch {
	case ctx.Err() != nil:
		// Shutting down: nothing was learnt.
		return store.DeliveryOutcome{State: store.DeliveryPending, NextAt: now, Error: "the server stopped"}
	case err == nil:
		w.latency.Observe(now.Sub(d.Event.At).Seconds())
		w.outcomes.WithLabelValues("delivered").Inc()
		return store.DeliveryOutcome{State: store.DeliveryDelivered}
	default:
		out := w.retry(d, now, err)
		w.outcomes.WithLabelValues(out.State).Inc()
		w.log.WarnContext(ctx, "webhooks: a delivery failed", "event", d.Event.ID, "endpoint", d.Endpoint,
			"attempt", d.Attempts+1, "state", out.State, "error", err)
		return out
	}
}

// retry is the outcome of a failed attempt: due again after an exponential backoff with jitter,
// the last attempt at the end of the window, then failed.
func (w *webhooks) retry(d store.Delivery, now time.Time, err error) store.DeliveryOutcome {
	from := d.RetryFrom
	if from.IsZero() {
		from = d.Event.At
	}
	end := from.Add(w.cfg.Window)
	if !now.Before(end) {
		return store.DeliveryOutcome{State: store.DeliveryFailed, Error: err.Error()}
	}
	pause := w.cfg.MaxBackoff
	if d.Attempts < 30 {
		pause = min(w.cfg.Backoff<<d.Attempts, w.cfg.MaxBackoff)
	}
	// Full jitter in the upper half: endpoints that failed together do not retry together.
	if half := int64(pause / 2); half > 0 {
		n, _ := rand.Int(rand.Reader, big.NewInt(half))
		pause = time.Duration(half + n.Int64())
	}
	next := now.Add(pause)
	if next.After(end) {
		next = end
	}
	return store.DeliveryOutcome{State: store.DeliveryPending, NextAt: next, Error: err.Error()}
}

// post sends one event, signed; any answer but 2xx is a failure.
func (w *webhooks) post(ctx context.Context, d store.Delivery) error {
	body, err := json.Marshal(eventView(d.Event))
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	rctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, w.urls[d.Endpoint], bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "virtco-server")
	req.Header.Set("X-Virtco-Event-Id", strconv.FormatInt(d.Event.ID, 10))
	req.Header.Set("X-Virtco-Timestamp", ts)
	req.Header.Set("X-Virtco-Signature", Sign(w.cfg.Secret, ts, body))
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // its message holds the URL, which may hold credentials
			return fmt.Errorf("%s %s: %w", ue.Op, redactWebhookURL(ue.URL), ue.Err)
		}
		return err
	}
	// The start of the answer tells the operator why; the rest is read (to reuse the
	// connection) up to a bound, and never logged or stored.
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, webhookExcerpt+1))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch resp.StatusCode / 100 {
	case 2:
		return nil
	case 3:
		where := "nowhere (no Location)"
		if loc := resp.Header.Get("Location"); loc != "" {
			where = "(a Location that does not parse)"
			if u, err := req.URL.Parse(loc); err == nil {
				where = redactWebhookURL(u.String())
			}
		}
		return fmt.Errorf("the endpoint redirected (%s) to %s; webhooks follow no redirect: configure the URL it redirects to", resp.Status, where)
	}
	if len(excerpt) == 0 {
		return fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return fmt.Errorf("the endpoint answered %s: %q", resp.Status, clip(string(excerpt), webhookExcerpt))
}

// webhookExcerpt is how many bytes of a failed answer's body its error quotes.
const webhookExcerpt = 200

// Sign is the X-Virtco-Signature of a webhook request: "sha256=" and the hex HMAC-SHA256, under
// the secret, of the timestamp, a dot and the body.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// deliveryGauge reports the deliveries by state, as the database holds them for every server.
type deliveryGauge struct {
	st     store.Store
	errors prometheus.Counter
}

var deliveriesDesc = prometheus.NewDesc("virtco_event_deliveries", "Webhook deliveries of events by state.", []string{"state"}, nil)

func (g *deliveryGauge) Describe(ch chan<- *prometheus.Desc) { ch <- deliveriesDesc }

func (g *deliveryGauge) Collect(ch chan<- prometheus.Metric) {
	c, err := g.st.CountDeliveries(context.Background())
	if err != nil {
		g.errors.Inc()
		ch <- prometheus.NewInvalidMetric(deliveriesDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(deliveriesDesc, prometheus.GaugeValue, float64(c.Pending), store.DeliveryPending)
	ch <- prometheus.MustNewConstMetric(deliveriesDesc, prometheus.GaugeValue, float64(c.Delivered), store.DeliveryDelivered)
	ch <- prometheus.MustNewConstMetric(deliveriesDesc, prometheus.GaugeValue, float64(c.Failed), store.DeliveryFailed)
}

// eventPruneBatch is how many events one pruning transaction deletes at most.
const eventPruneBatch = 1000

// RunEventRetention deletes, now and then every interval until ctx ends, the events older than
// retention that every webhook has delivered; failed ones stay until replayed. A retention of 0
// keeps every event and returns at once.
func (s *Server) RunEventRetention(ctx context.Context, retention, interval time.Duration) {
	if retention <= 0 {
		return
	}
	for ctx.Err() == nil {
		total := 0
		for ctx.Err() == nil {
			n, err := s.store.PruneEvents(ctx, retention, eventPruneBatch)
			total += n
			if err != nil && ctx.Err() == nil {
				s.metrics.dbErrors.Inc()
				s.log.ErrorContext(ctx, "event retention: pruning failed; it is tried again at the next interval", "error", err)
			}
			if err != nil || n < eventPruneBatch {
				break
			}
			sleep(ctx, auditPrunePause) // the writes queued behind a batch go first
		}
		if total > 0 {
			s.log.InfoContext(ctx, "event retention: pruned delivered events older than the retention", "events", total, "retention", retention.String())
		}
		sleep(ctx, interval)
	}
}
