// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/virtasant/terraform-provider-virtco/internal/names"
)

// Defaults.
const (
	// DefaultRoleName is virtco_aws_role's role name unless role_name says otherwise; one
	// name everywhere lets the platform and the people who audit an account recognise the role
	// (ARCHITECTURE.md, "Names").
	DefaultRoleName = "virtco-diagnostics-readonly"
	// DefaultInlinePolicyName names the role's one inline policy when
	// RoleSpec.InlinePolicyName is empty.
	DefaultInlinePolicyName = "virtco-diagnostics-read"
	// DefaultPath is IAM's default path.
	DefaultPath = "/"
	// DefaultMaxSessionDuration is IAM's default (seconds), used when
	// RoleSpec.MaxSessionDuration is 0.
	DefaultMaxSessionDuration = 3600
	// MaxTags is IAM's limit of tags per role.
	MaxTags = 50
)

// RoleSpec is the role as it should be. Build TrustPolicy with TrustPolicy
// and PermissionsPolicy with PermissionsPolicy.
//
// Name and Path cannot change in place: IAM has no call to rename a role or
// move it to another path, so a change of either is a replacement (delete and
// create), which the Terraform resource must plan (RequiresReplace); Update
// refuses it with ErrReplacementRequired.
type RoleSpec struct {
	// Name is the role name (1-64 of letters, digits and +=,.@_-).
	Name string
	// Path is the role's path; "" means "/".
	Path string
	// Description is the role's description (at most 1000 characters).
	Description string
	// MaxSessionDuration is in seconds, 3600 to 43200; 0 means 3600.
	MaxSessionDuration int32
	// PermissionsBoundary is a managed policy ARN, or "" for none.
	PermissionsBoundary string
	// Tags are the role's tags (at most 50; keys are unique without regard
	// to case, as in IAM).
	Tags map[string]string
	// TrustPolicy is the assume-role policy document (JSON).
	TrustPolicy string
	// PermissionsPolicy is the inline permissions policy document (JSON).
	PermissionsPolicy string
	// InlinePolicyName names the inline policy; "" means
	// DefaultInlinePolicyName.
	InlinePolicyName string
}

// RoleState is the role as IAM has it (see Manager.Read). Policy documents
// are decoded JSON, as IAM holds them (IAM rewrites trust policies: compare
// them with PoliciesEqual, never as text).
type RoleState struct {
	Name                string
	ARN                 string
	RoleID              string
	Path                string
	Description         string
	MaxSessionDuration  int32
	PermissionsBoundary string // managed policy ARN, "" for none
	Tags                map[string]string
	TrustPolicy         string
	// InlinePolicies maps every inline policy's name to its document.
	InlinePolicies map[string]string
	// AttachedPolicies are the ARNs of the attached managed policies, sorted.
	AttachedPolicies []string
	CreateDate       time.Time
}

// compileLater is regexp.MustCompile at the first call of what it returns. Terraform starts the
// provider several times for each command, and most runs check no role: compiled at every start,
// this package's patterns took 2 ms of it.
func compileLater(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var (
	policyNameRE  = compileLater(`^[\w+=,.@-]{1,128}$`)
	pathRE        = compileLater(`^(/|/[\x21-\x7e]*/)$`)
	descriptionRE = compileLater(`^[\t\n\r\x20-\x7e\x{a1}-\x{ff}]*$`)
	policyARNRE   = compileLater(`^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy(/|/[\x21-\x7e]*/)[\w+=,.@-]{1,128}$`)
	tagRE         = compileLater(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// ValidateRoleName checks a role name by IAM's rules, which names.RoleName holds.
func ValidateRoleName(name string) error { return names.RoleName.Check(name) }

// ValidatePath checks a role path by IAM's rules ("" means "/").
func ValidatePath(path string) error {
	if path == "" {
		return nil
	}
	if len(path) > 512 || !pathRE().MatchString(path) {
		return fmt.Errorf("invalid role path %q: it must begin and end with '/' and hold at most 512 printable ASCII characters (no spaces)", path)
	}
	return nil
}

// ValidateMaxSessionDuration checks a maximum session duration in seconds
// (0 means the default, 3600).
func ValidateMaxSessionDuration(seconds int32) error {
	if seconds != 0 && (seconds < 3600 || seconds > 43200) {
		return fmt.Errorf("invalid max session duration %d: it must be 3600 to 43200 seconds (1 to 12 hours)", seconds)
	}
	return nil
}

// ValidatePermissionsBoundary checks a permissions boundary ("" for none).
func ValidatePermissionsBoundary(arn string) error {
	if arn != "" && !policyARNRE().MatchString(arn) {
		return fmt.Errorf("invalid permissions boundary %q: it must be a managed policy ARN (arn:aws:iam::<account_id|aws>:policy/<name>)", arn)
	}
	return nil
}

// ValidateTags checks role tags by IAM's rules: at most 50, keys 1-128 and
// values 0-256 characters of letters, digits, spaces and _.:/=+-@, keys not
// starting with "aws:", and no two keys that differ only in case.
func ValidateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return fmt.Errorf("a role can have at most %d tags, not %d", MaxTags, len(tags))
	}
	seen := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		v := tags[k]
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || !tagRE().MatchString(k) {
			return fmt.Errorf("invalid tag key %q: 1 to 128 letters, digits, spaces and _.:/=+-@", k)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return fmt.Errorf("invalid tag key %q: the aws: prefix is reserved for AWS", k)
		}
		if n := utf8.RuneCountInString(v); n > 256 || !tagRE().MatchString(v) {
			return fmt.Errorf("invalid value of tag %q: at most 256 letters, digits, spaces and _.:/=+-@", k)
		}
		if other, dup := seen[strings.ToLower(k)]; dup {
			return fmt.Errorf("tag keys %q and %q differ only in case: IAM tag keys are case-insensitive", other, k)
		}
		seen[strings.ToLower(k)] = k
	}
	return nil
}

// Validate checks the whole specification, without calling AWS: names,
// path, description, session duration, boundary, tags, that the permissions
// policy is a JSON policy, and that the trust policy passes
// CheckTrustPolicy. Create, Update and CloudFormationTemplate call it.
func (s RoleSpec) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(ValidateRoleName(s.Name))
	add(ValidatePath(s.Path))
	if utf8.RuneCountInString(s.Description) > 1000 || !descriptionRE().MatchString(s.Description) {
		add(errors.New("invalid description: at most 1000 characters, printable Latin-1, tabs and newlines"))
	}
	add(ValidateMaxSessionDuration(s.MaxSessionDuration))
	add(ValidatePermissionsBoundary(s.PermissionsBoundary))
	add(ValidateTags(s.Tags))
	if s.InlinePolicyName != "" && !policyNameRE().MatchString(s.InlinePolicyName) {
		add(fmt.Errorf("invalid inline policy name %q: 1 to 128 characters of letters, digits and +=,.@_-", s.InlinePolicyName))
	}
	if strings.TrimSpace(s.TrustPolicy) == "" {
		add(errors.New("the trust policy is empty"))
	} else {
		add(CheckTrustPolicy(s.TrustPolicy))
	}
	if strings.TrimSpace(s.PermissionsPolicy) == "" {
		add(errors.New("the permissions policy is empty"))
	} else if p, err := parsePolicy(s.PermissionsPolicy); err != nil {
		add(fmt.Errorf("permissions policy: %w", err))
	} else if len(p.Statements) == 0 {
		add(errors.New("the permissions policy has no statement"))
	}
	return errors.Join(errs...)
}

func (s RoleSpec) path() string {
	if s.Path == "" {
		return DefaultPath
	}
	return s.Path
}

func (s RoleSpec) policyName() string {
	if s.InlinePolicyName == "" {
		return DefaultInlinePolicyName
	}
	return s.InlinePolicyName
}

func (s RoleSpec) maxSession() int32 {
	if s.MaxSessionDuration == 0 {
		return DefaultMaxSessionDuration
	}
	return s.MaxSessionDuration
}

// Changes are the differences between a role as IAM has it and as it should
// be: what Update does, and what a Terraform Read reports as drift.
type Changes struct {
	// Replace names what cannot change in place ("name", "path"): the role
	// must be replaced. Update refuses such changes.
	Replace []string
	// TrustPolicy: the trust policy differs semantically.
	TrustPolicy bool
	// PermissionsPolicy: our inline policy is missing or differs.
	PermissionsPolicy bool
	// InlinePoliciesToDelete are inline policies other than ours.
	InlinePoliciesToDelete []string
	// ManagedPoliciesToDetach are attached managed policies (the role is
	// meant to have none).
	ManagedPoliciesToDetach []string
	// PermissionsBoundary: the boundary must be put (or deleted, when the
	// spec has none).
	PermissionsBoundary bool
	// Description and MaxSessionDuration differ (one UpdateRole call).
	Description, MaxSessionDuration bool
	// TagsToRemove are keys to untag (removed before TagsToSet are set, so
	// that a key whose case changed ends up right).
	TagsToRemove []string
	// TagsToSet are tags to add or change.
	TagsToSet map[string]string
}

// Empty reports whether there is nothing to change.
func (c *Changes) Empty() bool {
	return len(c.Replace) == 0 && !c.TrustPolicy && !c.PermissionsPolicy &&
		len(c.InlinePoliciesToDelete) == 0 && len(c.ManagedPoliciesToDetach) == 0 &&
		!c.PermissionsBoundary && !c.Description && !c.MaxSessionDuration &&
		len(c.TagsToRemove) == 0 && len(c.TagsToSet) == 0
}

// Summary describes the changes in short sentences, for drift warnings.
func (c *Changes) Summary() []string {
	var out []string
	for _, r := range c.Replace {
		out = append(out, "the role's "+r+" differs (replacement required)")
	}
	if c.TrustPolicy {
		out = append(out, "the trust policy differs")
	}
	if c.PermissionsPolicy {
		out = append(out, "the permissions policy is missing or differs")
	}
	for _, p := range c.InlinePoliciesToDelete {
		out = append(out, fmt.Sprintf("inline policy %q was added outside Terraform", p))
	}
	for _, p := range c.ManagedPoliciesToDetach {
		out = append(out, fmt.Sprintf("managed policy %s is attached", p))
	}
	if c.PermissionsBoundary {
		out = append(out, "the permissions boundary differs")
	}
	if c.Description {
		out = append(out, "the description differs")
	}
	if c.MaxSessionDuration {
		out = append(out, "the maximum session duration differs")
	}
	if len(c.TagsToRemove) > 0 || len(c.TagsToSet) > 0 {
		out = append(out, "the tags differ")
	}
	return out
}

// Diff compares a role as IAM has it with the specification. Policies are
// compared with PoliciesEqual; tags exactly (a key whose case differs is
// removed and set again).
func Diff(current *RoleState, desired RoleSpec) (*Changes, error) {
	if current == nil {
		return nil, errors.New("no current role state to compare")
	}
	c := &Changes{}
	if desired.Name != "" && desired.Name != current.Name {
		c.Replace = append(c.Replace, "name")
	}
	if desired.path() != current.Path {
		c.Replace = append(c.Replace, "path")
	}
	eq, err := PoliciesEqual(current.TrustPolicy, desired.TrustPolicy)
	if err != nil {
		return nil, fmt.Errorf("comparing trust policies: %w", err)
	}
	c.TrustPolicy = !eq

	ours := desired.policyName()
	c.PermissionsPolicy = true
	for _, name := range slices.Sorted(maps.Keys(current.InlinePolicies)) {
		if name != ours {
			// Includes a policy whose name differs from ours only in case:
			// it goes, and ours is put under the right name.
			c.InlinePoliciesToDelete = append(c.InlinePoliciesToDelete, name)
			continue
		}
		eq, err := PoliciesEqual(current.InlinePolicies[name], desired.PermissionsPolicy)
		if err != nil {
			return nil, fmt.Errorf("comparing inline policy %s: %w", name, err)
		}
		c.PermissionsPolicy = !eq
	}
	c.ManagedPoliciesToDetach = append([]string(nil), current.AttachedPolicies...)
	sort.Strings(c.ManagedPoliciesToDetach)

	c.PermissionsBoundary = current.PermissionsBoundary != desired.PermissionsBoundary
	c.Description = current.Description != desired.Description
	cur := current.MaxSessionDuration
	if cur == 0 {
		cur = DefaultMaxSessionDuration
	}
	c.MaxSessionDuration = cur != desired.maxSession()

	for _, k := range slices.Sorted(maps.Keys(current.Tags)) {
		if _, ok := desired.Tags[k]; !ok {
			c.TagsToRemove = append(c.TagsToRemove, k)
		}
	}
	for k, v := range desired.Tags {
		if cv, ok := current.Tags[k]; !ok || cv != v {
			if c.TagsToSet == nil {
				c.TagsToSet = map[string]string{}
			}
			c.TagsToSet[k] = v
		}
	}
	return c, nil
}
