package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const diagColumns = "name, account_id, principal_arn, region, status, created_at, updated_at"

func scanDiag(sc interface{ Scan(...any) error }) (DiagAccount, error) {
	var d DiagAccount
	var created, updated string
	err := sc.Scan(&d.Name, &d.AccountID, &d.PrincipalARN, &d.Region, &d.Status, &created, &updated)
	d.CreatedAt, d.UpdatedAt = parseTime(created), parseTime(updated)
	return d, err
}

func (s *sqlStore) PutDiagAccount(ctx context.Context, d DiagAccount) (DiagAccount, bool, error) {
	var out DiagAccount
	var created bool
	err := s.writeAudited(ctx, func(t tx) error {
		now := fmtTime(s.now())
		res, err := t.exec(ctx, `UPDATE diag_accounts SET account_id = ?, principal_arn = ?, region = ?, status = ?, updated_at = ?
			WHERE name = ?`, d.AccountID, d.PrincipalARN, d.Region, d.Status, now, d.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			created = true
			if _, err := t.exec(ctx, `INSERT INTO diag_accounts (`+diagColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				d.Name, d.AccountID, d.PrincipalARN, d.Region, d.Status, now, now); err != nil {
				return err
			}
		}
		out, err = getDiag(ctx, t, d.Name)
		return err
	})
	return out, created, err
}

func getDiag(ctx context.Context, t tx, name string) (DiagAccount, error) {
	d, err := scanDiag(t.row(ctx, `SELECT `+diagColumns+` FROM diag_accounts WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%w: diag account %q does not exist", ErrNotFound, name)
	}
	return d, err
}

func (s *sqlStore) GetDiagAccount(ctx context.Context, name string) (DiagAccount, error) {
	var d DiagAccount
	err := s.read(ctx, func(t tx) (err error) {
		d, err = getDiag(ctx, t, name)
		return err
	})
	return d, err
}

func (s *sqlStore) ListDiagAccounts(ctx context.Context) ([]DiagAccount, error) {
	var out []DiagAccount
	err := s.read(ctx, func(t tx) error {
		rows, err := t.query(ctx, `SELECT `+diagColumns+` FROM diag_accounts ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDiag(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, err
}
