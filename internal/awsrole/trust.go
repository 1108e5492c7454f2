// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// trustSid is the statement id of the trust policy's only statement.
const trustSid = "VirtcoDiagnosticsAssumeRole"

var (
	// principalARNRE: an account root, an IAM role or an IAM user, in any
	// partition. Assumed-role session ARNs are refused on purpose: a session
	// name is not a stable identity to trust.
	principalARNRE = compileLater(`^arn:aws[a-z-]*:iam::[0-9]{12}:(root|(role|user)(/|/[\x21-\x7e]*/)[\w+=,.@-]{1,128})$`)
	externalIDRE   = compileLater(`^[\w+=,.@:/-]+$`)
)

// ValidatePrincipal checks the principal a trust policy may name: an account
// id (12 digits), an account root ARN (arn:aws:iam::<id>:root), or an IAM role
// or user ARN. Empty values and anything with a wildcard are refused.
func ValidatePrincipal(principal string) error {
	switch {
	case principal == "":
		return errors.New("the trusted principal is empty: give the diagnostic account's principal ARN or account id")
	case strings.ContainsAny(principal, "*?"):
		return fmt.Errorf("the trusted principal %q contains a wildcard: the role may only trust the customer's diagnostic account", principal)
	case isAccountID(principal), principalARNRE().MatchString(principal):
		return nil
	}
	return fmt.Errorf("the trusted principal %q is not an account id, an account root ARN (arn:aws:iam::<account_id>:root) or an IAM role or user ARN", principal)
}

// ValidateExternalID checks an sts:ExternalId value as STS constrains it:
// 2 to 1224 characters of letters, digits and +=,.@:/-.
func ValidateExternalID(id string) error {
	switch {
	case id == "":
		return errors.New("the external id is empty: the role is never created without an sts:ExternalId condition")
	case len(id) < 2 || len(id) > 1224:
		return fmt.Errorf("the external id must be 2 to 1224 characters long, not %d", len(id))
	case !externalIDRE().MatchString(id):
		return fmt.Errorf("the external id %q may only contain letters, digits and the characters +=,.@:/-", id)
	}
	return nil
}

// TrustPolicy returns the role's trust (assume-role) policy: principal
// {"AWS": principal}, action sts:AssumeRole, and the condition StringEquals
// sts:ExternalId = externalID. principal is the diagnostic account's
// principal ARN, or arn:aws:iam::<diag_account_id>:root; a bare account id is
// written as its root ARN, the form IAM stores anyway. An empty or wildcard
// principal and an empty external id are refused: the role never trusts
// anyone but the customer's diagnostic account, and never without the
// external id.
func TrustPolicy(principal, externalID string) (string, error) {
	return TrustPolicyUntil(principal, externalID, nil)
}

// TrustPolicyUntil is TrustPolicy that, with expiresAt, also requires
// DateLessThan aws:CurrentTime = expiresAt (RFC 3339, UTC) beside the external
// id, so that AWS itself refuses AssumeRole from that time on.
func TrustPolicyUntil(principal, externalID string, expiresAt *time.Time) (string, error) {
	if err := ValidatePrincipal(principal); err != nil {
		return "", err
	}
	if err := ValidateExternalID(externalID); err != nil {
		return "", err
	}
	if isAccountID(principal) {
		principal = RootPrincipal(principal)
	}
	condition := map[string]map[string]string{"StringEquals": {"sts:ExternalId": externalID}}
	if expiresAt != nil {
		condition["DateLessThan"] = map[string]string{"aws:CurrentTime": FormatExpiry(*expiresAt)}
	}
	return marshalPolicy(policyDocument{
		Version: PolicyVersion,
		Statement: []policyStatement{{
			Sid:       trustSid,
			Effect:    "Allow",
			Principal: map[string]string{"AWS": principal},
			Action:    "sts:AssumeRole",
			Condition: condition,
		}},
	})
}

// RootPrincipal returns arn:aws:iam::<accountID>:root, the principal that
// stands for any identity of that account.
func RootPrincipal(accountID string) string {
	return "arn:aws:iam::" + accountID + ":root"
}

// CheckTrustPolicy is the guard rail Create and Update apply to any trust
// policy: every Allow statement must name its principals explicitly
// ("Principal", not "NotPrincipal"), only AWS principals that
// ValidatePrincipal accepts (so no wildcard), only sts:AssumeRole, and
// require sts:ExternalId with StringEquals.
func CheckTrustPolicy(doc string) error {
	p, err := parsePolicy(doc)
	if err != nil {
		return fmt.Errorf("trust policy: %w", err)
	}
	if len(p.Statements) == 0 {
		return errors.New("trust policy has no statement")
	}
	for i, st := range p.Statements {
		if st.Effect != "Allow" {
			continue
		}
		where := fmt.Sprintf("trust policy statement %d", i+1)
		if st.Has["NotPrincipal"] || !st.Has["Principal"] {
			return fmt.Errorf("%s: must name its principal with Principal", where)
		}
		for typ, vals := range st.Principal {
			if typ != "AWS" {
				return fmt.Errorf("%s: only AWS principals may be trusted, not %s", where, typ)
			}
			for _, v := range vals {
				if err := ValidatePrincipal(v); err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
			}
		}
		if st.Has["NotAction"] || len(st.Action) != 1 || st.Action[0] != "sts:assumerole" {
			return fmt.Errorf("%s: the only action allowed is sts:AssumeRole", where)
		}
		ids := st.Condition["StringEquals"]["sts:externalid"]
		if len(ids) == 0 {
			return fmt.Errorf("%s: must require sts:ExternalId with a StringEquals condition", where)
		}
		for _, id := range ids {
			if err := ValidateExternalID(id); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
	}
	return nil
}

// TrustPolicyParams reads back the principal and external id from a trust
// policy that TrustPolicy or TrustPolicyUntil built (for import, or to show what a role trusts).
// The principal comes back as IAM stores it (an account id as its root ARN).
// A policy with more than one statement, principal or external id is an
// error: it is not one this package builds.
func TrustPolicyParams(doc string) (principal, externalID string, err error) {
	p, err := parsePolicy(doc)
	if err != nil {
		return "", "", fmt.Errorf("trust policy: %w", err)
	}
	if len(p.Statements) != 1 {
		return "", "", fmt.Errorf("trust policy has %d statements, not 1", len(p.Statements))
	}
	st := p.Statements[0]
	aws := st.Principal["AWS"]
	ids := st.Condition["StringEquals"]["sts:externalid"]
	if len(st.Principal) != 1 || len(aws) != 1 || len(ids) != 1 {
		return "", "", errors.New("trust policy does not name exactly one AWS principal and one sts:ExternalId")
	}
	principal = aws[0]
	if isAccountID(principal) {
		principal = RootPrincipal(principal)
	}
	expiresAt, err := TrustPolicyExpiry(doc)
	if err != nil {
		return "", "", err
	}
	want, err := TrustPolicyUntil(principal, ids[0], expiresAt)
	if err != nil {
		return "", "", err
	}
	if eq, err := PoliciesEqual(want, doc); err != nil || !eq {
		return "", "", errors.New("trust policy is not one this provider builds (it was changed or written by hand)")
	}
	return principal, ids[0], nil
}

// FormatExpiry is how a trust policy writes its expiry: RFC 3339 in UTC, to
// the second.
func FormatExpiry(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// TrustPolicyExpiry reads the expiry of a trust policy TrustPolicyUntil built:
// the DateLessThan aws:CurrentTime of its statements, nil when none has one.
func TrustPolicyExpiry(doc string) (*time.Time, error) {
	p, err := parsePolicy(doc)
	if err != nil {
		return nil, fmt.Errorf("trust policy: %w", err)
	}
	var out *time.Time
	for _, st := range p.Statements {
		for _, v := range st.Condition["DateLessThan"]["aws:currenttime"] {
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, fmt.Errorf("trust policy: the DateLessThan aws:CurrentTime %q is not a time in RFC 3339", v)
			}
			if out == nil || at.Before(*out) {
				out = &at
			}
		}
	}
	return out, nil
}
