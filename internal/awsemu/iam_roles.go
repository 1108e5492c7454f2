// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// roleXML is types.Role on the wire.
type roleXML struct {
	Path                     string           `xml:"Path"`
	RoleName                 string           `xml:"RoleName"`
	RoleId                   string           `xml:"RoleId"`
	Arn                      string           `xml:"Arn"`
	CreateDate               string           `xml:"CreateDate"`
	AssumeRolePolicyDocument string           `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string           `xml:"Description,omitempty"`
	MaxSessionDuration       int              `xml:"MaxSessionDuration,omitempty"`
	PermissionsBoundary      *boundaryXML     `xml:"PermissionsBoundary,omitempty"`
	Tags                     *memberList[Tag] `xml:"Tags,omitempty"`
	RoleLastUsed             *roleLastUsedXML `xml:"RoleLastUsed,omitempty"`
}

type boundaryXML struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

type roleLastUsedXML struct {
	LastUsedDate string `xml:"LastUsedDate,omitempty"`
	Region       string `xml:"Region,omitempty"`
}

// roleDetail selects the fields a response carries. IAM is uneven here:
// ListRoles (and roles inside instance profiles) leave out tags, the
// permissions boundary and RoleLastUsed; CreateRole has no RoleLastUsed;
// GetRole has everything.
type roleDetail int

const (
	roleListed roleDetail = iota
	roleCreated
	roleFull
)

func (r *role) xml(detail roleDetail) roleXML {
	x := roleXML{
		Path:                     r.path,
		RoleName:                 r.name,
		RoleId:                   r.id,
		Arn:                      r.arn,
		CreateDate:               isoTime(r.created),
		AssumeRolePolicyDocument: encodePolicy(r.trust),
		Description:              r.description,
		MaxSessionDuration:       r.maxSession,
	}
	if detail == roleListed {
		return x
	}
	if r.boundary != "" {
		x.PermissionsBoundary = &boundaryXML{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: r.boundary}
	}
	if len(r.tags) > 0 {
		t := members(append([]Tag(nil), r.tags...))
		x.Tags = &t
	}
	if detail == roleFull {
		x.RoleLastUsed = &roleLastUsedXML{}
		if !r.lastUsed.IsZero() {
			x.RoleLastUsed = &roleLastUsedXML{LastUsedDate: isoTime(r.lastUsed), Region: r.lastUsedRegion}
		}
	}
	return x
}

func errNoSuchRole(name string) *apiError {
	return errNoSuchEntity("The role with name %s cannot be found.", name)
}

// roleForWrite finds a role by name for a call that changes it. Writes see a
// role at once, even while Faults.InvisibleReads hides it from reads.
func (req *request) roleForWrite() (*role, *apiError) {
	name, err := entityName(req.p, "RoleName", 64)
	if err != nil {
		return nil, err
	}
	r := req.acct.roles[strings.ToLower(name)]
	if r == nil {
		return nil, errNoSuchRole(name)
	}
	return r, nil
}

// roleForRead finds a role by name for a read call, honouring (and using up)
// the role's remaining invisible reads.
func (req *request) roleForRead() (*role, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	if r.invisibleReads > 0 {
		r.invisibleReads--
		return nil, errNoSuchRole(req.p.get("RoleName"))
	}
	return r, nil
}

func (e *Emulator) createRole(req *request) (any, *apiError) {
	name, err := entityName(req.p, "RoleName", 64)
	if err != nil {
		return nil, err
	}
	path, err := pathParam(req.p)
	if err != nil {
		return nil, err
	}
	doc, err := policyDocParam(req.p, "AssumeRolePolicyDocument")
	if err != nil {
		return nil, err
	}
	desc, _, err := descriptionParam(req.p)
	if err != nil {
		return nil, err
	}
	maxSession, ok, err := maxSessionParam(req.p)
	if err != nil {
		return nil, err
	}
	if !ok {
		maxSession = 3600
	}
	tags := req.p.tags("Tags")
	if err := checkTags(tags, nil); err != nil {
		return nil, err
	}
	boundary, hasBoundary := req.p.str("PermissionsBoundary")
	if hasBoundary {
		if err := e.checkBoundary(req, boundary); err != nil {
			return nil, err
		}
	}
	pd, err := validateTrustPolicy(doc)
	if err != nil {
		return nil, err
	}
	trust := normalizeTrustPolicy(doc)
	if policySize(trust) > 2048 {
		return nil, errLimitExceeded("Cannot exceed quota for ACLSizePerRole: 2048")
	}
	key := strings.ToLower(name)
	if req.acct.roles[key] != nil {
		return nil, errEntityAlreadyExists("Role with name %s already exists.", name)
	}
	if e.invalidPrincipalFault(req.acct.id, name) {
		return nil, errMalformedPolicy("Invalid principal in policy: %s", firstPrincipal(pd))
	}
	r := &role{
		name:           name,
		path:           path,
		id:             newID("AROA"),
		arn:            "arn:aws:iam::" + req.acct.id + ":role" + path + name,
		created:        e.now(),
		trust:          trust,
		trustSince:     e.now(),
		description:    desc,
		maxSession:     maxSession,
		boundary:       boundary,
		tags:           tags,
		inline:         map[string]*inlinePolicy{},
		invisibleReads: e.faults.InvisibleReads,
	}
	req.acct.roles[key] = r
	return struct {
		Role roleXML `xml:"Role"`
	}{r.xml(roleCreated)}, nil
}

func (e *Emulator) getRole(req *request) (any, *apiError) {
	r, err := req.roleForRead()
	if err != nil {
		return nil, err
	}
	return struct {
		Role roleXML `xml:"Role"`
	}{r.xml(roleFull)}, nil
}

func (e *Emulator) listRoles(req *request) (any, *apiError) {
	prefix, err := pathPrefixParam(req.p)
	if err != nil {
		return nil, err
	}
	var roles []*role
	for _, k := range slices.Sorted(maps.Keys(req.acct.roles)) {
		r := req.acct.roles[k]
		if !strings.HasPrefix(r.path, prefix) {
			continue
		}
		if r.invisibleReads > 0 {
			r.invisibleReads--
			continue
		}
		roles = append(roles, r)
	}
	pageRoles, pg, err := paginate(req.p, roles, func(r *role) string { return strings.ToLower(r.name) })
	if err != nil {
		return nil, err
	}
	out := make([]roleXML, len(pageRoles))
	for i, r := range pageRoles {
		out[i] = r.xml(roleListed)
	}
	return struct {
		Roles memberList[roleXML] `xml:"Roles"`
		page
	}{members(out), pg}, nil
}

// deleteRole refuses, as IAM does, while the role is in an instance profile,
// has managed policies attached or has inline policies, in that order of
// checks (the order the AWS CLI documentation and IAM's messages follow).
func (e *Emulator) deleteRole(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	key := strings.ToLower(r.name)
	if len(req.acct.roleProfiles(key)) > 0 {
		return nil, errDeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
	}
	if len(r.attached) > 0 {
		return nil, errDeleteConflict("Cannot delete entity, must detach all policies first.")
	}
	if len(r.inline) > 0 {
		return nil, errDeleteConflict("Cannot delete entity, must delete policies first.")
	}
	delete(req.acct.roles, key)
	return nil, nil
}

func (e *Emulator) updateRole(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	desc, hasDesc, err := descriptionParam(req.p)
	if err != nil {
		return nil, err
	}
	maxSession, hasMax, err := maxSessionParam(req.p)
	if err != nil {
		return nil, err
	}
	if hasDesc {
		r.description = desc
	}
	if hasMax {
		r.maxSession = maxSession
	}
	return emptyResult{}, nil
}

func (e *Emulator) updateRoleDescription(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	if _, err := req.p.required("Description"); err != nil {
		return nil, err
	}
	desc, _, err := descriptionParam(req.p)
	if err != nil {
		return nil, err
	}
	r.description = desc
	return struct {
		Role roleXML `xml:"Role"`
	}{r.xml(roleFull)}, nil
}

func (e *Emulator) updateAssumeRolePolicy(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	doc, err := policyDocParam(req.p, "PolicyDocument")
	if err != nil {
		return nil, err
	}
	if _, err := validateTrustPolicy(doc); err != nil {
		return nil, err
	}
	trust := normalizeTrustPolicy(doc)
	if policySize(trust) > 2048 {
		return nil, errLimitExceeded("Cannot exceed quota for ACLSizePerRole: 2048")
	}
	r.trust, r.trustSince = trust, e.now()
	return nil, nil
}

func (e *Emulator) putRolePermissionsBoundary(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	boundary, err := policyARNParam(req.p, "PermissionsBoundary")
	if err != nil {
		return nil, err
	}
	if err := e.checkBoundary(req, boundary); err != nil {
		return nil, err
	}
	r.boundary = boundary
	return nil, nil
}

func (e *Emulator) deleteRolePermissionsBoundary(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	r.boundary = ""
	return nil, nil
}

// checkBoundary checks that a permissions boundary names a managed policy
// the caller's account can use.
func (e *Emulator) checkBoundary(req *request, arn string) *apiError {
	if !policyARNRE.MatchString(arn) {
		return errInvalidInput("ARN %s is not valid.", arn)
	}
	if e.findPolicy(req.acct, arn) == nil {
		return errNoSuchEntity("Scope ARN: %s does not exist or is not attachable.", arn)
	}
	return nil
}

func (e *Emulator) tagRole(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	tags := req.p.tags("Tags")
	if len(tags) == 0 {
		return nil, validationError("[]", "tags", "Member must have length greater than or equal to 1")
	}
	if err := checkTags(tags, r.tags); err != nil {
		return nil, err
	}
	r.tags = setTags(r.tags, tags)
	return nil, nil
}

func (e *Emulator) untagRole(req *request) (any, *apiError) {
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	keys := req.p.list("TagKeys")
	if keys == nil {
		return nil, errValidation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
	}
	r.tags = removeTags(r.tags, keys)
	return nil, nil
}

func (e *Emulator) listRoleTags(req *request) (any, *apiError) {
	r, err := req.roleForRead()
	if err != nil {
		return nil, err
	}
	tags := append([]Tag(nil), r.tags...)
	sort.Slice(tags, func(i, j int) bool { return strings.ToLower(tags[i].Key) < strings.ToLower(tags[j].Key) })
	out, pg, err := paginate(req.p, tags, func(t Tag) string { return strings.ToLower(t.Key) })
	if err != nil {
		return nil, err
	}
	return struct {
		Tags memberList[Tag] `xml:"Tags"`
		page
	}{members(out), pg}, nil
}
