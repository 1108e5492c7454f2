// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package apiv1

import "time"

// AuditEntry is one write: who (never a key), what, on what, when, and how it ended.
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	KeyKind  string    `json:"key_kind"`
	KeyID    string    `json:"key_id"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Request  string    `json:"request"`
	Customer string    `json:"customer"`
	Target   string    `json:"target"`
	Outcome  string    `json:"outcome"`
	Detail   string    `json:"detail"`
}

// AuditPage is one page of the audit trail, the body of GET /v1/audit. NextAfterID is the
// after_id of the next page; zero when there is none.
type AuditPage struct {
	Entries     []AuditEntry `json:"entries"`
	NextAfterID int64        `json:"next_after_id"`
}
