package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The aws block's settings are checked in Configure, before anything reads a file or calls AWS.
func TestResolveAWS(t *testing.T) {
	str := types.StringValue
	null := types.StringNull()
	base := func() *awsModel {
		return &awsModel{Region: null, Profile: null, SharedConfigFiles: types.ListNull(types.StringType),
			SharedCredentialsFiles: types.ListNull(types.StringType), AccessKey: null, SecretKey: null, Token: null,
			MaxRetries: types.Int64Null()}
	}
	if s, d := resolveAWS(nil); d.HasError() || s.MaxRetries != -1 {
		t.Errorf("no block: %+v %v", s, d)
	}
	m := base()
	m.AccessKey, m.SecretKey, m.MaxRetries = str("123456789012"), str("x"), types.Int64Value(3)
	m.Endpoints = &endpointsModel{IAM: str(" http://127.0.0.1:4566 "), STS: null}
	m.AssumeRole = &assumeRoleModel{RoleARN: str("arn:aws:iam::123456789012:role/tf"), ExternalID: str("e"), SessionName: null}
	s, d := resolveAWS(m)
	if d.HasError() || s.AccessKey != "123456789012" || s.MaxRetries != 3 || s.IAMEndpoint != "http://127.0.0.1:4566" ||
		s.STSEndpoint != "" || s.AssumeRoleARN != "arn:aws:iam::123456789012:role/tf" || s.AssumeRoleExternalID != "e" {
		t.Errorf("resolveAWS: %+v %v", s, d)
	}
	for name, c := range map[string]struct {
		change func(*awsModel)
		want   string
	}{
		"secret only":   {func(m *awsModel) { m.SecretKey = str("x") }, "aws.secret_key is set but aws.access_key is not"},
		"token only":    {func(m *awsModel) { m.Token = str("x") }, "aws.token is set but aws.access_key and aws.secret_key are not"},
		"empty profile": {func(m *awsModel) { m.Profile = str(" ") }, "aws.profile is set but empty"},
		"empty file": {func(m *awsModel) {
			m.SharedConfigFiles = types.ListValueMust(types.StringType, []attr.Value{str("")})
		}, "Entry 1 of the provider's aws.shared_config_files is empty"},
		"bad endpoint": {func(m *awsModel) { m.Endpoints = &endpointsModel{IAM: null, STS: str("127.0.0.1:4566")} }, `aws.endpoints.sts "127.0.0.1:4566" is not an http:// or https:// URL`},
		"session ARN": {func(m *awsModel) {
			m.AssumeRole = &assumeRoleModel{RoleARN: str("arn:aws:sts::123456789012:assumed-role/tf/s"), ExternalID: null, SessionName: null}
		}, "is not an IAM role ARN"},
	} {
		m := base()
		c.change(m)
		_, d := resolveAWS(m)
		if !d.HasError() || !strings.Contains(d[0].Detail(), c.want) {
			t.Errorf("%s: %v, want %q", name, d, c.want)
		}
	}
	u := base()
	u.Region = types.StringUnknown()
	u.Endpoints = &endpointsModel{IAM: types.StringUnknown(), STS: null}
	if got := strings.Join(awsUnknown(u), ","); got != "aws.region,aws.endpoints.iam" {
		t.Errorf("awsUnknown: %s", got)
	}
}

// Retries: aws.max_retries wins over AWS_MAX_ATTEMPTS, which wins over the default; the region
// defaults to us-east-1. (Not parallel: it sets environment variables the AWS SDK reads.)
func TestLoadAWSConfigRetries(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "123456789012")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
	for _, c := range []struct {
		env        string
		maxRetries int
		want       int
	}{{"", -1, defaultAWSMaxRetries + 1}, {"4", -1, 4}, {"4", 2, 3}, {"", 0, 1}} {
		t.Setenv("AWS_MAX_ATTEMPTS", c.env)
		cfg, diags := loadAWSConfig(ctx, awsSettings{MaxRetries: c.maxRetries}, awsHooks{}, osEnvironment())
		if diags.HasError() {
			t.Fatal(diags)
		}
		if got := cfg.Retryer().MaxAttempts(); got != c.want || cfg.RetryMaxAttempts != 0 {
			t.Errorf("AWS_MAX_ATTEMPTS=%q max_retries=%d: %d attempts (RetryMaxAttempts %d), want %d",
				c.env, c.maxRetries, got, cfg.RetryMaxAttempts, c.want)
		}
		if cfg.Region != "us-east-1" {
			t.Errorf("region %q", cfg.Region)
		}
	}
}
