// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/names"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

func accountPath(r *http.Request, p principal) (customer, accountID string, err error) {
	if customer, err = customerPath(r, p); err != nil {
		return "", "", err
	}
	accountID = r.PathValue("account_id")
	if err := checkName("account_id", names.AccountID, accountID); err != nil {
		return "", "", err
	}
	return customer, accountID, nil
}

func (s *Server) listAWSAccounts(w http.ResponseWriter, r *http.Request, p principal) error {
	customer, err := customerPath(r, p)
	if err != nil {
		return err
	}
	list, err := s.store.ListAWSAccounts(r.Context(), customer)
	if err != nil {
		return err
	}
	out := apiv1.AWSAccountList{AWSAccounts: make([]apiv1.AWSAccount, 0, len(list))}
	for _, a := range list {
		out.AWSAccounts = append(out.AWSAccounts, awsAccountView(s.verify.account(a)))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getAWSAccount(w http.ResponseWriter, r *http.Request, p principal) error {
	customer, accountID, err := accountPath(r, p)
	if err != nil {
		return err
	}
	return s.sendAWSAccount(w, r, customer, accountID)
}

// sendAWSAccount answers with the account as the store has it, its verification and its ETag.
func (s *Server) sendAWSAccount(w http.ResponseWriter, r *http.Request, customer, accountID string) error {
	a, err := s.store.GetAWSAccount(r.Context(), customer, accountID)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", entityTag(accountTags, a.Version))
	writeJSON(w, http.StatusOK, awsAccountView(s.verify.account(a)))
	return nil
}

func (s *Server) putAWSAccount(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireAccountWrite(r.PathValue("customer")); err != nil {
		return err
	}
	customer, accountID, err := accountPath(r, p)
	if err != nil {
		return err
	}
	var in apiv1.AWSAccountInput
	if err := decode(r, &in, false); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.field == "verification" {
			return invalid("verification", "verification is set by the platform alone, after it has assumed the role itself; "+
				"a request never sends it (send role_arn, regions and state)")
		}
		return err
	}
	state := string(in.State)
	if state == "" {
		state = store.StatePending
	}
	if err := validState(state); err != nil {
		return err
	}
	if p.kind == kindUser && state == store.StatePending {
		return forbidden("%s sets only the states in-progress, done and purge; pending is the platform's (send state)", p.describe())
	}
	if err := s.notDiagAccount(r.Context(), accountID); err != nil {
		return err
	}
	if in.RoleARN != "" {
		if err := validRoleARN(in.RoleARN, accountID); err != nil {
			return err
		}
	} else if state == store.StateDone {
		return invalid("role_arn", "state done needs role_arn: the ARN of the role the platform assumes")
	}
	if err := validRegions("regions", in.Regions); err != nil {
		return err
	}
	var expires *string
	if in.ExpiresAt != "" {
		expires = &in.ExpiresAt
	}
	expiresAt, err := parseExpiry(expires)
	if err != nil {
		return err
	}
	render := func(wr store.Written) store.Answer {
		return jsonAnswer(createdOrOK(wr.Created), awsAccountView(s.verify.account(wr.Account)),
			map[string]string{"ETag": entityTag(accountTags, wr.Account.Version)})
	}
	recordAnswer(r, render)
	a, created, err := s.store.PutAWSAccount(r.Context(), store.AWSAccount{
		Customer: customer, AccountID: accountID, RoleARN: in.RoleARN, Regions: in.Regions, State: state,
		VerifyRetryUntil: s.verify.retryUntil(), ExpiresAt: expiresAt},
		precondition(r, accountTags))
	if err != nil {
		return err
	}
	if state == store.StateDone {
		s.verify.wake()
	}
	sendAnswer(w, render(store.Written{Account: a, Created: created}))
	return nil
}

// notDiagAccount refuses the account id of a diagnostic account: the platform's own account is
// never a customer's, and its role would be assumed by itself.
func (s *Server) notDiagAccount(ctx context.Context, accountID string) error {
	diags, err := s.store.ListDiagAccounts(ctx)
	if err != nil {
		return err
	}
	for _, d := range diags {
		if d.AccountID == accountID {
			return invalid("account_id", "AWS account %s is one of the platform's diagnostic accounts, not a customer's: "+
				"register the customer's own AWS account, whose role the diagnostic account assumes", accountID)
		}
	}
	return nil
}

func (s *Server) deleteAWSAccount(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := p.requireAccountWrite(r.PathValue("customer")); err != nil {
		return err
	}
	customer, accountID, err := accountPath(r, p)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAWSAccount(r.Context(), customer, accountID, precondition(r, accountTags)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
