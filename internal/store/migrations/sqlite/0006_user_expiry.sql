-- Copyright (c) The terraform-provider-virtco Authors
-- SPDX-License-Identifier: MPL-2.0

-- When a user's key stops working (time-boxed access): text in the store's fixed-width format,
-- NULL for a key that never expires, as every user had before.
ALTER TABLE users ADD COLUMN expires_at TEXT;
