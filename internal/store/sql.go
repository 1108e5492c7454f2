package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// dialect is what differs between the SQL engines; the queries themselves are shared.
type dialect struct {
	name string
	// placeholder turns the shared "?" placeholders into the engine's own.
	placeholder func(query string) string
	// forUpdate locks the rows a write transaction reads (PostgreSQL); SQLite's write transactions
	// already hold the database lock.
	forUpdate string
	// isUniqueViolation tells a lost race on a unique key, so the transaction can be run again.
	isUniqueViolation func(error) bool
}

// sqlStore implements Store on database/sql. Reads go to rdb, writes to wdb: for SQLite wdb has a
// single connection, so writers queue in Go instead of spinning on SQLITE_BUSY.
type sqlStore struct {
	rdb, wdb *sql.DB
	d        dialect
	now      func() time.Time
}

var _ Store = (*sqlStore)(nil)

// timeFormat is fixed-width so that times stored as text sort in time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

func encodeList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func decodeList(s string) []string {
	l := []string{}
	_ = json.Unmarshal([]byte(s), &l)
	return l
}

// tokenHash is what the database indexes tokens by, so that finding the owner of a token does not
// compare secrets in SQL.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// tx wraps a transaction so that queries are written once with "?" placeholders.
type tx struct {
	q querier
	d dialect
}

func (t tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(ctx, t.d.placeholder(query), args...)
}

func (t tx) row(ctx context.Context, query string, args ...any) *sql.Row {
	return t.q.QueryRowContext(ctx, t.d.placeholder(query), args...)
}

func (t tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(ctx, t.d.placeholder(query), args...)
}

// write runs fn in a write transaction. A unique-key race with another writer (two creates of the
// same customer on PostgreSQL) runs fn again, when it will see the other writer's row.
func (s *sqlStore) write(ctx context.Context, fn func(t tx) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = s.runTx(ctx, s.wdb, fn)
		if err == nil || !s.d.isUniqueViolation(err) {
			return err
		}
	}
	return err
}

// read runs fn in a read transaction, so that a customer and its users and accounts are read from
// one snapshot.
func (s *sqlStore) read(ctx context.Context, fn func(t tx) error) error {
	return s.runTx(ctx, s.rdb, fn)
}

// txBeginner is a *sql.DB or one *sql.Conn of it.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *sqlStore) runTx(ctx context.Context, db txBeginner, fn func(t tx) error) error {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx{q: sqlTx, d: s.d}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// writeAudited is write that also records the context's pending audit entry in the same
// transaction.
func (s *sqlStore) writeAudited(ctx context.Context, fn func(t tx) error) error {
	entry := pendingAudit(ctx)
	if entry == nil {
		return s.write(ctx, fn)
	}
	if entry.At.IsZero() {
		entry.At = s.now()
	}
	err := s.write(ctx, func(t tx) error {
		if err := fn(t); err != nil {
			return err
		}
		entry.Outcome = OutcomeOK
		return insertAudit(ctx, t, entry)
	})
	entry.recorded = err == nil
	return err
}

func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.wdb.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return s.rdb.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

func (s *sqlStore) Close() error {
	err := s.rdb.Close()
	if s.wdb != s.rdb {
		err = errors.Join(err, s.wdb.Close())
	}
	return err
}

// --- diagnostic accounts

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

// --- master token

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

// --- customers

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

func errNoCustomer(name string) error {
	return fmt.Errorf("%w: customer %q does not exist", ErrNotFound, name)
}

func checkPrecondition(name string, version int64, found bool, pre Precondition) error {
	switch {
	case pre.MustNotExist && found:
		return fmt.Errorf("%w: customer %q already exists (If-None-Match: *)", ErrPreconditionFailed, name)
	case (pre.MustExist || pre.Version != 0) && !found:
		return fmt.Errorf("%w: customer %q does not exist (If-Match)", ErrPreconditionFailed, name)
	case pre.Version != 0 && pre.Version != version:
		return fmt.Errorf("%w: customer %q has changed since it was read (If-Match)", ErrPreconditionFailed, name)
	}
	return nil
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

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func (s *sqlStore) PutCustomer(ctx context.Context, name string, spec CustomerSpec, externalID string, pre Precondition) (Customer, bool, error) {
	var out Customer
	var created bool
	err := s.writeAudited(ctx, func(t tx) error {
		version, found, err := s.lockCustomer(ctx, t, name)
		if err != nil {
			return err
		}
		if err := checkPrecondition(name, version, found, pre); err != nil {
			return err
		}
		if err := s.checkDiag(ctx, t, spec.DiagAccount); err != nil {
			return err
		}
		created = !found
		if err := s.upsertCustomer(ctx, t, name, spec, externalID, found); err != nil {
			return err
		}
		out, err = getCustomer(ctx, t, name)
		return err
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
	err := t.row(ctx, `SELECT name, diag_account, external_id, aws_region, regions, auto_run_finders, version, created_at, updated_at
		FROM customers WHERE name = ?`, name).
		Scan(&c.Name, &diag, &c.ExternalID, &c.AWSRegion, &regions, &c.AutoRunFinders, &c.Version, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNoCustomer(name)
	}
	if err != nil {
		return c, err
	}
	c.DiagAccount, c.Regions = diag.String, decodeList(regions)
	c.CreatedAt, c.UpdatedAt = parseTime(created), parseTime(updated)
	if c.DiagAccount != "" {
		d, err := getDiag(ctx, t, c.DiagAccount)
		if err != nil {
			return c, err
		}
		c.Diag = &d
	}
	users, err := listUsers(ctx, t, name)
	if err != nil {
		return c, err
	}
	c.Users = make([]string, 0, len(users))
	for _, u := range users {
		c.Users = append(c.Users, u.Name)
	}
	c.Accounts, err = listAccounts(ctx, t, name)
	return c, err
}

func (s *sqlStore) GetCustomer(ctx context.Context, name string) (Customer, error) {
	var c Customer
	err := s.read(ctx, func(t tx) (err error) {
		c, err = getCustomer(ctx, t, name)
		return err
	})
	return c, err
}

func (s *sqlStore) ListCustomers(ctx context.Context) ([]CustomerSummary, error) {
	var out []CustomerSummary
	err := s.read(ctx, func(t tx) error {
		rows, err := t.query(ctx, `SELECT c.name, COALESCE(c.diag_account, ''), COALESCE(d.status, '')
			FROM customers c LEFT JOIN diag_accounts d ON d.name = c.diag_account ORDER BY c.name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var cs CustomerSummary
			var diagStatus string
			if err := rows.Scan(&cs.Name, &cs.DiagAccount, &diagStatus); err != nil {
				return err
			}
			cs.DiagStatus = DiagAccountUnavailable
			if diagStatus == DiagReady {
				cs.DiagStatus = DiagReady
			}
			out = append(out, cs)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// Role status needs each customer's accounts; one query for all of them.
		states, err := t.query(ctx, `SELECT customer, state FROM aws_accounts`)
		if err != nil {
			return err
		}
		defer states.Close()
		byCustomer := map[string][]AWSAccount{}
		for states.Next() {
			var a AWSAccount
			if err := states.Scan(&a.Customer, &a.State); err != nil {
				return err
			}
			byCustomer[a.Customer] = append(byCustomer[a.Customer], a)
		}
		for i := range out {
			out[i].RoleStatus = RoleStatus(byCustomer[out[i].Name])
		}
		return states.Err()
	})
	return out, err
}

func (s *sqlStore) DeleteCustomer(ctx context.Context, name string, pre Precondition) error {
	return s.writeAudited(ctx, func(t tx) error {
		version, found, err := s.lockCustomer(ctx, t, name)
		if err != nil {
			return err
		}
		if err := checkPrecondition(name, version, found, pre); err != nil {
			return err
		}
		if !found {
			return errNoCustomer(name)
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
		return nil
	})
}

// --- users

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

// deleteChild removes one user or AWS account of a customer and gives the customer a new version.
func (s *sqlStore) deleteChild(ctx context.Context, customer, query string, notFound error, args ...any) error {
	return s.writeAudited(ctx, func(t tx) error {
		if _, found, err := s.lockCustomer(ctx, t, customer); err != nil {
			return err
		} else if !found {
			return errNoCustomer(customer)
		}
		res, err := t.exec(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound
		}
		return s.touchCustomer(ctx, t, customer)
	})
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

func (s *sqlStore) Provision(ctx context.Context, customer, user, diag, externalID string, key NewKey) (User, error) {
	var u User
	err := s.writeAudited(ctx, func(t tx) error {
		if err := s.checkDiag(ctx, t, diag); err != nil {
			return err
		}
		_, found, err := s.lockCustomer(ctx, t, customer)
		if err != nil {
			return err
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
			return err
		}
		u, _, err = s.putUser(ctx, t, customer, user, key)
		return err
	})
	return u, err
}

// DefaultAWSRegion is the region of a customer that names none.
const DefaultAWSRegion = "us-east-1"

// --- AWS accounts

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
