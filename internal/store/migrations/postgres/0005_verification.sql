-- Copyright (c) The terraform-provider-virtco Authors
-- SPDX-License-Identifier: MPL-2.0

-- The platform's verification of each AWS account (ARCHITECTURE.md, "Verification"): what it
-- found when it last assumed the role, when the next check is due, until when a refusal right
-- after `done` is retried (IAM propagation), and the lease that keeps two servers from checking
-- one account at once. Times are text in the store's fixed-width format; '' is none.
ALTER TABLE aws_accounts ADD COLUMN verification_state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE aws_accounts ADD COLUMN verification_message TEXT NOT NULL DEFAULT '';
ALTER TABLE aws_accounts ADD COLUMN verification_checked_at TEXT NOT NULL DEFAULT '';
ALTER TABLE aws_accounts ADD COLUMN verification_assumed_role_arn TEXT NOT NULL DEFAULT '';
ALTER TABLE aws_accounts ADD COLUMN verify_due_at TEXT NOT NULL DEFAULT '';
ALTER TABLE aws_accounts ADD COLUMN verify_retry_until TEXT NOT NULL DEFAULT '';
ALTER TABLE aws_accounts ADD COLUMN verify_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE aws_accounts ADD COLUMN verify_lease_until TEXT NOT NULL DEFAULT '';
ALTER TABLE aws_accounts ADD COLUMN verify_lease_holder TEXT NOT NULL DEFAULT '';
-- Accounts already done are checked once after the upgrade.
UPDATE aws_accounts SET verify_due_at = '1970-01-01T00:00:00.000000Z' WHERE state = 'done';
CREATE INDEX aws_accounts_verify_due ON aws_accounts (verify_due_at);
-- One AWS account belongs to one customer: the platform assumes its role with that customer's
-- external id only. A database where two customers registered one account stops here; remove one
-- registration with an older version first.
CREATE UNIQUE INDEX aws_accounts_account_id ON aws_accounts (account_id);
