// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// IAMAPI is the part of the IAM client the Manager uses; *iam.Client
// implements it. Tests may wrap a client to inject behaviour.
type IAMAPI interface {
	CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	DeleteRole(context.Context, *iam.DeleteRoleInput, ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
	UpdateRole(context.Context, *iam.UpdateRoleInput, ...func(*iam.Options)) (*iam.UpdateRoleOutput, error)
	UpdateAssumeRolePolicy(context.Context, *iam.UpdateAssumeRolePolicyInput, ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	PutRolePermissionsBoundary(context.Context, *iam.PutRolePermissionsBoundaryInput, ...func(*iam.Options)) (*iam.PutRolePermissionsBoundaryOutput, error)
	DeleteRolePermissionsBoundary(context.Context, *iam.DeleteRolePermissionsBoundaryInput, ...func(*iam.Options)) (*iam.DeleteRolePermissionsBoundaryOutput, error)
	TagRole(context.Context, *iam.TagRoleInput, ...func(*iam.Options)) (*iam.TagRoleOutput, error)
	UntagRole(context.Context, *iam.UntagRoleInput, ...func(*iam.Options)) (*iam.UntagRoleOutput, error)
	ListRoleTags(context.Context, *iam.ListRoleTagsInput, ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error)
	PutRolePolicy(context.Context, *iam.PutRolePolicyInput, ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	DeleteRolePolicy(context.Context, *iam.DeleteRolePolicyInput, ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	DetachRolePolicy(context.Context, *iam.DetachRolePolicyInput, ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	ListRoles(context.Context, *iam.ListRolesInput, ...func(*iam.Options)) (*iam.ListRolesOutput, error)
	ListInstanceProfilesForRole(context.Context, *iam.ListInstanceProfilesForRoleInput, ...func(*iam.Options)) (*iam.ListInstanceProfilesForRoleOutput, error)
	RemoveRoleFromInstanceProfile(context.Context, *iam.RemoveRoleFromInstanceProfileInput, ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error)
}

// STSAPI is the part of the STS client the Manager uses; *sts.Client
// implements it.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Default timing, as the AWS provider does it.
const (
	// DefaultPropagationTimeout bounds the retries of CreateRole while IAM
	// refuses the trusted principal as invalid (it propagates slowly).
	DefaultPropagationTimeout = 2 * time.Minute
	// DefaultConsistencyTimeout bounds the wait until a new role is visible
	// to GetRole.
	DefaultConsistencyTimeout = 2 * time.Minute
	// DefaultPollInterval is the first wait between two polls; the wait
	// doubles up to MaxPollInterval.
	DefaultPollInterval = 500 * time.Millisecond
	// DefaultMaxPollInterval caps the wait between two polls.
	DefaultMaxPollInterval = 5 * time.Second
	// DefaultDeleteAttempts is how many times Delete empties the role and
	// calls DeleteRole while IAM answers DeleteConflict.
	DefaultDeleteAttempts = 5
)

// Options tune the Manager's waiting. Zero values mean the defaults above.
// They bound this package's own polling only: throttling and 5xx are retried
// by the SDK's retryer (configure it in the aws.Config).
type Options struct {
	PropagationTimeout time.Duration
	ConsistencyTimeout time.Duration
	PollInterval       time.Duration
	MaxPollInterval    time.Duration
	DeleteAttempts     int
}

func (o Options) withDefaults() Options {
	if o.PropagationTimeout <= 0 {
		o.PropagationTimeout = DefaultPropagationTimeout
	}
	if o.ConsistencyTimeout <= 0 {
		o.ConsistencyTimeout = DefaultConsistencyTimeout
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.MaxPollInterval <= 0 {
		o.MaxPollInterval = DefaultMaxPollInterval
	}
	if o.MaxPollInterval < o.PollInterval {
		o.MaxPollInterval = o.PollInterval
	}
	if o.DeleteAttempts <= 0 {
		o.DeleteAttempts = DefaultDeleteAttempts
	}
	return o
}

// Manager creates, reads, updates and deletes the role in the account its
// IAM client reaches. It holds no state besides its clients and options and
// is safe for concurrent use.
type Manager struct {
	iam  IAMAPI
	sts  STSAPI
	opts Options
}

// New returns a Manager using IAM and STS clients made from cfg.
func New(cfg aws.Config, opts Options) *Manager {
	return NewFromClients(iam.NewFromConfig(cfg), sts.NewFromConfig(cfg), opts)
}

// NewFromClients returns a Manager using the given clients (sts may be nil
// if CallerAccount is never called).
func NewFromClients(iamClient IAMAPI, stsClient STSAPI, opts Options) *Manager {
	return &Manager{iam: iamClient, sts: stsClient, opts: opts.withDefaults()}
}

// CallerAccount returns the account id of the credentials (STS
// GetCallerIdentity): where Create would create the role. The resource must
// refuse to go on when it differs from the configured account_id.
func (m *Manager) CallerAccount(ctx context.Context) (string, error) {
	if m.sts == nil {
		return "", errors.New("getting the caller's AWS account: no STS client")
	}
	out, err := m.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("getting the caller's AWS account (STS GetCallerIdentity): %w", err)
	}
	return aws.ToString(out.Account), nil
}

// RoleNames returns the names of every role in the account, for a plan to tell, with one listing,
// whether a role it would create exists already. IAM role names are unique without regard to
// case, so compare them with strings.EqualFold.
func (m *Manager) RoleNames(ctx context.Context) ([]string, error) {
	var names []string
	p := iam.NewListRolesPaginator(m.iam, &iam.ListRolesInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the account's IAM roles: %w", err)
		}
		for _, r := range out.Roles {
			names = append(names, aws.ToString(r.RoleName))
		}
	}
	return names, nil
}

// poll calls fn until it succeeds, fails with an error retryable does not
// accept, timeout passes, or ctx ends. It waits PollInterval after the first
// attempt, doubling up to MaxPollInterval. On timeout it returns the last
// error, saying how long it kept trying.
func (m *Manager) poll(ctx context.Context, timeout time.Duration, retryable func(error) bool, fn func() error) error {
	deadline := time.Now().Add(timeout)
	wait := m.opts.PollInterval
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retryable(err) {
			return err
		}
		if !time.Now().Add(wait).Before(deadline) {
			return fmt.Errorf("still failing after %d attempts in %s: %w", attempt, timeout, err)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (gave up waiting: %w)", err, serr)
		}
		wait = min(wait*2, m.opts.MaxPollInterval)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
