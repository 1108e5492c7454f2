// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package acctest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// A platform that verifies roles (ARCHITECTURE.md, "Verification") against the test's emulator:
// the server acts as Diag3 through a profile of the shared AWS files that assumes Diag3's
// collector role, the principal the roles' trust names, as an operator would configure it.
// StartPlatform's server has no AWS credentials, so its accounts' verification is unavailable.

// The profiles of CollectorEnv: CollectorProfile acts as Diag3's collector role (the principal
// the roles' trust names), assuming it with the keys of CollectorKeysProfile, which act as a
// plain user of Diag3, whom the trust does not let in.
const (
	CollectorProfile     = "virtco-diag3"
	CollectorKeysProfile = CollectorProfile + "-keys"
)

// PlatformOptions say how StartPlatformWith starts the server.
type PlatformOptions struct {
	// AWS, when set, is the server's STS, and Profile the profile of CollectorEnv it acts as
	// Diag3 with (CollectorProfile when empty); Diag3's collector role is created in it when
	// missing. Without it, the server has no AWS credentials: its verdicts are unavailable.
	AWS     *AWS
	Profile string
	Args    []string // extra flags, such as --verify-timeout
}

// StartPlatformWith starts the server as opts say; it stops when the test ends.
func StartPlatformWith(t *testing.T, opts PlatformOptions) *Platform {
	t.Helper()
	so := servertest.Options{DiagAccounts: DiagAccountsJSON, Args: opts.Args}
	if opts.AWS != nil {
		profile := opts.Profile
		if profile == "" {
			profile = CollectorProfile
		}
		so.DiagAccounts = strings.Replace(DiagAccountsJSON, `"status": "ready-for-use",
   "principal_arn"`, `"status": "ready-for-use", "credentials_profile": "`+profile+`",
   "principal_arn"`, 1)
		if so.DiagAccounts == DiagAccountsJSON {
			t.Fatal("cannot name Diag3's credentials_profile: DiagAccountsJSON changed")
		}
		opts.AWS.EnsureCollector()
		so.Env = CollectorEnv(t, opts.AWS.URL)
	}
	p := servertest.Start(t, so)
	return &Platform{Process: p, Ops: NewClient(t, p.URL, p.OpsKey), t: t}
}

// StartVerifyingPlatform starts the server acting as Diag3's collector against the emulator a,
// so that it verifies roles; args are extra flags. It stops when the test ends.
func StartVerifyingPlatform(t *testing.T, a *AWS, args ...string) *Platform {
	t.Helper()
	return StartPlatformWith(t, PlatformOptions{AWS: a, Args: args})
}

// CollectorEnv is the environment of a server acting as Diag3's collector against the emulator
// at url: shared files of the test's own, STS at the emulator, none of the developer's settings.
func CollectorEnv(t *testing.T, url string) []string {
	t.Helper()
	dir := t.TempDir()
	creds := "[" + CollectorKeysProfile + "]\naws_access_key_id = " + Diag3Account + "\naws_secret_access_key = " + awsemu.DefaultSecret + "\n"
	conf := "[profile " + CollectorKeysProfile + "]\nregion = us-east-1\n\n[profile " + CollectorProfile + "]\nregion = us-east-1\n" +
		"role_arn = " + Diag3Principal + "\nsource_profile = " + CollectorKeysProfile + "\nrole_session_name = virtco-collector\n"
	for name, content := range map[string]string{"credentials": creds, "config": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_ENDPOINT_URL_STS=" + url, "AWS_ENDPOINT_URL=", "AWS_EC2_METADATA_DISABLED=true", "AWS_PROFILE=", "AWS_DEFAULT_PROFILE=",
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_REGION=us-east-1"}
}

// EnsureCollector creates Diag3's collector role in the emulator, trusting Diag3's own
// principals, unless it exists.
func (a *AWS) EnsureCollector() {
	a.t.Helper()
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, Diag3Account)
	_, err := a.IAM(Diag3Account).CreateRole(a.t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String("virtco-collector"), AssumeRolePolicyDocument: aws.String(trust),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		a.t.Fatal(err)
	}
}

// Verification checks the platform's verification of a customer's AWS account.
func (p *Platform) Verification(customer, account string, check func(client.Verification) error) error {
	rec, err := p.Ops.AWSAccounts.Get(p.t.Context(), customer, account)
	if err != nil {
		return fmt.Errorf("AWS account %s of %s on the server: %w", account, customer, err)
	}
	if err := check(rec.Verification); err != nil {
		return fmt.Errorf("verification of AWS account %s of %s: %w (%+v)", account, customer, err, rec.Verification)
	}
	return nil
}

// AwaitVerdict polls the account until the platform's verification leaves pending (at most two
// minutes, the server's default retry window) and returns it.
func (p *Platform) AwaitVerdict(customer, account string) (client.Verification, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rec, err := p.Ops.AWSAccounts.Get(p.t.Context(), customer, account)
		if err != nil {
			return client.Verification{}, fmt.Errorf("AWS account %s of %s on the server: %w", account, customer, err)
		}
		if rec.Verification.State != client.VerificationPending {
			return rec.Verification, nil
		}
		if time.Now().After(deadline) {
			return rec.Verification, fmt.Errorf("AWS account %s of %s: still pending: %s", account, customer, rec.Verification.Message)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
