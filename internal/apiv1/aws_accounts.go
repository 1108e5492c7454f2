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
}
