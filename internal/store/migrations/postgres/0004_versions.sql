-- Copyright (c) The terraform-provider-virtco Authors
-- SPDX-License-Identifier: MPL-2.0

-- Each user and AWS account has a version of its own, its entity tag: a write under If-Match
-- must meet the version that was read, and two rotations of one token at once cannot both win.
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE aws_accounts ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
