// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// The legacy protocol answers each target in exactly the shape apiKeyGen.py expects.

func legacyPath(target, customer string) string {
	q := url.Values{"target": {target}}
	if customer != "" {
		q.Set("customer", customer)
	}
	return "/internal?" + q.Encode()
}

// legacyJSON calls a target with the ops key, expects 200 and decodes the answer generically, so
// that the tests see the exact JSON shape.
func (e *env) legacyJSON(target, customer string) any {
	e.t.Helper()
	var v any
	r := e.must(200, "GET", legacyPath(target, customer), e.ops, nil)
	if err := json.Unmarshal(r.body, &v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

func TestLegacyProvision(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", "/v1/diag-accounts/Diag3", e.ops, map[string]any{"account_id": "111122223333"})
	e.must(201, "PUT", "/v1/diag-accounts/Diag4", e.ops, map[string]any{"account_id": "444455556666"})

	got := e.legacyJSON("provision", "joe@acme.com:Diag3").(map[string]any)
	if len(got) != 3 || got["key_name"] != "joe@acme.com-API-Key" || got["key_id"] == "" || !strings.HasPrefix(got["api_key"].(string), "vcu_") {
		t.Fatalf("provision: %v", got)
	}
	again := e.legacyJSON("provision", "joe@acme.com:Diag4").(map[string]any)
	if !reflect.DeepEqual(again, got) {
		t.Fatalf("re-provisioning must return the existing key: %v vs %v", again, got)
	}
	var c customerBody
	e.must(200, "GET", "/v1/customers/acme.com", e.ops, nil).decode(t, &c)
	if c.DiagAccount != "Diag4" || len(c.Users) != 1 {
		t.Fatalf("naming a diag account reassigns it for the customer: %+v", c)
	}
	// The key works on the v1 API.
	e.must(200, "GET", "/v1/customers/acme.com", got["api_key"].(string), nil)
}

func TestLegacyReads(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", "/v1/diag-accounts/Diag3", e.ops, map[string]any{"account_id": "111122223333"})
	ann := e.legacyJSON("provision", "ann@acme.com:Diag3").(map[string]any)["api_key"]
	joe := e.legacyJSON("provision", "joe@acme.com").(map[string]any)["api_key"]
	e.legacyJSON("provision", "bob@other.org")
	e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", e.ops, map[string]any{"state": "in-progress"})

	cases := []struct {
		target, customer string
		want             any
	}{
		{"diags", "", []any{"Diag3"}},
		{"mtok", "", e.master},
		{"customers", "", []any{"acme.com", "other.org"}},
		{"ctok", "acme.com", map[string]any{"name": "Diag3", "account": "111122223333", "tokens": []any{
			map[string]any{"ann": map[string]any{"x-api-key": ann}},
			map[string]any{"joe": map[string]any{"x-api-key": joe}},
		}}},
		{"cstatus", "acme.com", map[string]any{"name": "Diag3", "account": "111122223333", "cross_account_role_creation_status": "in-progress"}},
		{"cstatus", "other.org", map[string]any{"name": "", "account": "", "cross_account_role_creation_status": "pending"}},
		{"nonsense", "", map[string]any{}},
		{"", "", map[string]any{}},
	}
	for _, c := range cases {
		if got := e.legacyJSON(c.target, c.customer); !reflect.DeepEqual(got, c.want) {
			t.Errorf("target=%s customer=%s:\n got  %#v\n want %#v", c.target, c.customer, got, c.want)
		}
	}
}

func TestLegacyUnprovision(t *testing.T) {
	e := newEnv(t)
	token := e.legacyJSON("provision", "joe@acme.com").(map[string]any)["api_key"].(string)
	if got := e.legacyJSON("unprovision", "acme.com"); !reflect.DeepEqual(got, map[string]any{"Status": "success"}) {
		t.Fatalf("unprovision: %v", got)
	}
	e.must(401, "GET", "/v1/customers/acme.com", token, nil)
	e.must(404, "GET", "/v1/customers/acme.com", e.ops, nil)
	if got := e.legacyJSON("unprovision", "acme.com"); !reflect.DeepEqual(got, map[string]any{"Status": "not found"}) {
		t.Fatalf("unprovision again: %v", got)
	}
	// The old protocol answers 200 either way; the trail says which one removed the customer.
	var outcomes []string
	for _, en := range e.audit("?customer=acme.com").Entries {
		if en.Action == "legacy.unprovision" {
			outcomes = append(outcomes, en.Outcome+"|"+en.Detail)
		}
	}
	if want := []string{"ok|", `404 not_found|customer "acme.com" does not exist`}; !reflect.DeepEqual(outcomes, want) {
		t.Fatalf("unprovision audited as %q, want %q", outcomes, want)
	}
}

// TestLegacyUnprovisionUser: user@customer revokes that user's key and nothing else; the old
// backend removed the whole customer.
func TestLegacyUnprovisionUser(t *testing.T) {
	e := newEnv(t)
	joe := e.legacyJSON("provision", "joe@acme.com").(map[string]any)["api_key"].(string)
	ann := e.legacyJSON("provision", "ann@acme.com").(map[string]any)["api_key"].(string)
	bob := e.legacyJSON("provision", "joe@other.org").(map[string]any)["api_key"].(string)
	e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", e.ops, map[string]any{"state": "in-progress"})

	if got := e.legacyJSON("unprovision", "joe@acme.com"); !reflect.DeepEqual(got, map[string]any{"Status": "success"}) {
		t.Fatalf("unprovision joe@acme.com: %v", got)
	}
	e.must(401, "GET", "/v1/customers/acme.com", joe, nil)
	e.must(404, "GET", "/v1/customers/acme.com/users/joe", e.ops, nil)
	e.must(200, "GET", "/v1/customers/acme.com", ann, nil)
	e.must(200, "GET", "/v1/customers/other.org", bob, nil) // another customer's joe
	var c customerBody
	e.must(200, "GET", "/v1/customers/acme.com", e.ops, nil).decode(t, &c)
	if !reflect.DeepEqual(c.Users, []string{"ann"}) || len(c.Accounts) != 1 {
		t.Fatalf("the customer keeps its other users and its accounts: %+v", c)
	}
	users := e.legacyJSON("customer", "acme.com").(map[string]any)["profile"].(map[string]any)["users"].(map[string]any)
	if _, ok := users["joe"]; ok || len(users) != 1 {
		t.Fatalf("the legacy record still lists joe: %v", users)
	}

	before := e.snapshot()
	for _, arg := range []string{"joe@acme.com", "joe@nope.com"} {
		if got := e.legacyJSON("unprovision", arg); !reflect.DeepEqual(got, map[string]any{"Status": "not found"}) {
			t.Fatalf("unprovision %s: %v", arg, got)
		}
	}
	if e.snapshot() != before {
		t.Fatal("unprovisioning a user who is not there wrote")
	}
	var outcomes []string
	for _, en := range e.audit("?customer=acme.com").Entries {
		if en.Action == "legacy.unprovision" {
			outcomes = append(outcomes, en.Target+"|"+en.Outcome+"|"+en.Detail)
		}
	}
	if want := []string{"joe@acme.com|ok|", `joe@acme.com|404 not_found|user "joe" of customer "acme.com" does not exist`}; !reflect.DeepEqual(outcomes, want) {
		t.Fatalf("unprovision audited as %q, want %q", outcomes, want)
	}

	// Unprovisioning the customer still takes everything.
	if got := e.legacyJSON("unprovision", "acme.com"); !reflect.DeepEqual(got, map[string]any{"Status": "success"}) {
		t.Fatalf("unprovision acme.com: %v", got)
	}
	e.must(401, "GET", "/v1/customers/acme.com", ann, nil)
	e.must(200, "GET", "/v1/customers/other.org", bob, nil)
}

// TestLegacyRefusals: what the old backend silently mishandled is refused with a message, and
// nothing is written.
func TestLegacyRefusals(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", "/v1/diag-accounts/Diag3", e.ops, map[string]any{"account_id": "111122223333"})
	user := e.legacyJSON("provision", "joe@acme.com").(map[string]any)["api_key"].(string)
	cases := []struct {
		key, target, customer string
		status                int
		says                  string
		field                 string
	}{
		{e.ops, "provision", "joe@acme.com:Nope", 400, `diag_account "Nope" does not exist; known: Diag3`, "customer"},
		{e.ops, "provision", "@acme.com", 400, "names no user", "customer"},
		{e.ops, "provision", "acme.com", 400, "names no user", "customer"},
		{e.ops, "provision", "", 400, "customer=<user>@<customer>[:<diag account>]", "customer"},
		{e.ops, "provision", "joe@acme.com:", 400, "empty diag account", "customer"},
		{e.ops, "provision", "joe@ACME", 400, "lower-case DNS domain", "customer"},
		{e.ops, "provision", "jo e@acme.com", 400, `"jo e" is not a user name`, "customer"},
		{e.ops, "customer", "", 400, "target=customer needs customer=<customer>", "customer"},
		{e.ops, "ctok", "nope.com", 404, `customer "nope.com" does not exist`, ""},
		{e.ops, "unprovision", "Bad_Name", 400, "lower-case DNS domain", "customer"},
		{e.ops, "unprovision", "", 400, "customer=<customer> or customer=<user>@<customer>", "customer"},
		{e.ops, "unprovision", "joe@", 400, "customer=<customer> or customer=<user>@<customer>", "customer"},
		{e.ops, "unprovision", "@acme.com", 400, `"" is not a user name`, "customer"},
		{e.ops, "unprovision", "jo e@acme.com", 400, `"jo e" is not a user name`, "customer"},
		{e.ops, "unprovision", "joe@ACME.com", 400, "lower-case DNS domain", "customer"},
		{e.ops, "unprovision", "joe@acme.com:Diag3", 400, "lower-case DNS domain", "customer"},
		{e.master, "diags", "", 403, "needs the ops key; this request used the master token", ""},
		{user, "ctok", "acme.com", 403, "needs the ops key; this request used the user token of joe@acme.com", ""},
		{"", "mtok", "", 401, "no API key", ""},
	}
	for _, c := range cases {
		before := e.snapshot()
		r := e.call("GET", legacyPath(c.target, c.customer), c.key, nil)
		if r.status != c.status || !strings.Contains(r.message(), c.says) || r.field() != c.field {
			t.Errorf("target=%s customer=%q: got %d %s, want %d saying %q about field %q", c.target, c.customer, r.status, r.body, c.status, c.says, c.field)
		}
		if e.snapshot() != before {
			t.Errorf("target=%s customer=%q: a refused request wrote", c.target, c.customer)
		}
	}
}
