// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package rolegrant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// CleanupTimeout bounds the removal of a half-created role and the restoring of the platform's
// record, which run even when the caller's context was cancelled: a role left behind that no one
// records is worse than a slow stop.
const CleanupTimeout = 2 * time.Minute

// Grantor grants and revokes roles in the one AWS account its role manager's credentials reach,
// with one control plane. It is safe for concurrent use.
type Grantor struct {
	platform *client.Client
	roles    *awsrole.Manager
	account  string
}

// New returns a Grantor. account is the AWS account roles' credentials reach (STS
// GetCallerIdentity), against which every operation checks the account it is asked for.
func New(platform *client.Client, roles *awsrole.Manager, account string) *Grantor {
	return &Grantor{platform: platform, roles: roles, account: account}
}

// Account is the AWS account the Grantor's credentials reach.
func (g *Grantor) Account() string { return g.account }

// Target names one grant: a customer's role in one of its AWS accounts.
type Target struct {
	Customer  string
	AccountID string
	RoleName  string
	Path      string // the role's IAM path; "" is "/"
}

// owns reports whether arn is the target's role (in any partition).
func (t Target) owns(arn string) bool {
	p := t.Path
	if p == "" {
		p = "/"
	}
	return strings.HasPrefix(arn, "arn:aws") && strings.HasSuffix(arn, ":iam::"+t.AccountID+":role"+p+t.RoleName)
}

// Granted is a role as IAM has it and the platform's record of its account.
type Granted struct {
	Role   *awsrole.RoleState
	Record *client.AWSAccount
}

// Grant creates the role spec describes in accountID ("" for the account the credentials reach)
// for customer, and registers it with the platform: in-progress, CreateRole and its policy
// (waiting until IAM shows the role), then done with its ARN.
//
// Errors, none of which leaves anything that the caller does not know of: ErrInvalidRole and
// *WrongAccountError before anything is done; *RegisteredElsewhereError when the platform has the
// account done with another role; a *PlatformError from the platform before CreateRole; an error
// matching awsrole.ErrRoleExists (the role is someone else's: import it) or any other IAM error
// when CreateRole made nothing, with the platform's record put back as it was; a *RolledBackError
// or *LeftBehindError when a step after CreateRole failed.
func (g *Grantor) Grant(ctx context.Context, customer, accountID string, spec awsrole.RoleSpec) (*Granted, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRole, err)
	}
	if accountID == "" {
		accountID = g.account
	}
	if err := CheckAccount(accountID, g.account, "create"); err != nil {
		return nil, err
	}
	t := Target{Customer: customer, AccountID: accountID, RoleName: spec.Name, Path: spec.Path}

	prev, err := g.record(ctx, t)
	switch {
	case err != nil:
		return nil, err
	case prev != nil && prev.State == client.RoleDone && prev.RoleARN != "" && !t.owns(prev.RoleARN):
		return nil, &RegisteredElsewhereError{Customer: customer, AccountID: accountID, RoleARN: prev.RoleARN, RoleName: spec.Name}
	}
	if _, _, err := g.platform.AWSAccounts.Put(ctx, customer, accountID, client.AWSAccountPutOptions{State: client.RoleInProgress}); err != nil {
		return nil, platformError(err, "registering AWS account %s of customer %q", accountID, customer)
	}

	st, err := g.roles.Create(ctx, spec)
	if err != nil {
		var partial *awsrole.PartialCreateError
		if errors.As(err, &partial) {
			return nil, g.rollBack(ctx, t, prev, partial.RoleARN, err)
		}
		return nil, &NotCreatedError{Err: err, RestoreErr: g.restore(ctx, t, prev)}
	}

	rec, _, err := g.platform.AWSAccounts.Put(ctx, customer, accountID, client.AWSAccountPutOptions{RoleARN: st.ARN, State: client.RoleDone,
		ExpiresAt: expiryOf(spec)})
	if err != nil {
		return nil, g.rollBack(ctx, t, prev, st.ARN, platformError(err, "registering role %s with the platform", st.ARN))
	}
	return &Granted{Role: st, Record: rec}, nil
}

// rollBack undoes a grant whose role was (or may have been) created: it deletes the role again
// and restores the platform's record, or, when the role cannot be deleted, says so.
func (g *Grantor) rollBack(ctx context.Context, t Target, prev *client.AWSAccount, roleARN string, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
	defer cancel()
	if err := g.roles.Delete(cctx, t.RoleName); err != nil {
		return &LeftBehindError{RoleName: t.RoleName, RoleARN: roleARN, Cause: cause, DeleteErr: err}
	}
	return &RolledBackError{RoleName: t.RoleName, Cause: cause, RestoreErr: g.restore(ctx, t, prev)}
}

// restore puts the platform's record of the account back as it was before Grant registered it
// (prev nil: there was none).
func (g *Grantor) restore(ctx context.Context, t Target, prev *client.AWSAccount) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
	defer cancel()
	var err error
	if prev == nil {
		if err = g.platform.AWSAccounts.Delete(ctx, t.Customer, t.AccountID, client.AWSAccountDeleteOptions{}); errors.Is(err, client.ErrNotFound) {
			err = nil
		}
	} else {
		_, _, err = g.platform.AWSAccounts.Put(ctx, t.Customer, t.AccountID, client.AWSAccountPutOptions{
			RoleARN: prev.RoleARN, Regions: prev.Regions, State: prev.State, ExpiresAt: prev.ExpiresAt,
		})
	}
	if err != nil {
		return platformError(err, "restoring the record of AWS account %s of customer %q", t.AccountID, t.Customer)
	}
	return nil
}

// record is the platform's record of the target's account, nil when it has none.
func (g *Grantor) record(ctx context.Context, t Target) (*client.AWSAccount, error) {
	rec, err := g.platform.AWSAccounts.Get(ctx, t.Customer, t.AccountID)
	switch {
	case errors.Is(err, client.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, platformError(err, "reading AWS account %s of customer %q", t.AccountID, t.Customer)
	}
	return rec, nil
}

// Standing is where a grant stands with the platform, as far as an Observe could tell.
type Standing int

const (
	// Known: the platform answered; Observed.Record is its record of the account, or nil for none.
	Known Standing = iota
	// CustomerGone: the platform no longer has the customer (unprovisioned): its records went with it.
	CustomerGone
	// KeyRefused: the platform refuses the key (revoked, rotated, or not this customer's).
	KeyRefused
	// Unreachable: the platform did not answer; Observed.PlatformErr says how.
	Unreachable
)

// Observed is a grant as it is now: the role (nil when IAM has none) and the platform's record of
// the account (nil when it has none, or could not say).
type Observed struct {
	Role        *awsrole.RoleState
	Record      *client.AWSAccount
	Standing    Standing
	PlatformErr error // the platform's answer when Standing is not Known
}

// Stranded reports a role the platform cannot use any more: it no longer knows the customer, or
// refuses the key. Only its revocation is left to do, which needs AWS alone.
func (o *Observed) Stranded() bool { return o.Standing == CustomerGone || o.Standing == KeyRefused }

// State is the platform's state of this role: the record's state when the record registers this
// role, else "" (the account is not registered, or with another role).
func (o *Observed) State() client.RoleStatus {
	if o.Role == nil || o.Record == nil || o.Record.RoleARN != o.Role.ARN {
		return ""
	}
	return o.Record.State
}

// Observe reads the role and the platform's record. What IAM has is the point: a platform that
// does not answer, refuses the key or no longer knows the customer is a Standing, not an error,
// so that a role can always be seen, and so revoked. A role that does not exist is not an error
// either (Observed.Role is nil); IAM's other errors are returned as awsrole returns them.
func (g *Grantor) Observe(ctx context.Context, t Target) (*Observed, error) {
	if err := CheckAccount(t.AccountID, g.account, "read"); err != nil {
		return nil, err
	}
	o := &Observed{}
	o.Record, o.Standing, o.PlatformErr = g.standing(ctx, t)
	st, err := g.roles.Read(ctx, t.RoleName)
	switch {
	case errors.Is(err, awsrole.ErrRoleNotFound):
	case err != nil:
		return nil, err
	default:
		o.Role = st
	}
	return o, nil
}

// standing reads the platform's record of the target's account and says what the answer means.
// A 404 may be an account never registered or a customer gone; the customer tells which.
func (g *Grantor) standing(ctx context.Context, t Target) (*client.AWSAccount, Standing, error) {
	rec, err := g.platform.AWSAccounts.Get(ctx, t.Customer, t.AccountID)
	if errors.Is(err, client.ErrNotFound) {
		if _, err = g.platform.Customers.Get(ctx, t.Customer); err == nil {
			return nil, Known, nil
		}
	}
	switch {
	case err == nil:
		return rec, Known, nil
	case errors.Is(err, client.ErrNotFound):
		return nil, CustomerGone, err
	case errors.Is(err, client.ErrUnauthenticated), errors.Is(err, client.ErrPermissionDenied):
		return nil, KeyRefused, err
	}
	return nil, Unreachable, err
}

// Update puts every difference between the role and spec right, and registers the role done
// with the platform when the platform's record says otherwise. A role that no longer exists is
// an error matching awsrole.ErrRoleNotFound; IAM's other errors are returned as awsrole returns
// them.
func (g *Grantor) Update(ctx context.Context, t Target, spec awsrole.RoleSpec) (*Granted, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRole, err)
	}
	if err := CheckAccount(t.AccountID, g.account, "update"); err != nil {
		return nil, err
	}
	st, err := g.roles.Update(ctx, t.RoleName, nil, spec)
	if err != nil {
		return nil, err
	}
	rec, err := g.record(ctx, t)
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.State != client.RoleDone || rec.RoleARN != st.ARN || !sameExpiry(rec.ExpiresAt, expiryOf(spec)) {
		if rec, _, err = g.platform.AWSAccounts.Put(ctx, t.Customer, t.AccountID, client.AWSAccountPutOptions{RoleARN: st.ARN, State: client.RoleDone,
			ExpiresAt: expiryOf(spec)}); err != nil {
			return nil, platformError(err, "registering role %s with the platform", st.ARN)
		}
	}
	return &Granted{Role: st, Record: rec}, nil
}

// PlatformStepTimeout bounds each of the platform's steps of a revocation, retries included:
// revoking never waits long for the platform.
const PlatformStepTimeout = 20 * time.Second

// Leftover is what a revocation left on the platform's side once the role itself was deleted:
// the platform's record of the account, which the ops key can remove (DELETE
// /v1/customers/{customer}/aws-accounts/{account_id}). The role is gone either way, so this is
// bookkeeping, not access.
type Leftover struct {
	Customer  string
	AccountID string
	Purged    bool  // the record was marked purge, so the platform stops using the role
	Err       error // why the record could not be removed
}

func (l *Leftover) Error() string {
	state := "as it was"
	if l.Purged {
		state = "marked purge"
	}
	return fmt.Sprintf("the platform may still have its record of AWS account %s of customer %q (%s): %v", l.AccountID, l.Customer, state, l.Err)
}

// Revoke takes the grant away. It marks the platform's record purge (with roleARN when that is the
// target's role), deletes the role and everything attached to it (a role already gone is fine),
// and removes the record. The role is deleted whatever the platform answers: unreachable, a
// refused key, a customer gone; deleting access is always the safe direction. Each platform step
// is bounded by PlatformStepTimeout; what it could not finish comes back as a *Leftover, with a
// nil error. IAM's errors are returned as awsrole returns them: the role is still there.
func (g *Grantor) Revoke(ctx context.Context, t Target, roleARN string) (*Leftover, error) {
	if err := CheckAccount(t.AccountID, g.account, "delete"); err != nil {
		return nil, err
	}
	opts := client.AWSAccountPutOptions{State: client.RolePurge}
	if t.owns(roleARN) {
		opts.RoleARN = roleARN
	}
	pctx, cancel := context.WithTimeout(ctx, PlatformStepTimeout)
	_, _, purgeErr := g.platform.AWSAccounts.Put(pctx, t.Customer, t.AccountID, opts)
	cancel()
	if errors.Is(purgeErr, client.ErrNotFound) {
		// The customer was unprovisioned: its accounts went with it.
		return nil, g.roles.Delete(ctx, t.RoleName)
	}

	if err := g.roles.Delete(ctx, t.RoleName); err != nil {
		return nil, err
	}

	rctx, cancel := context.WithTimeout(ctx, PlatformStepTimeout)
	defer cancel()
	err := g.platform.AWSAccounts.Delete(rctx, t.Customer, t.AccountID, client.AWSAccountDeleteOptions{})
	if err == nil || errors.Is(err, client.ErrNotFound) {
		return nil, nil
	}
	return &Leftover{Customer: t.Customer, AccountID: t.AccountID, Purged: purgeErr == nil,
		Err: platformError(err, "removing AWS account %s of customer %q", t.AccountID, t.Customer)}, nil
}
