// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// metrics are the server's Prometheus metrics, in a registry of its own so that several servers
// can live in one test process.
type metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	dbErrors        prometheus.Counter
	unauthenticated *prometheus.CounterVec
	rateLimited     *prometheus.CounterVec
	auditPruned     prometheus.Counter
}

func newMetrics(st store.Store) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "virtco_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "virtco_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
		dbErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "virtco_database_errors_total", Help: "Database operations that failed (not counting not-found and conflicts).",
		}),
		unauthenticated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "virtco_unauthenticated_requests_total", Help: "Requests refused at authentication (401), by reason: no_key, invalid_key or expired_key.",
		}, []string{"reason"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "virtco_rate_limited_requests_total",
			Help: "Requests answered 429, by limit: auth_failures (the client's failed authentications) or key (the key's --rate-limit).",
		}, []string{"limit"}),
		auditPruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "virtco_audit_entries_pruned_total", Help: "Audit entries deleted for being older than the retention.",
		}),
	}
	// Both limits show from the start, so that a rate of 429s can be computed before the first.
	m.rateLimited.WithLabelValues(limitAuthFailures)
	m.rateLimited.WithLabelValues(limitKey)
	m.registry.MustRegister(m.requests, m.latency, m.dbErrors, m.unauthenticated, m.rateLimited, m.auditPruned, &provisioned{st: st, errors: m.dbErrors},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe counts a finished request under its route pattern and its method's label, so that
// neither a name in a path nor an invented method ever makes a new series.
func (m *metrics) observe(r *http.Request, status int, elapsed time.Duration) {
	route := r.Pattern
	if route == "" || route == "/" {
		route = "unmatched"
	}
	method := methodLabel(r.Method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(elapsed.Seconds())
}

// getMetrics serves the metrics on the API's listener, to the ops key only: what the platform has
// provisioned is not for anyone who can reach the API. MetricsHandler serves them without a key,
// for a listener of their own.
func (s *Server) getMetrics(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("reading the metrics on the API's address"); err != nil {
		return err
	}
	s.metrics.handler().ServeHTTP(w, r)
	return nil
}

// MetricsHandler serves GET /metrics without a key, and nothing else: for a listener of its own
// (--metrics-addr) that only the monitoring network reaches.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	page := s.metrics.handler()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET")
			writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on /metrics; allowed: GET", clip(r.Method, 32)))
			return
		}
		page.ServeHTTP(w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "not_found", "this address serves GET /metrics only"))
	})
	return mux
}

func (m *metrics) handler() http.Handler {
	// A database that does not answer drops the gauges it feeds, not the whole page.
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// provisioned reports what the database holds when scraped, so that every server on a shared
// PostgreSQL reports the same, true numbers.
type provisioned struct {
	st     store.Store
	errors prometheus.Counter
}

var (
	customersDesc = prometheus.NewDesc("virtco_customers", "Provisioned customers.", nil, nil)
	usersDesc     = prometheus.NewDesc("virtco_users", "Provisioned users (live API keys).", nil, nil)
	rolesDesc     = prometheus.NewDesc("virtco_roles", "Registered AWS accounts by role state.", []string{"state"}, nil)
)

func (p *provisioned) Describe(ch chan<- *prometheus.Desc) {
	ch <- customersDesc
	ch <- usersDesc
	ch <- rolesDesc
}

func (p *provisioned) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := p.st.Counts(ctx)
	if err != nil {
		p.errors.Inc()
		ch <- prometheus.NewInvalidMetric(customersDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(customersDesc, prometheus.GaugeValue, float64(c.Customers))
	ch <- prometheus.MustNewConstMetric(usersDesc, prometheus.GaugeValue, float64(c.Users))
	for _, state := range []string{store.StatePending, store.StateInProgress, store.StateDone, store.StatePurge} {
		ch <- prometheus.MustNewConstMetric(rolesDesc, prometheus.GaugeValue, float64(c.Roles[state]), state)
	}
}
