// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"testing"
	"time"
)

// testUserExpiry: a user's expiry is stored and read back on every path; changing it keeps the
// key and bumps the version; PutUser and the legacy Provision leave it as it is.
func testUserExpiry(t *testing.T, s Store) {
	ctx := t.Context()
	mustCustomer(t, s, "acme.com", "")
	at := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	u, created, err := s.PutUserUntil(ctx, "acme.com", "joe", key(1), &at, Precondition{})
	if err != nil || !created || u.ExpiresAt == nil || !u.ExpiresAt.Equal(at) {
		t.Fatalf("create with an expiry: %+v %v %v", u, created, err)
	}
	for what, read := range map[string]func() (User, error){
		"get":      func() (User, error) { return s.GetUser(ctx, "acme.com", "joe") },
		"by token": func() (User, error) { return s.UserByToken(ctx, key(1).Token) },
		"list": func() (User, error) {
			l, err := s.ListUsers(ctx, "acme.com")
			if err != nil || len(l) != 1 {
				t.Fatalf("list: %+v %v", l, err)
			}
			return l[0], nil
		},
	} {
		if got, err := read(); err != nil || got.ExpiresAt == nil || !got.ExpiresAt.Equal(at) {
			t.Fatalf("%s: %+v %v", what, got, err)
		}
	}
	if u.Expired(at.Add(-time.Second)) || !u.Expired(at) || !u.Expired(at.Add(time.Hour)) {
		t.Fatal("Expired disagrees with ExpiresAt")
	}

	// The same expiry again writes nothing.
	same, created, err := s.PutUserUntil(ctx, "acme.com", "joe", key(2), &at, Precondition{})
	if err != nil || created || same.Version != u.Version || same.Token != key(1).Token {
		t.Fatalf("the same expiry again: %+v %v %v", same, created, err)
	}
	// A later one moves it in place: same key, new version.
	later := at.Add(30 * 24 * time.Hour)
	moved, created, err := s.PutUserUntil(ctx, "acme.com", "joe", key(3), &later, IfMatch(u.Version))
	if err != nil || created || moved.Token != key(1).Token || moved.KeyID != key(1).KeyID || moved.Version != u.Version+1 ||
		moved.ExpiresAt == nil || !moved.ExpiresAt.Equal(later) {
		t.Fatalf("moving the expiry: %+v %v %v", moved, created, err)
	}
	// PutUser and Provision keep it.
	if kept, _, err := s.PutUser(ctx, "acme.com", "joe", key(4), Precondition{}); err != nil || kept.ExpiresAt == nil || !kept.ExpiresAt.Equal(later) {
		t.Fatalf("PutUser changed the expiry: %+v %v", kept, err)
	}
	if kept, err := s.Provision(ctx, "acme.com", "joe", "", "", key(5)); err != nil || kept.ExpiresAt == nil || !kept.ExpiresAt.Equal(later) {
		t.Fatalf("Provision changed the expiry: %+v %v", kept, err)
	}
	// nil removes it.
	forever, _, err := s.PutUserUntil(ctx, "acme.com", "joe", key(6), nil, Precondition{})
	if err != nil || forever.ExpiresAt != nil || forever.Version != moved.Version+1 || forever.Token != key(1).Token {
		t.Fatalf("removing the expiry: %+v %v", forever, err)
	}
	if got, err := s.GetUser(ctx, "acme.com", "joe"); err != nil || got.ExpiresAt != nil || got.Expired(later.Add(time.Hour)) {
		t.Fatalf("after removing the expiry: %+v %v", got, err)
	}
}

// testAccountExpiry: an AWS account's expiry is stored, read back (also by the customer), and
// replaced by each PUT: absent removes it.
func testAccountExpiry(t *testing.T, s Store) {
	ctx := t.Context()
	mustCustomer(t, s, "acme.com", "")
	at := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	a := AWSAccount{Customer: "acme.com", AccountID: "123456789012", State: StateInProgress, ExpiresAt: &at}
	got, _, err := s.PutAWSAccount(ctx, a, Precondition{})
	if err != nil || got.ExpiresAt == nil || !got.ExpiresAt.Equal(at) {
		t.Fatalf("create with an expiry: %+v %v", got, err)
	}
	if c, err := s.GetCustomer(ctx, "acme.com"); err != nil || len(c.Accounts) != 1 || c.Accounts[0].ExpiresAt == nil || !c.Accounts[0].ExpiresAt.Equal(at) {
		t.Fatalf("the customer's account: %+v %v", c.Accounts, err)
	}
	a.ExpiresAt = nil
	if got, _, err := s.PutAWSAccount(ctx, a, Precondition{}); err != nil || got.ExpiresAt != nil {
		t.Fatalf("a PUT without an expiry: %+v %v", got, err)
	}
	if got, err := s.GetAWSAccount(ctx, "acme.com", "123456789012"); err != nil || got.ExpiresAt != nil {
		t.Fatalf("read back: %+v %v", got, err)
	}
}
