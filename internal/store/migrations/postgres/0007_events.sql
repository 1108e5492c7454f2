-- Copyright (c) The terraform-provider-virtco Authors
-- SPDX-License-Identifier: MPL-2.0

-- The outbox of access changes (ARCHITECTURE.md, "Events"): each write that changes access
-- appends its event in its own transaction, so that no acknowledged change is without its event.
-- The id is the feed's order, and ids must grow in commit order: a consumer that has read up to
-- 6 must never find a 5 committed after it. A sequence cannot promise that (a transaction may
-- take 5, then commit after another took and committed 6), and a lock held by every writer to
-- its commit would serialize all writes. So a write appends its event with no id, in row_id
-- order, and the sequencer (one at a time, under an advisory lock) numbers the committed ones
-- from event_sequence: what it numbers has committed, so a later number is a later commit.
CREATE TABLE events (
    row_id     BIGSERIAL PRIMARY KEY,
    id         BIGINT UNIQUE,
    type       TEXT NOT NULL,
    at         TEXT NOT NULL,
    customer   TEXT NOT NULL,
    payload    TEXT NOT NULL
);
-- No index on customer or time: every write that changes access inserts here, and the outbox
-- reads by id only (the hourly pruning scans from the oldest id). The sequencer's index holds only
-- the events still waiting for their id.
CREATE INDEX events_unsequenced ON events (row_id) WHERE id IS NULL;
-- The last id given: ids are never reused, even after every event has been pruned.
CREATE TABLE event_sequence (last BIGINT NOT NULL);
INSERT INTO event_sequence (last) VALUES (0);
