// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"net/http"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/names"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

func (s *Server) listDiagAccounts(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireReadAll("listing diag accounts"); err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	if status != "" {
		if err := validDiagStatus(status); err != nil {
			return err
		}
	}
	list, err := s.store.ListDiagAccounts(r.Context())
	if err != nil {
		return err
	}
	out := apiv1.DiagAccountList{DiagAccounts: []apiv1.DiagAccount{}}
	for _, d := range list {
		if status == "" || d.Status == status {
			out.DiagAccounts = append(out.DiagAccounts, diagView(d))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// DiagAccountInput is the body of PUT /v1/diag-accounts/{name}, apiv1's, with the server's checks
// and defaults; the --diag-accounts file holds the same with a name.
type DiagAccountInput apiv1.DiagAccountInput

// DiagAccount checks the input and gives it its defaults.
func (in DiagAccountInput) DiagAccount(name string) (store.DiagAccount, error) {
	d := store.DiagAccount{Name: name, AccountID: in.AccountID, Region: in.Region, Status: string(in.Status), PrincipalARN: in.PrincipalARN}
	if d.Region == "" {
		d.Region = store.DefaultAWSRegion
	}
	if d.Status == "" {
		d.Status = store.DiagReady
	}
	if err := checkName("name", names.DiagAccountName, d.Name); err != nil {
		return d, err
	}
	if err := checkName("account_id", names.AccountID, d.AccountID); err != nil {
		return d, err
	}
	if err := checkName("region", names.RegionName, d.Region); err != nil {
		return d, err
	}
	if err := validDiagStatus(d.Status); err != nil {
		return d, err
	}
	if d.PrincipalARN != "" {
		if err := validPrincipalARN(d.PrincipalARN, d.AccountID); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (s *Server) putDiagAccount(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireOps("creating or changing diag accounts"); err != nil {
		return err
	}
	var in DiagAccountInput
	if err := decode(r, &in, false); err != nil {
		return err
	}
	d, err := in.DiagAccount(r.PathValue("name"))
	if err != nil {
		return err
	}
	d, created, err := s.store.PutDiagAccount(r.Context(), d)
	if err != nil {
		return err
	}
	writeJSON(w, createdOrOK(created), diagView(d))
	return nil
}

func createdOrOK(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}
