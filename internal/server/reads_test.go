// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"slices"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
)

// A client reading many customers asks once for all of them, and gets each as its own GET gives
// it, ETag included.
func TestCustomersByName(t *testing.T) {
	e := newEnv(t)
	joe, _ := e.seed()

	var got apiv1.CustomerRecords
	e.must(200, "GET", "/v1/customers?name=other.org&name=gone.com&name=acme.com&name=other.org", e.ops, nil).decode(t, &got)
	if names := customerNames(got.Customers); !slices.Equal(names, []string{"other.org", "acme.com"}) {
		t.Fatalf("asked for other.org, gone.com, acme.com, other.org: got %v; want other.org, acme.com (the order asked, "+
			"each once, none for a customer that does not exist)", names)
	}
	for _, c := range got.Customers {
		one := e.must(200, "GET", "/v1/customers/"+c.Name, e.master, nil)
		var want apiv1.Customer
		one.decode(t, &want)
		if c.ETag == "" || c.ETag != one.header.Get("ETag") || c.ETag != want.ETag {
			t.Errorf("%s: etag %q in the list; its GET has %q in the header and %q in the body", c.Name, c.ETag, one.header.Get("ETag"), want.ETag)
		}
		if c.ExternalID != want.ExternalID || !slices.Equal(c.Users, want.Users) || c.DiagAccountID != want.DiagAccountID {
			t.Errorf("%s: the list's record %+v differs from its GET's %+v", c.Name, c, want)
		}
	}

	// A user's token reads its own customer and learns nothing of the others, not even that they exist.
	e.must(200, "GET", "/v1/customers?name=other.org&name=acme.com", joe, nil).decode(t, &got)
	if names := customerNames(got.Customers); !slices.Equal(names, []string{"acme.com"}) {
		t.Errorf("joe of acme.com asked for other.org and acme.com: got %v; want acme.com only", names)
	}

	// With include=user_keys, each record carries its users with their keys, as their list gives them.
	e.must(201, "PUT", "/v1/customers/acme.com/users/ann", e.ops, nil)
	e.must(200, "GET", "/v1/customers?name=acme.com&name=other.org&include=user_keys", e.master, nil).decode(t, &got)
	for _, c := range got.Customers {
		var list apiv1.UserList
		e.must(200, "GET", "/v1/customers/"+c.Name+"/users", e.ops, nil).decode(t, &list)
		if len(c.UserKeys) != len(list.Users) {
			t.Fatalf("%s: %d user keys; its list of users has %d", c.Name, len(c.UserKeys), len(list.Users))
		}
		for i, u := range list.Users {
			if k := c.UserKeys[i]; k.Name != u.Name || k.Token != u.Token || k.ETag != u.ETag || k.KeyID != u.KeyID {
				t.Errorf("%s: user key %d is %s (etag %s); the list has %s (etag %s), or their tokens differ", c.Name, i, k.Name, k.ETag, u.Name, u.ETag)
			}
		}
	}
	if len(got.Customers) != 2 || len(got.Customers[0].UserKeys) != 2 {
		t.Errorf("include=user_keys gave %d customers, the first with %d users; want 2, and acme.com's joe and ann", len(got.Customers), len(got.Customers[0].UserKeys))
	}
	var plain apiv1.CustomerRecords
	e.must(200, "GET", "/v1/customers?name=acme.com", e.ops, nil).decode(t, &plain)
	if plain.Customers[0].UserKeys != nil {
		t.Errorf("without include, the record carries user keys: %d", len(plain.Customers[0].UserKeys))
	}
	e.must(403, "GET", "/v1/customers?name=acme.com&include=user_keys", joe, nil)
	if r := e.must(400, "GET", "/v1/customers?name=acme.com&include=users", e.ops, nil); r.field() != "include" {
		t.Errorf("include=users is refused about %q; want the include parameter", r.field())
	}

	bad := e.must(400, "GET", "/v1/customers?name=acme.com&name=ACME..com", e.ops, nil)
	if bad.field() != "name" {
		t.Errorf("an invalid name is refused about %q; want the name parameter", bad.field())
	}
	e.must(401, "GET", "/v1/customers?name=acme.com", "vcu_not-a-key-not-a-key-not-a-key-not-a-key-x", nil)

	// Without name, the list is the summaries it always was.
	var summaries apiv1.CustomerList
	e.must(200, "GET", "/v1/customers", e.ops, nil).decode(t, &summaries)
	if len(summaries.Customers) != 2 {
		t.Errorf("the list of customers has %d entries; want 2", len(summaries.Customers))
	}
}

// The list of a customer's users gives each user's ETag, which its rotation changes, so that a
// client reading users from the list can still write under If-Match.
func TestUserListCarriesETags(t *testing.T) {
	e := newEnv(t)
	e.seed()
	e.must(201, "PUT", "/v1/customers/acme.com/users/ann", e.ops, nil)
	e.must(200, "POST", "/v1/customers/acme.com/users/ann/rotate", e.ops, nil)

	var list apiv1.UserList
	e.must(200, "GET", "/v1/customers/acme.com/users", e.ops, nil).decode(t, &list)
	if len(list.Users) != 2 {
		t.Fatalf("acme.com has %d users in its list; want 2", len(list.Users))
	}
	for _, u := range list.Users {
		one := e.must(200, "GET", "/v1/customers/acme.com/users/"+u.Name, e.ops, nil)
		var want apiv1.User
		one.decode(t, &want)
		if u.ETag == "" || u.ETag != one.header.Get("ETag") || u.Token != want.Token {
			t.Errorf("%s: etag %q and token in the list; its GET has etag %q (header), and the token matches: %v",
				u.Name, u.ETag, one.header.Get("ETag"), u.Token == want.Token)
		}
		e.must(204, "DELETE", "/v1/customers/acme.com/users/"+u.Name, e.ops, nil, "If-Match", u.ETag)
	}
}

func customerNames(list []apiv1.Customer) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.Name)
	}
	return out
}
