// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// RoleSnapshot is a copy of one role's state, for assertions in tests and for
// the admin endpoint. Policy documents are plain JSON (not URL-encoded).
type RoleSnapshot struct {
	Account     string    `json:"account"`
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	ARN         string    `json:"arn"`
	RoleID      string    `json:"role_id"`
	CreateDate  time.Time `json:"create_date"`
	Description string    `json:"description,omitempty"`
	// TrustPolicy is the trust policy as IAM stores it: normalised (account
	// ids rewritten to root ARNs, compact, keys sorted).
	TrustPolicy         string            `json:"trust_policy"`
	MaxSessionDuration  int               `json:"max_session_duration"`
	PermissionsBoundary string            `json:"permissions_boundary,omitempty"`
	Tags                map[string]string `json:"tags"`
	// InlinePolicies maps policy name to document, verbatim as put.
	InlinePolicies map[string]string `json:"inline_policies"`
	// AttachedPolicies are managed policy ARNs in attach order.
	AttachedPolicies []string `json:"attached_policies"`
	// InstanceProfiles are the names of the instance profiles holding the role.
	InstanceProfiles []string   `json:"instance_profiles"`
	LastUsed         *time.Time `json:"last_used,omitempty"`
}

// Role returns a snapshot of a role (names are case-insensitive, as in IAM).
// It ignores Faults.InvisibleReads and does not count as a call.
func (e *Emulator) Role(account, name string) (RoleSnapshot, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.accounts[account]
	if a == nil {
		return RoleSnapshot{}, false
	}
	r := a.roles[strings.ToLower(name)]
	if r == nil {
		return RoleSnapshot{}, false
	}
	return a.snapshot(r), true
}

// Roles returns snapshots of all roles of an account, sorted by name.
func (e *Emulator) Roles(account string) []RoleSnapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.accounts[account]
	if a == nil {
		return []RoleSnapshot{}
	}
	out := make([]RoleSnapshot, 0, len(a.roles))
	for _, k := range slices.Sorted(maps.Keys(a.roles)) {
		out = append(out, a.snapshot(a.roles[k]))
	}
	return out
}

// Accounts returns the ids of the accounts that have been used, sorted.
func (e *Emulator) Accounts() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(maps.Keys(e.accounts))
}

// Reset forgets all IAM state and sessions (not the fault settings or the
// call counts).
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.accounts = map[string]*account{}
	e.sessions = map[string]*session{}
}

func (a *account) snapshot(r *role) RoleSnapshot {
	s := RoleSnapshot{
		Account:             a.id,
		Name:                r.name,
		Path:                r.path,
		ARN:                 r.arn,
		RoleID:              r.id,
		CreateDate:          r.created,
		Description:         r.description,
		TrustPolicy:         r.trust,
		MaxSessionDuration:  r.maxSession,
		PermissionsBoundary: r.boundary,
		Tags:                map[string]string{},
		InlinePolicies:      map[string]string{},
		AttachedPolicies:    append([]string{}, r.attached...),
		InstanceProfiles:    []string{},
	}
	for _, t := range r.tags {
		s.Tags[t.Key] = t.Value
	}
	for _, p := range r.inline {
		s.InlinePolicies[p.name] = p.doc
	}
	for _, p := range a.roleProfiles(strings.ToLower(r.name)) {
		s.InstanceProfiles = append(s.InstanceProfiles, p.name)
	}
	sort.Strings(s.InstanceProfiles)
	if !r.lastUsed.IsZero() {
		t := r.lastUsed
		s.LastUsed = &t
	}
	return s
}
