-- Copyright (c) The terraform-provider-virtco Authors
-- SPDX-License-Identifier: MPL-2.0

CREATE TABLE diag_accounts (
    name          TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,
    principal_arn TEXT NOT NULL,
    region        TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE customers (
    name             TEXT PRIMARY KEY,
    diag_account     TEXT REFERENCES diag_accounts (name),
    external_id      TEXT NOT NULL UNIQUE,
    aws_region       TEXT NOT NULL,
    regions          TEXT NOT NULL,
    auto_run_finders INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE users (
    customer   TEXT NOT NULL REFERENCES customers (name),
    name       TEXT NOT NULL,
    key_id     TEXT NOT NULL UNIQUE,
    token      TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (customer, name)
);

CREATE TABLE aws_accounts (
    customer   TEXT NOT NULL REFERENCES customers (name),
    account_id TEXT NOT NULL,
    role_arn   TEXT NOT NULL,
    regions    TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (customer, account_id)
);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
