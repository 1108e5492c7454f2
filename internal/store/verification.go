// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// VerifyJob is a leased verification: the account, what the platform needs to assume its role,
// and the lease that FinishVerification must still hold.
type VerifyJob struct {
	Customer   string
	AccountID  string
	RoleARN    string
	ExternalID string
	Diag       *DiagAccount // the customer's diag account; nil when it has none

	ExpiresAt    *time.Time   // the account's; a refusal after it is the expiry, not a fault
	Verification Verification // as it stands
	RetryUntil   time.Time    // zero: a refusal is final
	Attempts     int          // attempts within the retry window so far

	Holder     string
	LeaseUntil time.Time
}

// VerifyOutcome is what FinishVerification records.
type VerifyOutcome struct {
	Verification Verification
	NextDue      time.Time // zero: not due again
	RetryUntil   time.Time // zero: the window is over
	Attempts     int
}

// fmtOptTime is fmtTime, with ” for the zero time.
func fmtOptTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtTime(t)
}

func parseOptTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return parseTime(s)
}

// claimable is the condition of an account another holder does not lease at now.
const claimable = `state = 'done' AND verify_lease_until < ?`

func (s *sqlStore) ClaimDueVerifications(ctx context.Context, holder string, leaseFor time.Duration, limit int) ([]VerifyJob, error) {
	var jobs []VerifyJob
	err := s.write(ctx, func(t tx) error {
		jobs = nil
		now := s.now()
		nowText, until := fmtTime(now), fmtTime(now.Add(leaseFor))
		type key struct{ customer, account string }
		due, err := queryAll(ctx, t, func(sc scanner) (k key, err error) {
			err = sc.Scan(&k.customer, &k.account)
			return k, err
		}, `SELECT customer, account_id FROM aws_accounts WHERE `+claimable+` AND verify_due_at <> '' AND verify_due_at <= ?
			ORDER BY verify_due_at LIMIT ?`+s.d.skipLocked, nowText, nowText, limit)
		if err != nil {
			return err
		}
		for _, k := range due {
			// The condition again: on PostgreSQL another server may have leased the row between
			// the SELECT and here (it was not locked yet, or the lock was skipped), and
			// UPDATE re-reads the committed row.
			res, err := t.exec(ctx, `UPDATE aws_accounts SET verify_lease_until = ?, verify_lease_holder = ?
				WHERE customer = ? AND account_id = ? AND `+claimable+` AND verify_due_at <> '' AND verify_due_at <= ?`,
				until, holder, k.customer, k.account, nowText, nowText)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				continue
			}
			job, err := verifyJob(ctx, t, k.customer, k.account)
			if err != nil {
				return err
			}
			jobs = append(jobs, job)
		}
		return nil
	})
	return jobs, err
}

func (s *sqlStore) ClaimVerification(ctx context.Context, customer, accountID, holder string, leaseFor time.Duration) (VerifyJob, error) {
	var job VerifyJob
	err := s.write(ctx, func(t tx) error {
		now := s.now()
		a, err := getAccount(ctx, t, customer, accountID)
		if err != nil {
			return err
		}
		if a.State != StateDone {
			return fmt.Errorf("%w: AWS account %s of customer %q is %s, not done: only a registered role (done, with its role_arn) is verified",
				ErrInvalid, accountID, customer, a.State)
		}
		res, err := t.exec(ctx, `UPDATE aws_accounts SET verify_lease_until = ?, verify_lease_holder = ?
			WHERE customer = ? AND account_id = ? AND `+claimable,
			fmtTime(now.Add(leaseFor)), holder, customer, accountID, fmtTime(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: a verification of AWS account %s of customer %q is under way", ErrConflict, accountID, customer)
		}
		job, err = verifyJob(ctx, t, customer, accountID)
		return err
	})
	return job, err
}

// verifyJob reads what a verification of the account needs, with its lease.
func verifyJob(ctx context.Context, t tx, customer, accountID string) (VerifyJob, error) {
	var j VerifyJob
	var diag sql.NullString
	var retry, lease string
	var v verificationText
	var expires sql.NullString
	err := t.row(ctx, `SELECT a.customer, a.account_id, a.role_arn, c.external_id, c.diag_account,
		`+verificationColumns("a.")+`, a.verify_retry_until, a.verify_attempts, a.verify_lease_holder, a.verify_lease_until, a.expires_at
		FROM aws_accounts a JOIN customers c ON c.name = a.customer WHERE a.customer = ? AND a.account_id = ?`, customer, accountID).
		Scan(&j.Customer, &j.AccountID, &j.RoleARN, &j.ExternalID, &diag,
			&v.state, &v.message, &v.checkedAt, &v.assumedRoleARN, &retry, &j.Attempts, &j.Holder, &lease, &expires)
	j.ExpiresAt = optTime(expires)
	if errors.Is(err, sql.ErrNoRows) {
		return j, errNoAccount(customer, accountID)
	}
	if err != nil {
		return j, err
	}
	j.Verification, j.RetryUntil, j.LeaseUntil = v.value(), parseOptTime(retry), parseOptTime(lease)
	if diag.String != "" {
		d, err := getDiag(ctx, t, diag.String)
		if err != nil {
			return j, err
		}
		j.Diag = &d
	}
	return j, nil
}

func (s *sqlStore) FinishVerification(ctx context.Context, job VerifyJob, out VerifyOutcome) (bool, error) {
	var held bool
	err := s.write(ctx, func(t tx) error {
		v := out.Verification
		var before string
		err := t.row(ctx, `SELECT verification_state FROM aws_accounts WHERE customer = ? AND account_id = ?`+s.d.forUpdate,
			job.Customer, job.AccountID).Scan(&before)
		if errors.Is(err, sql.ErrNoRows) {
			held = false
			return nil
		}
		if err != nil {
			return err
		}
		// The role the verification assumed must still be the account's, and the lease still the
		// job's: a purge, a removal or a new role_arn meanwhile drops this verdict.
		res, err := t.exec(ctx, `UPDATE aws_accounts SET verification_state = ?, verification_message = ?,
			verification_checked_at = ?, verification_assumed_role_arn = ?, verify_due_at = ?, verify_retry_until = ?,
			verify_attempts = ?, verify_lease_until = '', verify_lease_holder = ''
			WHERE customer = ? AND account_id = ? AND state = 'done' AND role_arn = ? AND verify_lease_holder = ?`,
			v.State, clip(v.Message, maxVerificationMessage), fmtOptTime(v.CheckedAt), v.AssumedRoleARN,
			fmtOptTime(out.NextDue), fmtOptTime(out.RetryUntil), out.Attempts,
			job.Customer, job.AccountID, job.RoleARN, job.Holder)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		held = n == 1
		// A verdict is news when it changes: the periodic checks of a role that still works
		// tell no one.
		if !held || v.State == before || (v.State != VerifyVerified && v.State != VerifyFailed) {
			return nil
		}
		p, err := accountPayload(ctx, t, job.Customer, job.AccountID)
		if err != nil {
			return err
		}
		typ := EventAccountVerified
		if v.State == VerifyFailed {
			typ = EventAccountFailed
		}
		return s.appendEvent(ctx, t, typ, job.Customer, p)
	})
	return held, err
}

// maxVerificationMessage bounds what AWS's answer may add to a row.
const maxVerificationMessage = 2048

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}

// verificationText is the verification columns as stored.
type verificationText struct{ state, message, checkedAt, assumedRoleARN string }

func (v verificationText) value() Verification {
	return Verification{State: v.state, Message: v.message, CheckedAt: parseOptTime(v.checkedAt), AssumedRoleARN: v.assumedRoleARN}
}

func verificationColumns(prefix string) string {
	return prefix + "verification_state, " + prefix + "verification_message, " + prefix + "verification_checked_at, " +
		prefix + "verification_assumed_role_arn"
}

func (s *sqlStore) NextVerificationDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullString
	err := s.read(ctx, func(t tx) error {
		return t.row(ctx, `SELECT MIN(CASE WHEN verify_lease_until > verify_due_at THEN verify_lease_until ELSE verify_due_at END)
			FROM aws_accounts WHERE state = 'done' AND verify_due_at <> ''`).Scan(&next)
	})
	if err != nil || !next.Valid || next.String == "" {
		return time.Time{}, false, err
	}
	return parseTime(next.String), true, nil
}
