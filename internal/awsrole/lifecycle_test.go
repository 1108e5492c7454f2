// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
)

const (
	customerAcct = "123456789012"
	diagAcct     = "111122223333"
	otherAcct    = "444455556666"
	externalID   = "8c6f2a4e-1d3b-4f5a-9e7c-0b1a2c3d4e5f"
	roleName     = "virtco-diagnostics-readonly"

	adminARN    = "arn:aws:iam::aws:policy/AdministratorAccess"
	readOnlyARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
)

// fastOptions: millisecond polling; the timeouts are only upper bounds that
// a working test never reaches.
var fastOptions = awsrole.Options{
	PropagationTimeout: 5 * time.Second,
	ConsistencyTimeout: 5 * time.Second,
	PollInterval:       time.Millisecond,
	MaxPollInterval:    2 * time.Millisecond,
}

type fixture struct {
	srv   *awsemu.Server
	emu   *awsemu.Emulator
	mgr   *awsrole.Manager
	other *iam.Client // "someone else" in the customer account
}

func newFixture(t *testing.T, faults awsemu.Faults) *fixture {
	t.Helper()
	srv := awsemu.NewServer(t, awsemu.Options{Faults: faults})
	cfg := awsemutest.Config(srv.URL, customerAcct)
	otherCfg := awsemutest.Config(srv.URL, customerAcct)
	otherCfg.Retryer = awsemutest.FastRetryer(1)
	return &fixture{
		srv:   srv,
		emu:   srv.Emulator,
		mgr:   awsrole.New(cfg, fastOptions),
		other: iam.NewFromConfig(otherCfg),
	}
}

func spec(t *testing.T, sources ...string) awsrole.RoleSpec {
	t.Helper()
	if len(sources) == 0 {
		sources = awsrole.DefaultDataSources()
	}
	trust, err := awsrole.TrustPolicy(awsrole.RootPrincipal(diagAcct), externalID)
	if err != nil {
		t.Fatal(err)
	}
	perms, err := awsrole.PermissionsPolicy(sources, awsrole.PermissionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return awsrole.RoleSpec{
		Name:               roleName,
		Path:               "/virtco/",
		Description:        "VIRT-CO diagnostics (read-only)",
		MaxSessionDuration: 7200,
		Tags:               map[string]string{"virtco:customer": "acme.com", "managed-by": "terraform"},
		TrustPolicy:        trust,
		PermissionsPolicy:  perms,
	}
}

// calls runs fn and returns the IAM and STS calls it made, logging them.
func calls(t *testing.T, f *fixture, what string, fn func()) awsemu.CallStats {
	t.Helper()
	f.emu.ResetCalls()
	fn()
	c := f.emu.Calls()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c.ByAction)) {
		parts = append(parts, strings.TrimPrefix(k, "iam:")+"="+itoa(c.ByAction[k]))
	}
	var errs []string
	for _, k := range slices.Sorted(maps.Keys(c.Errors)) {
		errs = append(errs, k+"="+itoa(c.Errors[k]))
	}
	t.Logf("IAM/STS calls for %s: %d total (%s); error answers: %s", what, c.Total, strings.Join(parts, " "), strings.Join(errs, " "))
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

// assertRoleIsExactly checks the emulator holds exactly the role of s: the
// trust policy, one inline policy with exactly the policy's actions, nothing
// attached, the tags, boundary, description and session duration.
func assertRoleIsExactly(t *testing.T, f *fixture, s awsrole.RoleSpec) awsemu.RoleSnapshot {
	t.Helper()
	snap, ok := f.emu.Role(customerAcct, s.Name)
	if !ok {
		t.Fatalf("role %s does not exist in the emulator", s.Name)
	}
	if eq, err := awsrole.PoliciesEqual(snap.TrustPolicy, s.TrustPolicy); err != nil || !eq {
		t.Errorf("trust policy in IAM:\n%s\nwant (semantically):\n%s (%v)", snap.TrustPolicy, s.TrustPolicy, err)
	}
	if len(snap.InlinePolicies) != 1 {
		t.Errorf("inline policies: %v", keys(snap.InlinePolicies))
	}
	if eq, err := awsrole.PoliciesEqual(snap.InlinePolicies[awsrole.DefaultInlinePolicyName], s.PermissionsPolicy); err != nil || !eq {
		t.Errorf("inline policy in IAM:\n%s (%v)", snap.InlinePolicies[awsrole.DefaultInlinePolicyName], err)
	}
	if len(snap.AttachedPolicies) != 0 {
		t.Errorf("attached policies: %v", snap.AttachedPolicies)
	}
	if len(snap.InstanceProfiles) != 0 {
		t.Errorf("instance profiles: %v", snap.InstanceProfiles)
	}
	wantTags := s.Tags
	if wantTags == nil {
		wantTags = map[string]string{}
	}
	if !reflect.DeepEqual(snap.Tags, wantTags) {
		t.Errorf("tags = %v, want %v", snap.Tags, wantTags)
	}
	if snap.PermissionsBoundary != s.PermissionsBoundary || snap.Description != s.Description ||
		int32(snap.MaxSessionDuration) != max(s.MaxSessionDuration, 3600) || snap.Path != s.Path {
		t.Errorf("role: boundary %q description %q session %d path %q", snap.PermissionsBoundary, snap.Description, snap.MaxSessionDuration, snap.Path)
	}
	return snap
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestCreateReadDelete(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	s := spec(t)
	s.PermissionsBoundary = readOnlyARN

	var st *awsrole.RoleState
	c := calls(t, f, "Create", func() {
		var err error
		if st, err = f.mgr.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	})
	if c.Total != 3 || c.Action("iam", "CreateRole") != 1 || c.Action("iam", "PutRolePolicy") != 1 || c.Action("iam", "GetRole") != 1 {
		t.Errorf("Create calls: %v", c.ByAction)
	}
	snap := assertRoleIsExactly(t, f, s)

	// The emulator holds exactly the actions of the default sources.
	gotActions := policyActions(t, snap.InlinePolicies[awsrole.DefaultInlinePolicyName])
	var want []string
	for _, src := range awsrole.DefaultDataSources() {
		a, _ := awsrole.Actions(src)
		want = append(want, a...)
	}
	sort.Strings(want)
	if !reflect.DeepEqual(gotActions, want) {
		t.Errorf("actions in IAM = %v, want %v", gotActions, want)
	}

	if st.ARN != "arn:aws:iam::"+customerAcct+":role/virtco/"+roleName || st.ARN != snap.ARN || st.RoleID != snap.RoleID {
		t.Errorf("created state: %+v", st)
	}
	if ch, err := awsrole.Diff(st, s); err != nil || !ch.Empty() {
		t.Errorf("Create's state differs from the spec: %v %v", ch.Summary(), err)
	}

	var read *awsrole.RoleState
	c = calls(t, f, "Read", func() {
		var err error
		if read, err = f.mgr.Read(ctx, roleName); err != nil {
			t.Fatal(err)
		}
	})
	if c.Total != 5 {
		t.Errorf("Read calls: %v", c.ByAction)
	}
	if read.ARN != snap.ARN || read.Path != "/virtco/" || read.Description != s.Description || read.MaxSessionDuration != 7200 ||
		read.PermissionsBoundary != readOnlyARN || !reflect.DeepEqual(read.Tags, s.Tags) || len(read.AttachedPolicies) != 0 ||
		!reflect.DeepEqual(keys(read.InlinePolicies), []string{awsrole.DefaultInlinePolicyName}) {
		t.Errorf("read state: %+v", read)
	}
	if strings.Contains(read.TrustPolicy, "%22") || strings.Contains(read.InlinePolicies[awsrole.DefaultInlinePolicyName], "%22") {
		t.Error("Read returned URL-encoded documents")
	}
	if ch, err := awsrole.Diff(read, s); err != nil || !ch.Empty() {
		t.Errorf("a fresh role shows drift: %v %v", ch.Summary(), err)
	}
	// Read finds the role whatever the case of the name (IAM ignores it).
	if r2, err := f.mgr.Read(ctx, strings.ToUpper(roleName)); err != nil || r2.Name != roleName {
		t.Errorf("Read(upper case) = %+v, %v", r2, err)
	}

	c = calls(t, f, "Delete", func() {
		if err := f.mgr.Delete(ctx, roleName); err != nil {
			t.Fatal(err)
		}
	})
	if c.Action("iam", "DeleteRole") != 1 || c.Action("iam", "DeleteRolePolicy") != 1 {
		t.Errorf("Delete calls: %v", c.ByAction)
	}
	if _, ok := f.emu.Role(customerAcct, roleName); ok {
		t.Fatal("role still exists")
	}
	c = calls(t, f, "Delete of a deleted role", func() {
		if err := f.mgr.Delete(ctx, roleName); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
	})
	_, err := f.mgr.Read(ctx, roleName)
	if !errors.Is(err, awsrole.ErrRoleNotFound) {
		t.Errorf("Read after Delete: %v", err)
	}
}

func policyActions(t *testing.T, doc string) []string {
	t.Helper()
	var d struct {
		Statement []struct{ Action any }
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range d.Statement {
		switch a := s.Action.(type) {
		case string:
			out = append(out, a)
		case []any:
			for _, x := range a {
				out = append(out, x.(string))
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestCallerAccount(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	acct, err := f.mgr.CallerAccount(ctx)
	if err != nil || acct != customerAcct {
		t.Errorf("CallerAccount = %q, %v", acct, err)
	}
}

func TestAssumeRoleNeedsDiagAccountAndExternalID(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	st, err := f.mgr.Create(ctx, spec(t))
	if err != nil {
		t.Fatal(err)
	}
	assume := func(account string, ext *string) error {
		c := sts.NewFromConfig(awsemutest.Config(f.srv.URL, account))
		out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(st.ARN), RoleSessionName: aws.String("virtco-diagnostics"), ExternalId: ext,
		})
		if err == nil && (out.Credentials == nil || aws.ToString(out.Credentials.AccessKeyId) == "") {
			return errors.New("no credentials")
		}
		return err
	}
	if err := assume(diagAcct, aws.String(externalID)); err != nil {
		t.Errorf("diag account with the external id: %v", err)
	}
	for name, c := range map[string]struct {
		account string
		ext     *string
	}{
		"wrong external id":   {diagAcct, aws.String("00000000-0000-0000-0000-000000000000")},
		"missing external id": {diagAcct, nil},
		"another account":     {otherAcct, aws.String(externalID)},
		"the customer itself": {customerAcct, aws.String(externalID)},
	} {
		err := assume(c.account, c.ext)
		if errorCode(err) != "AccessDenied" {
			t.Errorf("%s: want AccessDenied, got %v", name, err)
		}
	}
}

// The diag account's principal_arn may be a role: only sessions of that role
// (with the external id) get in, not other identities of the diag account.
func TestAssumeRoleWithRolePrincipal(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	// The diag account's collector role, assumable by the diag account.
	diagIAM := iam.NewFromConfig(awsemutest.Config(f.srv.URL, diagAcct))
	collectorTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + diagAcct + `"},"Action":"sts:AssumeRole"}]}`
	collector, err := diagIAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("virtco-collector"), AssumeRolePolicyDocument: aws.String(collectorTrust)})
	if err != nil {
		t.Fatal(err)
	}
	s := spec(t)
	if s.TrustPolicy, err = awsrole.TrustPolicy(aws.ToString(collector.Role.Arn), externalID); err != nil {
		t.Fatal(err)
	}
	st, err := f.mgr.Create(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	diagSTS := sts.NewFromConfig(awsemutest.Config(f.srv.URL, diagAcct))
	sess, err := diagSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: collector.Role.Arn, RoleSessionName: aws.String("collector")})
	if err != nil {
		t.Fatal(err)
	}
	cr := sess.Credentials
	collectorSTS := sts.NewFromConfig(awsemutest.SessionConfig(f.srv.URL, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)))
	in := &sts.AssumeRoleInput{RoleArn: aws.String(st.ARN), RoleSessionName: aws.String("diag"), ExternalId: aws.String(externalID)}
	if _, err := collectorSTS.AssumeRole(ctx, in); err != nil {
		t.Errorf("collector session with the external id: %v", err)
	}
	if _, err := diagSTS.AssumeRole(ctx, in); errorCode(err) != "AccessDenied" {
		t.Errorf("another identity of the diag account: want AccessDenied, got %v", err)
	}
}

func TestDriftIsReportedAndUpdatePutsItBack(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	s := spec(t)
	s.PermissionsBoundary = readOnlyARN
	if _, err := f.mgr.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	rn := aws.String(roleName)
	// Someone else, in the customer's account:
	mustDo(t, "attach AdministratorAccess", func() error {
		_, err := f.other.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: rn, PolicyArn: aws.String(adminARN)})
		return err
	})
	mustDo(t, "open the trust policy", func() error {
		_, err := f.other.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: rn, PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)})
		return err
	})
	mustDo(t, "add an inline policy", func() error {
		_, err := f.other.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: rn, PolicyName: aws.String("extra"), PolicyDocument: aws.String(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`)})
		return err
	})
	widened := strings.Replace(s.PermissionsPolicy, `"cloudtrail:ListTags"`, `"cloudtrail:ListTags", "cloudtrail:StartQuery"`, 1)
	mustDo(t, "widen our inline policy", func() error {
		_, err := f.other.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: rn, PolicyName: aws.String(awsrole.DefaultInlinePolicyName), PolicyDocument: aws.String(widened)})
		return err
	})
	mustDo(t, "drop the boundary", func() error {
		_, err := f.other.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: rn})
		return err
	})
	mustDo(t, "change description and session", func() error {
		_, err := f.other.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: rn, Description: aws.String("hijacked"), MaxSessionDuration: aws.Int32(43200)})
		return err
	})
	mustDo(t, "retag", func() error {
		if _, err := f.other.UntagRole(ctx, &iam.UntagRoleInput{RoleName: rn, TagKeys: []string{"managed-by"}}); err != nil {
			return err
		}
		_, err := f.other.TagRole(ctx, &iam.TagRoleInput{RoleName: rn, Tags: []types.Tag{
			{Key: aws.String("VIRTCO:customer"), Value: aws.String("evil.com")}, {Key: aws.String("extra"), Value: aws.String("x")},
		}})
		return err
	})

	var read *awsrole.RoleState
	calls(t, f, "Read with drift", func() {
		var err error
		if read, err = f.mgr.Read(ctx, roleName); err != nil {
			t.Fatal(err)
		}
	})
	ch, err := awsrole.Diff(read, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("drift: %s", strings.Join(ch.Summary(), "; "))
	if !ch.TrustPolicy || !ch.PermissionsPolicy || !reflect.DeepEqual(ch.InlinePoliciesToDelete, []string{"extra"}) ||
		!reflect.DeepEqual(ch.ManagedPoliciesToDetach, []string{adminARN}) || !ch.PermissionsBoundary ||
		!ch.Description || !ch.MaxSessionDuration || len(ch.Replace) != 0 {
		t.Errorf("drift not reported: %+v", ch)
	}
	// IAM's tag keys are case-insensitive: TagRole "VIRTCO:customer" replaced
	// "virtco:customer"; Update must end with the exact keys of the spec.
	if !reflect.DeepEqual(read.Tags, map[string]string{"VIRTCO:customer": "evil.com", "extra": "x"}) {
		t.Errorf("tags read: %v", read.Tags)
	}

	var updated *awsrole.RoleState
	calls(t, f, "Update of every drift", func() {
		if updated, err = f.mgr.Update(ctx, roleName, read, s); err != nil {
			t.Fatal(err)
		}
	})
	assertRoleIsExactly(t, f, s)
	if ch, err := awsrole.Diff(updated, s); err != nil || !ch.Empty() {
		t.Errorf("Update's state: %v %v", ch.Summary(), err)
	}
	again, err := f.mgr.Read(ctx, roleName)
	if err != nil {
		t.Fatal(err)
	}
	if ch, err := awsrole.Diff(again, s); err != nil || !ch.Empty() {
		t.Errorf("drift remains after Update: %v %v", ch.Summary(), err)
	}

	// Nothing to do: no IAM call.
	c := calls(t, f, "Update without changes", func() {
		if _, err := f.mgr.Update(ctx, roleName, again, s); err != nil {
			t.Fatal(err)
		}
	})
	if c.Total != 0 {
		t.Errorf("Update without changes made calls: %v", c.ByAction)
	}

	// A change of the spec: other sources, no boundary, other tags.
	s2 := spec(t, "cloudwatch", "cloudtrail", "logs")
	s2.Tags = map[string]string{"team": "finops"}
	s2.Description = ""
	s2.MaxSessionDuration = 0
	if _, err := f.mgr.Update(ctx, roleName, nil, s2); err != nil {
		t.Fatal(err)
	}
	assertRoleIsExactly(t, f, s2)
	// And a boundary back on.
	s2.PermissionsBoundary = readOnlyARN
	if _, err := f.mgr.Update(ctx, roleName, nil, s2); err != nil {
		t.Fatal(err)
	}
	assertRoleIsExactly(t, f, s2)
}

func TestUpdateRefusesReplacementAndMissingRole(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	s := spec(t)
	st, err := f.mgr.Create(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	moved := s
	moved.Path = "/elsewhere/"
	f.emu.ResetCalls()
	if _, err := f.mgr.Update(ctx, roleName, st, moved); !errors.Is(err, awsrole.ErrReplacementRequired) || !strings.Contains(err.Error(), "path") {
		t.Errorf("path change: %v", err)
	}
	renamed := s
	renamed.Name = "another-name"
	if _, err := f.mgr.Update(ctx, roleName, st, renamed); !errors.Is(err, awsrole.ErrReplacementRequired) || !strings.Contains(err.Error(), "name") {
		t.Errorf("name change: %v", err)
	}
	if n := f.emu.Calls().Total; n != 0 {
		t.Errorf("a refused update made %d calls", n)
	}
	bad := s
	bad.TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
	if _, err := f.mgr.Update(ctx, roleName, st, bad); err == nil {
		t.Error("Update accepted a wildcard trust policy")
	}

	if err := f.mgr.Delete(ctx, roleName); err != nil {
		t.Fatal(err)
	}
	changed := s
	changed.Description = "new"
	if _, err := f.mgr.Update(ctx, roleName, st, changed); !errors.Is(err, awsrole.ErrRoleNotFound) {
		t.Errorf("Update of a deleted role: %v", err)
	}
	if _, err := f.mgr.Update(ctx, roleName, nil, changed); !errors.Is(err, awsrole.ErrRoleNotFound) {
		t.Errorf("Update (reading) of a deleted role: %v", err)
	}
}

func TestDeleteRemovesEverything(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	if _, err := f.mgr.Create(ctx, spec(t)); err != nil {
		t.Fatal(err)
	}
	rn := aws.String(roleName)
	custPolicy, err := f.other.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("custom"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range []string{adminARN, readOnlyARN, aws.ToString(custPolicy.Policy.Arn)} {
		mustDo(t, "attach "+arn, func() error {
			_, err := f.other.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: rn, PolicyArn: aws.String(arn)})
			return err
		})
	}
	for _, pn := range []string{"extra-1", "extra-2"} {
		mustDo(t, "put "+pn, func() error {
			_, err := f.other.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: rn, PolicyName: aws.String(pn), PolicyDocument: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}`)})
			return err
		})
	}
	for _, ip := range []string{"profile-a", "profile-b"} {
		mustDo(t, "instance profile "+ip, func() error {
			if _, err := f.other.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(ip)}); err != nil {
				return err
			}
			_, err := f.other.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(ip), RoleName: rn})
			return err
		})
	}
	c := calls(t, f, "Delete with 3 managed, 3 inline policies and 2 instance profiles", func() {
		if err := f.mgr.Delete(ctx, roleName); err != nil {
			t.Fatal(err)
		}
	})
	if c.Action("iam", "DetachRolePolicy") != 3 || c.Action("iam", "DeleteRolePolicy") != 3 ||
		c.Action("iam", "RemoveRoleFromInstanceProfile") != 2 || c.Action("iam", "DeleteRole") != 1 {
		t.Errorf("Delete calls: %v", c.ByAction)
	}
	if _, ok := f.emu.Role(customerAcct, roleName); ok {
		t.Fatal("role still exists")
	}
	// The instance profiles and the customer-managed policy are not ours: they stay.
	for _, ip := range []string{"profile-a", "profile-b"} {
		if _, err := f.other.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(ip)}); err != nil {
			t.Errorf("instance profile %s: %v", ip, err)
		}
	}
	if err := f.mgr.Delete(ctx, roleName); err != nil {
		t.Errorf("Delete of a deleted role: %v", err)
	}
}

// attachingIAM attaches AdministratorAccess to the role (as "someone else")
// just before the next `times` DeleteRole calls, so that IAM answers
// DeleteConflict.
type attachingIAM struct {
	*iam.Client
	other   *iam.Client
	times   int32
	deletes atomic.Int32
}

func (a *attachingIAM) DeleteRole(ctx context.Context, in *iam.DeleteRoleInput, opts ...func(*iam.Options)) (*iam.DeleteRoleOutput, error) {
	if a.deletes.Add(1) <= a.times {
		if _, err := a.other.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: in.RoleName, PolicyArn: aws.String(adminARN)}); err != nil {
			return nil, err
		}
	}
	return a.Client.DeleteRole(ctx, in, opts...)
}

func TestDeleteConflictRetriesThenNamesWhatIsAttached(t *testing.T) {
	f := newFixture(t, awsemu.Faults{})
	cfg := awsemutest.Config(f.srv.URL, customerAcct)
	for _, c := range []struct {
		name  string
		times int32
		ok    bool
	}{{"attached once meanwhile", 1, true}, {"attached again and again", 1000, false}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			if _, err := f.mgr.Create(ctx, spec(t)); err != nil {
				t.Fatal(err)
			}
			wrapped := &attachingIAM{Client: iam.NewFromConfig(cfg), other: f.other, times: c.times}
			mgr := awsrole.NewFromClients(wrapped, sts.NewFromConfig(cfg), awsrole.Options{PollInterval: time.Millisecond, DeleteAttempts: 3})
			err := mgr.Delete(ctx, roleName)
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				if n := wrapped.deletes.Load(); n != 2 {
					t.Errorf("DeleteRole calls = %d, want 2", n)
				}
				if _, ok := f.emu.Role(customerAcct, roleName); ok {
					t.Error("role still exists")
				}
				return
			}
			var ce *awsrole.DeleteConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("want *DeleteConflictError, got %v", err)
			}
			if ce.Attempts != 3 || !reflect.DeepEqual(ce.ManagedPolicies, []string{adminARN}) || errorCode(err) != "DeleteConflict" ||
				!strings.Contains(err.Error(), adminARN) {
				t.Errorf("error: %v (%+v)", err, ce)
			}
			t.Logf("error: %v", err)
			// Clean up with a plain manager.
			if err := f.mgr.Delete(ctx, roleName); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCreateExistingRole(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	s := spec(t)
	if _, err := f.mgr.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	before, _ := f.emu.Role(customerAcct, roleName)
	for _, name := range []string{roleName, strings.ToUpper(roleName)} {
		s.Name = name
		_, err := f.mgr.Create(ctx, s)
		var re *awsrole.RoleExistsError
		if !errors.As(err, &re) || !errors.Is(err, awsrole.ErrRoleExists) || re.RoleName != name || errorCode(err) != "EntityAlreadyExists" ||
			!strings.Contains(err.Error(), "import") {
			t.Errorf("Create(%s) of an existing role: %v", name, err)
		}
	}
	after, _ := f.emu.Role(customerAcct, roleName)
	if !reflect.DeepEqual(before, after) {
		t.Error("the existing role was changed")
	}
}

func TestCreateValidatesBeforeCallingAWS(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	s := spec(t)
	s.TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + diagAcct + `"},"Action":"sts:AssumeRole"}]}`
	f.emu.ResetCalls()
	if _, err := f.mgr.Create(ctx, s); err == nil || !strings.Contains(err.Error(), "ExternalId") {
		t.Errorf("trust without external id: %v", err)
	}
	if n := f.emu.Calls().Total; n != 0 {
		t.Errorf("%d calls", n)
	}
}

func TestPartialCreateIsReportedAndCanBeCleanedUp(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{FailActions: map[string]int{"PutRolePolicy": -1}})
	_, err := f.mgr.Create(ctx, spec(t))
	var pe *awsrole.PartialCreateError
	if !errors.As(err, &pe) {
		t.Fatalf("want *PartialCreateError, got %v", err)
	}
	snap, ok := f.emu.Role(customerAcct, roleName)
	if !ok || pe.RoleARN != snap.ARN || pe.RoleName != roleName || errorCode(err) != "ServiceFailure" {
		t.Errorf("error %v; role exists %v (%s)", err, ok, snap.ARN)
	}
	t.Logf("error: %v", err)
	if err := f.mgr.Delete(ctx, pe.RoleName); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.emu.Role(customerAcct, roleName); ok {
		t.Error("role left behind")
	}
}

func TestCreateGivesUp(t *testing.T) {
	t.Run("principal never valid", func(t *testing.T) {
		ctx := t.Context()
		f := newFixture(t, awsemu.Faults{InvalidPrincipalAttempts: 1 << 30})
		mgr := awsrole.New(awsemutest.Config(f.srv.URL, customerAcct), awsrole.Options{PropagationTimeout: 5 * time.Millisecond, PollInterval: time.Millisecond})
		_, err := mgr.Create(ctx, spec(t))
		if errorCode(err) != "MalformedPolicyDocument" || !strings.Contains(err.Error(), "principal") {
			t.Errorf("error: %v", err)
		}
		var pe *awsrole.PartialCreateError
		if errors.As(err, &pe) {
			t.Error("no role was created, yet a PartialCreateError")
		}
		if _, ok := f.emu.Role(customerAcct, roleName); ok {
			t.Error("role exists")
		}
	})
	t.Run("role never visible", func(t *testing.T) {
		ctx := t.Context()
		f := newFixture(t, awsemu.Faults{InvisibleReads: 1 << 30})
		mgr := awsrole.New(awsemutest.Config(f.srv.URL, customerAcct), awsrole.Options{ConsistencyTimeout: 5 * time.Millisecond, PollInterval: time.Millisecond})
		_, err := mgr.Create(ctx, spec(t))
		var pe *awsrole.PartialCreateError
		if !errors.As(err, &pe) || pe.RoleARN == "" || errorCode(err) != "NoSuchEntity" {
			t.Errorf("error: %v", err)
		}
		if errors.Is(err, awsrole.ErrRoleNotFound) {
			t.Error("a role that exists reported as not found")
		}
	})
	t.Run("context cancelled while waiting", func(t *testing.T) {
		ctx := t.Context()
		f := newFixture(t, awsemu.Faults{InvisibleReads: 1 << 30})
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cfg := awsemutest.Config(f.srv.URL, customerAcct)
		mgr := awsrole.NewFromClients(&cancellingIAM{Client: iam.NewFromConfig(cfg), cancelOn: "GetRole", cancel: cancel}, nil,
			awsrole.Options{PollInterval: time.Millisecond})
		_, err := mgr.Create(cctx, spec(t))
		var pe *awsrole.PartialCreateError
		if !errors.As(err, &pe) || pe.RoleARN == "" || !errors.Is(err, context.Canceled) {
			t.Errorf("error: %v", err)
		}
	})
	t.Run("context cancelled during CreateRole", func(t *testing.T) {
		ctx := t.Context()
		f := newFixture(t, awsemu.Faults{})
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cfg := awsemutest.Config(f.srv.URL, customerAcct)
		mgr := awsrole.NewFromClients(&cancellingIAM{Client: iam.NewFromConfig(cfg), cancelOn: "CreateRole", cancel: cancel}, nil, fastOptions)
		_, err := mgr.Create(cctx, spec(t))
		var pe *awsrole.PartialCreateError
		if !errors.As(err, &pe) || pe.RoleARN != "" || pe.RoleName != roleName || !errors.Is(err, context.Canceled) {
			t.Fatalf("error: %v", err)
		}
		t.Logf("error: %v", err)
		// The role does exist: the caller's Delete removes it.
		if _, ok := f.emu.Role(customerAcct, roleName); !ok {
			t.Fatal("role not created")
		}
		if err := f.mgr.Delete(ctx, roleName); err != nil {
			t.Fatal(err)
		}
	})
}

// cancellingIAM cancels the context once the call named cancelOn has been
// served, and answers that call with the context's error, as when a
// response is lost to a cancellation.
type cancellingIAM struct {
	*iam.Client
	cancelOn string
	cancel   context.CancelFunc
}

func (c *cancellingIAM) CreateRole(ctx context.Context, in *iam.CreateRoleInput, o ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	out, err := c.Client.CreateRole(ctx, in, o...)
	if c.cancelOn == "CreateRole" {
		c.cancel()
		return nil, fmt.Errorf("operation error IAM: CreateRole: %w", ctx.Err())
	}
	return out, err
}

func (c *cancellingIAM) GetRole(ctx context.Context, in *iam.GetRoleInput, o ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	out, err := c.Client.GetRole(ctx, in, o...)
	if c.cancelOn == "GetRole" {
		c.cancel()
	}
	return out, err
}

func TestReadNotFound(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	_, err := f.mgr.Read(ctx, "no-such-role")
	if !errors.Is(err, awsrole.ErrRoleNotFound) || errorCode(err) != "NoSuchEntity" {
		t.Errorf("Read of a missing role: %v", err)
	}
}

// pagingIAM asks for one item per page, so that Read and Delete must walk
// several pages through the SDK paginators.
type pagingIAM struct{ *iam.Client }

func (p pagingIAM) ListRoleTags(ctx context.Context, in *iam.ListRoleTagsInput, o ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error) {
	in.MaxItems = aws.Int32(1)
	return p.Client.ListRoleTags(ctx, in, o...)
}

func (p pagingIAM) ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, o ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	in.MaxItems = aws.Int32(1)
	return p.Client.ListRolePolicies(ctx, in, o...)
}

func (p pagingIAM) ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	in.MaxItems = aws.Int32(1)
	return p.Client.ListAttachedRolePolicies(ctx, in, o...)
}

func (p pagingIAM) ListInstanceProfilesForRole(ctx context.Context, in *iam.ListInstanceProfilesForRoleInput, o ...func(*iam.Options)) (*iam.ListInstanceProfilesForRoleOutput, error) {
	in.MaxItems = aws.Int32(1)
	return p.Client.ListInstanceProfilesForRole(ctx, in, o...)
}

func TestReadAndDeleteWalkEveryPage(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{})
	cfg := awsemutest.Config(f.srv.URL, customerAcct)
	mgr := awsrole.NewFromClients(pagingIAM{iam.NewFromConfig(cfg)}, nil, fastOptions)
	s := spec(t)
	s.Tags = map[string]string{}
	for i := 0; i < 12; i++ {
		s.Tags["tag-"+string(rune('a'+i))] = "v"
	}
	if _, err := mgr.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	rn := aws.String(roleName)
	for _, arn := range []string{adminARN, readOnlyARN, "arn:aws:iam::aws:policy/SecurityAudit"} {
		mustDo(t, "attach", func() error {
			_, err := f.other.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: rn, PolicyArn: aws.String(arn)})
			return err
		})
	}
	for _, pn := range []string{"x1", "x2", "x3"} {
		mustDo(t, "put", func() error {
			_, err := f.other.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: rn, PolicyName: aws.String(pn), PolicyDocument: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}`)})
			return err
		})
	}
	for _, ip := range []string{"p1", "p2", "p3"} {
		mustDo(t, "profile", func() error {
			if _, err := f.other.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(ip)}); err != nil {
				return err
			}
			_, err := f.other.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(ip), RoleName: rn})
			return err
		})
	}
	st, err := mgr.Read(ctx, roleName)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tags) != 12 || len(st.InlinePolicies) != 4 || len(st.AttachedPolicies) != 3 {
		t.Errorf("read %d tags, %d inline, %d attached", len(st.Tags), len(st.InlinePolicies), len(st.AttachedPolicies))
	}
	if err := mgr.Delete(ctx, roleName); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.emu.Role(customerAcct, roleName); ok {
		t.Error("role still exists")
	}
}

// Several faults at once: 30% of IAM calls throttled, the role invisible to
// its first two reads, the first two CreateRole attempts refused with
// "Invalid principal". Create, Read and Delete still succeed, and the calls
// they cost are logged.
func TestLifecycleUnderFaults(t *testing.T) {
	for seed := int64(1); seed <= 8; seed++ {
		t.Run("seed "+strconv.FormatInt(seed, 10), func(t *testing.T) { lifecycleUnderFaults(t, seed) })
	}
}

func lifecycleUnderFaults(t *testing.T, seed int64) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{ThrottleRate: 0.3, InvisibleReads: 2, InvalidPrincipalAttempts: 2, Seed: seed})
	s := spec(t)
	c := calls(t, f, "Create under faults", func() {
		if _, err := f.mgr.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	})
	if c.Action("iam", "CreateRole") < 3 || c.Errors["MalformedPolicyDocument"] != 2 || c.Errors["NoSuchEntity"] < 2 {
		t.Errorf("faults not exercised: %v %v", c.ByAction, c.Errors)
	}
	assertRoleIsExactly(t, f, s)
	calls(t, f, "Read under faults", func() {
		st, err := f.mgr.Read(ctx, roleName)
		if err != nil {
			t.Fatal(err)
		}
		if ch, err := awsrole.Diff(st, s); err != nil || !ch.Empty() {
			t.Errorf("drift: %v %v", ch.Summary(), err)
		}
	})
	mustDo(t, "attach AdministratorAccess", func() error {
		return retryThrottled(func() error {
			_, err := f.other.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(roleName), PolicyArn: aws.String(adminARN)})
			return err
		})
	})
	calls(t, f, "Update (detach AdministratorAccess) under faults", func() {
		if _, err := f.mgr.Update(ctx, roleName, nil, s); err != nil {
			t.Fatal(err)
		}
	})
	assertRoleIsExactly(t, f, s)
	calls(t, f, "Delete under faults", func() {
		if err := f.mgr.Delete(ctx, roleName); err != nil {
			t.Fatal(err)
		}
	})
	if _, ok := f.emu.Role(customerAcct, roleName); ok {
		t.Error("role still exists")
	}
	calls(t, f, "Delete of a deleted role under faults", func() {
		if err := f.mgr.Delete(ctx, roleName); err != nil {
			t.Fatal(err)
		}
	})
}

// A role created moments ago may be invisible to the list calls; Delete must
// not take their NoSuchEntity for "already gone" and leave the role behind.
func TestDeleteRightAfterCreateWhileReadsLag(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, awsemu.Faults{InvisibleReads: 3})
	s := spec(t)
	rn := aws.String(roleName)
	mustDo(t, "create", func() error {
		if _, err := f.other.CreateRole(ctx, &iam.CreateRoleInput{RoleName: rn, AssumeRolePolicyDocument: aws.String(s.TrustPolicy)}); err != nil {
			return err
		}
		_, err := f.other.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: rn, PolicyName: aws.String("p"), PolicyDocument: aws.String(s.PermissionsPolicy)})
		return err
	})
	c := calls(t, f, "Delete while reads lag", func() {
		if err := f.mgr.Delete(ctx, roleName); err != nil {
			t.Fatal(err)
		}
	})
	if _, ok := f.emu.Role(customerAcct, roleName); ok {
		t.Fatal("role left behind")
	}
	if c.Errors["DeleteConflict"] == 0 {
		t.Errorf("the lag was not exercised: %v", c.Errors)
	}
}

// retryThrottled retries "someone else"'s single-attempt client on Throttling.
func retryThrottled(fn func() error) error {
	for {
		err := fn()
		if errorCode(err) != "Throttling" {
			return err
		}
	}
}

func mustDo(t *testing.T, what string, fn func() error) {
	t.Helper()
	if err := fn(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// RoleNames lists every role of the account, across pages, in one listing per page.
func TestRoleNames(t *testing.T) {
	f := newFixture(t, awsemu.Faults{})
	ctx := t.Context()
	if names, err := f.mgr.RoleNames(ctx); err != nil || len(names) != 0 {
		t.Fatalf("empty account: %v %v", names, err)
	}
	s := spec(t)
	if _, err := f.mgr.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	s.Name, s.Path = "Other-Role", "/"
	if _, err := f.mgr.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	f.emu.ResetCalls()
	names, err := f.mgr.RoleNames(ctx)
	if err != nil || strings.Join(slices.Sorted(slices.Values(names)), ",") != "Other-Role,"+roleName {
		t.Errorf("RoleNames: %v %v", names, err)
	}
	if n := f.emu.Calls().Action("iam", "ListRoles"); n != 1 {
		t.Errorf("%d ListRoles calls, want 1", n)
	}
}
