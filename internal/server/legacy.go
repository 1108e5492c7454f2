// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/virtasant/terraform-provider-virtco/internal/names"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// legacy serves the protocol apiKeyGen.py speaks: GET /internal?target=<t>&customer=<c> with the
// ops key, answering in the old shapes. Where the old backend quietly did the wrong thing (an
// unknown diag account ignored, a provision without a user name), this one refuses with a JSON
// error that says what is expected.
func (s *Server) legacy(w http.ResponseWriter, r *http.Request, p principal) error {
	target := r.URL.Query().Get("target")
	if target == "provision" || target == "unprovision" {
		entry := auditEntryFrom(r)
		entry.Action, entry.Request = "legacy."+target, "GET /internal?target="+target+"&customer="+r.URL.Query().Get("customer")
	}
	if err := p.requireOps("the legacy /internal protocol"); err != nil {
		return err
	}
	arg := r.URL.Query().Get("customer")
	ctx := r.Context()
	switch target {
	case "diags":
		list, err := s.store.ListDiagAccounts(ctx)
		if err != nil {
			return err
		}
		names := []string{}
		for _, d := range list {
			names = append(names, d.Name)
		}
		writeJSON(w, http.StatusOK, names)
	case "mtok":
		token, err := s.masterToken.refresh(ctx)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, token)
	case "customers":
		list, err := s.store.ListCustomers(ctx)
		if err != nil {
			return err
		}
		names := []string{}
		for _, c := range list {
			names = append(names, c.Name)
		}
		writeJSON(w, http.StatusOK, names)
	case "customer", "ctok", "cstatus":
		c, err := s.legacyCustomer(r, target, arg)
		if err != nil {
			return err
		}
		v := customerView(s.verify.customer(c))
		switch target {
		case "customer":
			users, err := s.store.ListUsers(ctx, c.Name)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, newLegacyRecord(c, v, users))
		case "cstatus":
			writeJSON(w, http.StatusOK, map[string]string{"name": v.DiagAccount, "account": v.DiagAccountID,
				"cross_account_role_creation_status": string(v.RoleStatus)})
		default:
			users, err := s.store.ListUsers(ctx, c.Name)
			if err != nil {
				return err
			}
			tokens := make([]map[string]map[string]string, 0, len(users))
			for _, u := range users {
				tokens = append(tokens, map[string]map[string]string{u.Name: {"x-api-key": u.Token}})
			}
			writeJSON(w, http.StatusOK, map[string]any{"name": v.DiagAccount, "account": v.DiagAccountID, "tokens": tokens})
		}
	case "provision":
		// The one legacy write that creates a key; apiKeyGen.py sends no Idempotency-Key, a newer
		// script may.
		r, err := withIdempotencyKey(r, p)
		if err != nil {
			return err
		}
		return s.legacyProvision(w, r, arg)
	case "unprovision":
		return s.legacyUnprovision(w, r, arg)
	default:
		writeJSON(w, http.StatusOK, map[string]any{})
	}
	return nil
}

func legacyCustomerArg(target, arg string) (string, error) {
	if arg == "" {
		return "", invalid("customer", "target=%s needs customer=<customer>, a lower-case DNS domain such as acme.com", target)
	}
	if err := checkName("customer", names.CustomerName, arg); err != nil {
		return "", err
	}
	return arg, nil
}

func (s *Server) legacyCustomer(r *http.Request, target, arg string) (store.Customer, error) {
	name, err := legacyCustomerArg(target, arg)
	if err != nil {
		return store.Customer{}, err
	}
	return s.store.GetCustomer(r.Context(), name)
}

// legacyProvision handles customer=user@customer[:diag].
func (s *Server) legacyProvision(w http.ResponseWriter, r *http.Request, arg string) error {
	const form = "target=provision needs customer=<user>@<customer>[:<diag account>], such as joe@acme.com:Diag3"
	spec, diag, hasDiag := strings.Cut(arg, ":")
	user, customer, ok := strings.Cut(spec, "@")
	switch {
	case arg == "":
		return invalid("customer", "%s", form)
	case !ok || user == "":
		return invalid("customer", "%q names no user: %s", arg, form)
	case hasDiag && diag == "":
		return invalid("customer", "%q has an empty diag account after ':': %s", arg, form)
	}
	entry := auditEntryFrom(r)
	entry.Customer, entry.Target = customer, user+"@"+customer
	if err := checkName("customer", names.UserName, user); err != nil {
		return err
	}
	if err := checkName("customer", names.CustomerName, customer); err != nil {
		return err
	}
	if hasDiag {
		if err := checkName("customer", names.DiagAccountName, diag); err != nil {
			return err
		}
	}
	render := func(wr store.Written) store.Answer {
		return jsonAnswer(http.StatusOK, map[string]string{"key_name": wr.User.KeyName(), "key_id": wr.User.KeyID, "api_key": wr.User.Token}, nil)
	}
	recordAnswer(r, render)
	u, err := s.store.Provision(r.Context(), customer, user, diag, uuid.NewString(), newUserKey())
	if errors.Is(err, store.ErrInvalid) {
		return s.unknownDiagAccount(r.Context(), "customer", diag)
	}
	if err != nil {
		return err
	}
	sendAnswer(w, render(store.Written{User: u}))
	return nil
}

// legacyUnprovision handles customer=<customer>, which removes the customer with every key and
// account of it, and customer=<user>@<customer>, which revokes that user's key alone (the old
// backend parsed the user, then removed the whole customer anyway).
func (s *Server) legacyUnprovision(w http.ResponseWriter, r *http.Request, arg string) error {
	user, customer, oneUser := strings.Cut(arg, "@")
	if !oneUser {
		customer = arg
	}
	if customer == "" {
		return invalid("customer", "target=unprovision needs customer=<customer> or customer=<user>@<customer>, such as acme.com or joe@acme.com")
	}
	if err := checkName("customer", names.CustomerName, customer); err != nil {
		return err
	}
	entry := auditEntryFrom(r)
	entry.Customer, entry.Target = customer, customer
	var err error
	if oneUser {
		entry.Target = user + "@" + customer
		if err := checkName("customer", names.UserName, user); err != nil {
			return err
		}
		err = s.store.DeleteUser(r.Context(), customer, user, store.Precondition{})
	} else {
		err = s.store.DeleteCustomer(r.Context(), customer, store.Precondition{})
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		// apiKeyGen.py expects a 200 here, but the trail says what happened: nothing, as for
		// the DELETE of v1.
		entry.Outcome, entry.Detail = "404 not_found", trimSentinel(err, store.ErrNotFound)
		writeJSON(w, http.StatusOK, map[string]string{"Status": "not found"})
	case err != nil:
		return err
	default:
		writeJSON(w, http.StatusOK, map[string]string{"Status": "success"})
	}
	return nil
}
