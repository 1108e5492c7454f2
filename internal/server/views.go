// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// The JSON the API returns (api/openapi.yaml), built from store values.

type diagAccountJSON struct {
	Name         string    `json:"name"`
	AccountID    string    `json:"account_id"`
	PrincipalARN string    `json:"principal_arn"`
	Region       string    `json:"region"`
	Status       string    `json:"status"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// principalARN is who the diag account assumes roles as: the configured principal, or else the
// account's root (any principal of the account that its own IAM allows).
func principalARN(d store.DiagAccount) string {
	if d.PrincipalARN != "" {
		return d.PrincipalARN
	}
	return "arn:aws:iam::" + d.AccountID + ":root"
}

func diagView(d store.DiagAccount) diagAccountJSON {
	return diagAccountJSON{Name: d.Name, AccountID: d.AccountID, PrincipalARN: principalARN(d), Region: d.Region,
		Status: d.Status, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

type accountStateJSON struct {
	AccountID string `json:"account_id"`
	RoleARN   string `json:"role_arn"`
	State     string `json:"state"`
}

type customerJSON struct {
	Name                    string             `json:"name"`
	DiagAccount             string             `json:"diag_account"`
	DiagAccountID           string             `json:"diag_account_id"`
	DiagAccountPrincipalARN string             `json:"diag_account_principal_arn"`
	DiagAccountStatus       string             `json:"diag_account_status"`
	ExternalID              string             `json:"external_id"`
	AWSRegion               string             `json:"aws_region"`
	Regions                 []string           `json:"regions"`
	AutoRunFinders          bool               `json:"auto_run_finders"`
	RoleStatus              string             `json:"role_status"`
	Accounts                []accountStateJSON `json:"accounts"`
	Users                   []string           `json:"users"`
	CreatedAt               time.Time          `json:"created_at"`
	UpdatedAt               time.Time          `json:"updated_at"`
}

func accountStates(accounts []store.AWSAccount) []accountStateJSON {
	out := make([]accountStateJSON, 0, len(accounts))
	for _, a := range accounts {
		out = append(out, accountStateJSON{AccountID: a.AccountID, RoleARN: a.RoleARN, State: a.State})
	}
	return out
}

func customerView(c store.Customer) customerJSON {
	v := customerJSON{Name: c.Name, DiagAccount: c.DiagAccount, DiagAccountStatus: c.DiagStatus(), ExternalID: c.ExternalID,
		AWSRegion: c.AWSRegion, Regions: c.Regions, AutoRunFinders: c.AutoRunFinders, RoleStatus: c.RoleStatus(),
		Accounts: accountStates(c.Accounts), Users: c.Users, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
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

type customerSummaryJSON struct {
	Name              string `json:"name"`
	DiagAccount       string `json:"diag_account"`
	DiagAccountStatus string `json:"diag_account_status"`
	RoleStatus        string `json:"role_status"`
}

type customerStatusJSON struct {
	Name              string             `json:"name"`
	DiagAccount       string             `json:"diag_account"`
	DiagAccountID     string             `json:"diag_account_id"`
	DiagAccountStatus string             `json:"diag_account_status"`
	RoleStatus        string             `json:"role_status"`
	Accounts          []accountStateJSON `json:"accounts"`
}

type userJSON struct {
	Name      string    `json:"name"`
	Customer  string    `json:"customer"`
	KeyID     string    `json:"key_id"`
	KeyName   string    `json:"key_name"`
	Token     string    `json:"token"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func userView(u store.User) userJSON {
	return userJSON{Name: u.Name, Customer: u.Customer, KeyID: u.KeyID, KeyName: u.KeyName(), Token: u.Token,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

type awsAccountJSON struct {
	Customer  string    `json:"customer"`
	AccountID string    `json:"account_id"`
	RoleARN   string    `json:"role_arn"`
	Regions   []string  `json:"regions"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func awsAccountView(a store.AWSAccount) awsAccountJSON {
	if a.Regions == nil {
		a.Regions = []string{}
	}
	return awsAccountJSON{Customer: a.Customer, AccountID: a.AccountID, RoleARN: a.RoleARN, Regions: a.Regions,
		State: a.State, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}
