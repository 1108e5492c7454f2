// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Create creates the role: CreateRole (with its tags, boundary, description
// and session duration), then PutRolePolicy for the inline policy, then waits
// until GetRole sees the role, as the AWS provider does:
//
//   - CreateRole is retried while IAM answers MalformedPolicyDocument
//     "Invalid principal in policy" (a newly created principal propagates
//     slowly), for at most Options.PropagationTimeout;
//   - PutRolePolicy and GetRole are retried while IAM answers NoSuchEntity
//     (IAM is eventually consistent), for at most Options.ConsistencyTimeout.
//
// It returns the role as created (from GetRole, plus the inline policy it
// put; a new role has no managed policies), so no Read is needed afterwards.
//
// Errors: the spec is validated first (nothing is called when it is
// invalid). A role of that name already existing is a *RoleExistsError
// (errors.Is(err, ErrRoleExists)). A failure after CreateRole succeeded is a
// *PartialCreateError carrying the role ARN: the role exists and the caller
// must record it or Delete it. So is a CreateRole call cut short by ctx
// (then RoleARN is empty: the role may or may not exist).
func (m *Manager) Create(ctx context.Context, spec RoleSpec) (*RoleState, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("creating IAM role %s: %w", spec.Name, err)
	}
	in := &iam.CreateRoleInput{
		RoleName:                 aws.String(spec.Name),
		Path:                     aws.String(spec.path()),
		AssumeRolePolicyDocument: aws.String(spec.TrustPolicy),
		MaxSessionDuration:       aws.Int32(spec.maxSession()),
		Tags:                     iamTags(spec.Tags),
	}
	if spec.Description != "" {
		in.Description = aws.String(spec.Description)
	}
	if spec.PermissionsBoundary != "" {
		in.PermissionsBoundary = aws.String(spec.PermissionsBoundary)
	}
	var created *types.Role
	err := m.poll(ctx, m.opts.PropagationTimeout, isInvalidPrincipal, func() error {
		out, err := m.iam.CreateRole(ctx, in)
		if err == nil {
			created = out.Role
		}
		return err
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			// The request may have reached IAM before the context ended: the
			// role may exist. Say so, so that the caller records it.
			return nil, &PartialCreateError{RoleName: spec.Name, Step: "creating the role (interrupted: it may or may not exist)", Err: err}
		}
		if errorCode(err) == "EntityAlreadyExists" {
			return nil, &RoleExistsError{RoleName: spec.Name, Err: err}
		}
		if isInvalidPrincipal(err) {
			return nil, fmt.Errorf("creating IAM role %s: IAM does not accept the trusted principal "+
				"(it may not exist, or not have propagated yet): %w", spec.Name, err)
		}
		return nil, fmt.Errorf("creating IAM role %s: %w", spec.Name, err)
	}
	roleARN := aws.ToString(created.Arn)
	partial := func(step string, err error) error {
		return &PartialCreateError{RoleName: spec.Name, RoleARN: roleARN, Step: step, Err: err}
	}

	err = m.poll(ctx, m.opts.ConsistencyTimeout, isNoSuchEntity, func() error {
		_, err := m.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
			RoleName:       aws.String(spec.Name),
			PolicyName:     aws.String(spec.policyName()),
			PolicyDocument: aws.String(spec.PermissionsPolicy),
		})
		return err
	})
	if err != nil {
		return nil, partial("putting inline policy "+spec.policyName(), err)
	}

	var got *types.Role
	err = m.poll(ctx, m.opts.ConsistencyTimeout, isNoSuchEntity, func() error {
		out, err := m.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(spec.Name)})
		if err == nil {
			got = out.Role
		}
		return err
	})
	if err != nil {
		return nil, partial("waiting for the role to become visible (GetRole)", err)
	}
	st, err := stateFromRole(got)
	if err != nil {
		return nil, partial("reading the created role", err)
	}
	st.InlinePolicies = map[string]string{spec.policyName(): spec.PermissionsPolicy}
	return st, nil
}

// Read returns the role as IAM has it: GetRole (path, description, session
// duration, boundary, trust policy decoded), every inline policy
// (ListRolePolicies and GetRolePolicy, decoded), the attached managed
// policies (ListAttachedRolePolicies) and the tags (ListRoleTags), all
// paginated. A role that does not exist is an error wrapping ErrRoleNotFound.
func (m *Manager) Read(ctx context.Context, name string) (*RoleState, error) {
	fail := func(what string, err error) error {
		if isNoSuchEntity(err) {
			return fmt.Errorf("reading IAM role %s: %w: %w", name, ErrRoleNotFound, err)
		}
		return fmt.Errorf("reading IAM role %s: %s: %w", name, what, err)
	}
	out, err := m.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return nil, fail("GetRole", err)
	}
	st, err := stateFromRole(out.Role)
	if err != nil {
		return nil, fmt.Errorf("reading IAM role %s: %w", name, err)
	}
	// IAM names are case-insensitive: use the role's own spelling from here.
	name = st.Name

	names, err := m.inlinePolicyNames(ctx, name)
	if err != nil {
		return nil, fail("listing inline policies", err)
	}
	st.InlinePolicies = make(map[string]string, len(names))
	for _, pn := range names {
		po, err := m.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
		if isNoSuchEntity(err) {
			continue // deleted since it was listed
		}
		if err != nil {
			return nil, fail("getting inline policy "+pn, err)
		}
		doc, err := DecodePolicyDocument(aws.ToString(po.PolicyDocument))
		if err != nil {
			return nil, fmt.Errorf("reading IAM role %s: inline policy %s: %w", name, pn, err)
		}
		st.InlinePolicies[pn] = doc
	}

	if st.AttachedPolicies, err = m.attachedPolicyARNs(ctx, name); err != nil {
		return nil, fail("listing attached managed policies", err)
	}

	tags := map[string]string{}
	tp := iam.NewListRoleTagsPaginator(m.iam, &iam.ListRoleTagsInput{RoleName: aws.String(name)})
	for tp.HasMorePages() {
		page, err := tp.NextPage(ctx)
		if err != nil {
			return nil, fail("listing tags", err)
		}
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	st.Tags = tags
	return st, nil
}

// Update puts right every difference between current (from Read; nil means
// Update reads it) and desired, in this order, the riskiest first:
// UpdateAssumeRolePolicy (trust differs semantically), DetachRolePolicy for
// every managed policy, DeleteRolePolicy for every inline policy but ours,
// PutRolePolicy (ours missing or different), Put/DeleteRolePermissionsBoundary,
// UpdateRole (description, session duration), UntagRole, TagRole. Nothing is
// called when nothing differs.
//
// A different name or path is refused with ErrReplacementRequired: IAM cannot
// rename or move a role, the resource must replace it. It returns the role as
// it now is (current with the changes applied; no extra reads).
func (m *Manager) Update(ctx context.Context, name string, current *RoleState, desired RoleSpec) (*RoleState, error) {
	if desired.Name == "" {
		desired.Name = name
	}
	if err := desired.Validate(); err != nil {
		return nil, fmt.Errorf("updating IAM role %s: %w", name, err)
	}
	if current == nil {
		var err error
		if current, err = m.Read(ctx, name); err != nil {
			return nil, err
		}
	}
	ch, err := Diff(current, desired)
	if err != nil {
		return nil, fmt.Errorf("updating IAM role %s: %w", name, err)
	}
	if len(ch.Replace) > 0 {
		return nil, fmt.Errorf("updating IAM role %s: the role's %s would change: %w",
			name, strings.Join(ch.Replace, " and "), ErrReplacementRequired)
	}
	name = current.Name
	rn := aws.String(name)
	// fail wraps an error; NoSuchEntity from a call on the role itself means
	// the role is gone. (Not so for the boundary: there NoSuchEntity may be
	// about the boundary policy; and detaching or deleting a policy that is
	// already gone is not an error at all.)
	fail := func(what string, err error) error {
		if isNoSuchEntity(err) && what != whatBoundary {
			return fmt.Errorf("updating IAM role %s: %s: %w: %w", name, what, ErrRoleNotFound, err)
		}
		return fmt.Errorf("updating IAM role %s: %s: %w", name, what, err)
	}

	if ch.TrustPolicy {
		if _, err := m.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName: rn, PolicyDocument: aws.String(desired.TrustPolicy),
		}); err != nil {
			return nil, fail("updating the trust policy", err)
		}
	}
	for _, arn := range ch.ManagedPoliciesToDetach {
		_, err := m.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: rn, PolicyArn: aws.String(arn)})
		if err != nil && !isNoSuchEntity(err) {
			return nil, fail("detaching managed policy "+arn, err)
		}
	}
	for _, pn := range ch.InlinePoliciesToDelete {
		_, err := m.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: rn, PolicyName: aws.String(pn)})
		if err != nil && !isNoSuchEntity(err) {
			return nil, fail("deleting inline policy "+pn, err)
		}
	}
	if ch.PermissionsPolicy {
		if _, err := m.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
			RoleName: rn, PolicyName: aws.String(desired.policyName()), PolicyDocument: aws.String(desired.PermissionsPolicy),
		}); err != nil {
			return nil, fail("putting the inline policy", err)
		}
	}
	if ch.PermissionsBoundary {
		if desired.PermissionsBoundary == "" {
			_, err = m.iam.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: rn})
		} else {
			_, err = m.iam.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{
				RoleName: rn, PermissionsBoundary: aws.String(desired.PermissionsBoundary),
			})
		}
		if err != nil {
			return nil, fail(whatBoundary, err)
		}
	}
	if ch.Description || ch.MaxSessionDuration {
		in := &iam.UpdateRoleInput{RoleName: rn}
		if ch.Description {
			in.Description = aws.String(desired.Description)
		}
		if ch.MaxSessionDuration {
			in.MaxSessionDuration = aws.Int32(desired.maxSession())
		}
		if _, err := m.iam.UpdateRole(ctx, in); err != nil {
			return nil, fail("updating description and session duration", err)
		}
	}
	if len(ch.TagsToRemove) > 0 {
		if _, err := m.iam.UntagRole(ctx, &iam.UntagRoleInput{RoleName: rn, TagKeys: ch.TagsToRemove}); err != nil {
			return nil, fail("removing tags", err)
		}
	}
	if len(ch.TagsToSet) > 0 {
		if _, err := m.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: rn, Tags: iamTags(ch.TagsToSet)}); err != nil {
			return nil, fail("setting tags", err)
		}
	}

	st := *current
	st.TrustPolicy = desired.TrustPolicy
	if !ch.TrustPolicy {
		st.TrustPolicy = current.TrustPolicy
	}
	st.InlinePolicies = map[string]string{desired.policyName(): desired.PermissionsPolicy}
	if !ch.PermissionsPolicy {
		st.InlinePolicies[desired.policyName()] = current.InlinePolicies[desired.policyName()]
	}
	st.AttachedPolicies = []string{}
	st.PermissionsBoundary = desired.PermissionsBoundary
	st.Description = desired.Description
	st.MaxSessionDuration = desired.maxSession()
	st.Tags = make(map[string]string, len(desired.Tags))
	for k, v := range desired.Tags {
		st.Tags[k] = v
	}
	return &st, nil
}

const whatBoundary = "setting the permissions boundary"

// Delete deletes the role completely: every inline policy, every attached
// managed policy, its membership of every instance profile, then the role.
// A role that does not exist is success (already gone). If IAM answers
// DeleteConflict (someone attached something meanwhile), Delete lists and
// empties the role again, up to Options.DeleteAttempts times (waiting
// PollInterval, doubling up to MaxPollInterval, in between), then returns a
// *DeleteConflictError naming what is still attached.
//
// Only DeleteRole's NoSuchEntity counts as "gone": a list call's NoSuchEntity
// may be IAM's eventual consistency for a role created moments ago, so Delete
// goes on to DeleteRole, which decides.
func (m *Manager) Delete(ctx context.Context, name string) error {
	rn := aws.String(name)
	var lastConflict error
	attempts := m.opts.DeleteAttempts
	wait := m.opts.PollInterval
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("deleting IAM role %s: %w (last error: %w)", name, err, lastConflict)
			}
			wait = min(wait*2, m.opts.MaxPollInterval)
		}
		if err := m.emptyRole(ctx, name); err != nil {
			return err
		}
		_, err := m.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: rn})
		switch {
		case err == nil, isNoSuchEntity(err):
			return nil
		case errorCode(err) == "DeleteConflict":
			lastConflict = err
			continue
		default:
			return fmt.Errorf("deleting IAM role %s: %w", name, err)
		}
	}
	ce := &DeleteConflictError{RoleName: name, Attempts: attempts, Err: lastConflict}
	ce.InlinePolicies, _ = m.inlinePolicyNames(ctx, name)
	ce.ManagedPolicies, _ = m.attachedPolicyARNs(ctx, name)
	ce.InstanceProfiles, _ = m.instanceProfileNames(ctx, name)
	return ce
}

// emptyRole removes the role from its instance profiles, detaches its
// managed policies and deletes its inline policies. When a list call answers
// NoSuchEntity (the role is gone, or not visible to reads yet) it stops and
// leaves the verdict to DeleteRole. NoSuchEntity for one policy or profile
// (removed meanwhile) is skipped.
func (m *Manager) emptyRole(ctx context.Context, name string) error {
	rn := aws.String(name)
	fail := func(what string, err error) error {
		return fmt.Errorf("deleting IAM role %s: %s: %w", name, what, err)
	}
	profiles, err := m.instanceProfileNames(ctx, name)
	if isNoSuchEntity(err) {
		return nil
	}
	if err != nil {
		return fail("listing instance profiles", err)
	}
	for _, p := range profiles {
		_, err := m.iam.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
			RoleName: rn, InstanceProfileName: aws.String(p),
		})
		if err != nil && !isNoSuchEntity(err) {
			return fail("removing it from instance profile "+p, err)
		}
	}
	arns, err := m.attachedPolicyARNs(ctx, name)
	if isNoSuchEntity(err) {
		return nil
	}
	if err != nil {
		return fail("listing attached managed policies", err)
	}
	for _, arn := range arns {
		_, err := m.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: rn, PolicyArn: aws.String(arn)})
		if err != nil && !isNoSuchEntity(err) {
			return fail("detaching managed policy "+arn, err)
		}
	}
	names, err := m.inlinePolicyNames(ctx, name)
	if isNoSuchEntity(err) {
		return nil
	}
	if err != nil {
		return fail("listing inline policies", err)
	}
	for _, pn := range names {
		_, err := m.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: rn, PolicyName: aws.String(pn)})
		if err != nil && !isNoSuchEntity(err) {
			return fail("deleting inline policy "+pn, err)
		}
	}
	return nil
}

func (m *Manager) inlinePolicyNames(ctx context.Context, name string) ([]string, error) {
	var out []string
	p := iam.NewListRolePoliciesPaginator(m.iam, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.PolicyNames...)
	}
	sort.Strings(out)
	return out, nil
}

func (m *Manager) attachedPolicyARNs(ctx context.Context, name string) ([]string, error) {
	out := []string{}
	p := iam.NewListAttachedRolePoliciesPaginator(m.iam, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, ap := range page.AttachedPolicies {
			out = append(out, aws.ToString(ap.PolicyArn))
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *Manager) instanceProfileNames(ctx context.Context, name string) ([]string, error) {
	var out []string
	p := iam.NewListInstanceProfilesForRolePaginator(m.iam, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, ip := range page.InstanceProfiles {
			out = append(out, aws.ToString(ip.InstanceProfileName))
		}
	}
	sort.Strings(out)
	return out, nil
}

// stateFromRole turns GetRole's (or CreateRole's) role into a RoleState,
// decoding the trust policy. Inline and attached policies are left empty.
func stateFromRole(r *types.Role) (*RoleState, error) {
	if r == nil {
		return nil, errors.New("IAM returned no role")
	}
	trust, err := DecodePolicyDocument(aws.ToString(r.AssumeRolePolicyDocument))
	if err != nil {
		return nil, fmt.Errorf("trust policy: %w", err)
	}
	st := &RoleState{
		Name:               aws.ToString(r.RoleName),
		ARN:                aws.ToString(r.Arn),
		RoleID:             aws.ToString(r.RoleId),
		Path:               aws.ToString(r.Path),
		Description:        aws.ToString(r.Description),
		MaxSessionDuration: aws.ToInt32(r.MaxSessionDuration),
		TrustPolicy:        trust,
		InlinePolicies:     map[string]string{},
		AttachedPolicies:   []string{},
		Tags:               map[string]string{},
		CreateDate:         aws.ToTime(r.CreateDate),
	}
	if st.MaxSessionDuration == 0 {
		st.MaxSessionDuration = DefaultMaxSessionDuration
	}
	if r.PermissionsBoundary != nil {
		st.PermissionsBoundary = aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn)
	}
	for _, t := range r.Tags {
		st.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return st, nil
}

// iamTags turns a tag map into IAM tags, sorted by key (deterministic calls).
func iamTags(tags map[string]string) []types.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}
