// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"fmt"
)

const accountColumns = "customer, account_id, role_arn, regions, state, version, created_at, updated_at"

func scanAccount(sc scanner) (AWSAccount, error) {
	var a AWSAccount
	var regions, created, updated string
	err := sc.Scan(&a.Customer, &a.AccountID, &a.RoleARN, &regions, &a.State, &a.Version, &created, &updated)
	a.Regions = decodeList(regions)
	a.CreatedAt, a.UpdatedAt = parseTime(created), parseTime(updated)
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
		`SELECT `+accountColumns+` FROM aws_accounts WHERE customer = ? AND account_id = ?`, customer, accountID)
}

func listAccounts(ctx context.Context, t tx, customer string) ([]AWSAccount, error) {
	return queryAll(ctx, t, scanAccount, `SELECT `+accountColumns+` FROM aws_accounts WHERE customer = ? ORDER BY account_id`, customer)
}

func (s *sqlStore) PutAWSAccount(ctx context.Context, a AWSAccount, pre Precondition) (AWSAccount, bool, error) {
	var out AWSAccount
	var created bool
	err := s.writeRecorded(ctx, func(t tx) (_ Written, err error) {
		if _, err := s.lockChild(ctx, t, accountChild(a.Customer, a.AccountID), pre); err != nil {
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

func (s *sqlStore) DeleteAWSAccount(ctx context.Context, customer, accountID string, pre Precondition) error {
	return s.deleteChild(ctx, accountChild(customer, accountID), pre)
}
