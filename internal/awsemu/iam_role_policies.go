// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// Inline policies (PutRolePolicy and friends) and managed-policy attachments
// (AttachRolePolicy and friends) of roles.

// inlinePolicyQuota is IAM's limit on the total size of a role's inline
// policies (whitespace not counted).
const inlinePolicyQuota = 10240

// attachedPolicyQuota is IAM's default quota of managed policies per role.
const attachedPolicyQuota = 10

func (e *Emulator) putRolePolicy(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	name, err := entityName(req.p, "PolicyName", 128)
	if err != nil {
		return nil, err
	}
	doc, err := policyDocParam(req.p, "PolicyDocument")
	if err != nil {
		return nil, err
	}
	if _, err := validateIdentityPolicy(doc); err != nil {
		return nil, err
	}
	key := strings.ToLower(name)
	total := policySize(doc)
	for k, p := range r.inline {
		if k != key {
			total += policySize(p.doc)
		}
	}
	if total > inlinePolicyQuota {
		return nil, errLimitExceeded("Maximum policy size of %d bytes exceeded for role %s", inlinePolicyQuota, r.name)
	}
	// Putting an existing name (in any case) replaces the document and the
	// spelling of the name.
	r.inline[key] = &inlinePolicy{name: name, doc: doc}
	return nil, nil
}

func errNoSuchRolePolicy(name string) *apiError {
	return errNoSuchEntity("The role policy with name %s cannot be found.", name)
}

func (e *Emulator) getRolePolicy(req *request) (any, *apiError) {
	r, err := req.roleForRead()
	if err != nil {
		return nil, err
	}
	name, err := entityName(req.p, "PolicyName", 128)
	if err != nil {
		return nil, err
	}
	p := r.inline[strings.ToLower(name)]
	if p == nil {
		return nil, errNoSuchRolePolicy(name)
	}
	return struct {
		RoleName       string `xml:"RoleName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{r.name, p.name, encodePolicy(p.doc)}, nil
}

func (e *Emulator) deleteRolePolicy(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	name, err := entityName(req.p, "PolicyName", 128)
	if err != nil {
		return nil, err
	}
	key := strings.ToLower(name)
	if r.inline[key] == nil {
		return nil, errNoSuchRolePolicy(name)
	}
	delete(r.inline, key)
	return nil, nil
}

func (e *Emulator) listRolePolicies(req *request) (any, *apiError) {
	r, err := req.roleForRead()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(r.inline))
	for _, k := range slices.Sorted(maps.Keys(r.inline)) {
		names = append(names, r.inline[k].name)
	}
	out, pg, err := paginate(req.p, names, strings.ToLower)
	if err != nil {
		return nil, err
	}
	return struct {
		PolicyNames memberList[string] `xml:"PolicyNames"`
		page
	}{members(out), pg}, nil
}

func (e *Emulator) attachRolePolicy(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	arn, err := policyARNParam(req.p, "PolicyArn")
	if err != nil {
		return nil, err
	}
	if e.findPolicy(req.acct, arn) == nil {
		return nil, errNoSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	for _, a := range r.attached {
		if a == arn {
			return nil, nil // attaching twice is a no-op in IAM
		}
	}
	if len(r.attached) >= attachedPolicyQuota {
		return nil, errLimitExceeded("Cannot exceed quota for PoliciesPerRole: %d", attachedPolicyQuota)
	}
	r.attached = append(r.attached, arn)
	return nil, nil
}

func (e *Emulator) detachRolePolicy(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	arn, err := policyARNParam(req.p, "PolicyArn")
	if err != nil {
		return nil, err
	}
	for i, a := range r.attached {
		if a == arn {
			r.attached = append(r.attached[:i:i], r.attached[i+1:]...)
			return nil, nil
		}
	}
	return nil, errNoSuchEntity("Policy %s was not found.", arn)
}

type attachedPolicyXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

func (e *Emulator) listAttachedRolePolicies(req *request) (any, *apiError) {
	r, err := req.roleForRead()
	if err != nil {
		return nil, err
	}
	prefix, err := pathPrefixParam(req.p)
	if err != nil {
		return nil, err
	}
	var list []attachedPolicyXML
	for _, arn := range r.attached {
		m := policyARNRE.FindStringSubmatch(arn)
		if m == nil || !strings.HasPrefix(m[2], prefix) {
			continue
		}
		list = append(list, attachedPolicyXML{PolicyName: m[3], PolicyArn: arn})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].PolicyArn < list[j].PolicyArn })
	out, pg, err := paginate(req.p, list, func(a attachedPolicyXML) string { return a.PolicyArn })
	if err != nil {
		return nil, err
	}
	return struct {
		AttachedPolicies memberList[attachedPolicyXML] `xml:"AttachedPolicies"`
		page
	}{members(out), pg}, nil
}
