// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package apiv1

import "time"

// RoleStatus is where a customer's (or one AWS account's) read-only role is:
// pending → in-progress → done → purge → gone.
type RoleStatus string

// The role states.
const (
	RolePending    RoleStatus = "pending"
	RoleInProgress RoleStatus = "in-progress"
	RoleDone       RoleStatus = "done"
	RolePurge      RoleStatus = "purge"
)

// DiagAccountAvailability is whether a customer has a ready diagnostic account.
type DiagAccountAvailability string

// The values of a customer's diag_account_status.
const (
	DiagnosticsAccountUnavailable DiagAccountAvailability = "diagnostics_account_unavailable"
	DiagnosticsAccountReady       DiagAccountAvailability = "ready-for-use"
)

// CustomerSummary is a customer as the list of customers gives it.
type CustomerSummary struct {
	Name              string                  `json:"name"`
	DiagAccount       string                  `json:"diag_account"`
	DiagAccountStatus DiagAccountAvailability `json:"diag_account_status"`
	RoleStatus        RoleStatus              `json:"role_status"`
}

// CustomerList is the body of GET /v1/customers.
type CustomerList struct {
	Customers []CustomerSummary `json:"customers"`
}

// Customer is one customer: the body of its GET and PUT, and its ETag header.
type Customer struct {
	Name                    string                  `json:"name"`
	DiagAccount             string                  `json:"diag_account"` // empty for none
	DiagAccountID           string                  `json:"diag_account_id"`
	DiagAccountPrincipalARN string                  `json:"diag_account_principal_arn"`
	DiagAccountStatus       DiagAccountAvailability `json:"diag_account_status"`
	// ExternalID is minted once, when the customer is created: the sts:ExternalId of its roles.
	ExternalID     string         `json:"external_id"`
	AWSRegion      string         `json:"aws_region"`
	Regions        []string       `json:"regions"` // empty means all
	AutoRunFinders bool           `json:"auto_run_finders"`
	RoleStatus     RoleStatus     `json:"role_status"`
	Accounts       []AccountState `json:"accounts"`
	Users          []string       `json:"users"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`

	// ETag is the customer's version, in the body and, for one customer, in the ETag header too: a
	// client gives it back as If-Match to write only if nothing changed since. It changes with the
	// customer, its users and its AWS accounts. An answer an older server recorded for an
	// Idempotency-Key replay has it in the header only.
	ETag string `json:"etag,omitempty"`
	// UserKeys are the customer's users with their keys, ordered by name: only in the answer to
	// GET /v1/customers?name=…&include=user_keys.
	UserKeys []User `json:"user_keys,omitempty"`
}

// CustomerRecords is the body of GET /v1/customers?name=…: the whole record of each customer
// named, in the order asked, leaving out those that do not exist.
type CustomerRecords struct {
	Customers []Customer `json:"customers"`
}

// AccountState is one of a customer's AWS accounts, in brief.
type AccountState struct {
	AccountID    string       `json:"account_id"`
	RoleARN      string       `json:"role_arn"`
	State        RoleStatus   `json:"state"`
	Verification Verification `json:"verification"`
}

// CustomerStatus is a customer's provisioning status.
type CustomerStatus struct {
	Name              string                  `json:"name"`
	DiagAccount       string                  `json:"diag_account"`
	DiagAccountID     string                  `json:"diag_account_id"`
	DiagAccountStatus DiagAccountAvailability `json:"diag_account_status"`
	RoleStatus        RoleStatus              `json:"role_status"`
	Accounts          []AccountState          `json:"accounts"`
}
