// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
)

// DiagAccounts are the platform's AWS accounts that run diagnostics and assume customers' roles.
type DiagAccounts interface {
	// List returns the diagnostic accounts, ordered by name (ops, master).
	List(ctx context.Context, opts ListDiagAccountsOptions) ([]DiagAccount, error)
	// Put creates or updates one (ops); created says which.
	Put(ctx context.Context, name string, opts DiagAccountPutOptions) (acct *DiagAccount, created bool, err error)
}

// DiagAccountStatus is whether a diagnostic account can take customers.
type DiagAccountStatus = apiv1.DiagAccountStatus

// The diagnostic account states.
const (
	DiagAccountReadyForUse  = apiv1.DiagAccountReadyForUse
	DiagAccountProvisioning = apiv1.DiagAccountProvisioning
	DiagAccountUnavailable  = apiv1.DiagAccountUnavailable
)

// DiagAccount is one diagnostic account; its PrincipalARN assumes customers' roles (the account
// root by default).
type DiagAccount = apiv1.DiagAccount

// ListDiagAccountsOptions filters DiagAccounts.List.
type ListDiagAccountsOptions struct {
	// Status, when set, keeps only the accounts in that state.
	Status DiagAccountStatus
}

// DiagAccountPutOptions is the whole of a diagnostic account's settable state, the body of Put;
// omitted optional fields take the server's defaults.
type DiagAccountPutOptions = apiv1.DiagAccountInput

type diagAccounts struct{ c *Client }

func (s *diagAccounts) List(ctx context.Context, opts ListDiagAccountsOptions) ([]DiagAccount, error) {
	var q url.Values
	if opts.Status != "" {
		q = url.Values{"status": {string(opts.Status)}}
	}
	var out apiv1.DiagAccountList
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
