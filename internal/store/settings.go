// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

func (s *sqlStore) MasterToken(ctx context.Context, candidate string) (string, error) {
	var token string
	err := s.write(ctx, func(t tx) error {
		if _, err := t.exec(ctx, `INSERT INTO settings (name, value) VALUES ('master_token', ?) ON CONFLICT (name) DO NOTHING`,
			t.keys.Seal(masterWhere, []byte(candidate))); err != nil {
			return err
		}
		var err error
		token, err = readMasterToken(ctx, t)
		return err
	})
	return token, err
}

func (s *sqlStore) SetMasterToken(ctx context.Context, token string) error {
	return s.writeRecorded(ctx, func(t tx) (Written, error) {
		_, err := t.exec(ctx, `INSERT INTO settings (name, value) VALUES ('master_token', ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, t.keys.Seal(masterWhere, []byte(token)))
		return Written{MasterToken: token}, err
	})
}

func (s *sqlStore) ReadMasterToken(ctx context.Context) (string, error) {
	return readValue(ctx, s, func(t tx) (string, error) { return readMasterToken(ctx, t) })
}

func readMasterToken(ctx context.Context, t tx) (string, error) {
	var sealed string
	err := t.row(ctx, `SELECT value FROM settings WHERE name = 'master_token'`).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: there is no master token", ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	token, err := t.keys.Open(masterWhere, sealed)
	if err != nil {
		return "", fmt.Errorf("the master token: %w", err)
	}
	return string(token), nil
}
