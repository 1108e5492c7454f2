// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// TestLegacyScript drives the server as apiKeyGen.py does (GET /internal?target=…&customer=…
// with x-api-key: the ops key), which cannot be committed here: the record comes in the old
// backend's shape (the validating proxy holds every answer to api/openapi.yaml's LegacyCustomer),
// and unprovisioning one user revokes that key and no other, also after a restart.
func TestLegacyScript(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { legacyScript(t, servertest.Options{DiagAccounts: diagJSON}) })
	t.Run("postgres", func(t *testing.T) {
		legacyScript(t, servertest.Options{DiagAccounts: diagJSON, DB: pgtest.Shared(t).NewDatabase(t)})
	})
}

func legacyScript(t *testing.T, opts servertest.Options) {
	p := servertest.Start(t, opts)
	script := func(target, customer string) any {
		t.Helper()
		q := url.Values{"target": {target}, "customer": {customer}}
		status, body := request(t, "GET", p.URL+"/internal?"+q.Encode(), p.OpsKey, "")
		var v any
		if err := json.Unmarshal(body, &v); status != 200 || err != nil {
			t.Fatalf("--%s %s: %d %s", target, customer, status, body)
		}
		return v
	}
	joe := script("provision", "joe@acme.com:Diag3").(map[string]any)["api_key"].(string)
	ann := script("provision", "ann@acme.com").(map[string]any)["api_key"].(string)

	record := script("customer", "acme.com").(map[string]any)
	fixture, err := os.ReadFile(filepath.Join("..", "..", "internal", "server", "testdata", "legacy", "customer_item.json"))
	if err != nil {
		t.Fatal(err)
	}
	var item map[string]any
	if err := json.Unmarshal(fixture, &item); err != nil {
		t.Fatal(err)
	}
	for k := range item {
		if _, ok := record[k]; !ok {
			t.Errorf("the record lacks the old item's %q: %v", k, record)
		}
	}
	users := func(record map[string]any) map[string]any {
		return record["profile"].(map[string]any)["users"].(map[string]any)
	}
	if got := users(record); got["joe"].(map[string]any)["x-api-key"] != joe || got["ann"].(map[string]any)["x-api-key"] != ann || len(got) != 2 {
		t.Fatalf("profile.users: %v", got)
	}
	if cloud := record["infra"].(map[string]any)["cloud"]; !reflect.DeepEqual(cloud, map[string]any{"name": "Diag3", "account": "111122223333"}) {
		t.Fatalf("infra.cloud: %v", cloud)
	}

	if got := script("unprovision", "joe@acme.com"); !reflect.DeepEqual(got, map[string]any{"Status": "success"}) {
		t.Fatalf("--unprovision joe@acme.com: %v", got)
	}
	refusedAndKept := func() {
		t.Helper()
		if status, body := request(t, "GET", p.URL+"/v1/customers/acme.com", joe, ""); status != 401 {
			t.Fatalf("joe's revoked key: %d %s", status, body)
		}
		if status, body := request(t, "GET", p.URL+"/v1/customers/acme.com", ann, ""); status != 200 {
			t.Fatalf("ann's key: %d %s", status, body)
		}
		if got := users(script("customer", "acme.com").(map[string]any)); len(got) != 1 || got["ann"] == nil {
			t.Fatalf("profile.users after the revocation: %v", got)
		}
	}
	refusedAndKept()
	if got := script("unprovision", "joe@acme.com"); !reflect.DeepEqual(got, map[string]any{"Status": "not found"}) {
		t.Fatalf("--unprovision joe@acme.com again: %v", got)
	}
	p.Restart()
	refusedAndKept()
}
