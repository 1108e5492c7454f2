// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
)

const (
	customerAcct = "123456789012"
	diagAcct     = "111122223333"
	otherAcct    = "444455556666"
)

// clients returns SDK clients acting as the account accessKeyID stands for.
func clients(srv *awsemu.Server, accessKeyID string) (*iam.Client, *sts.Client) {
	cfg := awsemutest.Config(srv.URL, accessKeyID)
	return iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
}

// noRetryIAM returns an IAM client that makes exactly one attempt per call, to
// see injected faults as they are sent.
func noRetryIAM(srv *awsemu.Server, accessKeyID string) *iam.Client {
	cfg := awsemutest.Config(srv.URL, accessKeyID)
	cfg.Retryer = awsemutest.FastRetryer(1)
	return iam.NewFromConfig(cfg)
}

// trustPolicy is the trust policy the provider writes: one principal,
// sts:AssumeRole, an ExternalId condition.
func trustPolicy(principal, externalID string) string {
	st := map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": principal},
		"Action":    "sts:AssumeRole",
	}
	if externalID != "" {
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"sts:ExternalId": externalID}}
	}
	return mustJSON(map[string]any{"Version": "2012-10-17", "Statement": []any{st}})
}

const readPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["cloudwatch:GetMetricData", "cloudtrail:LookupEvents"], "Resource": "*"}
  ]
}`

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// apiCode returns the AWS error code of err, or "" if err is not an API error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wantCode fails the test unless err carries the AWS error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Fatalf("want error code %s, got %v", code, err)
	}
}

// createRole creates a role with the provider's kind of trust policy.
func createRole(t *testing.T, c *iam.Client, name string) {
	t.Helper()
	_, err := c.CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(trustPolicy("arn:aws:iam::"+diagAcct+":root", "ext-1234")),
	})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
}

// semanticJSON decodes a JSON document for comparison.
func semanticJSON(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	return v
}
