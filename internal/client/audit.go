// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
)

// Audit is the control plane's audit trail: every write, granted or refused (ops only).
type Audit interface {
	// List returns a page of entries, oldest first; pass the page's NextAfterID as AfterID for the
	// next one (zero when there is none).
	List(ctx context.Context, opts AuditListOptions) (*AuditPage, error)
}

// AuditListOptions filters Audit.List; zero fields do not filter.
type AuditListOptions struct {
	Customer string
	Since    time.Time // at or after
	Until    time.Time // before
	AfterID  int64
	Limit    int // 1-1000; the server's default is 100
}

// AuditEntry is one write: who (never a key), what, on what, when, and how it ended.
type AuditEntry = apiv1.AuditEntry

// AuditPage is one page of the audit trail.
type AuditPage = apiv1.AuditPage

type audit struct{ c *Client }

func (s *audit) List(ctx context.Context, opts AuditListOptions) (*AuditPage, error) {
	q := url.Values{}
	if opts.Customer != "" {
		q.Set("customer", opts.Customer)
	}
	if !opts.Since.IsZero() {
		q.Set("since", opts.Since.UTC().Format(time.RFC3339))
	}
	if !opts.Until.IsZero() {
		q.Set("until", opts.Until.UTC().Format(time.RFC3339))
	}
	if opts.AfterID > 0 {
		q.Set("after_id", strconv.FormatInt(opts.AfterID, 10))
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var out AuditPage
	if _, err := s.c.do(ctx, http.MethodGet, "/v1/audit", nil, &out, &requestOptions{query: q}); err != nil {
		return nil, err
	}
	return &out, nil
}
