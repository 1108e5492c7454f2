// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestPermissions tries every endpoint with every kind of key, each on a fresh server: the ops
// key, the master token, a user token of the customer in the path (joe@acme.com), a user token of
// another customer (ann@other.org), a key nobody has, and no key.
func TestPermissions(t *testing.T) {
	type endpoint struct {
		method, path string
		body         any
		allowed      []string // keys that may; the rest get 403 (or 401)
		setup        func(e *env)
	}
	account := func(e *env) {
		e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", e.ops, map[string]any{"state": "in-progress"})
	}
	endpoints := []endpoint{
		{"GET", "/v1/diag-accounts", nil, []string{"ops", "master"}, nil},
		{"PUT", "/v1/diag-accounts/Diag5", map[string]any{"account_id": "555566667777"}, []string{"ops"}, nil},
		{"GET", "/v1/master-token", nil, []string{"ops"}, nil},
		{"GET", "/v1/customers", nil, []string{"ops", "master", "joe", "ann"}, nil},
		{"PUT", "/v1/customers/acme.com", map[string]any{"diag_account": "Diag3"}, []string{"ops"}, nil},
		{"GET", "/v1/customers/acme.com", nil, []string{"ops", "master", "joe"}, nil},
		{"DELETE", "/v1/customers/acme.com", nil, []string{"ops"}, nil},
		{"GET", "/v1/customers/acme.com/status", nil, []string{"ops", "master", "joe"}, nil},
		{"GET", "/v1/customers/acme.com/users", nil, []string{"ops", "master"}, nil},
		{"PUT", "/v1/customers/acme.com/users/bob", nil, []string{"ops"}, nil},
		{"GET", "/v1/customers/acme.com/users/joe", nil, []string{"ops", "master"}, nil},
		{"DELETE", "/v1/customers/acme.com/users/joe", nil, []string{"ops"}, nil},
		{"POST", "/v1/customers/acme.com/users/joe/rotate", nil, []string{"ops"}, nil},
		{"GET", "/v1/customers/acme.com/aws-accounts", nil, []string{"ops", "master", "joe"}, nil},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", map[string]any{"state": "in-progress"}, []string{"ops", "joe"}, nil},
		{"GET", "/v1/customers/acme.com/aws-accounts/123456789012", nil, []string{"ops", "master", "joe"}, account},
		{"DELETE", "/v1/customers/acme.com/aws-accounts/123456789012", nil, []string{"ops", "joe"}, account},
	}
	kinds := []string{"ops", "master", "joe", "ann", "unknown", "none"}
	for _, ep := range endpoints {
		for _, kind := range kinds {
			t.Run(ep.method+" "+ep.path+" as "+kind, func(t *testing.T) {
				e := newEnv(t)
				joe, ann := e.seed()
				if ep.setup != nil {
					ep.setup(e)
				}
				key := map[string]string{"ops": e.ops, "master": e.master, "joe": joe, "ann": ann,
					"unknown": "vcu_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "none": ""}[kind]
				before := e.snapshot()
				r := e.call(ep.method, ep.path, key, ep.body)
				allowed := false
				for _, a := range ep.allowed {
					allowed = allowed || a == kind
				}
				switch {
				case kind == "none" || kind == "unknown":
					if r.status != 401 || r.errorCode() != "unauthenticated" {
						t.Fatalf("got %d %s, want 401 unauthenticated", r.status, r.body)
					}
				case allowed:
					if r.status < 200 || r.status > 299 {
						t.Fatalf("got %d %s, want 2xx", r.status, r.body)
					}
					return
				default:
					if r.status != 403 || r.errorCode() != "permission_denied" {
						t.Fatalf("got %d %s, want 403 permission_denied", r.status, r.body)
					}
				}
				if after := e.snapshot(); after != before {
					t.Fatalf("a refused request changed the store:\nbefore %s\nafter %s", before, after)
				}
			})
		}
	}
}

func TestUserTokenSeesOnlyItsCustomer(t *testing.T) {
	e := newEnv(t)
	joe, _ := e.seed()
	var list struct{ Customers []struct{ Name string } }
	e.must(200, "GET", "/v1/customers", joe, nil).decode(t, &list)
	if len(list.Customers) != 1 || list.Customers[0].Name != "acme.com" {
		t.Fatalf("joe sees %+v", list.Customers)
	}
	// Another customer, existing or not, gets the same answer: a user token cannot probe names.
	exists := e.must(403, "GET", "/v1/customers/other.org", joe, nil)
	missing := e.must(403, "GET", "/v1/customers/nowhere.net", joe, nil)
	if !bytes.Contains(exists.body, []byte(`may only access customer \"acme.com\"`)) ||
		strings.ReplaceAll(string(missing.body), "nowhere.net", "other.org") != string(exists.body) {
		t.Fatalf("answers differ: %s / %s", exists.body, missing.body)
	}
	e.must(403, "PUT", "/v1/customers/other.org/aws-accounts/123456789012", joe, map[string]any{})
	// Bearer works as well as x-api-key.
	e.must(200, "GET", "/v1/customers/acme.com", "", nil, "Authorization", "Bearer "+joe)
}

func TestRevokedKeysStopAtOnce(t *testing.T) {
	e := newEnv(t)
	joe, ann := e.seed()
	e.must(200, "GET", "/v1/customers/acme.com", joe, nil)

	var rotated struct{ Token string }
	e.must(200, "POST", "/v1/customers/acme.com/users/joe/rotate", e.ops, nil).decode(t, &rotated)
	if rotated.Token == joe || !strings.HasPrefix(rotated.Token, UserTokenPrefix) {
		t.Fatalf("rotated token %q", rotated.Token)
	}
	e.must(401, "GET", "/v1/customers/acme.com", joe, nil)
	e.must(200, "GET", "/v1/customers/acme.com", rotated.Token, nil)

	e.must(204, "DELETE", "/v1/customers/acme.com/users/joe", e.ops, nil)
	e.must(401, "GET", "/v1/customers/acme.com", rotated.Token, nil)

	e.must(204, "DELETE", "/v1/customers/other.org", e.ops, nil)
	e.must(401, "GET", "/v1/customers/other.org/status", ann, nil)
}

// TestSecretsNeverLogged runs requests that carry and return every kind of secret and checks
// that the server's log holds none of them.
func TestSecretsNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken()}
	e.url, e.store = e.serve(testDB(t), slog.New(slog.NewJSONHandler(&logs, nil)))

	joe, ann := e.seed()
	var rotated struct{ Token string }
	e.must(200, "POST", "/v1/customers/acme.com/users/joe/rotate", e.ops, nil).decode(t, &rotated)
	e.must(200, "GET", "/v1/master-token", e.ops, nil)
	e.must(200, "GET", "/v1/customers/acme.com/users", e.master, nil)
	e.must(401, "GET", "/v1/customers/acme.com", joe, nil)
	e.must(403, "GET", "/v1/customers/acme.com", ann, nil)
	e.must(200, "GET", "/v1/customers/other.org", "", nil, "Authorization", "Bearer "+ann)
	if logs.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	for name, secret := range map[string]string{"ops key": e.ops, "master token": e.master, "joe's token": joe,
		"joe's new token": rotated.Token, "ann's token": ann} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %s", name)
		}
	}
	// Each request is one JSON line that names the kind of key.
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["msg"] == "request" && rec["key"] == nil {
			t.Errorf("access log line without the key kind: %s", line)
		}
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	e.must(200, "GET", "/healthz", "", nil)
	e.must(200, "GET", "/readyz", "", nil)
	_ = e.store.Close()
	r := e.must(503, "GET", "/readyz", "", nil)
	if r.errorCode() != "unavailable" {
		t.Fatalf("readyz with the database closed: %s", r.body)
	}
	e.must(200, "GET", "/healthz", "", nil)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	e := newEnv(t)
	r := e.call("GET", "/v2/customers", e.ops, nil)
	if r.status != http.StatusNotFound || r.errorCode() != "not_found" {
		t.Fatalf("unknown path: %d %s", r.status, r.body)
	}
	r = e.call("PATCH", "/v1/customers/acme.com", e.ops, "{}")
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "DELETE, GET, PUT" {
		t.Fatalf("wrong method: %d %v %s", r.status, r.header, r.body)
	}
}
