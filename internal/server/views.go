// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// The JSON the API returns, built from store values. A list is never nil: the spec wants [] for
// none, and a nil slice encodes as null.

// principalARN is who the diag account assumes roles as: the configured principal, or else the
// account's root (any principal of the account that its own IAM allows).
func principalARN(d store.DiagAccount) string {
	if d.PrincipalARN != "" {
		return d.PrincipalARN
	}
	return "arn:aws:iam::" + d.AccountID + ":root"
}

func diagView(d store.DiagAccount) apiv1.DiagAccount {
	return apiv1.DiagAccount{Name: d.Name, AccountID: d.AccountID, PrincipalARN: principalARN(d), Region: d.Region,
		Status: apiv1.DiagAccountStatus(d.Status), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

func accountStates(accounts []store.AWSAccount) []apiv1.AccountState {
	out := make([]apiv1.AccountState, 0, len(accounts))
	for _, a := range accounts {
		out = append(out, apiv1.AccountState{AccountID: a.AccountID, RoleARN: a.RoleARN, State: apiv1.RoleStatus(a.State),
			Verification: verificationView(a.Verification)})
	}
	return out
}

func customerView(c store.Customer) apiv1.Customer {
	v := apiv1.Customer{Name: c.Name, DiagAccount: c.DiagAccount, DiagAccountStatus: apiv1.DiagAccountAvailability(c.DiagStatus()),
		ExternalID: c.ExternalID, AWSRegion: c.AWSRegion, Regions: c.Regions, AutoRunFinders: c.AutoRunFinders,
		RoleStatus: apiv1.RoleStatus(c.RoleStatus()), Accounts: accountStates(c.Accounts), Users: c.Users,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ETag: entityTag(customerTags, c.Version)}
	if c.Diag != nil {
		v.DiagAccountID, v.DiagAccountPrincipalARN = c.Diag.AccountID, principalARN(*c.Diag)
	}
	if v.Regions == nil {
		v.Regions = []string{}
	}
	if v.Users == nil {
		v.Users = []string{}
	}
	return v
}

func customerSummaryView(c store.CustomerSummary) apiv1.CustomerSummary {
	return apiv1.CustomerSummary{Name: c.Name, DiagAccount: c.DiagAccount,
		DiagAccountStatus: apiv1.DiagAccountAvailability(c.DiagStatus), RoleStatus: apiv1.RoleStatus(c.RoleStatus)}
}

func customerStatusView(v apiv1.Customer) apiv1.CustomerStatus {
	return apiv1.CustomerStatus{Name: v.Name, DiagAccount: v.DiagAccount, DiagAccountID: v.DiagAccountID,
		DiagAccountStatus: v.DiagAccountStatus, RoleStatus: v.RoleStatus, Accounts: v.Accounts}
}

func userView(u store.User) apiv1.User {
	return apiv1.User{Name: u.Name, Customer: u.Customer, KeyID: u.KeyID, KeyName: u.KeyName(), Token: u.Token,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, ExpiresAt: u.ExpiresAt, ETag: entityTag(userTags, u.Version)}
}

func awsAccountView(a store.AWSAccount) apiv1.AWSAccount {
	if a.Regions == nil {
		a.Regions = []string{}
	}
	return apiv1.AWSAccount{Customer: a.Customer, AccountID: a.AccountID, RoleARN: a.RoleARN, Regions: a.Regions,
		State: apiv1.RoleStatus(a.State), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Verification: verificationView(a.Verification),
		ExpiresAt: a.ExpiresAt}
}

func auditEntryView(e store.AuditEntry) apiv1.AuditEntry {
	return apiv1.AuditEntry{ID: e.ID, At: e.At, KeyKind: e.KeyKind, KeyID: e.KeyID, Actor: e.Actor, Action: e.Action,
		Request: e.Request, Customer: e.Customer, Target: e.Target, Outcome: e.Outcome, Detail: e.Detail}
}
