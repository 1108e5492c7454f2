// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

func requestWithHeader(t *testing.T, method, url, key, body, header, value string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("x-api-key", key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if header != "" {
		req.Header.Set(header, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&b)
	return resp.StatusCode, resp.Header, b
}

// TestTwoServersOnePostgres: two virtco-server processes on one PostgreSQL database, as behind a
// load balancer. Provisioning through both at once loses no user and duplicates no token, a key
// minted by one works on the other, and If-Match catches a write based on a stale read.
func TestTwoServersOnePostgres(t *testing.T) {
	db := pgtest.Shared(t).NewDatabase(t)
	// The servers share the ops key and the secrets key file, as servers behind one load balancer
	// do: the first one creates the file.
	env := []string{"VIRTCO_OPS_API_KEY=vco_shared-ops-key-for-the-two-servers", "VIRTCO_SECRETS_KEY_FILE=" + filepath.Join(t.TempDir(), "secrets.key")}
	a := servertest.Start(t, servertest.Options{DB: db, Env: env})
	b := servertest.Start(t, servertest.Options{DB: db, Env: env})
	ops := a.OpsKey

	_, tokA := request(t, "GET", a.URL+"/v1/master-token", ops, "")
	_, tokB := request(t, "GET", b.URL+"/v1/master-token", ops, "")
	if string(tokA) != string(tokB) {
		t.Fatalf("the servers disagree on the master token: %s / %s", tokA, tokB)
	}
	if status, body := request(t, "PUT", a.URL+"/v1/customers/acme.com", ops, ""); status != 201 {
		t.Fatalf("%d %s", status, body)
	}

	const n = 60
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			srv := []*servertest.Process{a, b}[i%2]
			// Every user is provisioned through both servers at once: one creates, one finds it.
			var got [2]string
			var inner sync.WaitGroup
			for j, s := range []*servertest.Process{srv, []*servertest.Process{b, a}[i%2]} {
				inner.Add(1)
				go func(j int, s *servertest.Process) {
					defer inner.Done()
					status, body := request(t, "PUT", fmt.Sprintf("%s/v1/customers/acme.com/users/u%02d", s.URL, i), ops, "")
					var u struct{ Token string }
					_ = json.Unmarshal(body, &u)
					if status != 200 && status != 201 {
						t.Errorf("user %d: %d %s", i, status, body)
					}
					got[j] = u.Token
				}(j, s)
			}
			inner.Wait()
			if got[0] != got[1] {
				t.Errorf("user %d got two tokens from two servers", i)
			}
			tokens[i] = got[0]
		}(i)
	}
	wg.Wait()

	status, body := request(t, "GET", b.URL+"/v1/customers/acme.com/users", ops, "")
	var list struct {
		Users []struct{ Name, Token string }
	}
	if err := json.Unmarshal(body, &list); err != nil || status != 200 || len(list.Users) != n {
		t.Fatalf("%d users after provisioning %d through two servers: %d %v", len(list.Users), n, status, err)
	}
	seen := map[string]bool{}
	for i, u := range list.Users {
		if u.Token != tokens[i] || seen[u.Token] {
			t.Fatalf("user %s: token lost or duplicated", u.Name)
		}
		seen[u.Token] = true
		// A key minted through one server works on the other.
		if status, _ := request(t, "GET", []*servertest.Process{b, a}[i%2].URL+"/v1/customers/acme.com", u.Token, ""); status != 200 {
			t.Fatalf("user %s's token refused by the other server: %d", u.Name, status)
		}
	}

	// Two writers that read the same version: exactly one wins, the other gets 412.
	_, hdr, _ := requestWithHeader(t, "GET", a.URL+"/v1/customers/acme.com", ops, "", "", "")
	etag := hdr.Get("ETag")
	statuses := make([]int, 2)
	wg = sync.WaitGroup{}
	for i, s := range []*servertest.Process{a, b} {
		wg.Add(1)
		go func(i int, s *servertest.Process) {
			defer wg.Done()
			statuses[i], _, _ = requestWithHeader(t, "PUT", s.URL+"/v1/customers/acme.com", ops,
				fmt.Sprintf(`{"aws_region":"eu-west-%d"}`, i+1), "If-Match", etag)
		}(i, s)
	}
	wg.Wait()
	if statuses[0]+statuses[1] != 200+412 || statuses[0] != 200 && statuses[0] != 412 {
		t.Fatalf("concurrent If-Match writes: %v, want one 200 and one 412", statuses)
	}
}
