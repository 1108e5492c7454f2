// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
)

// TestDefaultConfigFromEnvironment proves what the README tells users: the
// SDK's default configuration chain reaches the emulator through the
// service-specific endpoint variables, with the account in the key id.
func TestDefaultConfigFromEnvironment(t *testing.T) {
	ctx := t.Context()
	srv := awsemu.NewServer(t, awsemu.Options{})
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_IAM":        srv.URL,
		"AWS_ENDPOINT_URL_STS":        srv.URL,
		"AWS_ACCESS_KEY_ID":           customerAcct,
		"AWS_SECRET_ACCESS_KEY":       awsemu.DefaultSecret,
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_ENDPOINT_URL":            "",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != customerAcct {
		t.Fatalf("GetCallerIdentity: %v, %v", id, err)
	}
	createRole(t, iam.NewFromConfig(cfg), "from-env")
	if _, ok := srv.Emulator.Role(customerAcct, "from-env"); !ok {
		t.Fatal("role not created in the emulator")
	}
}
