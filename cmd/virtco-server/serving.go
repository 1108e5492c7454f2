// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/server"
)

// servingOptions are the settings of how the server serves, besides its address: the metrics'
// own address, how long a client may take to send a request, how long the audit keeps its
// entries, and the limits of how fast a client may send requests.
type servingOptions struct {
	metricsAddr    string
	readTimeout    time.Duration
	auditRetention time.Duration
	rateLimit      float64
	trustedProxies []netip.Prefix

	readTimeoutText, auditRetentionText, rateLimitText, trustedProxiesText string
}

// defaultAuditRetention is how long the audit keeps an entry unless told otherwise.
const defaultAuditRetention = "90d"

func (s *servingOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&s.metricsAddr, "metrics-addr", envOr("VIRTCO_METRICS_ADDR", ""),
		"address that serves GET /metrics without a key, for the monitoring network only (env VIRTCO_METRICS_ADDR); "+
			"empty: none, and /metrics on --addr needs the ops key")
	fs.StringVar(&s.readTimeoutText, "read-timeout", envOr("VIRTCO_READ_TIMEOUT", server.DefaultReadTimeout.String()),
		"how long a client may take to send a whole request, body included; a slower one gets 408 (env VIRTCO_READ_TIMEOUT)")
	fs.StringVar(&s.auditRetentionText, "audit-retention", envOr("VIRTCO_AUDIT_RETENTION", defaultAuditRetention),
		"how long audit entries are kept: a duration such as 2160h or a number of days such as 90d; 0 keeps every entry (env VIRTCO_AUDIT_RETENTION)")
	fs.StringVar(&s.rateLimitText, "rate-limit", envOr("VIRTCO_RATE_LIMIT", "0"),
		"requests a second each API key may make, over which it gets 429 with Retry-After; 0: no limit (env VIRTCO_RATE_LIMIT)")
	fs.StringVar(&s.trustedProxiesText, "trusted-proxies", envOr("VIRTCO_TRUSTED_PROXIES", ""),
		"addresses or CIDR prefixes of the proxies in front of the server, separated by commas, whose X-Forwarded-For names the client "+
			"whose failed authentications are limited; empty: the client is the connection's address (env VIRTCO_TRUSTED_PROXIES)")
}

// parse checks the values the flags (or their variables) gave, after the flag set parsed them.
func (s *servingOptions) parse() error {
	var err error
	if s.auditRetention, err = parseRetention(s.auditRetentionText); err != nil {
		return err
	}
	s.readTimeout, err = time.ParseDuration(strings.TrimSpace(s.readTimeoutText))
	if err != nil || s.readTimeout <= 0 {
		return fmt.Errorf("--read-timeout (VIRTCO_READ_TIMEOUT) %q is not a positive duration such as 30s", s.readTimeoutText)
	}
	s.rateLimit, err = strconv.ParseFloat(strings.TrimSpace(s.rateLimitText), 64)
	// NaN and infinities parse, but are no rate.
	if err != nil || s.rateLimit < 0 || math.IsNaN(s.rateLimit) || math.IsInf(s.rateLimit, 0) {
		return fmt.Errorf("--rate-limit (VIRTCO_RATE_LIMIT) %q is not a number of requests a second such as 10 or 0.5; 0 means no limit", s.rateLimitText)
	}
	if s.trustedProxies, err = server.ParseTrustedProxies(s.trustedProxiesText); err != nil {
		return fmt.Errorf("--trusted-proxies (VIRTCO_TRUSTED_PROXIES): %w; give addresses or CIDR prefixes separated by commas", err)
	}
	return nil
}

// parseRetention reads a retention: a Go duration, or whole days as 90d or 90.
func parseRetention(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	days, isDays := strings.CutSuffix(v, "d")
	if n, err := strconv.Atoi(days); err == nil && n >= 0 && n <= 100*365 {
		return time.Duration(n) * 24 * time.Hour, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 && !isDays {
		return d, nil
	}
	return 0, fmt.Errorf("--audit-retention (VIRTCO_AUDIT_RETENTION) %q is not a duration such as 2160h or a number of days such as 90d; 0 keeps every entry", v)
}

// logLimits says at start which limits the flags set, so that an operator behind a proxy can see
// whether it is trusted: if not, every client shares the proxy's failed authentications.
func logLimits(log *slog.Logger, s servingOptions) {
	if s.rateLimit > 0 {
		log.Info(fmt.Sprintf("rate limit: %g requests a second per API key (--rate-limit)", s.rateLimit))
	}
	if len(s.trustedProxies) > 0 {
		proxies := make([]string, len(s.trustedProxies))
		for i, p := range s.trustedProxies {
			proxies[i] = p.String()
		}
		log.Info("trusted proxies: X-Forwarded-For names the client behind " + strings.Join(proxies, ", "))
	}
}

// pruneInterval is how often the audit and the events are pruned at most: they outlive their
// retention by up to this much.
const pruneInterval = time.Hour

// retentionLoop is the loop that prunes the audit or the events (name) with prune, or nil when the
// retention of its flag is 0 and every one of them (things) is kept.
func retentionLoop(name, things, flag string, retention time.Duration, prune func(ctx context.Context, retention, interval time.Duration),
	log *slog.Logger) func(context.Context) {
	if retention <= 0 {
		log.Info(name + " retention: none, all " + things + " are kept (--" + flag + " 0)")
		return nil
	}
	log.Info(name + " retention: " + things + " older than " + retentionWords(retention) + " are deleted")
	return func(ctx context.Context) { prune(ctx, retention, min(pruneInterval, retention)) }
}

// inBackground runs each loop (nil: none) in a goroutine of its own until ctx ends; the function
// it returns ends them and waits for them, so that the store is not closed under one.
func inBackground(ctx context.Context, loops ...func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, loop := range loops {
		if loop != nil {
			wg.Go(func() { loop(ctx) })
		}
	}
	return func() { cancel(); wg.Wait() }
}

func retentionWords(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	}
	return d.String()
}

// startMetrics serves the metrics without a key on addr, when addr is set; the server it returns
// (nil when addr is empty) is shut down with the API's.
func startMetrics(ctx context.Context, addr string, srv *server.Server, readTimeout time.Duration, log *slog.Logger) (*http.Server, <-chan error, error) {
	if addr == "" {
		return nil, nil, nil
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot listen on %s (--metrics-addr, VIRTCO_METRICS_ADDR): %w", addr, err)
	}
	hs := server.NewHTTPServer(srv.MetricsHandler(), readTimeout)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("metrics on http://"+ln.Addr().String()+"/metrics", "key", "none")
	return hs, served, nil
}
