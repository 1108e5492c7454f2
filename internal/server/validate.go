package server

import (
	"regexp"
	"strings"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// The naming rules of the API. Each check returns an error that says what is allowed.

var (
	nameRE      = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	labelRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$`)
	roleARNRE   = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::([0-9]{12}):role/([\x21-\x7e]{1,510}/)?[A-Za-z0-9+=,.@_-]{1,64}$`)
	principalRE = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::([0-9]{12}):(root|(role|user)/([\x21-\x7e]{1,510}/)?[A-Za-z0-9+=,.@_-]{1,64})$`)
)

func validCustomer(name string) *apiError {
	const allowed = "a customer name is a lower-case DNS domain such as acme.com: at least two labels separated by dots, " +
		"each 1-63 characters of a-z, 0-9 and '-' (not starting or ending with '-'), at most 253 characters in all"
	labels := strings.Split(name, ".")
	if len(name) > 253 || len(labels) < 2 {
		return invalid("customer %q is not valid: %s", name, allowed)
	}
	for _, l := range labels {
		if !labelRE.MatchString(l) {
			return invalid("customer %q is not valid: %s", name, allowed)
		}
	}
	return nil
}

// onlyDots are names a URL path cannot carry as a segment.
func onlyDots(name string) bool { return strings.Trim(name, ".") == "" }

func validUser(name string) *apiError {
	if !nameRE.MatchString(name) || onlyDots(name) {
		return invalid("user %q is not valid: a user name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-', not only dots", name)
	}
	return nil
}

func validDiagName(name string) *apiError {
	if !nameRE.MatchString(name) || onlyDots(name) {
		return invalid("diag account name %q is not valid: it is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-', not only dots", name)
	}
	return nil
}

func validAccountID(field, id string) *apiError {
	if !accountRE.MatchString(id) {
		return invalid("%s %q is not valid: an AWS account id is exactly 12 digits", field, id)
	}
	return nil
}

func validRegion(field, region string) *apiError {
	if !regionRE.MatchString(region) {
		return invalid("%s %q is not an AWS region name (such as us-east-1 or eu-west-2)", field, region)
	}
	return nil
}

func validRegions(field string, regions []string) *apiError {
	seen := map[string]bool{}
	for _, r := range regions {
		if err := validRegion(field, r); err != nil {
			return err
		}
		if seen[r] {
			return invalid("%s lists %q twice; list each region once", field, r)
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
	return invalid("state %q is not valid: it is one of pending, in-progress, done, purge", state)
}

func validDiagStatus(status string) *apiError {
	switch status {
	case store.DiagReady, store.DiagProvisioning, store.DiagUnavailable:
		return nil
	}
	return invalid("status %q is not valid: it is one of ready-for-use, provisioning, unavailable", status)
}

// validRoleARN checks that arn is an IAM role in the given account.
func validRoleARN(arn, accountID string) *apiError {
	m := roleARNRE.FindStringSubmatch(arn)
	if m == nil {
		return invalid("role_arn %q is not an IAM role ARN (arn:aws:iam::<account id>:role/<name>)", arn)
	}
	if m[2] != accountID {
		return invalid("role_arn %q is in account %s, not in account %s", arn, m[2], accountID)
	}
	return nil
}

// validPrincipalARN checks that arn is the root, a role or a user of the given account.
func validPrincipalARN(arn, accountID string) *apiError {
	m := principalRE.FindStringSubmatch(arn)
	if m == nil {
		return invalid("principal_arn %q is not valid: it is arn:aws:iam::<account id>:root, or a role or user ARN of the diag account", arn)
	}
	if m[2] != accountID {
		return invalid("principal_arn %q is in account %s, not in the diag account %s", arn, m[2], accountID)
	}
	return nil
}
