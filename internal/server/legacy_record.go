// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"strings"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// The old backend's placeholders for what a customer does not have yet. Scripts written against
// it compare with these, so they are kept word for word (README, "The legacy protocol").
const (
	legacyNotYet        = "yet to be provisioned"
	legacyNoAccountYet  = "not yet provisioned" // the item's `account` had a wording of its own
	legacyTimeLayout    = "20060102150405"      // the item's timestamps: UTC, to the second, as text
	legacyRoleStatusDoc = "Where the customer's read-only role stands: the status of its AWS accounts taken together."
	legacyInfraDoc      = "Whether the customer's diagnostic account is ready for use."
)

// legacyRecord is target=customer: the customer as the old backend's DynamoDB item had it, key for
// key and with the item's JSON types, filled from the store. The v1 fields come beside it through
// the embedded apiv1.Customer; where a name is the item's as well, the item's field, declared
// here, hides v1's (encoding/json prefers the shallower field): name, aws_region, regions and
// auto_run_finders mean the same in both, accounts does not (ids here, account states in v1).
type legacyRecord struct {
	apiv1.Customer

	Name             string   `json:"name"`
	Account          string   `json:"account"`
	AWSRegion        string   `json:"aws_region"`
	Accounts         []string `json:"accounts"`
	Actions          []any    `json:"actions"`
	Regions          []string `json:"regions"`
	Findings         []any    `json:"findings"`
	AutoRunFinders   bool     `json:"auto_run_finders"`
	ModificationDate string   `json:"modification_date"`
	Timestamp        string   `json:"timestamp"`

	Profile      legacyProfile    `json:"profile"`
	RoleCreation legacyRoleStatus `json:"cross_account_role_creation_status"`
	Infra        legacyInfra      `json:"infra"`
}

type legacyProfile struct {
	Users    map[string]legacyUserKey `json:"users"`
	Role     string                   `json:"role"`
	ClientID string                   `json:"client-id"`
}

type legacyUserKey struct {
	KeyID   string `json:"key_id"`
	KeyName string `json:"key_name"`
	APIKey  string `json:"x-api-key"`
}

// legacyRoleStatus spells its description with a capital D, legacyInfraStatus without: so did
// the item.
type legacyRoleStatus struct {
	Default     apiv1.RoleStatus   `json:"default"`
	Template    string             `json:"template"`
	Description string             `json:"Description"`
	Values      []apiv1.RoleStatus `json:"values"`
}

type legacyInfra struct {
	Cloud  legacyCloud       `json:"cloud"`
	Jira   legacyJira        `json:"jira"`
	Status legacyInfraStatus `json:"status"`
}

type legacyCloud struct {
	Name    string `json:"name"`
	Account string `json:"account"`
}

type legacyJira struct {
	FQDN string `json:"fqdn"`
	Wiki string `json:"wiki"`
}

type legacyInfraStatus struct {
	Default     apiv1.DiagAccountAvailability   `json:"default"`
	Description string                          `json:"description"`
	Values      []apiv1.DiagAccountAvailability `json:"values"`
}

// newLegacyRecord fills the item from the customer (as v has it) and its users with their keys.
// What the store has no source for gets the old backend's value for a new customer: no actions,
// no findings, no template, no Jira.
func newLegacyRecord(c store.Customer, v apiv1.Customer, users []store.User) legacyRecord {
	rec := legacyRecord{Customer: v,
		Name: v.Name, Account: legacyNoAccountYet, AWSRegion: v.AWSRegion, Accounts: []string{},
		Actions: []any{}, Regions: v.Regions, Findings: []any{}, AutoRunFinders: v.AutoRunFinders,
		ModificationDate: v.UpdatedAt.UTC().Format(legacyTimeLayout), Timestamp: v.CreatedAt.UTC().Format(legacyTimeLayout),
		Profile: legacyProfile{Users: map[string]legacyUserKey{}, Role: legacyNotYet, ClientID: v.ExternalID},
		RoleCreation: legacyRoleStatus{Default: v.RoleStatus, Template: legacyNotYet, Description: legacyRoleStatusDoc,
			Values: []apiv1.RoleStatus{apiv1.RolePending, apiv1.RolePurge, apiv1.RoleInProgress, apiv1.RoleDone}},
		Infra: legacyInfra{
			Cloud: legacyCloud{Name: legacyNotYet, Account: legacyNotYet},
			Jira:  legacyJira{FQDN: legacyNotYet, Wiki: legacyNotYet},
			Status: legacyInfraStatus{Default: v.DiagAccountStatus, Description: legacyInfraDoc,
				Values: []apiv1.DiagAccountAvailability{apiv1.DiagnosticsAccountUnavailable, apiv1.DiagnosticsAccountReady}},
		},
	}
	if rec.AWSRegion == "" {
		rec.AWSRegion = store.DefaultAWSRegion
	}
	// The item had one `account` beside the list: the account the customer's side wrote last,
	// with its role in profile.role. The store keeps every account's write time, so the same
	// account is found again; a tie goes to the higher id, for an answer that does not vary.
	var last *store.AWSAccount
	for i := range c.Accounts {
		a := &c.Accounts[i]
		rec.Accounts = append(rec.Accounts, a.AccountID)
		if last == nil || !a.UpdatedAt.Before(last.UpdatedAt) {
			last = a
		}
	}
	if last != nil {
		rec.Account = last.AccountID
		if last.RoleARN != "" {
			// The item kept the role's name; the ARN is in v1's accounts.
			rec.Profile.Role = last.RoleARN[strings.LastIndex(last.RoleARN, "/")+1:]
		}
	}
	for _, u := range users {
		rec.Profile.Users[u.Name] = legacyUserKey{KeyID: u.KeyID, KeyName: u.KeyName(), APIKey: u.Token}
	}
	if c.Diag != nil {
		rec.Infra.Cloud = legacyCloud{Name: c.Diag.Name, Account: c.Diag.AccountID}
	}
	return rec
}
