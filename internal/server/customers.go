// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/names"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// customerPath validates the {customer} of the path and that the caller may read it.
func customerPath(r *http.Request, p principal) (string, error) {
	name := r.PathValue("customer")
	if err := p.requireCustomerRead(name); err != nil {
		return "", err
	}
	if err := checkName("customer", names.CustomerName, name); err != nil {
		return "", err
	}
	return name, nil
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, p principal) error {
	if named, ok := r.URL.Query()["name"]; ok {
		return s.listNamedCustomers(w, r, p, named)
	}
	list, err := s.store.ListCustomers(r.Context())
	if err != nil {
		return err
	}
	out := apiv1.CustomerList{Customers: []apiv1.CustomerSummary{}}
	for _, c := range list {
		if p.kind == kindUser && c.Name != p.customer {
			continue
		}
		out.Customers = append(out.Customers, customerSummaryView(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listNamedCustomers answers GET /v1/customers?name=…: the whole record of each customer named that
// exists and that the caller may read, in the order asked, so that a client reading many
// customers (Terraform refreshing a configuration) asks once for many instead of once each. A
// customer the caller may not read is left out as one that does not exist is: the answer tells
// nobody which customers exist beyond what they may read.
//
// include=user_keys (ops, master) adds each customer's users with their keys, so that the same
// request serves the reads of the users too.
func (s *Server) listNamedCustomers(w http.ResponseWriter, r *http.Request, p principal, named []string) error {
	withKeys := false
	for _, inc := range r.URL.Query()["include"] {
		if inc != "user_keys" {
			return invalid("include", "include takes only user_keys (each customer's users with their keys), not %q", clip(inc, 64))
		}
		if err := p.requireReadAll("reading users and their keys"); err != nil {
			return err
		}
		withKeys = true
	}
	records := make([]apiv1.Customer, 0, len(named))
	seen := make(map[string]bool, len(named))
	for _, name := range named {
		if err := checkName("name", names.CustomerName, name); err != nil {
			return err
		}
		if seen[name] || (p.kind == kindUser && name != p.customer) {
			continue
		}
		seen[name] = true
		c, err := s.store.GetCustomer(r.Context(), name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		v := customerView(s.verify.customer(c))
		if withKeys {
			users, err := s.store.ListUsers(r.Context(), name)
			if err != nil {
				return err
			}
			v.UserKeys = make([]apiv1.User, 0, len(users))
			for _, u := range users {
				v.UserKeys = append(v.UserKeys, userView(u))
			}
		}
		records = append(records, v)
	}
	writeJSON(w, http.StatusOK, apiv1.CustomerRecords{Customers: records})
	return nil
}

// customerInput is the body of PUT /v1/customers/{customer}. It is not apiv1's: its pointers tell
// an omitted aws_region, which takes the default, from an empty one, which is refused.
type customerInput struct {
	DiagAccount    *string  `json:"diag_account"`
	AWSRegion      *string  `json:"aws_region"`
	Regions        []string `json:"regions"`
	AutoRunFinders *bool    `json:"auto_run_finders"`
}

func (s *Server) putCustomer(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("creating or changing customers"); err != nil {
		return err
	}
	name, err := customerPath(r, p)
	if err != nil {
		return err
	}
	var in customerInput
	if err := decode(r, &in, true); err != nil {
		return err
	}
	spec := store.CustomerSpec{AWSRegion: store.DefaultAWSRegion, Regions: in.Regions, AutoRunFinders: true}
	if in.DiagAccount != nil {
		spec.DiagAccount = *in.DiagAccount
	}
	if in.AWSRegion != nil {
		spec.AWSRegion = *in.AWSRegion
	}
	if in.AutoRunFinders != nil {
		spec.AutoRunFinders = *in.AutoRunFinders
	}
	if spec.DiagAccount != "" {
		if err := checkName("diag_account", names.DiagAccountName, spec.DiagAccount); err != nil {
			return err
		}
	}
	if err := checkName("aws_region", names.RegionName, spec.AWSRegion); err != nil {
		return err
	}
	if err := validRegions("regions", spec.Regions); err != nil {
		return err
	}
	render := func(wr store.Written) store.Answer {
		v := customerView(s.verify.customer(wr.Customer))
		header := map[string]string{"ETag": v.ETag}
		if wr.Created {
			header["Location"] = "/v1/customers/" + name
		}
		return jsonAnswer(createdOrOK(wr.Created), v, header)
	}
	recordAnswer(r, render)
	c, created, err := s.store.PutCustomer(r.Context(), name, spec, uuid.NewString(), precondition(r, customerTags))
	if errors.Is(err, store.ErrInvalid) {
		return s.unknownDiagAccount(r.Context(), "diag_account", spec.DiagAccount)
	}
	if err != nil {
		return err
	}
	sendAnswer(w, render(store.Written{Customer: c, Created: created}))
	return nil
}

// readCustomer reads the customer of the path, when the caller may see it.
func (s *Server) readCustomer(r *http.Request, p principal) (store.Customer, error) {
	name, err := customerPath(r, p)
	if err != nil {
		return store.Customer{}, err
	}
	return s.store.GetCustomer(r.Context(), name)
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, p principal) error {
	c, err := s.readCustomer(r, p)
	if err != nil {
		return err
	}
	v := customerView(s.verify.customer(c))
	w.Header().Set("ETag", v.ETag)
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) getCustomerStatus(w http.ResponseWriter, r *http.Request, p principal) error {
	c, err := s.readCustomer(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, customerStatusView(customerView(s.verify.customer(c))))
	return nil
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("unprovisioning customers"); err != nil {
		return err
	}
	name, err := customerPath(r, p)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCustomer(r.Context(), name, precondition(r, customerTags)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// unknownDiagAccount says which diag accounts there are, so that the caller can pick one; field
// is where the request named it.
func (s *Server) unknownDiagAccount(ctx context.Context, field, name string) error {
	list, err := s.store.ListDiagAccounts(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(list))
	for _, d := range list {
		names = append(names, d.Name)
	}
	known := "there are none yet (PUT /v1/diag-accounts/{name})"
	if len(names) > 0 {
		known = "known: " + strings.Join(names, ", ")
	}
	return invalid(field, "diag_account %q does not exist; %s", name, known)
}
