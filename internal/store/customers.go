// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// lockCustomer reads a customer's version, locking its row for the rest of the transaction;
// found is false when there is no such customer.
func (s *sqlStore) lockCustomer(ctx context.Context, t tx, name string) (version int64, found bool, err error) {
	err = t.row(ctx, `SELECT version FROM customers WHERE name = ?`+s.d.forUpdate, name).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return version, err == nil, err
}

// touchCustomer records a change to the customer or to something of it: new version, new ETag.
func (s *sqlStore) touchCustomer(ctx context.Context, t tx, name string) error {
	_, err := t.exec(ctx, `UPDATE customers SET version = version + 1, updated_at = ? WHERE name = ?`, fmtTime(s.now()), name)
	return err
}

// lockExistingCustomer is lockCustomer for a write that needs the customer to exist.
func (s *sqlStore) lockExistingCustomer(ctx context.Context, t tx, name string) error {
	_, found, err := s.lockCustomer(ctx, t, name)
	if err == nil && !found {
		return errNoCustomer(name)
	}
	return err
}

func errNoCustomer(name string) error {
	return fmt.Errorf("%w: customer %q does not exist", ErrNotFound, name)
}

// lockCustomerIf is lockCustomer for a write that checks a precondition on the customer.
func (s *sqlStore) lockCustomerIf(ctx context.Context, t tx, name string, pre Precondition) (found bool, err error) {
	version, found, err := s.lockCustomer(ctx, t, name)
	if err != nil {
		return false, err
	}
	return found, pre.check(fmt.Sprintf("customer %q", name), version, found)
}

func (s *sqlStore) checkDiag(ctx context.Context, t tx, name string) error {
	if name == "" {
		return nil
	}
	var n int
	if err := t.row(ctx, `SELECT COUNT(*) FROM diag_accounts WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: diag_account %q does not exist", ErrInvalid, name)
	}
	return nil
}

func (s *sqlStore) PutCustomer(ctx context.Context, name string, spec CustomerSpec, externalID string, pre Precondition) (Customer, bool, error) {
	var out Customer
	var created bool
	err := s.writeRecorded(ctx, func(t tx) (Written, error) {
		found, err := s.lockCustomerIf(ctx, t, name, pre)
		if err != nil {
			return Written{}, err
		}
		if err := s.checkDiag(ctx, t, spec.DiagAccount); err != nil {
			return Written{}, err
		}
		created = !found
		if err := s.upsertCustomer(ctx, t, name, spec, externalID, found); err != nil {
			return Written{}, err
		}
		if out, err = getCustomer(ctx, t, name); err != nil {
			return Written{}, err
		}
		typ := EventCustomerUpdated
		if created {
			typ = EventCustomerCreated
		}
		return Written{Customer: out, Created: created}, s.appendEvent(ctx, t, typ, name, customerPayload(out))
	})
	return out, created, err
}

func (s *sqlStore) upsertCustomer(ctx context.Context, t tx, name string, spec CustomerSpec, externalID string, exists bool) error {
	now := fmtTime(s.now())
	if exists {
		_, err := t.exec(ctx, `UPDATE customers SET diag_account = ?, aws_region = ?, regions = ?, auto_run_finders = ?,
			version = version + 1, updated_at = ? WHERE name = ?`,
			nullable(spec.DiagAccount), spec.AWSRegion, encodeList(spec.Regions), spec.AutoRunFinders, now, name)
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO customers (name, diag_account, external_id, aws_region, regions, auto_run_finders,
		version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		name, nullable(spec.DiagAccount), externalID, spec.AWSRegion, encodeList(spec.Regions), spec.AutoRunFinders, now, now)
	return err
}

func getCustomer(ctx context.Context, t tx, name string) (Customer, error) {
	var c Customer
	var diag sql.NullString
	var regions, created, updated string
	// The diagnostic account comes in the same query: a GET customer is the API's most frequent
	// read, and each statement costs more than the join.
	var d struct{ name, accountID, principalARN, region, status, created, updated sql.NullString }
	err := t.row(ctx, `SELECT c.name, c.diag_account, c.external_id, c.aws_region, c.regions, c.auto_run_finders, c.version,
		c.created_at, c.updated_at, d.name, d.account_id, d.principal_arn, d.region, d.status, d.created_at, d.updated_at
		FROM customers c LEFT JOIN diag_accounts d ON d.name = c.diag_account WHERE c.name = ?`, name).
		Scan(&c.Name, &diag, &c.ExternalID, &c.AWSRegion, &regions, &c.AutoRunFinders, &c.Version, &created, &updated,
			&d.name, &d.accountID, &d.principalARN, &d.region, &d.status, &d.created, &d.updated)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNoCustomer(name)
	}
	if err != nil {
		return c, err
	}
	c.DiagAccount, c.Regions = diag.String, decodeList(regions)
	c.CreatedAt, c.UpdatedAt = parseTime(created), parseTime(updated)
	if c.DiagAccount != "" {
		if !d.name.Valid {
			return c, fmt.Errorf("%w: diag account %q does not exist", ErrNotFound, c.DiagAccount)
		}
		c.Diag = &DiagAccount{Name: d.name.String, AccountID: d.accountID.String, PrincipalARN: d.principalARN.String,
			Region: d.region.String, Status: d.status.String, CreatedAt: parseTime(d.created.String), UpdatedAt: parseTime(d.updated.String)}
	}
	if c.Users, err = userNames(ctx, t, name); err != nil {
		return c, err
	}
	c.Accounts, err = listAccounts(ctx, t, name)
	return c, err
}

func (s *sqlStore) GetCustomer(ctx context.Context, name string) (Customer, error) {
	return readValue(ctx, s, func(t tx) (Customer, error) { return getCustomer(ctx, t, name) })
}

func (s *sqlStore) ListCustomers(ctx context.Context) ([]CustomerSummary, error) {
	return readValue(ctx, s, func(t tx) ([]CustomerSummary, error) {
		out, err := queryAll(ctx, t, func(sc scanner) (CustomerSummary, error) {
			var cs CustomerSummary
			var diagStatus string
			err := sc.Scan(&cs.Name, &cs.DiagAccount, &diagStatus)
			cs.DiagStatus = DiagAccountUnavailable
			if diagStatus == DiagReady {
				cs.DiagStatus = DiagReady
			}
			return cs, err
		}, `SELECT c.name, COALESCE(c.diag_account, ''), COALESCE(d.status, '')
			FROM customers c LEFT JOIN diag_accounts d ON d.name = c.diag_account ORDER BY c.name`)
		if err != nil {
			return nil, err
		}
		// Role status needs each customer's accounts; one query for all of them.
		states, err := queryAll(ctx, t, func(sc scanner) (a AWSAccount, err error) {
			err = sc.Scan(&a.Customer, &a.State)
			return a, err
		}, `SELECT customer, state FROM aws_accounts`)
		if err != nil {
			return nil, err
		}
		byCustomer := map[string][]AWSAccount{}
		for _, a := range states {
			byCustomer[a.Customer] = append(byCustomer[a.Customer], a)
		}
		for i := range out {
			out[i].RoleStatus = RoleStatus(byCustomer[out[i].Name])
		}
		return out, nil
	})
}

func (s *sqlStore) DeleteCustomer(ctx context.Context, name string, pre Precondition) error {
	return s.writeAudited(ctx, func(t tx) error {
		found, err := s.lockCustomerIf(ctx, t, name, pre)
		if err != nil {
			return err
		}
		if !found {
			return errNoCustomer(name)
		}
		c, err := getCustomer(ctx, t, name)
		if err != nil {
			return err
		}
		gone := customerPayload(c)
		gone.Users = c.Users
		for _, a := range c.Accounts {
			gone.Accounts = append(gone.Accounts, a.AccountID)
		}
		for _, q := range []string{
			`DELETE FROM users WHERE customer = ?`,
			`DELETE FROM aws_accounts WHERE customer = ?`,
			`DELETE FROM customers WHERE name = ?`,
		} {
			if _, err := t.exec(ctx, q, name); err != nil {
				return err
			}
		}
		return s.appendEvent(ctx, t, EventCustomerDeleted, name, gone)
	})
}

func customerExists(ctx context.Context, t tx, name string) error {
	var n int
	if err := t.row(ctx, `SELECT COUNT(*) FROM customers WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return errNoCustomer(name)
	}
	return nil
}

// child is a user or AWS account of a customer: how to find its version, and how to name it.
type child struct {
	customer string
	what     string // `user "joe" of customer "acme.com"`
	table    string // users or aws_accounts
	key      string // name or account_id
	value    string
	notFound error
}

// lockChild locks the child's customer and checks pre against the child's version; found tells
// whether the child exists.
func (s *sqlStore) lockChild(ctx context.Context, t tx, c child, pre Precondition) (found bool, err error) {
	if err := s.lockExistingCustomer(ctx, t, c.customer); err != nil {
		return false, err
	}
	var version int64
	err = t.row(ctx, `SELECT version FROM `+c.table+` WHERE customer = ? AND `+c.key+` = ?`, c.customer, c.value).Scan(&version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, pre.check(c.what, 0, false)
	case err != nil:
		return false, err
	}
	return true, pre.check(c.what, version, true)
}

// deleteChild removes one user or AWS account of a customer and gives the customer a new version.
func (s *sqlStore) deleteChild(ctx context.Context, c child, pre Precondition) error {
	return s.writeAudited(ctx, func(t tx) error {
		found, err := s.lockChild(ctx, t, c, pre)
		switch {
		case err != nil:
			return err
		case !found:
			return c.notFound
		}
		typ, payload, err := deletedEvent(ctx, t, c)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM `+c.table+` WHERE customer = ? AND `+c.key+` = ?`, c.customer, c.value); err != nil {
			return err
		}
		if err := s.touchCustomer(ctx, t, c.customer); err != nil {
			return err
		}
		return s.appendEvent(ctx, t, typ, c.customer, payload)
	})
}

func (s *sqlStore) Provision(ctx context.Context, customer, user, diag, externalID string, key NewKey) (User, error) {
	var u User
	err := s.writeRecorded(ctx, func(t tx) (Written, error) {
		if err := s.checkDiag(ctx, t, diag); err != nil {
			return Written{}, err
		}
		_, found, err := s.lockCustomer(ctx, t, customer)
		if err != nil {
			return Written{}, err
		}
		switch {
		case !found:
			spec := CustomerSpec{DiagAccount: diag, AWSRegion: DefaultAWSRegion, AutoRunFinders: true}
			err = s.upsertCustomer(ctx, t, customer, spec, externalID, false)
		case diag != "":
			_, err = t.exec(ctx, `UPDATE customers SET diag_account = ?, version = version + 1, updated_at = ? WHERE name = ?`,
				diag, fmtTime(s.now()), customer)
		}
		if err != nil {
			return Written{}, err
		}
		var created bool
		if u, created, err = s.putUser(ctx, t, customer, user, key, expiry{keep: true}); err != nil {
			return Written{}, err
		}
		// The events come after every row the write touches (appendEvent), in the order a
		// consumer acts on them: the customer before its user.
		switch {
		case !found:
			err = s.customerEvent(ctx, t, EventCustomerCreated, customer)
		case diag != "":
			err = s.customerEvent(ctx, t, EventCustomerUpdated, customer)
		}
		if err == nil && created {
			err = s.appendEvent(ctx, t, EventUserProvisioned, customer, userPayload(u))
		}
		return Written{User: u, Created: created}, err
	})
	return u, err
}

// DefaultAWSRegion is the region of a customer that names none.
const DefaultAWSRegion = "us-east-1"
