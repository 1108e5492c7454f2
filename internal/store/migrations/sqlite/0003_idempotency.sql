-- Copyright (c) The terraform-provider-virtco Authors
-- SPDX-License-Identifier: MPL-2.0

-- The answer to each write sent with an Idempotency-Key, kept for IdempotencyRetention (24 hours)
-- so that a retry of the write gets it instead of running again. Written in the write's own
-- transaction; the unique (scope, idem_key) keeps two requests under one key from both running.
CREATE TABLE idempotency_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    scope       TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    status      INTEGER NOT NULL,
    header      TEXT NOT NULL,
    body        BLOB NOT NULL,
    UNIQUE (scope, idem_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
