// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
)

// lifecycle is the provider's create-read-destroy sequence for one role.
func lifecycle(ctx context.Context, c *iam.Client, name string) error {
	steps := []func() error{
		func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustPolicy("arn:aws:iam::"+diagAcct+":root", "ext"))})
			return err
		},
		func() error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("read"), PolicyDocument: aws.String(readPolicy)})
			return err
		},
		func() error { _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); return err },
		func() error {
			_, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("read")})
			return err
		},
		func() error {
			_, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
			return err
		},
		func() error {
			_, err := c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(name)})
			return err
		},
		func() error {
			_, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("read")})
			return err
		},
		func() error {
			_, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
			return err
		},
	}
	for i, s := range steps {
		if err := s(); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	return nil
}

// TestThrottling: at a 30% throttle rate, an SDK client with the standard
// retryer (tiny backoff) still completes whole lifecycles, and the calls it
// paid for are visible in the counts.
func TestThrottling(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{Faults: awsemu.Faults{ThrottleRate: 0.3, Seed: 42}})
	c, s := clients(srv, customerAcct)
	for i := 0; i < 5; i++ {
		if err := lifecycle(ctx, c, fmt.Sprintf("role-%d", i)); err != nil {
			t.Fatalf("lifecycle %d under throttling: %v", i, err)
		}
	}
	calls := srv.Emulator.Calls()
	if calls.Errors["Throttling"] == 0 || calls.ByService["iam"] != 40+calls.Errors["Throttling"] ||
		calls.ErrorsByService["iam"]["Throttling"] != calls.Errors["Throttling"] {
		t.Errorf("40 IAM operations: %d IAM calls, %d throttled (%v)", calls.ByService["iam"], calls.Errors["Throttling"], calls.ErrorsByService)
	}
	// ThrottleRate leaves STS alone (STSThrottleRate is its own).
	for i := 0; i < 20; i++ {
		if _, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	// Without retries the SDK surfaces the Throttling code.
	once := noRetryIAM(srv, customerAcct)
	throttled := 0
	for i := 0; i < 50; i++ {
		_, err := once.ListRoles(ctx, &iam.ListRolesInput{})
		if err != nil {
			wantCode(t, err, "Throttling")
			throttled++
		}
	}
	if throttled < 5 || throttled > 30 {
		t.Errorf("%d of 50 calls throttled at a 30%% rate", throttled)
	}
}

// TestInvisibleAfterCreate models IAM's eventual consistency: a new role is
// not found by the first reads, then is.
func TestInvisibleAfterCreate(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{Faults: awsemu.Faults{InvisibleReads: 2}})
	c := noRetryIAM(srv, customerAcct)
	createRole(t, c, "new")
	// Writes see it at once.
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("new"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readPolicy)}); err != nil {
		t.Fatalf("PutRolePolicy right after CreateRole: %v", err)
	}
	var nse *types.NoSuchEntityException
	for i := 0; i < 2; i++ {
		if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("new")}); !errors.As(err, &nse) {
			t.Fatalf("read %d: want NoSuchEntity, got %v", i, err)
		}
	}
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("new")}); err != nil {
		t.Fatalf("third read: %v", err)
	}
	// ListRoles leaves an invisible role out.
	createRole(t, c, "newer")
	out, err := c.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil || len(out.Roles) != 1 {
		t.Errorf("ListRoles while one role is invisible: %v, %v", out, err)
	}
	// Turning faults off affects roles created afterwards only.
	srv.Emulator.SetFaults(awsemu.Faults{})
	createRole(t, c, "newest")
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("newest")}); err != nil {
		t.Errorf("GetRole without faults: %v", err)
	}
}

// TestInvalidPrincipalPropagation: CreateRole fails with "Invalid principal
// in policy" for the first attempts, and leaves no role behind meanwhile.
func TestInvalidPrincipalPropagation(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{Faults: awsemu.Faults{InvalidPrincipalAttempts: 2}})
	c := noRetryIAM(srv, customerAcct)
	in := &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy("arn:aws:iam::"+diagAcct+":root", "e"))}
	for i := 0; i < 2; i++ {
		_, err := c.CreateRole(ctx, in)
		var mp *types.MalformedPolicyDocumentException
		if !errors.As(err, &mp) || !strings.HasPrefix(mp.ErrorMessage(), "Invalid principal in policy") || !strings.Contains(mp.ErrorMessage(), diagAcct) {
			t.Fatalf("attempt %d: got %v", i, err)
		}
		if _, ok := srv.Emulator.Role(customerAcct, "r"); ok {
			t.Fatalf("a refused CreateRole left a role")
		}
	}
	if _, err := c.CreateRole(ctx, in); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
}

// TestServerErrors: 5xx on a named action and on a share of calls; the
// SDK retries 500s.
func TestServerErrors(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{Faults: awsemu.Faults{FailActions: map[string]int{"iam:GetRole": 2, "DeleteRole": -1}}})
	once := noRetryIAM(srv, customerAcct)
	retrying, _ := clients(srv, customerAcct)
	createRole(t, once, "r")
	var sf *types.ServiceFailureException
	if _, err := once.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); !errors.As(err, &sf) {
		t.Fatalf("GetRole: want ServiceFailure, got %v", err)
	}
	if _, err := retrying.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); err != nil {
		t.Fatalf("GetRole with retries: %v", err)
	}
	if n := srv.Emulator.Calls().Action("iam", "GetRole"); n != 3 {
		t.Errorf("GetRole calls = %d, want 3 (one failed, one failed and retried, one success)", n)
	}
	if _, err := retrying.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")}); !errors.As(err, &sf) {
		t.Fatalf("DeleteRole failing always: got %v", err)
	}

	srv.Emulator.SetFaults(awsemu.Faults{FailRate: 1})
	_, s := clients(srv, customerAcct)
	_, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InternalFailure")
	if got := srv.Emulator.Faults(); got.FailRate != 1 {
		t.Errorf("Faults() = %+v", got)
	}
}

// TestCallCounting: calls are counted per action and per account.
func TestCallCounting(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{})
	a, aSTS := clients(srv, customerAcct)
	b, _ := clients(srv, otherAcct)
	createRole(t, a, "r")
	srv.Emulator.ResetCalls()

	createRole(t, b, "r")
	for i := 0; i < 3; i++ {
		if _, err := a.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = a.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("missing")})
	if _, err := aSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	got := srv.Emulator.Calls()
	if got.Total != 6 || got.Action("iam", "GetRole") != 4 || got.Action("iam", "CreateRole") != 1 || got.Action("sts", "GetCallerIdentity") != 1 ||
		got.ByAccount[customerAcct] != 5 || got.ByAccount[otherAcct] != 1 || got.ByService["iam"] != 5 ||
		got.ByAccountAction[otherAcct]["iam:CreateRole"] != 1 || got.Errors["NoSuchEntity"] != 1 ||
		got.ErrorsByService["iam"]["NoSuchEntity"] != 1 || len(got.ErrorsByService["sts"]) != 0 ||
		got.ErrorsByAccount[customerAcct]["NoSuchEntity"] != 1 || len(got.ErrorsByAccount[otherAcct]) != 0 {
		t.Errorf("Calls() = %+v", got)
	}
	srv.Emulator.ResetCalls()
	if got := srv.Emulator.Calls(); got.Total != 0 || len(got.ByAction) != 0 {
		t.Errorf("after ResetCalls: %+v", got)
	}
}

// TestConcurrentClients: many clients at once, in several accounts (run
// with -race to check the locking).
func TestConcurrentClients(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{Faults: awsemu.Faults{ThrottleRate: 0.1}})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, _ := clients(srv, []string{customerAcct, otherAcct}[i%2])
			for j := 0; j < 3; j++ {
				if err := lifecycle(ctx, c, fmt.Sprintf("r-%d-%d", i, j)); err != nil {
					errs <- err
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := srv.Emulator.Calls().Action("iam", "DeleteRole"); n < 24 {
		t.Errorf("DeleteRole calls = %d", n)
	}
}
