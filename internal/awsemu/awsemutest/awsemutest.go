// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package awsemutest builds aws-sdk-go-v2 configurations that talk to the
// awsemu emulator. It is for tests only, and lives apart from awsemu so that
// the emulator binary does not link the AWS SDK.
//
//	srv := awsemu.NewServer(t, awsemu.Options{})
//	cfg := awsemutest.Config(srv.URL, "123456789012")
//	iamClient := iam.NewFromConfig(cfg)
//
// The configuration is built by hand rather than with config.LoadDefaultConfig
// so that nothing from the environment (AWS_PROFILE, shared config files,
// AWS_ENDPOINT_URL, IMDS) can leak into a test.
package awsemutest

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
)

// Region is the region the configurations use.
const Region = "us-east-1"

// DefaultMaxAttempts is the attempts per call of FastRetryer when the caller
// does not choose: enough that a 30% throttle rate practically never exhausts
// them (0.3^10 is about 6e-6).
const DefaultMaxAttempts = 10

// Config returns a configuration that reaches the emulator at url as the
// account accessKeyID stands for (twelve digits: that account; anything else:
// 000000000000), signing with the emulator's default secret, with
// FastRetryer(DefaultMaxAttempts).
func Config(url, accessKeyID string) aws.Config {
	return ConfigWithSecret(url, accessKeyID, awsemu.DefaultSecret)
}

// ConfigWithSecret is Config for a key the emulator was given another secret for
// (awsemu.Options.Secrets, --secret).
func ConfigWithSecret(url, accessKeyID, secret string) aws.Config {
	return ConfigWithCredentials(url, credentials.NewStaticCredentialsProvider(accessKeyID, secret, ""))
}

// SessionConfig returns a configuration for temporary credentials, such as
// those AssumeRole returns.
func SessionConfig(url, accessKeyID, secret, sessionToken string) aws.Config {
	return ConfigWithCredentials(url, credentials.NewStaticCredentialsProvider(accessKeyID, secret, sessionToken))
}

// ConfigWithCredentials returns a configuration for any credentials provider.
func ConfigWithCredentials(url string, creds aws.CredentialsProvider) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  creds,
		BaseEndpoint: aws.String(url),
		Retryer:      FastRetryer(DefaultMaxAttempts),
	}
}

// FastRetryer returns the SDK's standard retryer (same retryable errors,
// same throttling detection) with a 1ms backoff and no retry quota, so tests
// that inject throttling or 5xx retry without sleeping and without running
// out of retry tokens.
func FastRetryer(maxAttempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
				return time.Millisecond, nil
			})
			o.RateLimiter = ratelimit.None
		})
	}
}
