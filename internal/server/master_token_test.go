// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"strings"
	"testing"
	"time"
)

type masterTokenBody struct {
	MasterToken string `json:"master_token"`
}

// TestMasterTokenRotate: only the ops key rotates the master token; the new one works and the old
// one is refused at once on the server that rotated it, which reads, audits and replays the
// rotation like any other.
func TestMasterTokenRotate(t *testing.T) {
	e := newEnv(t)
	joe, _ := e.seed()
	e.must(200, "GET", "/v1/customers", e.master, nil)
	for _, key := range []string{e.master, joe} {
		if r := e.call("POST", "/v1/master-token/rotate", key, nil); r.status != 403 || !strings.Contains(r.message(), "rotating the master token needs the ops key") {
			t.Fatalf("rotated with a key that is not ops: %d %s", r.status, r.body)
		}
	}

	var rotated masterTokenBody
	e.must(200, "POST", "/v1/master-token/rotate", e.ops, nil).decode(t, &rotated)
	if !strings.HasPrefix(rotated.MasterToken, MasterTokenPrefix) || rotated.MasterToken == e.master {
		t.Fatalf("rotated to %q", rotated.MasterToken)
	}
	e.must(401, "GET", "/v1/customers", e.master, nil)
	e.must(200, "GET", "/v1/customers", rotated.MasterToken, nil)
	var read masterTokenBody
	e.must(200, "GET", "/v1/master-token", e.ops, nil).decode(t, &read)
	var legacy string
	e.must(200, "GET", "/internal?target=mtok", e.ops, nil).decode(t, &legacy)
	if read.MasterToken != rotated.MasterToken || legacy != rotated.MasterToken {
		t.Fatalf("after the rotation the server reads %q and %q, want %q", read.MasterToken, legacy, rotated.MasterToken)
	}

	// A retry under the rotation's Idempotency-Key gets its token, and rotates nothing.
	var first, retry masterTokenBody
	e.must(200, "POST", "/v1/master-token/rotate", e.ops, nil, "Idempotency-Key", "rotate-1").decode(t, &first)
	r := e.must(200, "POST", "/v1/master-token/rotate", e.ops, nil, "Idempotency-Key", "rotate-1")
	r.decode(t, &retry)
	if retry != first || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry got %q (replayed %q), the rotation %q", retry.MasterToken, r.header.Get("Idempotent-Replayed"), first.MasterToken)
	}
	e.must(200, "GET", "/v1/customers", first.MasterToken, nil)

	// Audited as a write, without the token.
	audit := e.must(200, "GET", "/v1/audit", e.ops, nil)
	var page struct {
		Entries []struct {
			KeyKind string `json:"key_kind"`
			Action  string `json:"action"`
			Target  string `json:"target"`
			Outcome string `json:"outcome"`
		} `json:"entries"`
	}
	audit.decode(t, &page)
	rotations := 0
	for _, en := range page.Entries {
		if en.Action == "master_token.rotate" && en.Target == "master_token" && en.Outcome == "ok" && en.KeyKind == "ops" {
			rotations++
		}
	}
	if rotations != 2 {
		t.Fatalf("audit: %d rotations, want 2: %s", rotations, audit.body)
	}
	for _, tok := range []string{rotated.MasterToken, first.MasterToken} {
		if strings.Contains(string(audit.body), tok) {
			t.Fatal("the audit trail holds a master token")
		}
	}
}

// TestMasterTokenRotateReachesOtherServers: two servers on one database; the master token
// rotated on one is refused by the other, and the new one taken, within MasterTokenTTL. The test
// polls up to 5 seconds and asserts nothing about the time within that.
func TestMasterTokenRotateReachesOtherServers(t *testing.T) {
	db := testDB(t)
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken()}
	// Each poll sends a token the other server refuses, until it has seen the rotation: more
	// failures than an address may make. TestAuthFailuresLimited is about the limit.
	e.configure = func(s *Server) { s.authFailures.burst = 1 << 20 }
	e.url, e.store = e.serve(db, nil)
	e.seed()
	other := *e
	other.url, other.store = e.serve(db, nil)
	other.must(200, "GET", "/v1/customers", e.master, nil)

	var rotated masterTokenBody
	e.must(200, "POST", "/v1/master-token/rotate", e.ops, nil).decode(t, &rotated)
	deadline := time.Now().Add(5 * time.Second)
	for {
		oldStatus := other.call("GET", "/v1/customers", e.master, nil).status
		newStatus := other.call("GET", "/v1/customers", rotated.MasterToken, nil).status
		if oldStatus == 401 && newStatus == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s after the rotation the other server answers %d to the old token, %d to the new", oldStatus, newStatus)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// GET /v1/master-token reads the database, not the server's copy.
	var read masterTokenBody
	other.must(200, "GET", "/v1/master-token", e.ops, nil).decode(t, &read)
	if read != rotated {
		t.Fatalf("the other server reads %q", read.MasterToken)
	}
}
