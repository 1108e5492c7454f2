-- Copyright (c) The terraform-provider-virtco Authors
-- SPDX-License-Identifier: MPL-2.0

-- Time-boxed access. When a user's key stops working, and when an AWS account's role stops
-- letting the platform in (its trust's DateLessThan aws:CurrentTime), so that the verification
-- refused after it says `expired` rather than `failed`. Text in the store's fixed-width format;
-- NULL for never, as every row had before.
ALTER TABLE users ADD COLUMN expires_at TEXT;
ALTER TABLE aws_accounts ADD COLUMN expires_at TEXT;
