package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const userColumns = "customer, name, key_id, token, created_at, updated_at"

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, updated string
	err := sc.Scan(&u.Customer, &u.Name, &u.KeyID, &u.Token, &created, &updated)
	u.CreatedAt, u.UpdatedAt = parseTime(created), parseTime(updated)
	return u, err
}

func getUser(ctx context.Context, t tx, customer, name string) (User, error) {
	u, err := scanUser(t.row(ctx, `SELECT `+userColumns+` FROM users WHERE customer = ? AND name = ?`, customer, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("%w: user %q of customer %q does not exist", ErrNotFound, name, customer)
	}
	return u, err
}

func listUsers(ctx context.Context, t tx, customer string) ([]User, error) {
	rows, err := t.query(ctx, `SELECT `+userColumns+` FROM users WHERE customer = ? ORDER BY name`, customer)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// putUser creates the user unless it exists; the caller holds the customer's lock.
func (s *sqlStore) putUser(ctx context.Context, t tx, customer, name string, key NewKey) (User, bool, error) {
	u, err := getUser(ctx, t, customer, name)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return u, false, err
	}
	now := fmtTime(s.now())
	if _, err := t.exec(ctx, `INSERT INTO users (customer, name, key_id, token, token_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, customer, name, key.KeyID, key.Token, tokenHash(key.Token), now, now); err != nil {
		return u, false, err
	}
	if err := s.touchCustomer(ctx, t, customer); err != nil {
		return u, false, err
	}
	u, err = getUser(ctx, t, customer, name)
	return u, true, err
}

func (s *sqlStore) PutUser(ctx context.Context, customer, name string, key NewKey) (User, bool, error) {
	var u User
	var created bool
	err := s.writeAudited(ctx, func(t tx) error {
		_, found, err := s.lockCustomer(ctx, t, customer)
		if err != nil {
			return err
		}
		if !found {
			return errNoCustomer(customer)
		}
		u, created, err = s.putUser(ctx, t, customer, name, key)
		return err
	})
	return u, created, err
}

func (s *sqlStore) GetUser(ctx context.Context, customer, name string) (User, error) {
	var u User
	err := s.read(ctx, func(t tx) (err error) {
		u, err = getUser(ctx, t, customer, name)
		return err
	})
	return u, err
}

func (s *sqlStore) ListUsers(ctx context.Context, customer string) ([]User, error) {
	var out []User
	err := s.read(ctx, func(t tx) error {
		if err := customerExists(ctx, t, customer); err != nil {
			return err
		}
		var err error
		out, err = listUsers(ctx, t, customer)
		return err
	})
	return out, err
}

func (s *sqlStore) DeleteUser(ctx context.Context, customer, name string) error {
	return s.deleteChild(ctx, customer, `DELETE FROM users WHERE customer = ? AND name = ?`,
		fmt.Errorf("%w: user %q of customer %q does not exist", ErrNotFound, name, customer), customer, name)
}

func (s *sqlStore) RotateUser(ctx context.Context, customer, name string, key NewKey) (User, error) {
	var u User
	err := s.writeAudited(ctx, func(t tx) error {
		if _, found, err := s.lockCustomer(ctx, t, customer); err != nil {
			return err
		} else if !found {
			return errNoCustomer(customer)
		}
		res, err := t.exec(ctx, `UPDATE users SET token = ?, token_hash = ?, updated_at = ? WHERE customer = ? AND name = ?`,
			key.Token, tokenHash(key.Token), fmtTime(s.now()), customer, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: user %q of customer %q does not exist", ErrNotFound, name, customer)
		}
		if err := s.touchCustomer(ctx, t, customer); err != nil {
			return err
		}
		u, err = getUser(ctx, t, customer, name)
		return err
	})
	return u, err
}

func (s *sqlStore) UserByToken(ctx context.Context, token string) (User, error) {
	var u User
	err := s.read(ctx, func(t tx) error {
		var err error
		u, err = scanUser(t.row(ctx, `SELECT `+userColumns+` FROM users WHERE token_hash = ?`, tokenHash(token)))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no user has this token", ErrNotFound)
		}
		return err
	})
	return u, err
}
