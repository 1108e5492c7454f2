// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
)

func (s *sqlStore) MasterToken(ctx context.Context, candidate string) (string, error) {
	var token string
	err := s.write(ctx, func(t tx) error {
		if _, err := t.exec(ctx, `INSERT INTO settings (name, value) VALUES ('master_token', ?) ON CONFLICT (name) DO NOTHING`, candidate); err != nil {
			return err
		}
		return t.row(ctx, `SELECT value FROM settings WHERE name = 'master_token'`).Scan(&token)
	})
	return token, err
}

func (s *sqlStore) SetMasterToken(ctx context.Context, token string) error {
	return s.writeAudited(ctx, func(t tx) error {
		_, err := t.exec(ctx, `INSERT INTO settings (name, value) VALUES ('master_token', ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, token)
		return err
	})
}
