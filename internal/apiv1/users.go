// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package apiv1

import "time"

// User is one user of a customer, with its API key. Token is a secret.
type User struct {
	Name     string `json:"name"`
	Customer string `json:"customer"`
	KeyID    string `json:"key_id"`
	KeyName  string `json:"key_name"` // user@customer-API-Key
	Token    string `json:"token"`
	// CreatedAt is when the user was provisioned; UpdatedAt changes when the token is rotated.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ExpiresAt is when the token stops working; nil (absent): never.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// ETag is the user's version, which its rotations change: in the body, in a list too, and in
	// the ETag header of one user's answers. An answer an older server recorded for an
	// Idempotency-Key replay has it in the header only.
	ETag string `json:"etag,omitempty"`
}

// UserInput is the body of PUT /v1/customers/{customer}/users/{user}, which may be empty. It
// replaces what it names: an expires_at absent or null is a token that never expires.
type UserInput struct {
	// ExpiresAt is when the user's token stops working, in RFC 3339.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// UserList is the body of GET /v1/customers/{customer}/users.
type UserList struct {
	Users []User `json:"users"`
}

// MasterToken is the body of GET /v1/master-token.
type MasterToken struct {
	MasterToken string `json:"master_token"`
}
