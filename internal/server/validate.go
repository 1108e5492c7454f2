// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"regexp"

	"github.com/virtasant/terraform-provider-virtco/internal/names"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// The names follow the rules of the names package, which the provider checks at plan time with
// the same words; the rest of what a request may hold is checked here.

var (
	roleARNRE   = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::([0-9]{12}):role/([\x21-\x7e]{1,510}/)?[A-Za-z0-9+=,.@_-]{1,64}$`)
	principalRE = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::([0-9]{12}):(root|(role|user)/([\x21-\x7e]{1,510}/)?[A-Za-z0-9+=,.@_-]{1,64})$`)
)

// checkName refuses a value of field that breaks rule.
func checkName(field string, rule names.Rule, value string) *apiError {
	if err := rule.Check(value); err != nil {
		return invalid(field, "%s", err)
	}
	return nil
}

func validRegions(field string, regions []string) *apiError {
	seen := map[string]bool{}
	for _, r := range regions {
		if err := checkName(field, names.RegionName, r); err != nil {
			return err
		}
		if seen[r] {
			return invalid(field, "%s lists %q twice; list each region once", field, r)
		}
		seen[r] = true
	}
	return nil
}

func validState(state string) *apiError {
	switch state {
	case store.StatePending, store.StateInProgress, store.StateDone, store.StatePurge:
		return nil
	}
	return invalid("state", "state %q is not valid: it is one of pending, in-progress, done, purge", state)
}

func validDiagStatus(status string) *apiError {
	switch status {
	case store.DiagReady, store.DiagProvisioning, store.DiagUnavailable:
		return nil
	}
	return invalid("status", "status %q is not valid: it is one of ready-for-use, provisioning, unavailable", status)
}

// validRoleARN checks that arn is an IAM role in the given account.
func validRoleARN(arn, accountID string) *apiError {
	m := roleARNRE.FindStringSubmatch(arn)
	if m == nil {
		return invalid("role_arn", "role_arn %q is not an IAM role ARN (arn:aws:iam::<account id>:role/<name>)", arn)
	}
	if m[2] != accountID {
		return invalid("role_arn", "role_arn %q is in account %s, not in account %s", arn, m[2], accountID)
	}
	return nil
}

// validPrincipalARN checks that arn is the root, a role or a user of the given account.
func validPrincipalARN(arn, accountID string) *apiError {
	m := principalRE.FindStringSubmatch(arn)
	if m == nil {
		return invalid("principal_arn", "principal_arn %q is not valid: it is arn:aws:iam::<account id>:root, or a role or user ARN of the diag account", arn)
	}
	if m[2] != accountID {
		return invalid("principal_arn", "principal_arn %q is in account %s, not in the diag account %s", arn, m[2], accountID)
	}
	return nil
}
