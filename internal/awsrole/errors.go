// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// ErrRoleNotFound is what Read, Update and the like return (wrapped; test
// with errors.Is) when IAM answers NoSuchEntity for the role: it was deleted
// outside Terraform, and the resource should plan to create it again.
var ErrRoleNotFound = errors.New("IAM role not found")

// ErrRoleExists is matched (errors.Is) by a *RoleExistsError.
var ErrRoleExists = errors.New("IAM role already exists")

// ErrReplacementRequired is returned (wrapped) by Update when the role's
// name or path would change: IAM cannot do either in place.
var ErrReplacementRequired = errors.New("the change requires replacing the role")

// RoleExistsError is Create's error when a role of that name already exists
// in the account (IAM's EntityAlreadyExists, whatever the case of the name:
// IAM role names are case-insensitive). Nothing was changed. The role is not
// Terraform's to take over silently: the resource should tell the user to
// import it (import id customer/account_id/role_name, with RoleName here and
// the account id from Manager.CallerAccount) or to choose another name.
type RoleExistsError struct {
	RoleName string
	Err      error // the IAM error
}

func (e *RoleExistsError) Error() string {
	return fmt.Sprintf("creating IAM role %s: a role with this name already exists in the account; "+
		"import it to manage it here, or choose another role name: %v", e.RoleName, e.Err)
}

func (e *RoleExistsError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrRoleExists) true.
func (e *RoleExistsError) Is(target error) bool { return target == ErrRoleExists }

// PartialCreateError is Create's error when CreateRole succeeded but a later
// step (PutRolePolicy, or waiting for the role to become visible) failed or
// was cancelled, or when the context ended during CreateRole itself (then
// RoleARN is empty: the role may or may not exist). The role (possibly)
// exists in AWS: the caller must either record it (so that Terraform knows
// it and replaces it on the next apply; a later Read tells whether it
// exists) or remove it with Manager.Delete(RoleName), which succeeds whether
// or not it exists. Err is the step's error.
type PartialCreateError struct {
	RoleName string
	RoleARN  string // "" when CreateRole was interrupted
	Step     string // what failed, e.g. "putting inline policy ..."
	Err      error
}

func (e *PartialCreateError) Error() string {
	if e.RoleARN == "" {
		return fmt.Sprintf("creating IAM role %s: %s: %v", e.RoleName, e.Step, e.Err)
	}
	return fmt.Sprintf("creating IAM role %s: the role was created (%s) but %s failed: %v", e.RoleName, e.RoleARN, e.Step, e.Err)
}

func (e *PartialCreateError) Unwrap() error { return e.Err }

// DeleteConflictError is Delete's error when IAM still refused DeleteRole
// with DeleteConflict after every attempt to empty the role: something keeps
// attaching policies or instance profiles to it. The lists are what was
// still there at the end (best effort: they may be empty if IAM could not
// list them).
type DeleteConflictError struct {
	RoleName         string
	Attempts         int
	InlinePolicies   []string
	ManagedPolicies  []string
	InstanceProfiles []string
	Err              error // the last DeleteConflict
}

func (e *DeleteConflictError) Error() string {
	var still []string
	if len(e.ManagedPolicies) > 0 {
		still = append(still, "managed policies "+strings.Join(e.ManagedPolicies, ", "))
	}
	if len(e.InlinePolicies) > 0 {
		still = append(still, "inline policies "+strings.Join(e.InlinePolicies, ", "))
	}
	if len(e.InstanceProfiles) > 0 {
		still = append(still, "instance profiles "+strings.Join(e.InstanceProfiles, ", "))
	}
	what := "something is still attached to it"
	if len(still) > 0 {
		what = "still attached: " + strings.Join(still, "; ")
	}
	return fmt.Sprintf("deleting IAM role %s: IAM refused to delete it %d times because it is in use (%s); "+
		"something keeps attaching to the role: stop it and try again: %v", e.RoleName, e.Attempts, what, e.Err)
}

func (e *DeleteConflictError) Unwrap() error { return e.Err }

// errorCode returns the AWS error code of err ("NoSuchEntity", ...), or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func isNoSuchEntity(err error) bool { return errorCode(err) == "NoSuchEntity" }

// isInvalidPrincipal reports IAM's refusal of a principal it does not know
// yet (a newly created role or user propagates slowly).
func isInvalidPrincipal(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "MalformedPolicyDocument" &&
		strings.Contains(ae.ErrorMessage(), "Invalid principal in policy")
}
