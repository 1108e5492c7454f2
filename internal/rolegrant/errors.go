// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package rolegrant

import (
	"errors"
	"fmt"
)

// ErrNoDiagAccount is what TrustOf returns (wrapped) for a customer without a diagnostic account:
// the trust policy names that account, so no role can be made before the customer has one.
var ErrNoDiagAccount = errors.New("the customer has no diag account")

// ErrInvalidRole is matched (errors.Is) by Grant's and Update's error when the role spec is not
// valid; nothing was called.
var ErrInvalidRole = errors.New("the role is not valid")

// WrongAccountError says that the credentials reach another AWS account than the one the role is
// for. Nothing was done.
type WrongAccountError struct {
	Declared string // the account the role is for
	Reached  string // the account the credentials reach
	Op       string // what was refused: "create", "read", "update" or "delete"
}

func (e *WrongAccountError) Error() string {
	return fmt.Sprintf("the AWS credentials reach account %s, but the role is for account %s: refusing to %s it there",
		e.Reached, e.Declared, e.Op)
}

// CheckAccount returns a *WrongAccountError when declared is not reached.
func CheckAccount(declared, reached, op string) error {
	if declared != reached {
		return &WrongAccountError{Declared: declared, Reached: reached, Op: op}
	}
	return nil
}

// PlatformError is a control-plane call that failed. Err is the client's error (errors.Is works
// with client.ErrNotFound and the like through it); Doing says what the call was for, in the
// gerund, such as `registering AWS account 123456789012 of customer "acme.com"`.
type PlatformError struct {
	Doing string
	Err   error
}

func (e *PlatformError) Error() string { return e.Doing + ": " + e.Err.Error() }

func (e *PlatformError) Unwrap() error { return e.Err }

func platformError(err error, format string, args ...any) error {
	return &PlatformError{Doing: fmt.Sprintf(format, args...), Err: err}
}

// RegisteredElsewhereError is Grant's refusal when the platform already has the account done with
// another role: the platform registers one role per customer and account. Nothing was changed.
type RegisteredElsewhereError struct {
	Customer  string
	AccountID string
	RoleARN   string // the role the platform has
	RoleName  string // the role Grant was asked for
}

func (e *RegisteredElsewhereError) Error() string {
	return fmt.Sprintf("AWS account %s of customer %q is already registered with role %s", e.AccountID, e.Customer, e.RoleARN)
}

// NotCreatedError is Grant's error when CreateRole made nothing (Err: awsrole.ErrRoleExists for a
// role someone else has, or any other IAM error), after the platform's record was put back as it
// was. RestoreErr, when not nil, says that the record could not be put back (it is then
// in-progress, which a later grant or revoke overwrites).
type NotCreatedError struct {
	Err        error
	RestoreErr error
}

func (e *NotCreatedError) Error() string { return e.Err.Error() }

func (e *NotCreatedError) Unwrap() error { return e.Err }

// RolledBackError is Grant's error when a step after CreateRole failed (Cause) and the role was
// deleted again: nothing is left in AWS. RestoreErr, when not nil, says that the platform's record
// could not be put back as it was (it is then in-progress, which a later grant or revoke
// overwrites).
type RolledBackError struct {
	RoleName   string
	Cause      error
	RestoreErr error
}

func (e *RolledBackError) Error() string {
	return fmt.Sprintf("%v; IAM role %s was deleted again", e.Cause, e.RoleName)
}

func (e *RolledBackError) Unwrap() error { return e.Cause }

// LeftBehindError is Grant's error when a step after CreateRole failed (Cause) and deleting the
// role again failed too (DeleteErr): the role exists, or may (RoleARN is empty when CreateRole
// itself was cut short). The caller must record it, so that it is replaced or revoked later; the
// platform's record is left in-progress.
type LeftBehindError struct {
	RoleName  string
	RoleARN   string
	Cause     error
	DeleteErr error
}

func (e *LeftBehindError) Error() string {
	return fmt.Sprintf("%v; deleting IAM role %s again failed too: %v", e.Cause, e.RoleName, e.DeleteErr)
}

func (e *LeftBehindError) Unwrap() error { return e.Cause }
