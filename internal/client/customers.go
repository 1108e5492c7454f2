// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"net/http"
	"time"
)

// Customers are the platform's customers: one per DNS domain, with one diagnostic account.
type Customers interface {
	// List returns all customers, ordered by name (ops, master; a user token sees its own).
	List(ctx context.Context) ([]CustomerSummary, error)
	// Get returns one customer, never with tokens; ETag is set.
	Get(ctx context.Context, name string) (*Customer, error)
	// Put creates or replaces a customer's settings (ops); created says which. ETag is set.
	Put(ctx context.Context, name string, opts CustomerPutOptions) (cust *Customer, created bool, err error)
	// Delete unprovisions a customer (ops): it, its users' keys (revoked at once) and its AWS accounts.
	Delete(ctx context.Context, name string, opts CustomerDeleteOptions) error
	// Status returns the provisioning status of a customer (ops, master, its own users).
	Status(ctx context.Context, name string) (*CustomerStatus, error)
}

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

// CustomerSummary is a customer as List gives it.
type CustomerSummary struct {
	Name              string                  `json:"name"`
	DiagAccount       string                  `json:"diag_account"`
	DiagAccountStatus DiagAccountAvailability `json:"diag_account_status"`
	RoleStatus        RoleStatus              `json:"role_status"`
}

// Customer is one customer.
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

	// ETag is the customer's version, from the response header; give it as IfMatch to write only
	// if nothing changed since. It changes with the customer, its users and its AWS accounts.
	ETag string `json:"-"`
}

// AccountState is one of a customer's AWS accounts, in brief.
type AccountState struct {
	AccountID string     `json:"account_id"`
	RoleARN   string     `json:"role_arn"`
	State     RoleStatus `json:"state"`
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

// CustomerPutOptions is the whole of a customer's settable state: Put replaces it, and an omitted
// (zero) field takes the server's default.
type CustomerPutOptions struct {
	DiagAccount    string   `json:"diag_account,omitempty"` // a diagnostic account's name; empty for none
	AWSRegion      string   `json:"aws_region,omitempty"`   // default us-east-1
	Regions        []string `json:"regions,omitempty"`      // empty means all
	AutoRunFinders *bool    `json:"auto_run_finders,omitempty"`

	// IfMatch, an ETag, writes only if the customer is still at that version (else ErrPreconditionFailed).
	IfMatch string `json:"-"`
	// IfNoneMatch "*" creates only (ErrPreconditionFailed when the customer exists).
	IfNoneMatch string `json:"-"`
}

// CustomerDeleteOptions qualifies Customers.Delete.
type CustomerDeleteOptions struct {
	// IfMatch, an ETag, deletes only if the customer is still at that version.
	IfMatch string
}

type customers struct{ c *Client }

func customerPath(name string) (string, error) {
	return pathOf("/v1/customers/%s", segment{"customer name", name})
}

func (s *customers) List(ctx context.Context) ([]CustomerSummary, error) {
	var out struct {
		Customers []CustomerSummary `json:"customers"`
	}
	if _, err := s.c.do(ctx, http.MethodGet, "/v1/customers", nil, &out, nil); err != nil {
		return nil, err
	}
	return out.Customers, nil
}

func (s *customers) Get(ctx context.Context, name string) (*Customer, error) {
	p, err := customerPath(name)
	if err != nil {
		return nil, err
	}
	var out Customer
	res, err := s.c.do(ctx, http.MethodGet, p, nil, &out, nil)
	if err != nil {
		return nil, err
	}
	out.ETag = res.header.Get("ETag")
	return &out, nil
}

func (s *customers) Put(ctx context.Context, name string, opts CustomerPutOptions) (*Customer, bool, error) {
	p, err := customerPath(name)
	if err != nil {
		return nil, false, err
	}
	h := conditions(opts.IfMatch, opts.IfNoneMatch)
	var out Customer
	res, err := s.c.do(ctx, http.MethodPut, p, opts, &out, &requestOptions{header: h})
	if err != nil {
		return nil, false, err
	}
	out.ETag = res.header.Get("ETag")
	return &out, res.status == http.StatusCreated, nil
}

func (s *customers) Delete(ctx context.Context, name string, opts CustomerDeleteOptions) error {
	p, err := customerPath(name)
	if err != nil {
		return err
	}
	_, err = s.c.do(ctx, http.MethodDelete, p, nil, nil, &requestOptions{header: conditions(opts.IfMatch, "")})
	return err
}

func (s *customers) Status(ctx context.Context, name string) (*CustomerStatus, error) {
	p, err := customerPath(name)
	if err != nil {
		return nil, err
	}
	var out CustomerStatus
	if _, err := s.c.do(ctx, http.MethodGet, p+"/status", nil, &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// conditions are the conditional-request headers that are set.
func conditions(ifMatch, ifNoneMatch string) http.Header {
	h := http.Header{}
	if ifMatch != "" {
		h.Set("If-Match", ifMatch)
	}
	if ifNoneMatch != "" {
		h.Set("If-None-Match", ifNoneMatch)
	}
	return h
}
