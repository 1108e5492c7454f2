// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
)

// TestTrustExpiry: a trust policy with DateLessThan on aws:CurrentTime lets the caller in until
// that time on the emulator's clock, which the admin API moves; AccessDenied after it; moving the
// clock back, or the date later, lets it in again.
func TestTrustExpiry(t *testing.T) {
	ctx := t.Context()
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := awsemu.NewServer(t, awsemu.Options{Now: func() time.Time { return base }})
	customer, _ := clients(srv, customerAcct)
	_, diag := clients(srv, diagAcct)
	trust := func(expires string) string {
		return mustJSON(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + diagAcct + ":root"}, "Action": "sts:AssumeRole",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"sts:ExternalId": "ext-1234"},
				"DateLessThan": map[string]any{"aws:CurrentTime": expires},
			},
		}}})
	}
	if _, err := customer.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"),
		AssumeRolePolicyDocument: aws.String(trust("2030-01-01T00:00:03Z"))}); err != nil {
		t.Fatal(err)
	}
	roleARN := "arn:aws:iam::" + customerAcct + ":role/r"

	clock := func(method, body string) awsemu.ClockState {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/_emu/clock", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var c awsemu.ClockState
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&c) != nil {
			t.Fatalf("%s /_emu/clock %s: %d", method, body, resp.StatusCode)
		}
		return c
	}

	if _, err := assume(ctx, diag, roleARN, "ext-1234"); err != nil {
		t.Fatalf("before the expiry: %v", err)
	}
	if _, err := assume(ctx, diag, roleARN, "ext-9999"); apiCode(err) != "AccessDenied" {
		t.Fatalf("the expiry does not stand in for the external id: %v", err)
	}
	if c := clock("PUT", `{"advance": "3s"}`); !c.Now.Equal(base.Add(3*time.Second)) || c.Offset.Duration != 3*time.Second {
		t.Fatalf("after advancing: %+v", c)
	}
	_, err := assume(ctx, diag, roleARN, "ext-1234")
	wantCode(t, err, "AccessDenied")
	if c := clock("GET", ""); !c.Now.Equal(base.Add(3 * time.Second)) {
		t.Fatalf("the clock as read: %+v", c)
	}

	// Moving the date later restores access, with the clock where it is.
	if _, err := customer.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"),
		PolicyDocument: aws.String(trust("2030-01-31T00:00:00Z"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := assume(ctx, diag, roleARN, "ext-1234"); err != nil {
		t.Fatalf("after moving the date: %v", err)
	}
	// Past the new date: refused; the clock set back to the base: let in.
	clock("POST", `{"now": "2030-02-01T00:00:00Z"}`)
	_, err = assume(ctx, diag, roleARN, "ext-1234")
	wantCode(t, err, "AccessDenied")
	if c := clock("DELETE", ""); !c.Now.Equal(base) || c.Offset.Duration != 0 {
		t.Fatalf("after DELETE: %+v", c)
	}
	if _, err := assume(ctx, diag, roleARN, "ext-1234"); err != nil {
		t.Fatalf("with the clock back: %v", err)
	}
	// POST /_emu/reset puts the clock back too.
	srv.Emulator.AdvanceClock(time.Hour)
	if resp, err := http.Post(srv.URL+"/_emu/reset", "", nil); err != nil || resp.StatusCode != 204 {
		t.Fatalf("reset: %v", err)
	}
	if !srv.Emulator.Now().Equal(base) {
		t.Fatalf("after reset the clock is %s", srv.Emulator.Now())
	}
}

// TestClockAdminErrors: a change must name exactly one of now and advance.
func TestClockAdminErrors(t *testing.T) {
	srv := awsemu.NewServer(t, awsemu.Options{})
	for _, body := range []string{`{}`, `{"now": "2030-01-01T00:00:00Z", "advance": "1s"}`, `{"advance": "soon"}`, `{"later": "1s"}`, `not json`} {
		req, _ := http.NewRequest("PUT", srv.URL+"/_emu/clock", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s: %d, want 400", body, resp.StatusCode)
		}
	}
	if off := time.Since(srv.Emulator.Now()); off > time.Minute || off < -time.Minute {
		t.Errorf("a refused change moved the clock to %s", srv.Emulator.Now())
	}
}
