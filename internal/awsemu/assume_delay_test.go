// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
)

// TestAssumeRoleDelay: a role created, or whose trust changed, less than AssumeRoleDelay ago (by
// the emulator's clock) is refused with the AccessDenied of a trust that does not match; after
// that it is let in, and the temporary credentials keep working on later calls, as the role of
// the right account.
func TestAssumeRoleDelay(t *testing.T) {
	ctx := t.Context()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var elapsed atomic.Int64
	srv := awsemu.NewServer(t, awsemu.Options{
		Now:    func() time.Time { return start.Add(time.Duration(elapsed.Load())) },
		Faults: awsemu.Faults{AssumeRoleDelay: awsemu.Duration{Duration: 3 * time.Second}},
	})
	customer, _ := clients(srv, customerAcct)
	_, diag := clients(srv, diagAcct)
	createRole(t, customer, "r")
	arn := "arn:aws:iam::" + customerAcct + ":role/r"

	_, err := assume(ctx, diag, arn, "ext-1234")
	wantCode(t, err, "AccessDenied")
	elapsed.Store(int64(2999 * time.Millisecond))
	_, err = assume(ctx, diag, arn, "ext-1234")
	wantCode(t, err, "AccessDenied")

	elapsed.Store(int64(3 * time.Second))
	out, err := assume(ctx, diag, arn, "ext-1234")
	if err != nil {
		t.Fatalf("AssumeRole once the delay has passed: %v", err)
	}
	// The credentials work on later calls, and again after the trust changed: they were issued.
	_, sess := sessionClients(srv, out)
	checkIdentity(t, sess, customerAcct, "arn:aws:sts::"+customerAcct+":assumed-role/r/virtco-diag")

	// A changed trust starts the delay again, even when the new trust lets the caller in.
	if _, err := customer.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String("r"), PolicyDocument: aws.String(trustPolicy(diagAcct, "ext-5678")),
	}); err != nil {
		t.Fatal(err)
	}
	_, err = assume(ctx, diag, arn, "ext-5678")
	wantCode(t, err, "AccessDenied")
	checkIdentity(t, sess, customerAcct, "arn:aws:sts::"+customerAcct+":assumed-role/r/virtco-diag")
	elapsed.Add(int64(3 * time.Second))
	if _, err := assume(ctx, diag, arn, "ext-5678"); err != nil {
		t.Fatalf("AssumeRole after the changed trust's delay: %v", err)
	}
	// The delay never lets in a caller the trust refuses.
	_, err = assume(ctx, diag, arn, "ext-1234")
	wantCode(t, err, "AccessDenied")

	// The admin switch turns the delay off, and on again, for roles made before.
	elapsed.Store(int64(time.Hour))
	if _, err := customer.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String("r"), PolicyDocument: aws.String(trustPolicy(diagAcct, "ext-1234")),
	}); err != nil {
		t.Fatal(err)
	}
	putFaults(t, srv.URL, `{"assume_role_delay":"0s"}`)
	if _, err := assume(ctx, diag, arn, "ext-1234"); err != nil {
		t.Fatalf("AssumeRole without the delay: %v", err)
	}
	if got := putFaults(t, srv.URL, `{"assume_role_delay":"10s"}`); got.AssumeRoleDelay.Duration != 10*time.Second {
		t.Fatalf("faults after PUT: %+v", got)
	}
	_, err = assume(ctx, diag, arn, "ext-1234")
	wantCode(t, err, "AccessDenied")
}

func putFaults(t *testing.T, url, body string) awsemu.Faults {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url+"/_emu/faults", bytes.NewReader([]byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var f awsemu.Faults
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /_emu/faults %s: %d %v", body, resp.StatusCode, err)
	}
	return f
}

// TestSTSThrottling: STSThrottleRate throttles STS alone, with the code the SDK retries; an SDK
// client with retries still gets through, and the calls it paid for are counted.
func TestSTSThrottling(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{Faults: awsemu.Faults{STSThrottleRate: 0.3, Seed: 7}})
	customer, s := clients(srv, customerAcct)
	_, diag := clients(srv, diagAcct)
	createRole(t, customer, "r")
	for i := 0; i < 20; i++ {
		if _, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := assume(ctx, diag, "arn:aws:iam::"+customerAcct+":role/r", "ext-1234"); err != nil {
			t.Fatal(err)
		}
	}
	calls := srv.Emulator.Calls()
	if calls.Errors["Throttling"] == 0 || calls.ByService["sts"] != 40+calls.Errors["Throttling"] {
		t.Errorf("40 STS operations: %d STS calls, %d throttled", calls.ByService["sts"], calls.Errors["Throttling"])
	}
	if calls.Action("iam", "CreateRole") != 1 {
		t.Errorf("IAM was throttled too: %+v", calls)
	}
	once := sts.NewFromConfig(func() aws.Config {
		cfg := awsemutest.Config(srv.URL, customerAcct)
		cfg.Retryer = awsemutest.FastRetryer(1)
		return cfg
	}())
	throttled := 0
	for i := 0; i < 50; i++ {
		if _, err := once.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			wantCode(t, err, "Throttling")
			throttled++
		}
	}
	if throttled < 5 || throttled > 30 {
		t.Errorf("%d of 50 calls throttled at a 30%% rate", throttled)
	}
}
