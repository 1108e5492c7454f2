// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// DiagAccounts are the platform's AWS accounts that run diagnostics and assume customers' roles.
type DiagAccounts interface {
	// List returns the diagnostic accounts, ordered by name (ops, master).
	List(ctx context.Context, opts ListDiagAccountsOptions) ([]DiagAccount, error)
	// Put creates or updates one (ops); created says which.
	Put(ctx context.Context, name string, opts DiagAccountPutOptions) (acct *DiagAccount, created bool, err error)
}

// DiagAccountStatus is whether a diagnostic account can take customers.
type DiagAccountStatus string

// The diagnostic account states.
const (
	DiagAccountReadyForUse  DiagAccountStatus = "ready-for-use"
	DiagAccountProvisioning DiagAccountStatus = "provisioning"
	DiagAccountUnavailable  DiagAccountStatus = "unavailable"
)

// DiagAccount is one diagnostic account.
type DiagAccount struct {
	Name      string `json:"name"`
	AccountID string `json:"account_id"`
	// PrincipalARN is the IAM principal that assumes customers' roles (the account root by default).
	PrincipalARN string            `json:"principal_arn"`
	Region       string            `json:"region"`
	Status       DiagAccountStatus `json:"status"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// ListDiagAccountsOptions filters DiagAccounts.List.
type ListDiagAccountsOptions struct {
	// Status, when set, keeps only the accounts in that state.
	Status DiagAccountStatus
}

// DiagAccountPutOptions is the whole of a diagnostic account's settable state; omitted optional
// fields take the server's defaults.
type DiagAccountPutOptions struct {
	AccountID    string            `json:"account_id"`
	Region       string            `json:"region,omitempty"`
	Status       DiagAccountStatus `json:"status,omitempty"`
	PrincipalARN string            `json:"principal_arn,omitempty"`
}

type diagAccounts struct{ c *Client }

func (s *diagAccounts) List(ctx context.Context, opts ListDiagAccountsOptions) ([]DiagAccount, error) {
	var q url.Values
	if opts.Status != "" {
		q = url.Values{"status": {string(opts.Status)}}
	}
	var out struct {
		DiagAccounts []DiagAccount `json:"diag_accounts"`
	}
	if _, err := s.c.do(ctx, http.MethodGet, "/v1/diag-accounts", nil, &out, &requestOptions{query: q}); err != nil {
		return nil, err
	}
	return out.DiagAccounts, nil
}

func (s *diagAccounts) Put(ctx context.Context, name string, opts DiagAccountPutOptions) (*DiagAccount, bool, error) {
	p, err := pathOf("/v1/diag-accounts/%s", segment{"diagnostic account name", name})
	if err != nil {
		return nil, false, err
	}
	var out DiagAccount
	res, err := s.c.do(ctx, http.MethodPut, p, opts, &out, nil)
	if err != nil {
		return nil, false, err
	}
	return &out, res.status == http.StatusCreated, nil
}
