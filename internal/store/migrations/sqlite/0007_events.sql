-- Copyright (c) The terraform-provider-virtco Authors
-- SPDX-License-Identifier: MPL-2.0

-- The outbox of access changes (ARCHITECTURE.md, "Events"): each write that changes access
-- appends its event in its own transaction, so that no acknowledged change is without its event.
-- The id is the feed's order: SQLite has one writer, so ids taken at insert grow in commit order,
-- and AUTOINCREMENT never reuses one, even after every event has been pruned.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    type       TEXT NOT NULL,
    at         TEXT NOT NULL,
    customer   TEXT NOT NULL,
    payload    TEXT NOT NULL
);
-- No index on customer or time: every write that changes access inserts here, and the outbox
-- reads by id only (the hourly pruning scans from the oldest id).
