// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const accountColumns = "customer, account_id, role_arn, regions, state, version, created_at, updated_at"

// accountReadColumns are accountColumns and the verification's.
var accountReadColumns = accountColumns + ", " + verificationColumns("") + ", verify_retry_until, expires_at"

func scanAccount(sc scanner) (AWSAccount, error) {
	var a AWSAccount
	var regions, created, updated, retry string
	var v verificationText
	var expires sql.NullString
	err := sc.Scan(&a.Customer, &a.AccountID, &a.RoleARN, &regions, &a.State, &a.Version, &created, &updated,
		&v.state, &v.message, &v.checkedAt, &v.assumedRoleARN, &retry, &expires)
	a.ExpiresAt = optTime(expires)
	a.Regions = decodeList(regions)
	a.CreatedAt, a.UpdatedAt = parseTime(created), parseTime(updated)
	a.Verification, a.VerifyRetryUntil = v.value(), parseOptTime(retry)
	return a, err
}

func errNoAccount(customer, accountID string) error {
	return fmt.Errorf("%w: AWS account %s of customer %q is not registered", ErrNotFound, accountID, customer)
}

func accountChild(customer, accountID string) child {
	return child{customer: customer, what: fmt.Sprintf("AWS account %s of customer %q", accountID, customer),
		table: "aws_accounts", key: "account_id", value: accountID, notFound: errNoAccount(customer, accountID)}
}

func getAccount(ctx context.Context, t tx, customer, accountID string) (AWSAccount, error) {
	return queryOne(ctx, t, scanAccount, errNoAccount(customer, accountID),
		`SELECT `+accountReadColumns+` FROM aws_accounts WHERE customer = ? AND account_id = ?`, customer, accountID)
}

func listAccounts(ctx context.Context, t tx, customer string) ([]AWSAccount, error) {
	return queryAll(ctx, t, scanAccount, `SELECT `+accountReadColumns+` FROM aws_accounts WHERE customer = ? ORDER BY account_id`, customer)
}

func (s *sqlStore) PutAWSAccount(ctx context.Context, a AWSAccount, pre Precondition) (AWSAccount, bool, error) {
	var out AWSAccount
	var created bool
	err := s.writeRecorded(ctx, func(t tx) (_ Written, err error) {
		if _, err := s.lockChild(ctx, t, accountChild(a.Customer, a.AccountID), pre); err != nil {
			return Written{}, err
		}
		if err := accountElsewhere(ctx, t, a.Customer, a.AccountID); err != nil {
			return Written{}, err
		}
		prev, err := getAccount(ctx, t, a.Customer, a.AccountID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Written{}, err
		}
		now := fmtTime(s.now())
		created, err = updateOrInsert(ctx, t,
			`UPDATE aws_accounts SET role_arn = ?, regions = ?, state = ?, version = version + 1, updated_at = ?
			WHERE customer = ? AND account_id = ?`, []any{a.RoleARN, encodeList(a.Regions), a.State, now, a.Customer, a.AccountID},
			`INSERT INTO aws_accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.Customer, a.AccountID, a.RoleARN, encodeList(a.Regions), a.State, firstVersion(), now, now)
		if err != nil {
			return Written{}, err
		}
		if _, err := t.exec(ctx, `UPDATE aws_accounts SET expires_at = ? WHERE customer = ? AND account_id = ?`,
			expiry{at: a.ExpiresAt}.column(), a.Customer, a.AccountID); err != nil {
			return Written{}, err
		}
		if err := s.scheduleVerification(ctx, t, prev, a); err != nil {
			return Written{}, err
		}
		if err := s.touchCustomer(ctx, t, a.Customer); err != nil {
			return Written{}, err
		}
		if out, err = getAccount(ctx, t, a.Customer, a.AccountID); err != nil {
			return Written{}, err
		}
		// A write that changes nothing the platform acts on (Terraform's refresh, a retry) tells
		// no one.
		if created || prev.State != out.State || prev.RoleARN != out.RoleARN || encodeList(prev.Regions) != encodeList(out.Regions) {
			p, err := accountPayload(ctx, t, a.Customer, a.AccountID)
			if err == nil {
				err = s.appendEvent(ctx, t, accountEventType(out.State), a.Customer, p)
			}
			if err != nil {
				return Written{}, err
			}
		}
		return Written{Account: out, Created: created}, nil
	})
	return out, created, err
}

// accountElsewhere refuses an account another customer has registered: the platform assumes an
// account's role with one customer's external id. It does not name the other customer.
func accountElsewhere(ctx context.Context, t tx, customer, accountID string) error {
	var n int
	if err := t.row(ctx, `SELECT COUNT(*) FROM aws_accounts WHERE account_id = ? AND customer <> ?`, accountID, customer).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%w: AWS account %s is registered to another customer; an AWS account belongs to one customer "+
			"(the ops key can remove the other registration)", ErrConflict, accountID)
	}
	return nil
}

// scheduleVerification follows a client's write of an account (ARCHITECTURE.md, "Verification"):
// a new role or a state other than done forgets the last verdict and any lease, and a write of
// done makes a verification due now, retrying refusals until a.VerifyRetryUntil.
func (s *sqlStore) scheduleVerification(ctx context.Context, t tx, prev, a AWSAccount) error {
	if prev.State != a.State || prev.RoleARN != a.RoleARN {
		if _, err := t.exec(ctx, `UPDATE aws_accounts SET verification_state = ?, verification_message = '', verification_checked_at = '',
			verification_assumed_role_arn = '', verify_due_at = '', verify_retry_until = '', verify_attempts = 0,
			verify_lease_until = '', verify_lease_holder = '' WHERE customer = ? AND account_id = ?`,
			VerifyPending, a.Customer, a.AccountID); err != nil {
			return err
		}
	}
	if a.State != StateDone {
		return nil
	}
	_, err := t.exec(ctx, `UPDATE aws_accounts SET verify_due_at = ?, verify_retry_until = ?, verify_attempts = 0
		WHERE customer = ? AND account_id = ?`, fmtTime(s.now()), fmtOptTime(a.VerifyRetryUntil), a.Customer, a.AccountID)
	return err
}

func (s *sqlStore) GetAWSAccount(ctx context.Context, customer, accountID string) (AWSAccount, error) {
	return readValue(ctx, s, func(t tx) (AWSAccount, error) { return getAccount(ctx, t, customer, accountID) })
}

func (s *sqlStore) ListAWSAccounts(ctx context.Context, customer string) ([]AWSAccount, error) {
	return readValue(ctx, s, func(t tx) ([]AWSAccount, error) {
		if err := customerExists(ctx, t, customer); err != nil {
			return nil, err
		}
		return listAccounts(ctx, t, customer)
	})
}

func (s *sqlStore) DeleteAWSAccount(ctx context.Context, customer, accountID string, pre Precondition) error {
	return s.deleteChild(ctx, accountChild(customer, accountID), pre)
}
