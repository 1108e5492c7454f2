// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// keyKind is who a request's key belongs to.
type keyKind int

const (
	kindOps keyKind = iota + 1
	kindMaster
	kindUser
)

func (k keyKind) String() string {
	switch k {
	case kindOps:
		return "ops"
	case kindMaster:
		return "master"
	case kindUser:
		return "user"
	}
	return "none"
}

// principal is the authenticated caller.
type principal struct {
	kind     keyKind
	customer string // user keys: the one customer they may see
	user     string
	keyID    string
}

func (p principal) describe() string {
	switch p.kind {
	case kindOps:
		return "the ops key"
	case kindMaster:
		return "the master token"
	}
	return "the user token of " + p.user + "@" + p.customer
}

// presentedKey is the key a request carries: x-api-key (what the old CLI sends) or a bearer token.
func presentedKey(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get("x-api-key")); k != "" {
		return k
	}
	auth := r.Header.Get("Authorization")
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

func equalSecrets(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (s *Server) authenticate(r *http.Request) (principal, error) {
	key := presentedKey(r)
	if key == "" {
		return principal{}, errorf(http.StatusUnauthorized, "unauthenticated",
			"no API key: send it in the x-api-key header or as Authorization: Bearer <key>")
	}
	if equalSecrets(key, s.opsKey) {
		return principal{kind: kindOps}, nil
	}
	master, err := s.masterToken.get(r.Context())
	if err != nil {
		return principal{}, err
	}
	if equalSecrets(key, master) {
		return principal{kind: kindMaster}, nil
	}
	if strings.HasPrefix(key, UserTokenPrefix) {
		u, err := s.store.UserByToken(r.Context(), key)
		switch {
		case err == nil && equalSecrets(key, u.Token) && u.Expired(s.now()):
			return principal{}, &expiredKeyError{errorf(http.StatusUnauthorized, "unauthenticated",
				"the user token of %s@%s expired at %s: ask the platform's operators to move its expiry "+
					"(expires_at) to a later time, or to provision a new user", u.Name, u.Customer, u.ExpiresAt.UTC().Format(time.RFC3339))}
		case err == nil && equalSecrets(key, u.Token):
			return principal{kind: kindUser, customer: u.Customer, user: u.Name, keyID: u.KeyID}, nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return principal{}, err
		}
	}
	return principal{}, errorf(http.StatusUnauthorized, "unauthenticated",
		"the API key is not valid: it is unknown or has been revoked")
}

// expiredKeyError is the 401 of a user token past its expires_at. The key is a real one, not a
// guess, so its refusals do not count against the client's failed authentications
// (refusals.go): a tool retrying with an expired token does not lock its host out.
type expiredKeyError struct{ *apiError }

func (e *expiredKeyError) Unwrap() error { return e.apiError }

// The permissions of each kind of key (ARCHITECTURE.md, "Keys and what they may do"), one
// function per kind of access, so that a handler cannot grant more than the table says.

func (p principal) requireOps(what string) error {
	if p.kind != kindOps {
		return forbidden("%s needs the ops key; this request used %s", what, p.describe())
	}
	return nil
}

func (p principal) requireReadAll(what string) error {
	if p.kind != kindOps && p.kind != kindMaster {
		return forbidden("%s needs the ops key or the master token; this request used %s", what, p.describe())
	}
	return nil
}

// requireCustomerRead: ops and master read every customer, a user only its own.
func (p principal) requireCustomerRead(customer string) error {
	if p.kind == kindUser && p.customer != customer {
		return forbidden("%s may only access customer %q", p.describe(), p.customer)
	}
	return nil
}

// requireAccountWrite: ops, or a user of that customer; the master token never writes.
func (p principal) requireAccountWrite(customer string) error {
	switch {
	case p.kind == kindMaster:
		return forbidden("the master token is read-only; registering or removing AWS accounts needs the ops key or a user token of %q", customer)
	case p.kind == kindUser && p.customer != customer:
		return forbidden("%s may only access customer %q", p.describe(), p.customer)
	}
	return nil
}
