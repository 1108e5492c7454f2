// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package verifier assumes a customer's role as the platform's diagnostic account and says what
// AWS answered: its one job (ARCHITECTURE.md, "Verification"). The control plane decides when to
// verify and records the verdict; this package only asks AWS.
package verifier

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Request is one verification: assume RoleARN with ExternalID as the diag account.
type Request struct {
	DiagAccount   string // the diag account's name, for messages
	DiagAccountID string // the account the diag credentials must act as
	// Profile is the diag account's profile in the shared AWS config and credentials files;
	// empty for the SDK's default chain.
	Profile     string
	Region      string // the diag account's region: STS is regional
	RoleARN     string
	ExternalID  string
	SessionName string
}

// Outcome is what AWS's answer means for the role.
type Outcome int

// The outcomes.
const (
	// Verified: AssumeRole let the diag account in, and the temporary credentials act as the
	// role in the role's account.
	Verified Outcome = iota + 1
	// Refused: AWS said no (AccessDenied and the like); Code and Message are AWS's. Or, with
	// Code CodeExternalIDNotRequired, AWS said yes without the external id as well.
	Refused
	// NoCredentials: the diag account's credentials are missing, unusable, or act as another
	// account, so the role was never asked.
	NoCredentials
	// Unreachable: STS did not answer (throttled past the SDK's retries, 5xx, network); nothing
	// was learnt about the role.
	Unreachable
)

func (o Outcome) String() string {
	switch o {
	case Verified:
		return "verified"
	case Refused:
		return "refused"
	case NoCredentials:
		return "no credentials"
	case Unreachable:
		return "unreachable"
	}
	return "unknown"
}

// CodeExternalIDNotRequired is the Code of a role that let the diag account in without the
// customer's external id too: not AWS's code but the verifier's own finding.
const CodeExternalIDNotRequired = "ExternalIdNotRequired"

// Result is what AWS answered.
type Result struct {
	Outcome        Outcome
	AssumedRoleARN string // Verified: GetCallerIdentity's ARN with the role's credentials
	Code           string // Refused: AWS's error code
	Message        string // AWS's message, or what went wrong
}

// Verifier verifies roles. The control plane uses it through this interface, so that its unit
// tests can answer for AWS.
type Verifier interface {
	Verify(ctx context.Context, req Request) Result
}

// Options configure the AWS verifier.
type Options struct {
	// MaxAttempts per STS call, retries of throttling and 5xx included (the SDK's standard
	// retryer); 0 means 5.
	MaxAttempts int
	// IdentityTTL is how long a check that a profile's credentials act as the diag account is
	// trusted; 0 means 5 minutes.
	IdentityTTL time.Duration
	// Retryer, when set, replaces the SDK's standard retryer of MaxAttempts (tests: no sleeps).
	Retryer func() aws.Retryer
	// Load loads the SDK configuration of a profile ("" for the default chain); nil means
	// config.LoadDefaultConfig, which also reads AWS_ENDPOINT_URL_STS.
	Load func(ctx context.Context, profile, region string) (aws.Config, error)
}

// AWS verifies with the AWS SDK: the diag account's profile, or the default chain.
type AWS struct {
	opts Options

	mu      sync.Mutex
	configs map[string]aws.Config // by profile and region
	checked map[string]time.Time  // profile, region and account → when its identity was last confirmed
}

var _ Verifier = (*AWS)(nil)

// New returns a verifier on the AWS SDK.
func New(opts Options) *AWS {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.IdentityTTL <= 0 {
		opts.IdentityTTL = 5 * time.Minute
	}
	if opts.Retryer == nil {
		attempts := opts.MaxAttempts
		opts.Retryer = func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = attempts })
		}
	}
	if opts.Load == nil {
		retryer := opts.Retryer
		opts.Load = func(ctx context.Context, profile, region string) (aws.Config, error) {
			return loadDefault(ctx, profile, region, retryer)
		}
	}
	return &AWS{opts: opts, configs: map[string]aws.Config{}, checked: map[string]time.Time{}}
}

// loadDefault loads the profile's configuration with the retryer, which the STS client that gets
// a role profile's credentials uses too.
func loadDefault(ctx context.Context, profile, region string, retryer func() aws.Retryer) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(region), config.WithRetryer(retryer)}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	return config.LoadDefaultConfig(ctx, opts...)
}

// config is the SDK configuration of the request's profile, loaded once.
func (v *AWS) config(ctx context.Context, req Request) (aws.Config, error) {
	key := req.Profile + "\x00" + req.Region
	v.mu.Lock()
	cfg, ok := v.configs[key]
	v.mu.Unlock()
	if ok {
		return cfg, nil
	}
	cfg, err := v.opts.Load(ctx, req.Profile, req.Region)
	if err != nil {
		return cfg, err
	}
	if cfg.Region == "" {
		cfg.Region = req.Region
	}
	cfg.Retryer = v.opts.Retryer
	v.mu.Lock()
	v.configs[key] = cfg
	v.mu.Unlock()
	return cfg, nil
}

func (r Request) source() string {
	if r.Profile != "" {
		return fmt.Sprintf("profile %q", r.Profile)
	}
	return "the AWS SDK's default credential chain"
}

// Verify assumes the role as the diag account, then asks STS who the temporary credentials are.
// A role that also lets the diag account in without the customer's external id is refused: the
// external id is what keeps anyone else who uses the platform from pointing it at this customer's
// role (the confused-deputy problem), so a trust that does not require it is broken even though
// the platform gets in. That costs one more AssumeRole, made only once the first succeeded.
func (v *AWS) Verify(ctx context.Context, req Request) Result {
	cfg, err := v.config(ctx, req)
	if err != nil {
		return Result{Outcome: NoCredentials, Message: fmt.Sprintf("cannot load the credentials of diag account %s from %s: %v", req.DiagAccount, req.source(), err)}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return Result{Outcome: Unreachable, Message: ctx.Err().Error()}
		}
		msg := fmt.Sprintf("no credentials for diag account %s from %s: %v", req.DiagAccount, req.source(), err)
		// A profile that assumes a role gets its credentials from STS: a throttled or failed
		// answer says nothing about the credentials.
		if transient(err) {
			return Result{Outcome: Unreachable, Message: msg}
		}
		return Result{Outcome: NoCredentials, Message: msg}
	}
	client := sts.NewFromConfig(cfg)
	if r, ok := v.checkIdentity(ctx, client, req); !ok {
		return r
	}
	in := &sts.AssumeRoleInput{RoleArn: aws.String(req.RoleARN), RoleSessionName: aws.String(req.SessionName), DurationSeconds: aws.Int32(900)}
	if req.ExternalID != "" {
		in.ExternalId = aws.String(req.ExternalID)
	}
	out, err := client.AssumeRole(ctx, in)
	if err != nil {
		return classify(err, "AssumeRole")
	}
	c := out.Credentials
	if c == nil {
		return Result{Outcome: Unreachable, Message: "AssumeRole answered without credentials"}
	}
	roleCfg := cfg.Copy()
	roleCfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	id, err := sts.NewFromConfig(roleCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return classify(err, "GetCallerIdentity with the role's credentials")
	}
	arn, account := aws.ToString(id.Arn), aws.ToString(id.Account)
	roleAccount, roleName := roleParts(req.RoleARN)
	want := "arn:aws:sts::" + roleAccount + ":assumed-role/" + roleName + "/"
	if account != roleAccount || !strings.HasPrefix(arn, want) {
		return Result{Outcome: Refused, Code: "WrongIdentity", Message: fmt.Sprintf(
			"the role's credentials act as %s of account %s, not as role %s of account %s", arn, account, roleName, roleAccount)}
	}
	if req.ExternalID != "" {
		if r, ok := v.externalIDRequired(ctx, client, req); !ok {
			return r
		}
	}
	return Result{Outcome: Verified, AssumedRoleARN: arn}
}

// externalIDRequired asks for the role once more without the external id, and expects a refusal.
func (v *AWS) externalIDRequired(ctx context.Context, client *sts.Client, req Request) (Result, bool) {
	_, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(req.RoleARN),
		RoleSessionName: aws.String(req.SessionName), DurationSeconds: aws.Int32(900)})
	if err == nil {
		return Result{Outcome: Refused, Code: CodeExternalIDNotRequired, Message: fmt.Sprintf("the role let diag account %s "+
			"in without the customer's external id as well: its trust policy does not require sts:ExternalId", req.DiagAccount)}, false
	}
	if r := classify(err, "AssumeRole without the external id"); r.Outcome != Refused {
		return r, false
	}
	return Result{}, true
}

// checkIdentity makes sure the credentials act as the diag account, so that a refusal is about
// the role and not about credentials of some other account.
func (v *AWS) checkIdentity(ctx context.Context, client *sts.Client, req Request) (Result, bool) {
	key := req.Profile + "\x00" + req.Region + "\x00" + req.DiagAccountID
	v.mu.Lock()
	at, ok := v.checked[key]
	v.mu.Unlock()
	if ok && time.Since(at) < v.opts.IdentityTTL {
		return Result{}, true
	}
	id, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		r := classify(err, "GetCallerIdentity with the diag account's credentials")
		if r.Outcome == Refused {
			r = Result{Outcome: NoCredentials, Message: fmt.Sprintf("the credentials of diag account %s from %s are refused: %s", req.DiagAccount, req.source(), r.Message)}
		}
		return r, false
	}
	if got := aws.ToString(id.Account); got != req.DiagAccountID {
		return Result{Outcome: NoCredentials, Message: fmt.Sprintf("the credentials from %s act as %s of account %s, not as diag account %s (%s)",
			req.source(), aws.ToString(id.Arn), got, req.DiagAccount, req.DiagAccountID)}, false
	}
	v.mu.Lock()
	v.checked[key] = time.Now()
	v.mu.Unlock()
	return Result{}, true
}

// classify tells a refusal from a failure to get an answer.
func classify(err error, call string) Result {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return Result{Outcome: Unreachable, Message: fmt.Sprintf("%s: %v", call, err)}
	}
	code, msg := ae.ErrorCode(), ae.ErrorMessage()
	var re *smithyhttp.ResponseError
	serverSide := errors.As(err, &re) && re.HTTPStatusCode() >= http.StatusInternalServerError
	if serverSide || transient(err) {
		return Result{Outcome: Unreachable, Code: code, Message: fmt.Sprintf("%s: %s: %s", call, code, msg)}
	}
	switch code {
	case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "ExpiredToken", "MissingAuthenticationToken":
		return Result{Outcome: NoCredentials, Code: code, Message: fmt.Sprintf("%s: %s: %s", call, code, msg)}
	}
	return Result{Outcome: Refused, Code: code, Message: msg}
}

// transient tells an AWS answer that says nothing of the request: throttled, or a fault of AWS.
func transient(err error) bool {
	var ae smithy.APIError
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() ||
		(errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultServer)
}

// roleParts is the account and the name of a role ARN (arn:aws:iam::<account>:role/<path/>name).
func roleParts(arn string) (account, name string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		account = parts[4]
		name = parts[5][strings.LastIndex(parts[5], "/")+1:]
	}
	return account, name
}

// SessionName is the role session name a verification uses: it says what the session is for, in
// CloudTrail, within STS's 64 characters of [\w+=,.@-].
func SessionName(customer string) string {
	var b strings.Builder
	b.WriteString("virtco-verify-")
	for _, r := range customer {
		if r < 128 && (r == '_' || r == '+' || r == '=' || r == ',' || r == '.' || r == '@' || r == '-' ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}
