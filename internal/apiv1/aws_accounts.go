// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package apiv1

import "time"

// AWSAccount is one of a customer's AWS accounts.
type AWSAccount struct {
	Customer  string     `json:"customer"`
	AccountID string     `json:"account_id"`
	RoleARN   string     `json:"role_arn"`
	Regions   []string   `json:"regions"`
	State     RoleStatus `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// ETag is the account's version, which every change to it changes. It travels in the ETag
	// header of one account's answers, not in the body, and is empty in a list.
	ETag string `json:"-"`
	// Verification is set by the platform alone, never by a client.
	Verification Verification `json:"verification"`
	// ExpiresAt is when the role's trust stops letting the platform in; nil (absent): never.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// VerificationState is what the platform found when it assumed an account's role itself.
type VerificationState string

// The verification states.
const (
	// VerificationPending: not tried yet, or refused so far within the retry window that
	// follows done (IAM propagation).
	VerificationPending VerificationState = "pending"
	// Verified: the platform assumed the role as the diagnostic account.
	Verified VerificationState = "verified"
	// VerificationFailed: AWS refused; the message is AWS's, and says what to check.
	VerificationFailed VerificationState = "failed"
	// VerificationUnavailable: no credentials for the diagnostic account, or verification is
	// switched off on the server.
	VerificationUnavailable VerificationState = "unavailable"
	// VerificationExpired: AWS refused after the account's expires_at, as its trust says.
	VerificationExpired VerificationState = "expired"
)

// Verification is the platform's last verdict on an AWS account's role.
type Verification struct {
	State VerificationState `json:"state"`
	// CheckedAt is when the platform last asked AWS; nil (absent) when it has not.
	CheckedAt      *time.Time `json:"checked_at,omitempty"`
	Message        string     `json:"message"`
	AssumedRoleARN string     `json:"assumed_role_arn"` // verified: who the role's credentials act as
}

// AWSAccountList is the body of GET /v1/customers/{customer}/aws-accounts.
type AWSAccountList struct {
	AWSAccounts []AWSAccount `json:"aws_accounts"`
}

// AWSAccountInput is the body of PUT /v1/customers/{customer}/aws-accounts/{account_id}: an AWS
// account's settable state.
type AWSAccountInput struct {
	RoleARN string     `json:"role_arn,omitempty"` // required when State is RoleDone
	Regions []string   `json:"regions,omitempty"`
	State   RoleStatus `json:"state,omitempty"` // default pending
	// ExpiresAt, RFC 3339, is when the role's trust stops letting the platform in (its
	// DateLessThan aws:CurrentTime); "": never.
	ExpiresAt string `json:"expires_at,omitempty"`
}
