// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"net/http"
	"strings"
	"time"
)

// Managed policies: a small catalogue of AWS-managed ones, and minimal
// customer-managed ones (CreatePolicy, GetPolicy, GetPolicyVersion,
// DeletePolicy; a single version "v1", no version management).

// managedPolicyQuota is IAM's size limit of one managed policy version.
const managedPolicyQuota = 6144

// awsManagedPolicies are the AWS-managed policies the emulator knows. Their
// documents are abbreviated stand-ins: only their ARNs matter to tests
// (someone attaching AdministratorAccess must show up as drift).
var awsManagedPolicies = func() map[string]*managedPolicy {
	created := time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)
	m := map[string]*managedPolicy{}
	add := func(path, name, doc string) {
		arn := "arn:aws:iam::aws:policy" + path + name
		m[arn] = &managedPolicy{
			name: name, path: path, arn: arn, id: stableID("ANPA", arn),
			doc: doc, created: created, awsManaged: true,
		}
	}
	allowAll := func(actions ...string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["` + strings.Join(actions, `","`) + `"],"Resource":"*"}]}`
	}
	add("/", "AdministratorAccess", allowAll("*"))
	add("/", "PowerUserAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}`)
	add("/", "ReadOnlyAccess", allowAll("cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:List*", "cloudtrail:LookupEvents", "ec2:Describe*", "iam:Get*", "iam:List*", "s3:Get*", "s3:List*"))
	add("/", "SecurityAudit", allowAll("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "iam:GenerateCredentialReport", "iam:Get*", "iam:List*"))
	add("/", "IAMFullAccess", allowAll("iam:*"))
	add("/", "IAMReadOnlyAccess", allowAll("iam:Get*", "iam:List*"))
	add("/", "CloudWatchReadOnlyAccess", allowAll("cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "logs:Get*", "logs:Describe*"))
	add("/", "AWSCloudTrail_ReadOnlyAccess", allowAll("cloudtrail:Get*", "cloudtrail:Describe*", "cloudtrail:List*", "cloudtrail:LookupEvents"))
	add("/", "AmazonS3ReadOnlyAccess", allowAll("s3:Get*", "s3:List*"))
	add("/", "AmazonEC2ReadOnlyAccess", allowAll("ec2:Describe*"))
	add("/job-function/", "ViewOnlyAccess", allowAll("cloudwatch:List*", "cloudtrail:DescribeTrails", "ec2:DescribeInstances"))
	return m
}()

// findPolicy returns the managed policy an ARN names, if the account can use
// it: AWS-managed policies, or the account's own customer-managed ones.
func (e *Emulator) findPolicy(a *account, arn string) *managedPolicy {
	if p := awsManagedPolicies[arn]; p != nil {
		return p
	}
	return a.policies[arn]
}

type policyXML struct {
	PolicyName                    string           `xml:"PolicyName"`
	PolicyId                      string           `xml:"PolicyId"`
	Arn                           string           `xml:"Arn"`
	Path                          string           `xml:"Path"`
	DefaultVersionId              string           `xml:"DefaultVersionId"`
	AttachmentCount               int              `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int              `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool             `xml:"IsAttachable"`
	Description                   string           `xml:"Description,omitempty"`
	CreateDate                    string           `xml:"CreateDate"`
	UpdateDate                    string           `xml:"UpdateDate"`
	Tags                          *memberList[Tag] `xml:"Tags,omitempty"`
}

// policyXML renders a policy; attachment counts are per account, as IAM
// reports them for AWS-managed policies too.
func (a *account) policyXML(p *managedPolicy) policyXML {
	attached, boundaries := 0, 0
	for _, r := range a.roles {
		for _, arn := range r.attached {
			if arn == p.arn {
				attached++
			}
		}
		if r.boundary == p.arn {
			boundaries++
		}
	}
	x := policyXML{
		PolicyName: p.name, PolicyId: p.id, Arn: p.arn, Path: p.path,
		DefaultVersionId: "v1", AttachmentCount: attached, PermissionsBoundaryUsageCount: boundaries,
		IsAttachable: true, Description: p.description,
		CreateDate: isoTime(p.created), UpdateDate: isoTime(p.created),
	}
	if len(p.tags) > 0 {
		t := members(append([]Tag(nil), p.tags...))
		x.Tags = &t
	}
	return x
}

func (e *Emulator) createPolicy(req *request) (any, *apiError) {
	name, err := entityName(req.p, "PolicyName", 128)
	if err != nil {
		return nil, err
	}
	path, err := pathParam(req.p)
	if err != nil {
		return nil, err
	}
	doc, err := policyDocParam(req.p, "PolicyDocument")
	if err != nil {
		return nil, err
	}
	desc, _, err := descriptionParam(req.p)
	if err != nil {
		return nil, err
	}
	tags := req.p.tags("Tags")
	if err := checkTags(tags, nil); err != nil {
		return nil, err
	}
	if _, err := validateIdentityPolicy(doc); err != nil {
		return nil, err
	}
	if policySize(doc) > managedPolicyQuota {
		return nil, errLimitExceeded("Cannot exceed quota for PolicySize: %d", managedPolicyQuota)
	}
	// Policy names are unique per account regardless of path and case.
	for _, p := range req.acct.policies {
		if strings.EqualFold(p.name, name) {
			return nil, errEntityAlreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
		}
	}
	arn := "arn:aws:iam::" + req.acct.id + ":policy" + path + name
	p := &managedPolicy{
		name: name, path: path, id: newID("ANPA"), arn: arn,
		description: desc, doc: doc, created: e.now(), tags: tags,
	}
	req.acct.policies[arn] = p
	return struct {
		Policy policyXML `xml:"Policy"`
	}{req.acct.policyXML(p)}, nil
}

func (e *Emulator) policyParam(req *request) (*managedPolicy, *apiError) {
	arn, err := policyARNParam(req.p, "PolicyArn")
	if err != nil {
		return nil, err
	}
	p := e.findPolicy(req.acct, arn)
	if p == nil {
		return nil, errNoSuchEntity("Policy %s was not found.", arn)
	}
	return p, nil
}

func (e *Emulator) getPolicy(req *request) (any, *apiError) {
	p, err := e.policyParam(req)
	if err != nil {
		return nil, err
	}
	return struct {
		Policy policyXML `xml:"Policy"`
	}{req.acct.policyXML(p)}, nil
}

func (e *Emulator) getPolicyVersion(req *request) (any, *apiError) {
	p, err := e.policyParam(req)
	if err != nil {
		return nil, err
	}
	v, err := req.p.required("VersionId")
	if err != nil {
		return nil, err
	}
	if v != "v1" {
		return nil, errNoSuchEntity("Policy %s version %s does not exist or is not attachable.", p.arn, v)
	}
	type versionXML struct {
		Document         string `xml:"Document"`
		VersionId        string `xml:"VersionId"`
		IsDefaultVersion bool   `xml:"IsDefaultVersion"`
		CreateDate       string `xml:"CreateDate"`
	}
	return struct {
		PolicyVersion versionXML `xml:"PolicyVersion"`
	}{versionXML{encodePolicy(p.doc), "v1", true, isoTime(p.created)}}, nil
}

func (e *Emulator) deletePolicy(req *request) (any, *apiError) {
	p, err := e.policyParam(req)
	if err != nil {
		return nil, err
	}
	if p.awsManaged {
		return nil, errorf(http.StatusBadRequest, "UnmodifiableEntity", "Cannot delete policy %s: it is managed by AWS.", p.arn)
	}
	x := req.acct.policyXML(p)
	if x.AttachmentCount > 0 || x.PermissionsBoundaryUsageCount > 0 {
		return nil, errDeleteConflict("Cannot delete a policy attached to entities.")
	}
	delete(req.acct.policies, p.arn)
	return nil, nil
}
