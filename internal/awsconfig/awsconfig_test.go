// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsconfig

// The tests set environment variables the AWS SDK reads, so none of them is parallel.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
)

const (
	customerAccount = "123456789012"
	ciAccount       = "555555555555"
	deployerARN     = "arn:aws:iam::" + customerAccount + ":role/deployer"
)

// isolate keeps the developer's AWS settings out of a test: no AWS_* variable, no shared config
// or credentials file, no instance metadata.
func isolate(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "") // restores the variable after the test
			_ = os.Unsetenv(k)
		}
	}
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(none, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(none, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// settings are static credentials of account on the emulator at url, with fast retries.
func settings(url, account string) Settings {
	return Settings{AccessKey: account, SecretKey: "test", MaxRetries: -1, IAMEndpoint: url, STSEndpoint: url,
		Retryer: awsemutest.FastRetryer(3)}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Retries: MaxRetries wins over AWS_MAX_ATTEMPTS, which wins over the default; the region
// defaults to us-east-1.
func TestLoadRetries(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "123456789012")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	for _, c := range []struct {
		env        string
		maxRetries int
		want       int
	}{{"", -1, DefaultMaxRetries + 1}, {"4", -1, 4}, {"4", 2, 3}, {"", 0, 1}} {
		t.Setenv("AWS_MAX_ATTEMPTS", c.env)
		loaded, err := Load(t.Context(), Settings{MaxRetries: c.maxRetries})
		if err != nil {
			t.Fatal(err)
		}
		cfg := loaded.AWS
		if got := cfg.Retryer().MaxAttempts(); got != c.want || cfg.RetryMaxAttempts != 0 {
			t.Errorf("AWS_MAX_ATTEMPTS=%q max_retries=%d: %d attempts (RetryMaxAttempts %d), want %d",
				c.env, c.maxRetries, got, cfg.RetryMaxAttempts, c.want)
		}
		if cfg.Region != "us-east-1" {
			t.Errorf("region %q", cfg.Region)
		}
	}
}

func TestLoadProfileNotFound(t *testing.T) {
	isolate(t)
	files := []string{writeFile(t, "config",
		"[profile other]\nregion = eu-west-1\naws_access_key_id = 123456789012\naws_secret_access_key = test\n")}
	for _, c := range []struct {
		setting, env string
		fromEnv      bool
	}{{"nope", "", false}, {"", "nope", true}, {"nope", "other", false}} {
		t.Setenv("AWS_PROFILE", c.env)
		_, err := Load(t.Context(), Settings{Profile: c.setting, SharedConfigFiles: files, MaxRetries: -1})
		var pe *ProfileNotFoundError
		if !errors.As(err, &pe) || pe.Profile != "nope" || pe.FromEnvironment != c.fromEnv {
			t.Errorf("profile %q, AWS_PROFILE %q: %#v, want a ProfileNotFoundError for %q (from the environment: %v)",
				c.setting, c.env, err, "nope", c.fromEnv)
		}
		var sdk config.SharedConfigProfileNotExistError
		if !errors.As(err, &sdk) {
			t.Errorf("%v does not wrap the SDK's error", err)
		}
	}
	// the profile of the settings exists: no error, and its region and keys are used
	t.Setenv("AWS_PROFILE", "")
	cfg, err := Load(t.Context(), Settings{Profile: "other", SharedConfigFiles: files, MaxRetries: -1})
	if err != nil || cfg.AWS.Region != "eu-west-1" {
		t.Errorf("profile other: %v", err)
	}
}

// Every unreadable file is reported, with its setting, index and path, before anything is loaded.
func TestLoadUnreadableFile(t *testing.T) {
	isolate(t)
	good := writeFile(t, "config", "[default]\nregion = eu-west-1\n")
	missing := filepath.Join(t.TempDir(), "missing")
	dir := t.TempDir()

	_, err := Load(t.Context(), Settings{SharedConfigFiles: []string{good, missing}, MaxRetries: -1})
	var fe *FileError
	if !errors.As(err, &fe) || fe.Setting != SharedConfigFiles || fe.Index != 1 || fe.Path != missing ||
		!errors.Is(err, fs.ErrNotExist) {
		t.Errorf("one missing file: %#v", err)
	}

	_, err = Load(t.Context(), Settings{SharedConfigFiles: []string{missing}, SharedCredentialsFiles: []string{good, dir}, MaxRetries: -1})
	all := FileErrors(err)
	if len(all) != 2 || all[0].Setting != SharedConfigFiles || all[0].Index != 0 || all[0].Path != missing ||
		all[1].Setting != SharedCredentialsFiles || all[1].Index != 1 || all[1].Path != dir || all[1].Err == nil {
		t.Errorf("two unreadable files: %v", err)
	}
	if !errors.As(err, &fe) || fe != all[0] {
		t.Errorf("errors.As finds %v, want the first file", fe)
	}
	if FileErrors(errors.New("other")) != nil {
		t.Error("FileErrors of another error")
	}
}

func TestLoadNoCredentials(t *testing.T) {
	isolate(t)
	for name, s := range map[string]Settings{
		"no settings": {MaxRetries: -1},
		// without base credentials, assuming a role is never tried
		"assume role": {MaxRetries: -1, AssumeRole: AssumeRole{RoleARN: deployerARN}, STSEndpoint: "http://127.0.0.1:1"},
	} {
		_, err := Load(t.Context(), s)
		var nc *NoCredentialsError
		var ae *AssumeRoleError
		if !errors.As(err, &nc) || nc.Err == nil || errors.As(err, &ae) {
			t.Errorf("%s: %#v, want a NoCredentialsError", name, err)
		}
	}
}

func TestLoadError(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "many")
	_, err := Load(t.Context(), Settings{MaxRetries: 2})
	var le *LoadError
	if !errors.As(err, &le) || le.Err == nil {
		t.Errorf("%#v, want a LoadError", err)
	}
}

// The caller's account, the IAM and the STS clients go to the configured endpoints.
func TestCallerAccount(t *testing.T) {
	isolate(t)
	srv := awsemu.NewServer(t, awsemu.Options{})
	cfg, err := Load(t.Context(), settings(srv.URL, customerAccount))
	if err != nil {
		t.Fatal(err)
	}
	acct, err := cfg.CallerAccount(t.Context())
	if err != nil || acct != customerAccount {
		t.Fatalf("CallerAccount = %q, %v", acct, err)
	}
	if _, err := cfg.IAM().ListRoles(t.Context(), &iam.ListRolesInput{}); err != nil {
		t.Fatal(err)
	}
	calls := srv.Emulator.Calls().ByAccountAction[customerAccount]
	if calls["sts:GetCallerIdentity"] != 1 || calls["iam:ListRoles"] != 1 {
		t.Errorf("emulator calls %v", calls)
	}

	// an STS endpoint that does not answer
	s := settings(srv.URL, customerAccount)
	s.STSEndpoint = "http://127.0.0.1:1"
	if cfg, err = Load(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.CallerAccount(t.Context()); err == nil {
		t.Error("CallerAccount through an endpoint that does not answer")
	}
}

// A CI account assumes a deployer role of the customer's account, which requires an external id.
func TestLoadAssumeRole(t *testing.T) {
	isolate(t)
	srv := awsemu.NewServer(t, awsemu.Options{})
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + ciAccount + `:root"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ci-deploy"}}}]}`
	if _, err := iam.NewFromConfig(awsemutest.Config(srv.URL, customerAccount)).CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(trust),
	}); err != nil {
		t.Fatal(err)
	}

	t.Run("refused", func(t *testing.T) {
		s := settings(srv.URL, ciAccount)
		s.AssumeRole = AssumeRole{RoleARN: deployerARN, ExternalID: "wrong"}
		_, err := Load(t.Context(), s)
		var ae *AssumeRoleError
		var api smithy.APIError
		var nc *NoCredentialsError
		if !errors.As(err, &ae) || ae.RoleARN != deployerARN || !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" ||
			errors.As(err, &nc) {
			t.Errorf("%#v, want an AssumeRoleError caused by AccessDenied", err)
		}
	})

	for _, c := range []struct{ session, want string }{{"ci", "ci"}, {"", DefaultSessionName}} {
		t.Run("session "+c.want, func(t *testing.T) {
			srv.Emulator.ResetCalls()
			s := settings(srv.URL, ciAccount)
			s.AssumeRole = AssumeRole{RoleARN: deployerARN, ExternalID: "ci-deploy", SessionName: c.session}
			cfg, err := Load(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			if acct, err := cfg.CallerAccount(t.Context()); err != nil || acct != customerAccount {
				t.Errorf("CallerAccount = %q, %v", acct, err)
			}
			id, err := cfg.STS().GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
			if want := "arn:aws:sts::" + customerAccount + ":assumed-role/deployer/" + c.want; err != nil || aws.ToString(id.Arn) != want {
				t.Errorf("GetCallerIdentity: %v, want %s", err, want)
			}
			if _, err := cfg.IAM().GetRole(t.Context(), &iam.GetRoleInput{RoleName: aws.String("deployer")}); err != nil {
				t.Errorf("GetRole as the assumed role: %v", err)
			}
			if n := srv.Emulator.Calls().ByAccountAction[ciAccount]["sts:AssumeRole"]; n != 1 {
				t.Errorf("%d AssumeRole calls, want 1 (the credentials are cached)", n)
			}
		})
	}
}

// A management account assumes each member account's OrganizationAccountAccessRole from one base
// configuration: every call of an assumed Config acts in its member account, its account is known
// without GetCallerIdentity, and its credentials are assumed once however many calls use them.
func TestAssume(t *testing.T) {
	isolate(t)
	srv := awsemu.NewServer(t, awsemu.Options{})
	const management = "900000000000"
	members := []string{"910000000001", "910000000002"}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + management + `:root"},` +
		`"Action":"sts:AssumeRole"}]}`
	for _, m := range members {
		if _, err := iam.NewFromConfig(awsemutest.Config(srv.URL, m)).CreateRole(t.Context(), &iam.CreateRoleInput{
			RoleName: aws.String("OrganizationAccountAccessRole"), AssumeRolePolicyDocument: aws.String(trust),
		}); err != nil {
			t.Fatal(err)
		}
	}
	base, err := Load(t.Context(), settings(srv.URL, management))
	if err != nil {
		t.Fatal(err)
	}
	srv.Emulator.ResetCalls()
	for _, m := range members {
		cfg, err := base.Assume(t.Context(), AssumeRole{RoleARN: "arn:aws:iam::" + m + ":role/OrganizationAccountAccessRole"})
		if err != nil {
			t.Fatal(err)
		}
		if acct, err := cfg.CallerAccount(t.Context()); err != nil || acct != m {
			t.Errorf("CallerAccount = %q, %v; want %s", acct, err, m)
		}
		// The resources of one account use one Config at once.
		errs := make(chan error)
		for i := range 5 {
			go func() {
				_, err := cfg.IAM().CreateRole(t.Context(), &iam.CreateRoleInput{
					RoleName: aws.String(fmt.Sprintf("r%d", i)), AssumeRolePolicyDocument: aws.String(trust),
				})
				errs <- err
			}()
		}
		for range 5 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if got := len(srv.Emulator.Roles(m)); got != 6 {
			t.Errorf("%d roles in member account %s, want 6", got, m)
		}
	}
	if got := srv.Emulator.Roles(management); len(got) != 0 {
		t.Errorf("roles created in the management account: %v", got)
	}
	calls := srv.Emulator.Calls()
	if calls.ByAccountAction[management]["sts:AssumeRole"] != len(members) || calls.Action("sts", "GetCallerIdentity") != 0 {
		t.Errorf("calls %v; want one AssumeRole per member account and no GetCallerIdentity", calls.ByAccountAction)
	}

	_, err = base.Assume(t.Context(), AssumeRole{RoleARN: "arn:aws:iam::910000000003:role/OrganizationAccountAccessRole"})
	var ae *AssumeRoleError
	var api smithy.APIError
	if !errors.As(err, &ae) || !strings.Contains(ae.RoleARN, "910000000003") || !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
		t.Errorf("%#v, want an AssumeRoleError caused by AccessDenied", err)
	}
}
