// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package apiv1

import "time"

// DiagAccountStatus is whether a diagnostic account can take customers.
type DiagAccountStatus string

// The diagnostic account states.
const (
	DiagAccountReadyForUse  DiagAccountStatus = "ready-for-use"
	DiagAccountProvisioning DiagAccountStatus = "provisioning"
	DiagAccountUnavailable  DiagAccountStatus = "unavailable"
)

// DiagAccount is one diagnostic account.
type DiagAccount struct {
	Name      string `json:"name"`
	AccountID string `json:"account_id"`
	// PrincipalARN is the IAM principal that assumes customers' roles (the account root by default).
	PrincipalARN string            `json:"principal_arn"`
	Region       string            `json:"region"`
	Status       DiagAccountStatus `json:"status"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// DiagAccountList is the body of GET /v1/diag-accounts.
type DiagAccountList struct {
	DiagAccounts []DiagAccount `json:"diag_accounts"`
}

// DiagAccountInput is the body of PUT /v1/diag-accounts/{name}: the whole of a diagnostic
// account's settable state; omitted optional fields take the server's defaults.
type DiagAccountInput struct {
	AccountID    string            `json:"account_id"`
	Region       string            `json:"region,omitempty"`
	Status       DiagAccountStatus `json:"status,omitempty"`
	PrincipalARN string            `json:"principal_arn,omitempty"`
}
