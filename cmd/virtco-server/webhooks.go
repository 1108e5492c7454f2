// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/server"
)

// webhookOptions are the settings of the push of events (ARCHITECTURE.md, "Events").
type webhookOptions struct {
	urls       urlList
	secretFile string
	window     time.Duration
	retention  time.Duration

	windowText, retentionText string
}

// urlList is a repeatable flag; its first use replaces the variable's list.
type urlList struct {
	values []string
	set    bool
}

func (l *urlList) String() string { return strings.Join(l.values, ",") }

func (l *urlList) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	l.values = append(l.values, v)
	return nil
}

func (w *webhookOptions) register(fs *flag.FlagSet) {
	for _, u := range strings.Split(os.Getenv("VIRTCO_WEBHOOK_URLS"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			w.urls.values = append(w.urls.values, u)
		}
	}
	fs.Var(&w.urls, "webhook-url",
		"URL that receives every event by POST, signed; repeat for more (env VIRTCO_WEBHOOK_URLS, separated by commas)")
	fs.StringVar(&w.secretFile, "webhook-secret-file", envOr("VIRTCO_WEBHOOK_SECRET_FILE", ""),
		"file with the key that signs webhook requests (HMAC-SHA256); needed with --webhook-url (env VIRTCO_WEBHOOK_SECRET_FILE)")
	fs.StringVar(&w.windowText, "webhook-retry-window", envOr("VIRTCO_WEBHOOK_RETRY_WINDOW", server.DefaultWebhookWindow.String()),
		"how long an event is retried after its commit before its delivery is marked failed (env VIRTCO_WEBHOOK_RETRY_WINDOW)")
	fs.StringVar(&w.retentionText, "event-retention", envOr("VIRTCO_EVENT_RETENTION", "7d"),
		"how long delivered events are kept: a duration such as 168h or a number of days such as 7d; 0 keeps every event; "+
			"failed ones stay until replayed (env VIRTCO_EVENT_RETENTION)")
}

func (w *webhookOptions) parse() error {
	var err error
	if w.retention, err = parseRetention(w.retentionText); err != nil {
		return fmt.Errorf("--event-retention (VIRTCO_EVENT_RETENTION) %q is not a duration such as 168h or a number of days such as 7d; 0 keeps every event", w.retentionText)
	}
	w.window, err = time.ParseDuration(strings.TrimSpace(w.windowText))
	if err != nil || w.window <= 0 {
		return fmt.Errorf("--webhook-retry-window (VIRTCO_WEBHOOK_RETRY_WINDOW) %q is not a positive duration such as 24h", w.windowText)
	}
	for _, u := range w.urls.values {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("--webhook-url (VIRTCO_WEBHOOK_URLS): %q is not an http:// or https:// URL", u)
		}
	}
	if len(w.urls.values) > 0 && w.secretFile == "" {
		return errors.New("--webhook-url needs --webhook-secret-file (VIRTCO_WEBHOOK_SECRET_FILE): every request is signed")
	}
	return nil
}

// config reads the secret and is the server's webhook configuration.
func (w *webhookOptions) config(log *slog.Logger) (server.WebhookConfig, error) {
	if len(w.urls.values) == 0 {
		log.Info("webhooks: none; events are in GET /v1/events")
		return server.WebhookConfig{}, nil
	}
	b, err := os.ReadFile(w.secretFile)
	if err != nil {
		return server.WebhookConfig{}, fmt.Errorf("cannot read the webhook secret file (--webhook-secret-file, VIRTCO_WEBHOOK_SECRET_FILE): %w", err)
	}
	secret := strings.TrimSpace(string(b))
	if secret == "" || strings.ContainsAny(secret, "\r\n") {
		return server.WebhookConfig{}, fmt.Errorf("the webhook secret file %s must hold exactly one line with the secret", w.secretFile)
	}
	warnIfShared(log, w.secretFile, "the webhook secret file")
	log.Info("webhooks: events are pushed", "endpoints", len(w.urls.values), "retry_window", w.window.String())
	return server.WebhookConfig{URLs: w.urls.values, Secret: []byte(secret), Window: w.window}, nil
}
