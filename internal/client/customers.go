// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
)

// Customers are the platform's customers: one per DNS domain, with one diagnostic account.
type Customers interface {
	// List returns all customers, ordered by name (ops, master; a user token sees its own).
	List(ctx context.Context) ([]CustomerSummary, error)
	// Get returns one customer, never with tokens; ETag is set.
	Get(ctx context.Context, name string) (*Customer, error)
	// GetMany returns, by name, the customers named that exist and that the key may read, each
	// as Get returns it: one request for many customers, or as few as the API's limit on a
	// request's length allows. A name missing from the map is a customer Get would not find.
	GetMany(ctx context.Context, names []string, opts CustomerGetManyOptions) (map[string]*Customer, error)
	// Put creates or replaces a customer's settings (ops); created says which. ETag is set. A
	// retry after a lost answer gets the first attempt's answer (the call's Idempotency-Key), so
	// created stays true and If-None-Match: * does not fail on the customer the call itself made.
	Put(ctx context.Context, name string, opts CustomerPutOptions) (cust *Customer, created bool, err error)
	// Delete unprovisions a customer (ops): it, its users' keys (revoked at once) and its AWS accounts.
	Delete(ctx context.Context, name string, opts CustomerDeleteOptions) error
	// Status returns the provisioning status of a customer (ops, master, its own users).
	Status(ctx context.Context, name string) (*CustomerStatus, error)
}

// RoleStatus is where a customer's (or one AWS account's) read-only role is:
// pending → in-progress → done → purge → gone. apiv1 holds all its values; the ones the client's
// callers name are re-exported below.
type RoleStatus = apiv1.RoleStatus

// DiagAccountAvailability is whether a customer has a ready diagnostic account
// (diag_account_status).
type DiagAccountAvailability = apiv1.DiagAccountAvailability

// The role states and the availability that callers of the client name.
const (
	RoleInProgress          = apiv1.RoleInProgress
	RoleDone                = apiv1.RoleDone
	RolePurge               = apiv1.RolePurge
	DiagnosticsAccountReady = apiv1.DiagnosticsAccountReady
)

// CustomerSummary is a customer as List gives it.
type CustomerSummary = apiv1.CustomerSummary

// Customer is one customer. Get and Put set its ETag from the answer's header: give it as
// IfMatch to write only if nothing changed since.
type Customer = apiv1.Customer

// AccountState is one of a customer's AWS accounts, in brief.
type AccountState = apiv1.AccountState

// CustomerStatus is a customer's provisioning status.
type CustomerStatus = apiv1.CustomerStatus

// CustomerPutOptions is the whole of a customer's settable state: Put replaces it, and an omitted
// (zero) field takes the server's default. It is the request's body too, kept here rather than in
// apiv1 because callers set the conditional headers in the same literal, and the server reads the
// body into pointers to tell an omitted aws_region (the default) from an empty one (refused).
type CustomerPutOptions struct {
	DiagAccount    string   `json:"diag_account,omitempty"` // a diagnostic account's name; empty for none
	AWSRegion      string   `json:"aws_region,omitempty"`   // default us-east-1
	Regions        []string `json:"regions,omitempty"`      // empty means all
	AutoRunFinders *bool    `json:"auto_run_finders,omitempty"`

	// IfMatch, an ETag, writes only if the customer is still at that version (else ErrPreconditionFailed).
	IfMatch string `json:"-"`
	// IfNoneMatch "*" creates only (ErrPreconditionFailed when the customer exists).
	IfNoneMatch string `json:"-"`
	// IdempotencyKey is the call's Idempotency-Key (1-255 printable ASCII characters); empty for a
	// new random one. Give one of your own, new for each request, to retry a call whose answer
	// was lost from another process and still get its answer; the server keeps it 24 hours.
	IdempotencyKey string `json:"-"`
}

// CustomerGetManyOptions qualify Customers.GetMany.
type CustomerGetManyOptions struct {
	// UserKeys fills each customer's UserKeys: its users with their keys (ops, master).
	UserKeys bool
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
	var out apiv1.CustomerList
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

// manyNamesBytes is how much of a request's query GetMany fills with names: the API refuses a
// target (path and query) over 2 KiB, and a reverse proxy's prefix may come before the path.
const manyNamesBytes = 1536

func (s *customers) GetMany(ctx context.Context, names []string, opts CustomerGetManyOptions) (map[string]*Customer, error) {
	found := make(map[string]*Customer, len(names))
	for len(names) > 0 {
		q, size := url.Values{}, 0
		if opts.UserKeys {
			q.Set("include", "user_keys")
		}
		for len(names) > 0 {
			if _, err := customerPath(names[0]); err != nil {
				return nil, err
			}
			n := len("name=&") + len(url.QueryEscape(names[0]))
			if size > 0 && size+n > manyNamesBytes {
				break
			}
			q.Add("name", names[0])
			size, names = size+n, names[1:]
		}
		var out apiv1.CustomerRecords
		if _, err := s.c.do(ctx, http.MethodGet, "/v1/customers", nil, &out, &requestOptions{query: q}); err != nil {
			return nil, err
		}
		for i := range out.Customers {
			found[out.Customers[i].Name] = &out.Customers[i]
		}
	}
	return found, nil
}

func (s *customers) Put(ctx context.Context, name string, opts CustomerPutOptions) (*Customer, bool, error) {
	p, err := customerPath(name)
	if err != nil {
		return nil, false, err
	}
	h, err := withIdempotencyKey(conditions(opts.IfMatch, opts.IfNoneMatch), opts.IdempotencyKey)
	if err != nil {
		return nil, false, err
	}
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
