// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"net/http"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
)

// AWSAccounts are a customer's AWS accounts whose read-only role the platform assumes.
type AWSAccounts interface {
	// List returns a customer's AWS accounts, ordered by account id (ops, master, its own users).
	List(ctx context.Context, customer string) ([]AWSAccount, error)
	// Get returns one AWS account (ops, master, its own users); ETag is set.
	Get(ctx context.Context, customer, accountID string) (*AWSAccount, error)
	// Put registers an account or changes its state (ops, its own users); created says which. A
	// retry after a lost answer gets the first attempt's answer (the call's Idempotency-Key).
	// ETag is set.
	Put(ctx context.Context, customer, accountID string, opts AWSAccountPutOptions) (acct *AWSAccount, created bool, err error)
	// Delete purges and removes an account (ops, its own users).
	Delete(ctx context.Context, customer, accountID string, opts AWSAccountDeleteOptions) error
	// Verify makes the platform assume the account's role now, as the customer's diagnostic
	// account, and returns the account with the outcome in Verification (ops, its own users). A
	// refusal is VerificationFailed at once; ErrConflict when the account is not done (or another
	// verification of it took too long), and an *APIError of status 503 when STS did not answer
	// (the verdict is then unchanged). ETag is set.
	Verify(ctx context.Context, customer, accountID string) (*AWSAccount, error)
}

// AWSAccount is one of a customer's AWS accounts.
type AWSAccount = apiv1.AWSAccount

// Verification is the platform's last verdict on an account's role: only the platform sets it.
type Verification = apiv1.Verification

// VerificationState is a Verification's state.
type VerificationState = apiv1.VerificationState

// The verification states.
const (
	VerificationPending     = apiv1.VerificationPending
	Verified                = apiv1.Verified
	VerificationFailed      = apiv1.VerificationFailed
	VerificationUnavailable = apiv1.VerificationUnavailable
	VerificationExpired     = apiv1.VerificationExpired
)

// AWSAccountPutOptions is an AWS account's settable state, the body of Put (apiv1's
// AWSAccountInput), and the call's Idempotency-Key. It is the client's own type, not an alias, so
// that the key can be given in the same literal.
type AWSAccountPutOptions struct {
	// RoleARN is the role's ARN, in this account; required when State is RoleDone.
	RoleARN string
	Regions []string
	// State defaults to pending.
	State RoleStatus
	// ExpiresAt is when the role's trust stops letting the platform in (its DateLessThan
	// aws:CurrentTime); nil: never. A refusal after it is VerificationExpired. Each Put replaces
	// it: a Put without it removes it.
	ExpiresAt *time.Time
	// IdempotencyKey is the call's Idempotency-Key (1-255 printable ASCII characters); empty for
	// a new random one. See CustomerPutOptions.IdempotencyKey.
	IdempotencyKey string
	// IfMatch, an ETag, writes only if the account is still at that version (else
	// ErrPreconditionFailed); IfNoneMatch "*" registers only (ErrPreconditionFailed when the
	// account is registered).
	IfMatch, IfNoneMatch string
}

// AWSAccountDeleteOptions qualify AWSAccounts.Delete.
type AWSAccountDeleteOptions struct {
	// IfMatch, an ETag, removes the account only if it is still at that version (else
	// ErrPreconditionFailed).
	IfMatch string
}

type awsAccounts struct{ c *Client }

func awsAccountPath(customer, accountID string) (string, error) {
	return pathOf("/v1/customers/%s/aws-accounts/%s", segment{"customer name", customer}, segment{"AWS account id", accountID})
}

func (s *awsAccounts) List(ctx context.Context, customer string) ([]AWSAccount, error) {
	p, err := pathOf("/v1/customers/%s/aws-accounts", segment{"customer name", customer})
	if err != nil {
		return nil, err
	}
	var out apiv1.AWSAccountList
	if _, err := s.c.do(ctx, http.MethodGet, p, nil, &out, nil); err != nil {
		return nil, err
	}
	return out.AWSAccounts, nil
}

func (s *awsAccounts) Get(ctx context.Context, customer, accountID string) (*AWSAccount, error) {
	p, err := awsAccountPath(customer, accountID)
	if err != nil {
		return nil, err
	}
	var out AWSAccount
	res, err := s.c.do(ctx, http.MethodGet, p, nil, &out, nil)
	if err != nil {
		return nil, err
	}
	out.ETag = res.header.Get("ETag")
	return &out, nil
}

func (s *awsAccounts) Put(ctx context.Context, customer, accountID string, opts AWSAccountPutOptions) (*AWSAccount, bool, error) {
	p, err := awsAccountPath(customer, accountID)
	if err != nil {
		return nil, false, err
	}
	h, err := withIdempotencyKey(conditions(opts.IfMatch, opts.IfNoneMatch), opts.IdempotencyKey)
	if err != nil {
		return nil, false, err
	}
	in := apiv1.AWSAccountInput{RoleARN: opts.RoleARN, Regions: opts.Regions, State: opts.State}
	if opts.ExpiresAt != nil {
		in.ExpiresAt = opts.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	var out AWSAccount
	res, err := s.c.do(ctx, http.MethodPut, p, in, &out, &requestOptions{header: h})
	if err != nil {
		return nil, false, err
	}
	out.ETag = res.header.Get("ETag")
	return &out, res.status == http.StatusCreated, nil
}

func (s *awsAccounts) Delete(ctx context.Context, customer, accountID string, opts AWSAccountDeleteOptions) error {
	p, err := awsAccountPath(customer, accountID)
	if err != nil {
		return err
	}
	_, err = s.c.do(ctx, http.MethodDelete, p, nil, nil, &requestOptions{header: conditions(opts.IfMatch, "")})
	return err
}

func (s *awsAccounts) Verify(ctx context.Context, customer, accountID string) (*AWSAccount, error) {
	p, err := awsAccountPath(customer, accountID)
	if err != nil {
		return nil, err
	}
	var out AWSAccount
	res, err := s.c.do(ctx, http.MethodPost, p+"/verify", nil, &out, nil)
	if err != nil {
		return nil, err
	}
	out.ETag = res.header.Get("ETag")
	return &out, nil
}
