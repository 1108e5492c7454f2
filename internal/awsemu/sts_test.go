// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
)

func checkIdentity(t *testing.T, c *sts.Client, account, arn string) {
	t.Helper()
	out, err := c.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(out.Account) != account || aws.ToString(out.Arn) != arn || aws.ToString(out.UserId) == "" {
		t.Fatalf("GetCallerIdentity = %s %s %s, want %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId), account, arn)
	}
}

func assume(ctx context.Context, c *sts.Client, roleARN, externalID string) (*sts.AssumeRoleOutput, error) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("virtco-diag")}
	if externalID != "" {
		in.ExternalId = aws.String(externalID)
	}
	return c.AssumeRole(ctx, in)
}

func sessionClients(srv *awsemu.Server, creds *sts.AssumeRoleOutput) (*iam.Client, *sts.Client) {
	cfg := awsemutest.SessionConfig(srv.URL, aws.ToString(creds.Credentials.AccessKeyId), aws.ToString(creds.Credentials.SecretAccessKey), aws.ToString(creds.Credentials.SessionToken))
	return iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
}

// TestAssumeRoleTrust evaluates the provider's trust policy: the diagnostic
// account with the customer's ExternalId gets in; nobody else does.
func TestAssumeRoleTrust(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := awsemu.NewServer(t, awsemu.Options{Now: func() time.Time { return now }})
	customer, _ := clients(srv, customerAcct)
	_, diag := clients(srv, diagAcct)
	_, other := clients(srv, otherAcct)
	_, self := clients(srv, customerAcct)
	createRole(t, customer, "virtco-diagnostics-readonly") // trusts diagAcct root with ext-1234
	roleARN := "arn:aws:iam::" + customerAcct + ":role/virtco-diagnostics-readonly"

	out, err := assume(ctx, diag, roleARN, "ext-1234")
	if err != nil {
		t.Fatalf("AssumeRole from the diagnostic account: %v", err)
	}
	wantARN := "arn:aws:sts::" + customerAcct + ":assumed-role/virtco-diagnostics-readonly/virtco-diag"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN || !strings.HasPrefix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), "AROA") ||
		!strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") || out.Credentials.Expiration == nil ||
		!out.Credentials.Expiration.Equal(now.Add(time.Hour)) {
		t.Errorf("AssumeRole = %+v %+v", out.AssumedRoleUser, out.Credentials)
	}
	// The credentials act as the role, in the customer's account.
	sessIAM, sessSTS := sessionClients(srv, out)
	checkIdentity(t, sessSTS, customerAcct, wantARN)
	if _, err := sessIAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("virtco-diagnostics-readonly")}); err != nil {
		t.Errorf("GetRole with assumed credentials: %v", err)
	}
	snap, _ := srv.Emulator.Role(customerAcct, "virtco-diagnostics-readonly")
	if snap.LastUsed == nil {
		t.Errorf("RoleLastUsed not recorded")
	}

	for what, try := range map[string]func() error{
		"wrong external id":   func() error { _, err := assume(ctx, diag, roleARN, "ext-9999"); return err },
		"missing external id": func() error { _, err := assume(ctx, diag, roleARN, ""); return err },
		"another account":     func() error { _, err := assume(ctx, other, roleARN, "ext-1234"); return err },
		"the account itself":  func() error { _, err := assume(ctx, self, roleARN, "ext-1234"); return err },
		"no such role":        func() error { _, err := assume(ctx, diag, roleARN+"-nope", "ext-1234"); return err },
		"wrong path": func() error {
			_, err := assume(ctx, diag, "arn:aws:iam::"+customerAcct+":role/x/virtco-diagnostics-readonly", "ext-1234")
			return err
		},
	} {
		err := try()
		wantCode(t, err, "AccessDenied")
		if !strings.Contains(err.Error(), "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::"+customerAcct+":role/") {
			t.Errorf("%s: message %v", what, err)
		}
	}
}

// TestAssumeRolePolicyForms covers wildcard principals, lists, Deny
// overriding Allow, and role principals reached through role chaining.
func TestAssumeRolePolicyForms(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{})
	customer, _ := clients(srv, customerAcct)
	diagIAM, diag := clients(srv, diagAcct)
	_, other := clients(srv, otherAcct)
	mk := func(c *iam.Client, name, doc string) string {
		t.Helper()
		out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)})
		if err != nil {
			t.Fatalf("CreateRole %s: %v", name, err)
		}
		return aws.ToString(out.Role.Arn)
	}

	// "*" is honoured, still subject to the condition.
	star := mk(customer, "star", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"e1"}}}]}`)
	if _, err := assume(ctx, other, star, "e1"); err != nil {
		t.Errorf("wildcard principal with the right external id: %v", err)
	}
	if _, err := assume(ctx, other, star, "e2"); apiCode(err) != "AccessDenied" {
		t.Errorf("wildcard principal with a wrong external id: %v", err)
	}

	// Lists for Principal and Action; an explicit Deny wins over the Allow.
	deny := mk(customer, "deny", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["`+otherAcct+`","arn:aws:iam::`+diagAcct+`:root"]},"Action":["sts:TagSession","sts:AssumeRole"]},
		{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringEquals":{"aws:PrincipalAccount":"`+otherAcct+`"}}}]}`)
	if _, err := assume(ctx, diag, deny, ""); err != nil {
		t.Errorf("allowed account: %v", err)
	}
	if _, err := assume(ctx, other, deny, ""); apiCode(err) != "AccessDenied" {
		t.Errorf("explicitly denied account: %v", err)
	}

	// A role principal: only sessions of that role get in, not its account's users.
	collector := mk(diagIAM, "collector", trustPolicy("arn:aws:iam::"+diagAcct+":root", ""))
	target := mk(customer, "target", trustPolicy(collector, "ext"))
	if _, err := assume(ctx, diag, target, "ext"); apiCode(err) != "AccessDenied" {
		t.Errorf("user of the trusted role's account: %v", err)
	}
	col, err := assume(ctx, diag, collector, "")
	if err != nil {
		t.Fatalf("assume collector: %v", err)
	}
	_, colSTS := sessionClients(srv, col)
	checkIdentity(t, colSTS, diagAcct, "arn:aws:sts::"+diagAcct+":assumed-role/collector/virtco-diag")
	chained, err := assume(ctx, colSTS, target, "ext")
	if err != nil {
		t.Fatalf("role chaining into the target: %v", err)
	}
	_, tgtSTS := sessionClients(srv, chained)
	checkIdentity(t, tgtSTS, customerAcct, "arn:aws:sts::"+customerAcct+":assumed-role/target/virtco-diag")
	// Role chaining is limited to one hour.
	_, err = colSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("s1"), ExternalId: aws.String("ext"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError")
	// Beyond the role's MaxSessionDuration.
	_, err = diag.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(collector), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError")
	_, err = diag.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(collector), RoleSessionName: aws.String("x")})
	wantCode(t, err, "ValidationError") // session name too short
}

// TestSessionCredentials: AssumeRole's credentials are their key, secret and session token
// together, until they expire by the emulator's clock; unknown temporary keys are refused.
func TestSessionCredentials(t *testing.T) {
	ctx := t.Context()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var elapsed atomic.Int64 // the server reads the clock on its own goroutines
	srv := awsemu.NewServer(t, awsemu.Options{Now: func() time.Time { return start.Add(time.Duration(elapsed.Load())) }})
	customer, _ := clients(srv, customerAcct)
	_, diag := clients(srv, diagAcct)
	createRole(t, customer, "r")
	out, err := assume(ctx, diag, "arn:aws:iam::"+customerAcct+":role/r", "ext-1234")
	if err != nil {
		t.Fatal(err)
	}
	if !out.Credentials.Expiration.Equal(start.Add(time.Hour)) {
		t.Errorf("Expiration = %v", out.Credentials.Expiration)
	}
	_, sess := sessionClients(srv, out)
	checkIdentity(t, sess, customerAcct, "arn:aws:sts::"+customerAcct+":assumed-role/r/virtco-diag")
	key, secret, token := aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)
	identity := func(secret, token string) error {
		_, err := sts.NewFromConfig(awsemutest.SessionConfig(srv.URL, key, secret, token)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}
	wantCode(t, identity(secret, ""), "InvalidClientTokenId")
	wantCode(t, identity(secret, token+"x"), "InvalidClientTokenId")
	wantCode(t, identity(awsemu.DefaultSecret, token), "SignatureDoesNotMatch")

	elapsed.Store(int64(time.Hour + time.Second))
	_, err = sess.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "ExpiredToken")

	unknown := sts.NewFromConfig(awsemutest.SessionConfig(srv.URL, "ASIAAAAAAAAAAAAAAAAA", "s", "t"))
	_, err = unknown.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId")

	// GetAccessKeyInfo maps keys to accounts.
	info, err := diag.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: out.Credentials.AccessKeyId})
	if err != nil || aws.ToString(info.Account) != customerAcct {
		t.Errorf("GetAccessKeyInfo = %v, %v", info, err)
	}
	var nse *types.NoSuchEntityException
	_, err = iam.NewFromConfig(awsemutest.Config(srv.URL, otherAcct)).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
	if !errors.As(err, &nse) {
		t.Errorf("GetRole from another account: %v", err)
	}
}
