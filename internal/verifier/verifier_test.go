// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package verifier_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
	"github.com/virtasant/terraform-provider-virtco/internal/verifier"
)

const (
	customerAcct = "123456789012"
	diagAcct     = "111122223333"
)

func trust(externalID string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + diagAcct +
		`:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"` + externalID + `"}}}]}`
}

// trustWithoutExternalID admits the diag account with no condition: the platform gets in, and so
// would anyone it acts for.
const trustWithoutExternalID = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
	diagAcct + `:root"},"Action":"sts:AssumeRole"}]}`

// sharedFiles writes the shared config and credentials files with profiles diag3 (the diag
// account), diag3-role (a role of it, assumed from diag3) and elsewhere (another account), and points the SDK's variables at them and at the
// emulator, as an operator's environment would.
func sharedFiles(t *testing.T, url string) {
	dir := t.TempDir()
	creds := "[diag3]\naws_access_key_id = " + diagAcct + "\naws_secret_access_key = test\n\n[elsewhere]\naws_access_key_id = 444455556666\naws_secret_access_key = test\n"
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	config := "[profile diag3]\nregion = us-east-1\n\n[profile diag3-role]\nrole_arn = arn:aws:iam::" + diagAcct +
		":role/diag\nsource_profile = diag3\nregion = us-east-1\n"
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ENDPOINT_URL_STS": url, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "",
	} {
		t.Setenv(k, v)
		if v == "" {
			_ = os.Unsetenv(k)
		}
	}
}

func TestVerify(t *testing.T) {
	srv := awsemu.NewServer(t, awsemu.Options{})
	sharedFiles(t, srv.URL)
	ctx := t.Context()
	roles := iam.NewFromConfig(awsemutest.Config(srv.URL, customerAcct))
	for name, doc := range map[string]string{"good": trust("ext-1"), "wrong": trust("ext-other"), "open": trustWithoutExternalID} {
		if _, err := roles.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	v := verifier.New(verifier.Options{Retryer: awsemutest.FastRetryer(10)})
	req := func(profile, role string) verifier.Request {
		return verifier.Request{DiagAccount: "Diag3", DiagAccountID: diagAcct, Profile: profile, Region: "us-east-1",
			RoleARN: "arn:aws:iam::" + customerAcct + ":role/" + role, ExternalID: "ext-1", SessionName: verifier.SessionName("acme.com")}
	}

	r := v.Verify(ctx, req("diag3", "good"))
	if r.Outcome != verifier.Verified || r.AssumedRoleARN != "arn:aws:sts::"+customerAcct+":assumed-role/good/virtco-verify-acme.com" {
		t.Fatalf("good role: %+v", r)
	}
	// One with the external id, one without it, which must be refused.
	if n := srv.Emulator.Calls().Action("sts", "AssumeRole"); n != 2 {
		t.Errorf("%d AssumeRole calls for one verification, want 2", n)
	}
	r = v.Verify(ctx, req("diag3", "open"))
	if r.Outcome != verifier.Refused || r.Code != verifier.CodeExternalIDNotRequired || !strings.Contains(r.Message, "does not require sts:ExternalId") {
		t.Fatalf("a role that does not require the external id: %+v", r)
	}
	r = v.Verify(ctx, req("diag3", "wrong"))
	if r.Outcome != verifier.Refused || r.Code != "AccessDenied" || !strings.Contains(r.Message, "is not authorized to perform: sts:AssumeRole") {
		t.Fatalf("wrong external id: %+v", r)
	}
	if r = v.Verify(ctx, req("nosuchprofile", "good")); r.Outcome != verifier.NoCredentials || !strings.Contains(r.Message, `profile "nosuchprofile"`) {
		t.Fatalf("a missing profile: %+v", r)
	}
	if r = v.Verify(ctx, req("elsewhere", "good")); r.Outcome != verifier.NoCredentials || !strings.Contains(r.Message, "not as diag account Diag3") {
		t.Fatalf("credentials of another account: %+v", r)
	}
	// The default chain, with no credentials anywhere: nothing to verify with.
	if r = v.Verify(ctx, req("", "good")); r.Outcome != verifier.NoCredentials {
		t.Fatalf("the default chain without credentials: %+v", r)
	}
	// The default chain finds the variables.
	t.Setenv("AWS_ACCESS_KEY_ID", diagAcct)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	if r = verifier.New(verifier.Options{}).Verify(ctx, req("", "good")); r.Outcome != verifier.Verified {
		t.Fatalf("the default chain: %+v", r)
	}

	// STS down: unreachable, not a verdict on the role.
	srv.Emulator.SetFaults(awsemu.Faults{FailActions: map[string]int{"sts:AssumeRole": -1}})
	if r = v.Verify(ctx, req("diag3", "good")); r.Outcome != verifier.Unreachable {
		t.Fatalf("STS failing: %+v", r)
	}
	// A role profile whose credentials STS keeps throttling: unreachable, which is tried again,
	// not a lack of credentials, which is a verdict.
	srv.Emulator.SetFaults(awsemu.Faults{STSThrottleRate: 1})
	if r = verifier.New(verifier.Options{Retryer: awsemutest.FastRetryer(3)}).Verify(ctx, req("diag3-role", "good")); r.Outcome != verifier.Unreachable ||
		!strings.Contains(r.Message, "Throttling") {
		t.Fatalf("a role profile's credentials throttled: %+v", r)
	}
	// Throttled: the SDK's retries get through.
	srv.Emulator.SetFaults(awsemu.Faults{STSThrottleRate: 0.3, Seed: 3})
	for i := 0; i < 10; i++ {
		if r = v.Verify(ctx, req("diag3", "good")); r.Outcome != verifier.Verified {
			t.Fatalf("throttled STS: %+v", r)
		}
	}
}

func TestSessionName(t *testing.T) {
	if got := verifier.SessionName("acme.com"); got != "virtco-verify-acme.com" {
		t.Errorf("SessionName = %q", got)
	}
	if got := verifier.SessionName(strings.Repeat("a", 100) + ".com"); len(got) != 64 {
		t.Errorf("long customer: %d characters", len(got))
	}
}
