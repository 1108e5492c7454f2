-- Copyright (c) The terraform-provider-virtco Authors
-- SPDX-License-Identifier: MPL-2.0

-- Webhook delivery (ARCHITECTURE.md, "Events"). Each endpoint (a hash of its URL: a URL may hold
-- credentials) has a cursor, the last event queued for it, and a delivery per event from there
-- on: its state, its attempts, when the next is due, since when it is retried (queued or
-- replayed), and the lease of the server trying it, so
-- that servers sharing a database deliver each event once per endpoint. Times are text in the
-- store's fixed-width format; '' is none.
CREATE TABLE webhook_cursors (
    endpoint TEXT PRIMARY KEY,
    after_id BIGINT NOT NULL
);
CREATE TABLE deliveries (
    endpoint     TEXT NOT NULL,
    event_id     BIGINT NOT NULL,
    customer     TEXT NOT NULL,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,
    lease_until  TEXT NOT NULL DEFAULT '',
    lease_holder TEXT NOT NULL DEFAULT '',
    last_error   TEXT NOT NULL DEFAULT '',
    delivered_at TEXT NOT NULL DEFAULT '',
    retry_from   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (endpoint, event_id)
);
CREATE INDEX deliveries_due ON deliveries (state, next_at);
CREATE INDEX deliveries_queue ON deliveries (endpoint, customer, state, event_id);
-- Pruning and replay find an event's deliveries by its id.
CREATE INDEX deliveries_event ON deliveries (event_id);
