// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"fmt"
)

const accountColumns = "customer, account_id, role_arn, regions, state, created_at, updated_at"

func scanAccount(sc scanner) (AWSAccount, error) {
	var a AWSAccount
	var regions, created, updated string
	err := sc.Scan(&a.Customer, &a.AccountID, &a.RoleARN, &regions, &a.State, &created, &updated)
	a.Regions = decodeList(regions)
	a.CreatedAt, a.UpdatedAt = parseTime(created), parseTime(updated)
	return a, err
}

func errNoAccount(customer, accountID string) error {
	return fmt.Errorf("%w: AWS account %s of customer %q is not registered", ErrNotFound, accountID, customer)
}

func getAccount(ctx context.Context, t tx, customer, accountID string) (AWSAccount, error) {
	return queryOne(ctx, t, scanAccount, errNoAccount(customer, accountID),
		`SELECT `+accountColumns+` FROM aws_accounts WHERE customer = ? AND account_id = ?`, customer, accountID)
}

func listAccounts(ctx context.Context, t tx, customer string) ([]AWSAccount, error) {
	return queryAll(ctx, t, scanAccount, `SELECT `+accountColumns+` FROM aws_accounts WHERE customer = ? ORDER BY account_id`, customer)
}

func (s *sqlStore) PutAWSAccount(ctx context.Context, a AWSAccount) (AWSAccount, bool, error) {
	var out AWSAccount
	var created bool
	err := s.writeRecorded(ctx, func(t tx) (_ Written, err error) {
		if err := s.lockExistingCustomer(ctx, t, a.Customer); err != nil {
			return Written{}, err
		}
		now := fmtTime(s.now())
		created, err = updateOrInsert(ctx, t,
			`UPDATE aws_accounts SET role_arn = ?, regions = ?, state = ?, updated_at = ?
			WHERE customer = ? AND account_id = ?`, []any{a.RoleARN, encodeList(a.Regions), a.State, now, a.Customer, a.AccountID},
			`INSERT INTO aws_accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.Customer, a.AccountID, a.RoleARN, encodeList(a.Regions), a.State, now, now)
		if err != nil {
			return Written{}, err
		}
		if err := s.touchCustomer(ctx, t, a.Customer); err != nil {
			return Written{}, err
		}
		out, err = getAccount(ctx, t, a.Customer, a.AccountID)
		return Written{Account: out, Created: created}, err
	})
	return out, created, err
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

func (s *sqlStore) DeleteAWSAccount(ctx context.Context, customer, accountID string) error {
	return s.deleteChild(ctx, customer, `DELETE FROM aws_accounts WHERE customer = ? AND account_id = ?`,
		errNoAccount(customer, accountID), customer, accountID)
}
