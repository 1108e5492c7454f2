// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/names"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// userPath validates {customer} and {user}; only ops and master reach users at all.
func userPath(r *http.Request, p principal) (customer, user string, err error) {
	if customer, err = customerPath(r, p); err != nil {
		return "", "", err
	}
	user = r.PathValue("user")
	if err := checkName("user", names.UserName, user); err != nil {
		return "", "", err
	}
	return customer, user, nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireReadAll("listing users and their keys"); err != nil {
		return err
	}
	customer, err := customerPath(r, p)
	if err != nil {
		return err
	}
	users, err := s.store.ListUsers(r.Context(), customer)
	if err != nil {
		return err
	}
	out := apiv1.UserList{Users: make([]apiv1.User, 0, len(users))}
	for _, u := range users {
		out.Users = append(out.Users, userView(u))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireReadAll("reading users and their keys"); err != nil {
		return err
	}
	customer, user, err := userPath(r, p)
	if err != nil {
		return err
	}
	u, err := s.store.GetUser(r.Context(), customer, user)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", entityTag(userTags, u.Version))
	writeJSON(w, http.StatusOK, userView(u))
	return nil
}

func (s *Server) putUser(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("provisioning users"); err != nil {
		return err
	}
	customer, user, err := userPath(r, p)
	if err != nil {
		return err
	}
	var in struct {
		ExpiresAt *string `json:"expires_at"`
	}
	if err := decode(r, &in, true); err != nil {
		return err
	}
	expiresAt, err := parseExpiry(in.ExpiresAt)
	if err != nil {
		return err
	}
	render := func(wr store.Written) store.Answer {
		return jsonAnswer(createdOrOK(wr.Created), userView(wr.User), userETagHeader(wr.User))
	}
	recordAnswer(r, render)
	u, created, err := s.store.PutUserUntil(r.Context(), customer, user, newUserKey(), expiresAt, precondition(r, userTags))
	if err != nil {
		return err
	}
	sendAnswer(w, render(store.Written{User: u, Created: created}))
	return nil
}

func userETagHeader(u store.User) map[string]string {
	return map[string]string{"ETag": entityTag(userTags, u.Version)}
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("revoking users"); err != nil {
		return err
	}
	customer, user, err := userPath(r, p)
	if err != nil {
		return err
	}
	if err := s.store.DeleteUser(r.Context(), customer, user, precondition(r, userTags)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateUser(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("rotating user tokens"); err != nil {
		return err
	}
	customer, user, err := userPath(r, p)
	if err != nil {
		return err
	}
	render := func(wr store.Written) store.Answer {
		return jsonAnswer(http.StatusOK, userView(wr.User), userETagHeader(wr.User))
	}
	recordAnswer(r, render)
	// Without If-Match, the rotation is of the token as it is when the request comes: another
	// rotation committed meanwhile makes this one a conflict, so that of two rotations at once
	// exactly one wins and the other's caller is not left holding a dead token.
	pre := precondition(r, userTags)
	implicit := pre.Versions == nil && !pre.MustExist
	if implicit {
		current, err := s.store.GetUser(r.Context(), customer, user)
		if err != nil {
			return err
		}
		pre = store.IfMatch(current.Version)
	}
	u, err := s.store.RotateUser(r.Context(), customer, user, newUserKey(), pre)
	if implicit && errors.Is(err, store.ErrPreconditionFailed) {
		return errorf(http.StatusConflict, "conflict", "user %q of customer %q was rotated by another request at the same "+
			"time, and that rotation won; read the user for its token, and rotate again only if that is still needed", user, customer)
	}
	if err != nil {
		return err
	}
	sendAnswer(w, render(store.Written{User: u}))
	return nil
}

// parseExpiry reads a PUT body's expires_at: RFC 3339 with its offset, nil for none. A time in
// the past is taken as given: it ends the token's access at once.
func parseExpiry(raw *string) (*time.Time, error) {
	if raw == nil {
		return nil, nil
	}
	at, err := time.Parse(time.RFC3339Nano, *raw)
	if err != nil {
		return nil, invalid("expires_at", "expires_at must be a time in RFC 3339, such as 2030-01-31T18:00:00Z, not %q", clip(*raw, 64))
	}
	at = at.UTC()
	return &at, nil
}
