// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// target=customer answers the old backend's DynamoDB item. testdata/legacy/customer_item.json is
// that item as DynamoDB holds it (typed attribute values: S, N, BOOL, L, M), written from the
// schema the old backend gave a new customer, with one user, one account and a diag account: the
// tests hold the answer's keys and JSON types to it.

// legacyItemKeyedByData are the item's maps whose keys are data (user names), not field names:
// each of their values has the shape of the fixture's one example.
var legacyItemKeyedByData = map[string]bool{"profile.users": true}

func legacyItemFixture(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "legacy", "customer_item.json"))
	if err != nil {
		t.Fatal(err)
	}
	var item map[string]any
	if err := json.Unmarshal(b, &item); err != nil {
		t.Fatal(err)
	}
	return item
}

// legacyShapeDiff lists where got, a decoded JSON value at path, differs in shape from want, one
// DynamoDB attribute value of the fixture: a JSON type other than the attribute's, a key missing
// or one too many.
func legacyShapeDiff(path string, want, got any) []string {
	attr, ok := want.(map[string]any)
	if !ok || len(attr) != 1 {
		return []string{fmt.Sprintf("%s: the fixture's value %v is not one DynamoDB attribute value", path, want)}
	}
	var kind string
	var inner any
	for k, v := range attr {
		kind, inner = k, v
	}
	mismatch := func(jsonType string) []string {
		return []string{fmt.Sprintf("%s: want a JSON %s (DynamoDB %s), got %#v", path, jsonType, kind, got)}
	}
	switch kind {
	case "S":
		if _, ok := got.(string); !ok {
			return mismatch("string")
		}
	case "N":
		if _, ok := got.(float64); !ok {
			return mismatch("number")
		}
	case "BOOL":
		if _, ok := got.(bool); !ok {
			return mismatch("boolean")
		}
	case "L":
		list, ok := got.([]any)
		if !ok {
			return mismatch("array")
		}
		examples, _ := inner.([]any)
		if len(examples) == 0 {
			return nil // the old backend's default: an empty list, elements of no known type
		}
		var diffs []string
		for i, v := range list {
			diffs = append(diffs, legacyShapeDiff(fmt.Sprintf("%s[%d]", path, i), examples[0], v)...)
		}
		return diffs
	case "M":
		m, ok := got.(map[string]any)
		if !ok {
			return mismatch("object")
		}
		return legacyMapDiff(path, inner.(map[string]any), m)
	default:
		return []string{fmt.Sprintf("%s: the fixture's DynamoDB type %q is not one this test knows", path, kind)}
	}
	return nil
}

func legacyMapDiff(path string, want, got map[string]any) []string {
	var diffs []string
	if legacyItemKeyedByData[path] {
		examples := slices.Collect(maps.Values(want))
		for _, k := range slices.Sorted(maps.Keys(got)) {
			diffs = append(diffs, legacyShapeDiff(path+"."+k, examples[0], got[k])...)
		}
		return diffs
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		at := k
		if path != "" {
			at = path + "." + k
		}
		v, ok := got[k]
		if !ok {
			diffs = append(diffs, at+": missing")
			continue
		}
		diffs = append(diffs, legacyShapeDiff(at, want[k], v)...)
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok && path != "" {
			diffs = append(diffs, path+"."+k+": not in the old item")
		}
	}
	return diffs
}

// checkLegacyRecord holds the answer to target=customer to the fixture, and what it has beside
// the item to v1's customer: exactly v1's fields whose names the item does not use, with v1's
// values.
func (e *env) checkLegacyRecord(t *testing.T, customer string) map[string]any {
	t.Helper()
	item := legacyItemFixture(t)
	got := e.legacyJSON("customer", customer).(map[string]any)
	if diffs := legacyMapDiff("", item, got); len(diffs) > 0 {
		t.Errorf("target=customer customer=%s differs from the old item:\n%s", customer, strings.Join(diffs, "\n"))
	}
	var v1 map[string]any
	e.must(200, "GET", "/v1/customers/"+customer, e.ops, nil).decode(t, &v1)
	var beside, v1Only []string
	for k := range got {
		if _, ok := item[k]; !ok {
			beside = append(beside, k)
			if !reflect.DeepEqual(got[k], v1[k]) {
				t.Errorf("%s beside the item: %#v, v1 has %#v", k, got[k], v1[k])
			}
		}
	}
	for k := range v1 {
		if _, ok := item[k]; !ok {
			v1Only = append(v1Only, k)
		}
	}
	sort.Strings(beside)
	sort.Strings(v1Only)
	if !reflect.DeepEqual(beside, v1Only) {
		t.Errorf("beside the item: %q, want v1's fields the item does not name: %q", beside, v1Only)
	}
	return got
}

// TestLegacyCustomerRecord: a customer with a diag account, two users and two AWS accounts, as
// the old item, filled from the store.
func TestLegacyCustomerRecord(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, store.WithClock(clock.now))
	e.must(201, "PUT", "/v1/diag-accounts/Diag3", e.ops, map[string]any{"account_id": "111122223333"})
	joe := e.legacyJSON("provision", "joe@acme.com:Diag3").(map[string]any)
	clock.add(time.Minute)
	ann := e.legacyJSON("provision", "ann@acme.com").(map[string]any)
	clock.add(time.Minute)
	e.must(200, "PUT", "/v1/customers/acme.com", e.ops, map[string]any{"diag_account": "Diag3", "regions": []string{"us-east-1", "eu-west-1"}})
	clock.add(time.Minute)
	e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/210987654321", e.ops, map[string]any{"state": "in-progress"})
	clock.add(time.Minute)
	// Written last, though its id is the lower: the item's account.
	e.must(201, "PUT", "/v1/customers/acme.com/aws-accounts/123456789012", e.ops,
		map[string]any{"state": "done", "role_arn": "arn:aws:iam::123456789012:role/ops/virtco-diagnostics-readonly"})

	got := e.checkLegacyRecord(t, "acme.com")
	var v1 map[string]any
	e.must(200, "GET", "/v1/customers/acme.com", e.ops, nil).decode(t, &v1)
	key := func(user string, provisioned map[string]any) map[string]any {
		return map[string]any{"key_id": provisioned["key_id"], "key_name": user + "@acme.com-API-Key", "x-api-key": provisioned["api_key"]}
	}
	want := map[string]any{
		"name": "acme.com", "account": "123456789012", "aws_region": "us-east-1",
		"accounts": []any{"123456789012", "210987654321"}, "actions": []any{},
		"regions": []any{"us-east-1", "eu-west-1"}, "findings": []any{}, "auto_run_finders": true,
		"modification_date": "20260101120400", "timestamp": "20260101120000",
		"profile": map[string]any{
			"users":     map[string]any{"joe": key("joe", joe), "ann": key("ann", ann)},
			"role":      "virtco-diagnostics-readonly",
			"client-id": v1["external_id"],
		},
		"cross_account_role_creation_status": map[string]any{
			"default": "in-progress", "template": legacyNotYet, "Description": legacyRoleStatusDoc,
			"values": []any{"pending", "purge", "in-progress", "done"},
		},
		"infra": map[string]any{
			"cloud": map[string]any{"name": "Diag3", "account": "111122223333"},
			"jira":  map[string]any{"fqdn": legacyNotYet, "wiki": legacyNotYet},
			"status": map[string]any{"default": "ready-for-use", "description": legacyInfraDoc,
				"values": []any{"diagnostics_account_unavailable", "ready-for-use"}},
		},
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s:\n got  %#v\n want %#v", k, got[k], w)
		}
	}

	// The keys in the record are the users' own: each one works, as the item's did.
	for _, u := range []map[string]any{joe, ann} {
		e.must(200, "GET", "/v1/customers/acme.com", u["api_key"].(string), nil)
	}
}

// TestLegacyCustomerRecordDefaults: a customer with nothing yet has the old backend's values for
// a new customer.
func TestLegacyCustomerRecordDefaults(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	e := newEnv(t, store.WithClock(clock.now))
	e.must(201, "PUT", "/v1/customers/acme.com", e.ops, nil)
	got := e.checkLegacyRecord(t, "acme.com")
	var v1 map[string]any
	e.must(200, "GET", "/v1/customers/acme.com", e.ops, nil).decode(t, &v1)
	want := map[string]any{
		"name": "acme.com", "account": "not yet provisioned", "aws_region": "us-east-1",
		"accounts": []any{}, "actions": []any{}, "regions": []any{}, "findings": []any{}, "auto_run_finders": true,
		"modification_date": "20260304050607", "timestamp": "20260304050607",
		"profile": map[string]any{"users": map[string]any{}, "role": "yet to be provisioned", "client-id": v1["external_id"]},
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s:\n got  %#v\n want %#v", k, got[k], w)
		}
	}
	if role := got["cross_account_role_creation_status"].(map[string]any)["default"]; role != "pending" {
		t.Errorf("cross_account_role_creation_status.default: %v", role)
	}
	infra := got["infra"].(map[string]any)
	if cloud := infra["cloud"]; !reflect.DeepEqual(cloud, map[string]any{"name": "yet to be provisioned", "account": "yet to be provisioned"}) {
		t.Errorf("infra.cloud: %v", cloud)
	}
	if status := infra["status"].(map[string]any)["default"]; status != "diagnostics_account_unavailable" {
		t.Errorf("infra.status.default: %v", status)
	}
}
