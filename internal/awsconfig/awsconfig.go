// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const (
	// DefaultMaxRetries is how often a throttled or failed call is retried when
	// neither Settings.MaxRetries nor AWS_MAX_ATTEMPTS says.
	DefaultMaxRetries = 10
	// DefaultSessionName is the assume-role session name when none is given.
	DefaultSessionName = "terraform-provider-virtco"
	// DefaultRegion is the region when none is found.
	DefaultRegion = "us-east-1"
)

// Settings are what the caller sets on top of the SDK's default chain; the
// zero value of a field (but MaxRetries) leaves it to the chain.
type Settings struct {
	Region  string
	Profile string
	// SharedConfigFiles and SharedCredentialsFiles replace AWS_CONFIG_FILE and
	// AWS_SHARED_CREDENTIALS_FILE. The caller expands ~ in them.
	SharedConfigFiles      []string
	SharedCredentialsFiles []string
	// AccessKey, SecretKey and Token are static credentials; they replace the
	// chain's when AccessKey is set.
	AccessKey string
	SecretKey string
	Token     string
	// MaxRetries is how often a call is retried; -1 leaves it to
	// AWS_MAX_ATTEMPTS, else DefaultMaxRetries.
	MaxRetries int
	// AssumeRole, when its RoleARN is set, is assumed with the credentials
	// found above.
	AssumeRole AssumeRole
	// IAMEndpoint and STSEndpoint are base URLs of the services, such as an
	// emulator's; empty leaves them to AWS_ENDPOINT_URL_IAM / _STS, else AWS.
	IAMEndpoint string
	STSEndpoint string
	// Retryer, when set, replaces the retry policy. It is a test hook: the
	// policy's backoff would make tests that inject throttling sleep.
	Retryer func() aws.Retryer
}

// AssumeRole is an STS AssumeRole to make with the base credentials.
type AssumeRole struct {
	RoleARN     string
	ExternalID  string // sent only when set
	SessionName string // DefaultSessionName when empty
}

// Config is a loaded configuration: the SDK's, whose credentials were
// retrieved once, and the IAM and STS clients on the configured endpoints.
// It is safe for concurrent use.
type Config struct {
	AWS aws.Config
	iam *iam.Client
	sts *sts.Client

	iamEndpoint, stsEndpoint string
	// account is the assumed role's account, as AssumeRole answered it; "" when unknown.
	account string
}

// IAM is the IAM client, on Settings.IAMEndpoint when set.
func (c *Config) IAM() *iam.Client { return c.iam }

// STS is the STS client, on Settings.STSEndpoint when set.
func (c *Config) STS() *sts.Client { return c.sts }

// CallerAccount is the account the credentials reach: for an assumed role, the account STS
// AssumeRole named; otherwise STS GetCallerIdentity's.
func (c *Config) CallerAccount(ctx context.Context) (string, error) {
	if c.account != "" {
		return c.account, nil
	}
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("getting the caller's AWS account (STS GetCallerIdentity): %w", err)
	}
	return aws.ToString(out.Account), nil
}

// Load builds the configuration of s and retrieves its credentials. Its errors
// are the types of errors.go.
func Load(ctx context.Context, s Settings) (*Config, error) {
	var opts []func(*config.LoadOptions) error
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	var unreadable fileErrors
	for _, f := range []struct {
		setting FileSetting
		files   []string
		with    func([]string) config.LoadOptionsFunc
	}{{SharedConfigFiles, s.SharedConfigFiles, config.WithSharedConfigFiles}, {SharedCredentialsFiles, s.SharedCredentialsFiles, config.WithSharedCredentialsFiles}} {
		if len(f.files) == 0 {
			continue
		}
		for i, name := range f.files {
			if _, err := os.ReadFile(name); err != nil {
				unreadable = append(unreadable, &FileError{Setting: f.setting, Index: i, Path: name, Err: err})
			}
		}
		opts = append(opts, f.with(f.files))
	}
	switch len(unreadable) {
	case 0:
	case 1:
		return nil, unreadable[0]
	default:
		return nil, unreadable
	}
	if s.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, s.Token)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var notExist config.SharedConfigProfileNotExistError
		if errors.As(err, &notExist) {
			return nil, &ProfileNotFoundError{Profile: notExist.Profile, FromEnvironment: s.Profile == "", Err: err}
		}
		return nil, &LoadError{Err: err}
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	setRetryer(&cfg, s)

	if cfg.Credentials == nil {
		return nil, &NoCredentialsError{}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, &NoCredentialsError{Err: err}
	}
	c := &Config{AWS: cfg, iamEndpoint: s.IAMEndpoint, stsEndpoint: s.STSEndpoint}
	c.clients()
	if s.AssumeRole.RoleARN != "" {
		return c.Assume(ctx, s.AssumeRole)
	}
	return c, nil
}

// Assume is a configuration whose credentials are those of role a, assumed with c's credentials,
// on c's endpoints and with c's retry policy. Its credentials are a cache (aws.CredentialsCache)
// of STS AssumeRole: assumed here once, then again only shortly before they expire, so that the
// many calls of one Config cost one AssumeRole. The error is an *AssumeRoleError.
func (c *Config) Assume(ctx context.Context, a AssumeRole) (*Config, error) {
	session := a.SessionName
	if session == "" {
		session = DefaultSessionName
	}
	p := stscreds.NewAssumeRoleProvider(c.sts, a.RoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = session
		if a.ExternalID != "" {
			o.ExternalID = aws.String(a.ExternalID)
		}
	})
	cfg := c.AWS.Copy()
	cfg.Credentials = aws.NewCredentialsCache(p)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, &AssumeRoleError{RoleARN: a.RoleARN, Err: err}
	}
	out := &Config{AWS: cfg, iamEndpoint: c.iamEndpoint, stsEndpoint: c.stsEndpoint, account: creds.AccountID}
	out.clients()
	return out, nil
}

// clients makes the IAM and STS clients of c.AWS on c's endpoints.
func (c *Config) clients() {
	c.iam = iam.NewFromConfig(c.AWS, func(o *iam.Options) {
		if c.iamEndpoint != "" {
			o.BaseEndpoint = aws.String(c.iamEndpoint)
		}
	})
	c.sts = sts.NewFromConfig(c.AWS, func(o *sts.Options) {
		if c.stsEndpoint != "" {
			o.BaseEndpoint = aws.String(c.stsEndpoint)
		}
	})
}

// setRetryer applies the retry policy (see the package doc).
func setRetryer(cfg *aws.Config, s Settings) {
	attempts := DefaultMaxRetries + 1
	switch {
	case s.MaxRetries >= 0:
		attempts = s.MaxRetries + 1
	case cfg.RetryMaxAttempts > 0:
		attempts = cfg.RetryMaxAttempts
	}
	cfg.RetryMaxAttempts = 0
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.RateLimiter = ratelimit.None
		})
	}
	if s.Retryer != nil {
		cfg.Retryer = s.Retryer
	}
}
