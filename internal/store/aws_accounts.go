package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const accountColumns = "customer, account_id, role_arn, regions, state, created_at, updated_at"

func scanAccount(sc interface{ Scan(...any) error }) (AWSAccount, error) {
	var a AWSAccount
	var regions, created, updated string
	err := sc.Scan(&a.Customer, &a.AccountID, &a.RoleARN, &regions, &a.State, &created, &updated)
	a.Regions = decodeList(regions)
	a.CreatedAt, a.UpdatedAt = parseTime(created), parseTime(updated)
	return a, err
}

func getAccount(ctx context.Context, t tx, customer, accountID string) (AWSAccount, error) {
	a, err := scanAccount(t.row(ctx, `SELECT `+accountColumns+` FROM aws_accounts WHERE customer = ? AND account_id = ?`, customer, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("%w: AWS account %s of customer %q is not registered", ErrNotFound, accountID, customer)
	}
	return a, err
}

func listAccounts(ctx context.Context, t tx, customer string) ([]AWSAccount, error) {
	rows, err := t.query(ctx, `SELECT `+accountColumns+` FROM aws_accounts WHERE customer = ? ORDER BY account_id`, customer)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AWSAccount{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *sqlStore) PutAWSAccount(ctx context.Context, a AWSAccount) (AWSAccount, bool, error) {
	var out AWSAccount
	var created bool
	err := s.writeAudited(ctx, func(t tx) error {
		if _, found, err := s.lockCustomer(ctx, t, a.Customer); err != nil {
			return err
		} else if !found {
			return errNoCustomer(a.Customer)
		}
		now := fmtTime(s.now())
		res, err := t.exec(ctx, `UPDATE aws_accounts SET role_arn = ?, regions = ?, state = ?, updated_at = ?
			WHERE customer = ? AND account_id = ?`, a.RoleARN, encodeList(a.Regions), a.State, now, a.Customer, a.AccountID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			created = true
			if _, err := t.exec(ctx, `INSERT INTO aws_accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				a.Customer, a.AccountID, a.RoleARN, encodeList(a.Regions), a.State, now, now); err != nil {
				return err
			}
		}
		if err := s.touchCustomer(ctx, t, a.Customer); err != nil {
			return err
		}
		out, err = getAccount(ctx, t, a.Customer, a.AccountID)
		return err
	})
	return out, created, err
}

func (s *sqlStore) GetAWSAccount(ctx context.Context, customer, accountID string) (AWSAccount, error) {
	var a AWSAccount
	err := s.read(ctx, func(t tx) (err error) {
		a, err = getAccount(ctx, t, customer, accountID)
		return err
	})
	return a, err
}

func (s *sqlStore) ListAWSAccounts(ctx context.Context, customer string) ([]AWSAccount, error) {
	var out []AWSAccount
	err := s.read(ctx, func(t tx) error {
		if err := customerExists(ctx, t, customer); err != nil {
			return err
		}
		var err error
		out, err = listAccounts(ctx, t, customer)
		return err
	})
	return out, err
}

func (s *sqlStore) DeleteAWSAccount(ctx context.Context, customer, accountID string) error {
	return s.deleteChild(ctx, customer, `DELETE FROM aws_accounts WHERE customer = ? AND account_id = ?`,
		fmt.Errorf("%w: AWS account %s of customer %q is not registered", ErrNotFound, accountID, customer), customer, accountID)
}
