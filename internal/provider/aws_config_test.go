// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/awsconfig"
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
		s.STSEndpoint != "" || s.AssumeRole.RoleARN != "arn:aws:iam::123456789012:role/tf" || s.AssumeRole.ExternalID != "e" {
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

// Each error of awsconfig.Load becomes a diagnostic on the setting at fault.
func TestAWSLoadDiagnostics(t *testing.T) {
	cause := errors.New("the cause")
	at := path.Root("aws")
	for _, c := range []struct {
		err     error
		paths   []path.Path
		summary string
		detail  string
	}{
		{&awsconfig.FileError{Setting: awsconfig.SharedCredentialsFiles, Index: 2, Path: "/x/credentials",
			Err: &fs.PathError{Op: "open", Path: "/x/credentials", Err: fs.ErrPermission}},
			[]path.Path{at.AtName("shared_credentials_files").AtListIndex(2)}, "Unreadable AWS file",
			`The file "/x/credentials" of the provider's aws.shared_credentials_files could not be read: permission denied.`},
		{&awsconfig.ProfileNotFoundError{Profile: "p", FromEnvironment: true, Err: cause},
			[]path.Path{at.AtName("profile")}, "AWS profile not found",
			`The AWS profile "p" (set by the AWS_PROFILE environment variable) is not in the shared config or credentials files: the cause.`},
		{&awsconfig.AssumeRoleError{RoleARN: "arn:aws:iam::123456789012:role/r", Err: cause},
			[]path.Path{at.AtName("assume_role").AtName("role_arn")}, "Cannot assume the AWS role",
			"Assuming arn:aws:iam::123456789012:role/r (aws.assume_role) failed: the cause."},
		{&awsconfig.NoCredentialsError{}, []path.Path{at}, "No AWS credentials", "The AWS SDK found no credentials."},
		{&awsconfig.NoCredentialsError{Err: cause}, []path.Path{at}, "No AWS credentials",
			"The AWS SDK found no usable credentials: the cause."},
		{&awsconfig.LoadError{Err: cause}, []path.Path{at}, "Cannot load the AWS configuration",
			"The AWS SDK could not load its configuration: the cause."},
	} {
		d := awsLoadDiagnostics(c.err)
		if len(d) != len(c.paths) {
			t.Errorf("%v: %v", c.err, d)
			continue
		}
		for i, p := range c.paths {
			withPath, _ := d[i].(diag.DiagnosticWithPath)
			if withPath == nil || !withPath.Path().Equal(p) || d[i].Summary() != c.summary ||
				!strings.HasPrefix(d[i].Detail(), c.detail) {
				t.Errorf("%v: %v, want %s %q %q", c.err, d[i], p, c.summary, c.detail)
			}
		}
	}

	// several unreadable files, as Load reports them: one diagnostic each
	dir := t.TempDir()
	_, err := awsconfig.Load(t.Context(), awsconfig.Settings{MaxRetries: -1,
		SharedConfigFiles: []string{dir + "/a"}, SharedCredentialsFiles: []string{dir + "/b", dir + "/c"}})
	d := awsLoadDiagnostics(err)
	want := []path.Path{at.AtName("shared_config_files").AtListIndex(0),
		at.AtName("shared_credentials_files").AtListIndex(0), at.AtName("shared_credentials_files").AtListIndex(1)}
	if len(d) != len(want) {
		t.Fatalf("%v", d)
	}
	for i, p := range want {
		if withPath, _ := d[i].(diag.DiagnosticWithPath); withPath == nil || !withPath.Path().Equal(p) ||
			d[i].Summary() != "Unreadable AWS file" {
			t.Errorf("file %d: %v, want %s", i, d[i], p)
		}
	}
}
