-- Copyright (c) The terraform-provider-virtco Authors
-- SPDX-License-Identifier: MPL-2.0

-- user.expired (ARCHITECTURE.md, "Events"): the expires_at whose event was appended, so that each
-- expiry gets one event however many servers sweep, and a user given another expiry can expire
-- again. NULL: none appended. Text in the store's fixed-width format, as expires_at.
ALTER TABLE users ADD COLUMN expired_event_for TEXT;
CREATE INDEX users_expires ON users (expires_at);
-- When a delivery was marked failed, for the listing of failed deliveries; '' while it is not.
ALTER TABLE deliveries ADD COLUMN failed_at TEXT NOT NULL DEFAULT '';
