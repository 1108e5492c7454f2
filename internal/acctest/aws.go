// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package acctest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
)

// AWS is the IAM/STS emulator of one test, served in-process on a free port.
type AWS struct {
	*awsemu.Server
	t *testing.T
}

// StartAWS starts an emulator with the given faults; it stops when the test ends.
func StartAWS(t *testing.T, faults awsemu.Faults) *AWS {
	return &AWS{Server: awsemu.NewServer(t, awsemu.Options{Faults: faults}), t: t}
}

// IAM is an IAM client acting as account.
func (a *AWS) IAM(account string) *iam.Client {
	return iam.NewFromConfig(awsemutest.Config(a.URL, account))
}

// STS is an STS client acting as account.
func (a *AWS) STS(account string) *sts.Client {
	return sts.NewFromConfig(awsemutest.Config(a.URL, account))
}

// Roles is a role manager acting as account, with waits of milliseconds.
func (a *AWS) Roles(account string) *awsrole.Manager {
	return awsrole.NewFromClients(a.IAM(account), a.STS(account), FastRoleOptions)
}

// FastRoleOptions make IAM's waits milliseconds, so that injected faults never make a test sleep.
var FastRoleOptions = awsrole.Options{PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond}

// DeleteRole deletes a role outside Terraform, as someone with the AWS console would.
func (a *AWS) DeleteRole(account, name string) {
	a.t.Helper()
	if err := awsrole.NewFromClients(a.IAM(account), nil, FastRoleOptions).Delete(a.t.Context(), name); err != nil {
		a.t.Fatal(err)
	}
}

// RoleWant is what a role in the emulator must be.
type RoleWant struct {
	Account, Name string
	Principal     string // the trust policy's principal
	ExternalID    string
	Actions       []string // exactly these, in the one inline policy
	SessionSecs   int      // 0: not checked
	Tags          map[string]string
	ExpiresAt     *time.Time // the trust's DateLessThan aws:CurrentTime; nil: none
}

// CheckRole checks the role in the emulator: exactly the trust asked for, exactly one inline
// policy with exactly the actions asked for, no managed policy, no boundary, the tags.
func (a *AWS) CheckRole(w RoleWant) error {
	r, ok := a.Emulator.Role(w.Account, w.Name)
	if !ok {
		return fmt.Errorf("role %s is not in account %s of the emulator", w.Name, w.Account)
	}
	want, err := awsrole.TrustPolicyUntil(w.Principal, w.ExternalID, w.ExpiresAt)
	if err != nil {
		return err
	}
	if same, err := awsrole.PoliciesEqual(r.TrustPolicy, want); err != nil || !same {
		return fmt.Errorf("trust policy of %s:\n%s\nwant\n%s", w.Name, r.TrustPolicy, want)
	}
	if len(r.InlinePolicies) != 1 {
		return fmt.Errorf("role %s has %d inline policies, want 1: %v", w.Name, len(r.InlinePolicies), r.InlinePolicies)
	}
	doc, ok := r.InlinePolicies[awsrole.DefaultInlinePolicyName]
	if !ok {
		return fmt.Errorf("role %s has no inline policy %s", w.Name, awsrole.DefaultInlinePolicyName)
	}
	if err := SameActions(doc, w.Actions); err != nil {
		return fmt.Errorf("role %s: %w", w.Name, err)
	}
	if len(r.AttachedPolicies) != 0 || len(r.InstanceProfiles) != 0 || r.PermissionsBoundary != "" {
		return fmt.Errorf("role %s has managed policies %v, instance profiles %v, boundary %q; want none",
			w.Name, r.AttachedPolicies, r.InstanceProfiles, r.PermissionsBoundary)
	}
	if w.SessionSecs != 0 && r.MaxSessionDuration != w.SessionSecs {
		return fmt.Errorf("role %s: max session duration %d, want %d", w.Name, r.MaxSessionDuration, w.SessionSecs)
	}
	if w.Tags != nil && fmt.Sprint(r.Tags) != fmt.Sprint(w.Tags) {
		return fmt.Errorf("role %s: tags %v, want %v", w.Name, r.Tags, w.Tags)
	}
	return nil
}

// NoRoles checks that an account of the emulator has no role at all.
func (a *AWS) NoRoles(account string) error {
	if roles := a.Emulator.Roles(account); len(roles) != 0 {
		var names []string
		for _, r := range roles {
			names = append(names, r.Name)
		}
		return fmt.Errorf("account %s of the emulator still has roles %v", account, names)
	}
	return nil
}

// CollectorSession creates Diag3's collector role in the emulator (its principal) unless it exists, and returns an
// STS client with a session of it: what the platform's diagnostic account runs as.
func (a *AWS) CollectorSession() *sts.Client {
	a.t.Helper()
	ctx := a.t.Context()
	a.EnsureCollector()
	out, err := a.STS(Diag3Account).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(Diag3Principal), RoleSessionName: aws.String("collector"),
	})
	if err != nil {
		a.t.Fatal(err)
	}
	c := out.Credentials
	return sts.NewFromConfig(awsemutest.SessionConfig(a.URL, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
}

// Assume assumes a role with an external id (none when empty), as the diagnostic account does.
func (a *AWS) Assume(c *sts.Client, arn, externalID string) error {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("diag")}
	if externalID != "" {
		in.ExternalId = aws.String(externalID)
	}
	_, err := c.AssumeRole(a.t.Context(), in)
	return err
}

// OnlyCollectorMayAssume checks who may assume the role: the collector with the customer's
// external id, and nobody else (a wrong or missing external id, a plain user of the diag
// account, another account).
func (a *AWS) OnlyCollectorMayAssume(collector *sts.Client, arn, externalID string) error {
	denied := func(what string, err error) error {
		var ae smithy.APIError
		if err == nil {
			return fmt.Errorf("AssumeRole %s succeeded; it must be denied", what)
		}
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
			return fmt.Errorf("AssumeRole %s: want AccessDenied, got %w", what, err)
		}
		return nil
	}
	if err := a.Assume(collector, arn, externalID); err != nil {
		return fmt.Errorf("AssumeRole by the diag account's collector with the external id: %w", err)
	}
	return errors.Join(
		denied("with a wrong external id", a.Assume(collector, arn, "not-"+externalID)),
		denied("without an external id", a.Assume(collector, arn, "")),
		denied("by a plain user of the diag account", a.Assume(a.STS(Diag3Account), arn, externalID)),
		denied("from another account", a.Assume(a.STS("999999999999"), arn, externalID)),
	)
}
