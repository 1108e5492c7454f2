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
	// customer: the whole record, the same as v1's.
	got := e.legacyJSON("customer", "acme.com").(map[string]any)
	var v1 map[string]any
	e.must(200, "GET", "/v1/customers/acme.com", e.ops, nil).decode(t, &v1)
	if !reflect.DeepEqual(got, v1) {
		t.Fatalf("customer: %v\nv1: %v", got, v1)
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
