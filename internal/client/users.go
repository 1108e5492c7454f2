// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
)

// Users are a customer's users, each with one API key.
type Users interface {
	// List returns a customer's users with their keys, ordered by name (ops, master).
	List(ctx context.Context, customer string) ([]User, error)
	// Get returns one user with its key (ops, master); ETag is set.
	Get(ctx context.Context, customer, name string) (*User, error)
	// Put provisions a user (ops). It is idempotent: a new user gets a new key (created is true),
	// an existing one keeps its key. A retry after a lost answer gets the first attempt's answer
	// (the call's Idempotency-Key): created stays true for a user the call itself created. ETag
	// is set.
	Put(ctx context.Context, customer, name string, opts UserPutOptions) (user *User, created bool, err error)
	// Delete revokes the user's key and removes the user (ops).
	Delete(ctx context.Context, customer, name string, opts UserDeleteOptions) error
	// Rotate gives the user a new token; the old one stops working at once (ops). A retry after a
	// lost answer gets the token of the rotation the first attempt made, not a second rotation
	// (the call's Idempotency-Key), so Rotate is retried like any other call. ETag is set.
	//
	// Of two rotations of one user at once, exactly one wins: the other fails with ErrConflict,
	// or with ErrPreconditionFailed under IfMatch, and rotates nothing.
	Rotate(ctx context.Context, customer, name string, opts UserRotateOptions) (*User, error)
}

// User is one user of a customer, with its API key: apiv1's fields (KeyName is
// user@customer-API-Key; UpdatedAt changes when the token is rotated) under a type of the
// client's own, for the methods that keep the token out of what fmt prints.
//
// Token is a secret. Printing a User with fmt (any verb: %v, %+v, %#v, %s) shows it redacted;
// use the field itself where the token is needed.
type User apiv1.User

// Format prints u with fmt as a struct would print, the token redacted.
func (u User) Format(f fmt.State, verb rune) {
	type plain User // the same fields without the methods, so that printing it does not recurse
	p := plain(u)
	if p.Token != "" {
		p.Token = redacted
	}
	s := fmt.Sprintf(fmt.FormatString(f, verb), p)
	if verb == 'v' && f.Flag('#') {
		s = "client.User" + strings.TrimPrefix(s, "client.plain")
	}
	fmt.Fprint(f, s)
}

// String is u as %v prints it, the token redacted.
func (u User) String() string { return fmt.Sprintf("%v", u) }

// GoString is u as %#v prints it, the token redacted.
func (u User) GoString() string { return fmt.Sprintf("%#v", u) }

// UserPutOptions are the options of Users.Put.
type UserPutOptions struct {
	// IdempotencyKey is the call's Idempotency-Key (1-255 printable ASCII characters); empty for a
	// new random one. A caller that gives its own can ask again later, with the same key, whether
	// a create whose answer it never saw took effect: the server answers as it did the first time.
	IdempotencyKey string
	// IfMatch, an ETag, writes only if the user is still at that version (else
	// ErrPreconditionFailed); IfNoneMatch "*" creates only (ErrPreconditionFailed when the user
	// exists).
	IfMatch, IfNoneMatch string
	// ExpiresAt is when the user's token stops working; nil: never. Put sets it on an existing user
	// too (its key stays): a Put without it removes an expiry the user had.
	ExpiresAt *time.Time
}

// UserDeleteOptions qualify Users.Delete.
type UserDeleteOptions struct {
	// IfMatch, an ETag, deletes only if the user is still at that version, that is, still holds
	// the token that was read with it (else ErrPreconditionFailed).
	IfMatch string
}

// UserRotateOptions qualify Users.Rotate.
type UserRotateOptions struct {
	// IfMatch, an ETag, rotates only the token of that version (else ErrPreconditionFailed).
	IfMatch string
}

type users struct{ c *Client }

func userPath(customer, name string) (string, error) {
	return pathOf("/v1/customers/%s/users/%s", segment{"customer name", customer}, segment{"user name", name})
}

func (s *users) List(ctx context.Context, customer string) ([]User, error) {
	p, err := pathOf("/v1/customers/%s/users", segment{"customer name", customer})
	if err != nil {
		return nil, err
	}
	var out apiv1.UserList
	if _, err := s.c.do(ctx, http.MethodGet, p, nil, &out, nil); err != nil {
		return nil, err
	}
	list := make([]User, len(out.Users))
	for i, u := range out.Users {
		list[i] = User(u)
	}
	return list, nil
}

func (s *users) Get(ctx context.Context, customer, name string) (*User, error) {
	p, err := userPath(customer, name)
	if err != nil {
		return nil, err
	}
	var out User
	res, err := s.c.do(ctx, http.MethodGet, p, nil, &out, nil)
	if err != nil {
		return nil, err
	}
	out.ETag = res.header.Get("ETag")
	return &out, nil
}

func (s *users) Put(ctx context.Context, customer, name string, opts UserPutOptions) (*User, bool, error) {
	p, err := userPath(customer, name)
	if err != nil {
		return nil, false, err
	}
	h, err := withIdempotencyKey(conditions(opts.IfMatch, opts.IfNoneMatch), opts.IdempotencyKey)
	if err != nil {
		return nil, false, err
	}
	var body any
	if opts.ExpiresAt != nil {
		at := opts.ExpiresAt.UTC()
		body = apiv1.UserInput{ExpiresAt: &at}
	}
	var out User
	res, err := s.c.do(ctx, http.MethodPut, p, body, &out, &requestOptions{header: h})
	if err != nil {
		return nil, false, err
	}
	out.ETag = res.header.Get("ETag")
	return &out, res.status == http.StatusCreated, nil
}

func (s *users) Delete(ctx context.Context, customer, name string, opts UserDeleteOptions) error {
	p, err := userPath(customer, name)
	if err != nil {
		return err
	}
	_, err = s.c.do(ctx, http.MethodDelete, p, nil, nil, &requestOptions{header: conditions(opts.IfMatch, "")})
	return err
}

func (s *users) Rotate(ctx context.Context, customer, name string, opts UserRotateOptions) (*User, error) {
	p, err := userPath(customer, name)
	if err != nil {
		return nil, err
	}
	h, err := withIdempotencyKey(conditions(opts.IfMatch, ""), "")
	if err != nil {
		return nil, err
	}
	var out User
	res, err := s.c.do(ctx, http.MethodPost, p+"/rotate", nil, &out, &requestOptions{header: h})
	if err != nil {
		return nil, err
	}
	out.ETag = res.header.Get("ETag")
	return &out, nil
}
