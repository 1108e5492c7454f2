// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"fmt"
)

const diagColumns = "name, account_id, principal_arn, region, status, created_at, updated_at"

func scanDiag(sc scanner) (DiagAccount, error) {
	var d DiagAccount
	var created, updated string
	err := sc.Scan(&d.Name, &d.AccountID, &d.PrincipalARN, &d.Region, &d.Status, &created, &updated)
	d.CreatedAt, d.UpdatedAt = parseTime(created), parseTime(updated)
	return d, err
}

func (s *sqlStore) PutDiagAccount(ctx context.Context, d DiagAccount) (DiagAccount, bool, error) {
	var out DiagAccount
	var created bool
	err := s.writeAudited(ctx, func(t tx) (err error) {
		now := fmtTime(s.now())
		created, err = updateOrInsert(ctx, t,
			`UPDATE diag_accounts SET account_id = ?, principal_arn = ?, region = ?, status = ?, updated_at = ?
			WHERE name = ?`, []any{d.AccountID, d.PrincipalARN, d.Region, d.Status, now, d.Name},
			`INSERT INTO diag_accounts (`+diagColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			d.Name, d.AccountID, d.PrincipalARN, d.Region, d.Status, now, now)
		if err != nil {
			return err
		}
		out, err = getDiag(ctx, t, d.Name)
		return err
	})
	return out, created, err
}

func getDiag(ctx context.Context, t tx, name string) (DiagAccount, error) {
	return queryOne(ctx, t, scanDiag, fmt.Errorf("%w: diag account %q does not exist", ErrNotFound, name),
		`SELECT `+diagColumns+` FROM diag_accounts WHERE name = ?`, name)
}

func (s *sqlStore) GetDiagAccount(ctx context.Context, name string) (DiagAccount, error) {
	return readValue(ctx, s, func(t tx) (DiagAccount, error) { return getDiag(ctx, t, name) })
}

func (s *sqlStore) ListDiagAccounts(ctx context.Context) ([]DiagAccount, error) {
	return readValue(ctx, s, func(t tx) ([]DiagAccount, error) {
		return queryAll(ctx, t, scanDiag, `SELECT `+diagColumns+` FROM diag_accounts ORDER BY name`)
	})
}
