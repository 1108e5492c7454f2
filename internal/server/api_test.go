// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

type customerBody struct {
	Name                    string
	DiagAccount             string `json:"diag_account"`
	DiagAccountID           string `json:"diag_account_id"`
	DiagAccountPrincipalARN string `json:"diag_account_principal_arn"`
	DiagAccountStatus       string `json:"diag_account_status"`
	ExternalID              string `json:"external_id"`
	AWSRegion               string `json:"aws_region"`
	Regions                 []string
	AutoRunFinders          bool   `json:"auto_run_finders"`
	RoleStatus              string `json:"role_status"`
	Users                   []string
	Accounts                []struct {
		AccountID string `json:"account_id"`
		RoleARN   string `json:"role_arn"`
		State     string
	}
}

func TestCustomerLifecycle(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", "/v1/diag-accounts/Diag3", e.ops, map[string]any{"account_id": "111122223333",
		"principal_arn": "arn:aws:iam::111122223333:role/virtco-collector"})
	e.must(201, "PUT", "/v1/diag-accounts/Diag9", e.ops, map[string]any{"account_id": "999988887777", "status": "provisioning"})

	r := e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	var c customerBody
	r.decode(t, &c)
	if r.header.Get("Location") != "/v1/customers/acme.com" || r.header.Get("ETag") != `"1"` {
		t.Fatalf("headers: %v", r.header)
	}
	if c.DiagAccount != "" || c.DiagAccountStatus != "diagnostics_account_unavailable" || c.AWSRegion != "us-east-1" ||
		!c.AutoRunFinders || len(c.Regions) != 0 || c.RoleStatus != "pending" || len(c.ExternalID) != 36 {
		t.Fatalf("defaults: %+v", c)
	}
	external := c.ExternalID

	r = e.must(200, "PUT", "/v1/customers/acme.com", e.ops, map[string]any{"diag_account": "Diag3", "aws_region": "eu-west-1",
		"regions": []string{"eu-west-1", "eu-central-1"}, "auto_run_finders": false}, "If-Match", `"1"`)
	r.decode(t, &c)
	if c.ExternalID != external || c.DiagAccountStatus != "ready-for-use" || c.DiagAccountID != "111122223333" ||
		c.DiagAccountPrincipalARN != "arn:aws:iam::111122223333:role/virtco-collector" || c.AutoRunFinders ||
		strings.Join(c.Regions, ",") != "eu-west-1,eu-central-1" || r.header.Get("ETag") != `"2"` {
		t.Fatalf("after update: %+v %v", c, r.header)
	}

	// Preconditions: stale ETag, create-only, unparsable ETag.
	for _, h := range [][]string{{"If-Match", `"1"`}, {"If-None-Match", "*"}, {"If-Match", "garbage"}} {
		r = e.must(412, "PUT", "/v1/customers/acme.com", e.ops, map[string]any{"diag_account": "Diag9"}, h...)
		if r.errorCode() != "precondition_failed" {
			t.Fatalf("%v: %s", h, r.body)
		}
	}
	e.must(412, "PUT", "/v1/customers/new.com", e.ops, nil, "If-Match", "*")
	e.must(404, "GET", "/v1/customers/new.com", e.ops, nil)

	// A diag account that is not ready makes the customer's diag status unavailable.
	e.must(200, "PUT", "/v1/customers/acme.com", e.ops, map[string]any{"diag_account": "Diag9"}, "If-Match", "*").decode(t, &c)
	if c.DiagAccountStatus != "diagnostics_account_unavailable" || c.DiagAccountID != "999988887777" {
		t.Fatalf("on a provisioning diag account: %+v", c)
	}
	e.must(200, "PUT", "/v1/diag-accounts/Diag9", e.ops, map[string]any{"account_id": "999988887777", "status": "ready-for-use"})
	e.must(200, "GET", "/v1/customers/acme.com", e.master, nil).decode(t, &c)
	if c.DiagAccountStatus != "ready-for-use" || c.DiagAccountPrincipalARN != "arn:aws:iam::999988887777:root" {
		t.Fatalf("once the diag account is ready: %+v", c)
	}

	// Users and accounts show in the customer and move its ETag.
	etag := e.must(200, "GET", "/v1/customers/acme.com", e.ops, nil).header.Get("ETag")
	e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil)
	e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", e.ops, map[string]any{"state": "in-progress"})
	r = e.must(200, "GET", "/v1/customers/acme.com", e.ops, nil)
	r.decode(t, &c)
	if r.header.Get("ETag") == etag || len(c.Users) != 1 || len(c.Accounts) != 1 || c.RoleStatus != "in-progress" {
		t.Fatalf("with a user and an account: %+v %v", c, r.header)
	}
	e.must(412, "DELETE", "/v1/customers/acme.com", e.ops, nil, "If-Match", etag)
	e.must(204, "DELETE", "/v1/customers/acme.com", e.ops, nil, "If-Match", r.header.Get("ETag"))
	e.must(404, "GET", "/v1/customers/acme.com", e.ops, nil)
	e.must(404, "GET", "/v1/customers/acme.com/users/joe", e.ops, nil)
	e.must(404, "GET", "/v1/customers/acme.com/aws-accounts/123456789012", e.ops, nil)
	e.must(404, "DELETE", "/v1/customers/acme.com", e.ops, nil)

	var list struct {
		DiagAccounts []struct{ Name string } `json:"diag_accounts"`
	}
	e.must(200, "GET", "/v1/diag-accounts?status=ready-for-use", e.master, nil).decode(t, &list)
	if len(list.DiagAccounts) != 2 {
		t.Fatalf("ready diag accounts: %+v", list)
	}
	var token struct {
		MasterToken string `json:"master_token"`
	}
	e.must(200, "GET", "/v1/master-token", e.ops, nil).decode(t, &token)
	if token.MasterToken != e.master {
		t.Fatal("the master token differs from the configured one")
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t)
	e.must(404, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)

	type user struct {
		Name, Customer, Token string
		KeyID                 string `json:"key_id"`
		KeyName               string `json:"key_name"`
	}
	var joe, again user
	e.must(201, "PUT", "/v1/customers/acme.com/users/joe", e.ops, "{}").decode(t, &joe)
	if joe.KeyName != "joe@acme.com-API-Key" || joe.Customer != "acme.com" || !strings.HasPrefix(joe.Token, "vcu_") {
		t.Fatalf("new user: %+v", joe)
	}
	e.must(200, "PUT", "/v1/customers/acme.com/users/joe", e.ops, nil).decode(t, &again)
	if again != joe {
		t.Fatalf("provisioning again must keep the key: %+v vs %+v", again, joe)
	}
	e.must(200, "GET", "/v1/customers/acme.com/users/joe", e.master, nil).decode(t, &again)
	if again != joe {
		t.Fatalf("get: %+v", again)
	}
	var rotated user
	e.must(200, "POST", "/v1/customers/acme.com/users/joe/rotate", e.ops, nil).decode(t, &rotated)
	if rotated.Token == joe.Token || rotated.KeyID != joe.KeyID {
		t.Fatalf("rotation gives a new token under the same key id: %+v", rotated)
	}
	e.must(404, "POST", "/v1/customers/acme.com/users/ann/rotate", e.ops, nil)
	e.must(404, "DELETE", "/v1/customers/acme.com/users/ann", e.ops, nil)
	e.must(204, "DELETE", "/v1/customers/acme.com/users/joe", e.ops, nil)
	e.must(404, "GET", "/v1/customers/acme.com/users/joe", e.ops, nil)
	var list struct{ Users []user }
	e.must(200, "GET", "/v1/customers/acme.com/users", e.ops, nil).decode(t, &list)
	if len(list.Users) != 0 {
		t.Fatalf("users after delete: %+v", list)
	}
	e.must(404, "GET", "/v1/customers/nope.com/users", e.ops, nil)
}

func TestAWSAccounts(t *testing.T) {
	e := newEnv(t)
	joe, _ := e.seed()
	path := "/v1/customers/acme.com/aws-accounts/123456789012"
	e.must(404, "GET", path, joe, nil)
	e.must(201, "PUT", path, joe, map[string]any{"state": "in-progress", "regions": []string{"us-east-1"}})
	for _, body := range []map[string]any{{"state": "done"}, {"state": "done", "role_arn": "arn:aws:iam::210987654321:role/x"}} {
		if r := e.must(400, "PUT", path, joe, body); r.field() != "role_arn" {
			t.Errorf("%v: %s", body, r.body)
		}
	}
	r := e.must(200, "PUT", path, joe, map[string]any{"state": "done", "role_arn": "arn:aws:iam::123456789012:role/virtco/virtco-diagnostics-readonly"})
	var a struct {
		RoleARN string `json:"role_arn"`
		State   string
		Regions []string
	}
	r.decode(t, &a)
	if a.State != "done" || a.RoleARN == "" || len(a.Regions) != 0 {
		t.Fatalf("account: %+v", a)
	}
	var status struct {
		RoleStatus string `json:"role_status"`
		Accounts   []struct{ State string }
	}
	e.must(200, "GET", "/v1/customers/acme.com/status", joe, nil).decode(t, &status)
	if status.RoleStatus != "done" || len(status.Accounts) != 1 {
		t.Fatalf("status: %+v", status)
	}
	e.must(200, "PUT", path, joe, map[string]any{"state": "purge", "role_arn": a.RoleARN})
	e.must(200, "GET", "/v1/customers/acme.com/status", e.master, nil).decode(t, &status)
	if status.RoleStatus != "purge" {
		t.Fatalf("status during purge: %+v", status)
	}
	var list struct {
		AWSAccounts []struct{ State string } `json:"aws_accounts"`
	}
	e.must(200, "GET", "/v1/customers/acme.com/aws-accounts", joe, nil).decode(t, &list)
	if len(list.AWSAccounts) != 1 {
		t.Fatalf("list: %+v", list)
	}
	e.must(204, "DELETE", path, joe, nil)
	e.must(404, "DELETE", path, joe, nil)
	e.must(200, "GET", "/v1/customers/acme.com/status", joe, nil).decode(t, &status)
	if status.RoleStatus != "pending" || len(status.Accounts) != 0 {
		t.Fatalf("status after removal: %+v", status)
	}
}

// TestBadInput: each request is refused with a 4xx that says what is allowed, and nothing is written.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.seed()
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com"
	cases := []struct {
		method, path string
		body         any
		status       int
		says         string
		field        string // the error's field: which part of the request it is about
	}{
		{"PUT", "/v1/customers/ACME.com", nil, 400, "lower-case DNS domain", "customer"},
		{"PUT", "/v1/customers/acme", nil, 400, "at least two labels", "customer"},
		{"PUT", "/v1/customers/-acme.com", nil, 400, "not starting or ending with '-'", "customer"},
		{"PUT", "/v1/customers/acme..com", nil, 400, "lower-case DNS domain", "customer"},
		{"PUT", "/v1/customers/acme_corp.com", nil, 400, "a-z, 0-9 and '-'", "customer"},
		{"PUT", "/v1/customers/" + long, nil, 400, "at most 253", "customer"},
		{"PUT", "/v1/customers/acme.com/users/joe%20smith", nil, 400, "1-64 characters of A-Z", "user"},
		{"PUT", "/v1/customers/acme.com/users/" + strings.Repeat("j", 65), nil, 400, "1-64 characters", "user"},
		{"PUT", "/v1/customers/acme.com/users/j%C3%B6e", nil, 400, `"jöe" is not a user name`, "user"},
		{"PUT", "/v1/customers/acme.com/users/...", nil, 400, "not only dots", "user"},
		{"PUT", "/v1/customers/acme.com/aws-accounts/12345", map[string]any{}, 400, "exactly 12 digits", "account_id"},
		{"PUT", "/v1/customers/acme.com/aws-accounts/12345678901a", map[string]any{}, 400, "exactly 12 digits", "account_id"},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", map[string]any{"state": "gone"}, 400, "one of pending, in-progress, done, purge", "state"},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", map[string]any{"role_arn": "arn:aws:iam::123456789012:user/x"}, 400, "not an IAM role ARN", "role_arn"},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", map[string]any{"regions": []string{"moon-1"}}, 400, "not an AWS region", "regions"},
		{"PUT", "/v1/diag-accounts/Diag%213", map[string]any{"account_id": "111122223333"}, 400, "diag account name", "name"},
		{"PUT", "/v1/diag-accounts/Diag4", map[string]any{"account_id": "1111"}, 400, "exactly 12 digits", "account_id"},
		{"PUT", "/v1/diag-accounts/Diag4", map[string]any{"account_id": "111122223333", "status": "ok"}, 400, "one of ready-for-use", "status"},
		{"PUT", "/v1/diag-accounts/Diag4", map[string]any{"account_id": "111122223333", "principal_arn": "arn:aws:iam::444455556666:root"}, 400, "not in the diag account", "principal_arn"},
		{"PUT", "/v1/diag-accounts/Diag4", map[string]any{"account_id": "111122223333", "principal_arn": "*"}, 400, "principal_arn \"*\" is not valid", "principal_arn"},
		{"PUT", "/v1/diag-accounts/Diag4", nil, 400, "needs a JSON body", ""},
		{"PUT", "/v1/customers/acme.com", map[string]any{"diag_account": "Nope"}, 400, `diag_account "Nope" does not exist; known: Diag3, Diag9`, "diag_account"},
		{"PUT", "/v1/customers/new.com", map[string]any{"diag_account": "Nope"}, 400, "does not exist", "diag_account"},
		{"PUT", "/v1/customers/acme.com", map[string]any{"aws_region": "mars-north-1x"}, 400, "not an AWS region", "aws_region"},
		{"PUT", "/v1/customers/acme.com", map[string]any{"regions": []string{"us-east-1", "us-east-1"}}, 400, "twice", "regions"},
		{"PUT", "/v1/customers/acme.com", "{", 400, "not valid JSON", ""},
		{"PUT", "/v1/customers/acme.com", `{"diag_account":"Diag3"} {}`, 400, "data after the JSON object", ""},
		{"PUT", "/v1/customers/acme.com", map[string]any{"diag_acount": "Diag3"}, 400, `unknown field "diag_acount"`, "diag_acount"},
		{"PUT", "/v1/customers/acme.com", map[string]any{"auto_run_finders": "yes"}, 400, `"auto_run_finders" must be true or false`, "auto_run_finders"},
		{"PUT", "/v1/customers/acme.com", map[string]any{"regions": "us-east-1"}, 400, `"regions" must be an array`, "regions"},
		{"PUT", "/v1/customers/acme.com", `[]`, 400, "must be an object", ""},
		{"PUT", "/v1/customers/acme.com/users/bob", map[string]any{"token": "mine"}, 400, `unknown field "token"`, "token"},
		{"PUT", "/v1/customers/acme.com", `{"regions":["` + strings.Repeat("x", 1<<20) + `"]}`, 413, "over 1048576 bytes", ""},
		// encoding/json would let the last of two keys win, and match keys whatever their case.
		{"PUT", "/v1/customers/acme.com", `{"diag_account":"Diag3","diag_account":"Diag9"}`, 400, `field "diag_account" appears more than once`, "diag_account"},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", `{"state":"pending","state":"done"}`, 400, `field "state" appears more than once`, "state"},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", `{"State":"done"}`, 400, `unknown field "State" in the request body: field names are case-sensitive; did you mean "state"?`, "State"},
		{"PUT", "/v1/customers/acme.com/aws-accounts/123456789012", `{"state":"pending","STATE":"done"}`, 400, `did you mean "state"?`, "STATE"},
		{"PUT", "/v1/customers/acme.com", `{"regions":["us-east-1"],"Regions":[]}`, 400, `unknown field "Regions"`, "Regions"},
		{"PUT", "/v1/diag-accounts/Diag4", `{"Account_ID":"444455556666"}`, 400, `did you mean "account_id"?`, "Account_ID"},
		{"PUT", "/v1/customers/acme.com", `{"auto_run_finders":true,"regions":[],"auto_run_finders":false}`, 400, `"auto_run_finders" appears more than once`, "auto_run_finders"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			before := e.snapshot()
			r := e.call(c.method, c.path, e.ops, c.body)
			if r.status != c.status || !strings.Contains(r.message(), c.says) || r.field() != c.field {
				t.Fatalf("got %d %s\nwant %d saying %q about field %q", r.status, r.body, c.status, c.says, c.field)
			}
			if after := e.snapshot(); after != before {
				t.Fatalf("a refused request changed the store")
			}
		})
	}
}

// TestConcurrentProvisioning: 50 users of one customer provisioned at once are all there, each
// with its own working token.
func TestConcurrentProvisioning(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	const n = 50
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var u struct{ Token string }
			e.must(201, "PUT", fmt.Sprintf("/v1/customers/acme.com/users/user%02d", i), e.ops, nil).decode(t, &u)
			tokens[i] = u.Token
		}(i)
	}
	wg.Wait()
	var list struct {
		Users []struct{ Name, Token string }
	}
	e.must(200, "GET", "/v1/customers/acme.com/users", e.ops, nil).decode(t, &list)
	if len(list.Users) != n {
		t.Fatalf("%d users, want %d", len(list.Users), n)
	}
	seen := map[string]bool{}
	for i, u := range list.Users {
		if u.Token != tokens[i] || seen[u.Token] {
			t.Fatalf("user %s: token %q (provisioned %q), duplicate %v", u.Name, u.Token, tokens[i], seen[u.Token])
		}
		seen[u.Token] = true
		e.must(200, "GET", "/v1/customers/acme.com/status", u.Token, nil)
	}
}
