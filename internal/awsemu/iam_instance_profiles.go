// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"maps"
	"slices"
	"strings"
)

// Instance profiles matter to the provider only because a role inside one
// cannot be deleted: destroy has to take it out first.

type instanceProfileXML struct {
	Path                string              `xml:"Path"`
	InstanceProfileName string              `xml:"InstanceProfileName"`
	InstanceProfileId   string              `xml:"InstanceProfileId"`
	Arn                 string              `xml:"Arn"`
	CreateDate          string              `xml:"CreateDate"`
	Roles               memberList[roleXML] `xml:"Roles"`
	Tags                *memberList[Tag]    `xml:"Tags,omitempty"`
}

func (a *account) profileXML(p *instanceProfile) instanceProfileXML {
	roles := []roleXML{}
	for _, k := range p.roles {
		if r := a.roles[k]; r != nil {
			roles = append(roles, r.xml(roleListed))
		}
	}
	x := instanceProfileXML{
		Path: p.path, InstanceProfileName: p.name, InstanceProfileId: p.id, Arn: p.arn,
		CreateDate: isoTime(p.created), Roles: members(roles),
	}
	if len(p.tags) > 0 {
		t := members(append([]Tag(nil), p.tags...))
		x.Tags = &t
	}
	return x
}

func (req *request) profileParam() (*instanceProfile, *apiError) {
	name, err := entityName(req.p, "InstanceProfileName", 128)
	if err != nil {
		return nil, err
	}
	p := req.acct.profiles[strings.ToLower(name)]
	if p == nil {
		return nil, errNoSuchEntity("Instance Profile %s cannot be found.", name)
	}
	return p, nil
}

func (e *Emulator) createInstanceProfile(req *request) (any, *apiError) {
	name, err := entityName(req.p, "InstanceProfileName", 128)
	if err != nil {
		return nil, err
	}
	path, err := pathParam(req.p)
	if err != nil {
		return nil, err
	}
	tags := req.p.tags("Tags")
	if err := checkTags(tags, nil); err != nil {
		return nil, err
	}
	key := strings.ToLower(name)
	if req.acct.profiles[key] != nil {
		return nil, errEntityAlreadyExists("Instance Profile %s already exists.", name)
	}
	p := &instanceProfile{
		name: name, path: path, id: newID("AIPA"), created: e.now(), tags: tags,
		arn: "arn:aws:iam::" + req.acct.id + ":instance-profile" + path + name,
	}
	req.acct.profiles[key] = p
	return struct {
		InstanceProfile instanceProfileXML `xml:"InstanceProfile"`
	}{req.acct.profileXML(p)}, nil
}

func (e *Emulator) getInstanceProfile(req *request) (any, *apiError) {
	p, err := req.profileParam()
	if err != nil {
		return nil, err
	}
	return struct {
		InstanceProfile instanceProfileXML `xml:"InstanceProfile"`
	}{req.acct.profileXML(p)}, nil
}

func (e *Emulator) deleteInstanceProfile(req *request) (any, *apiError) {
	p, err := req.profileParam()
	if err != nil {
		return nil, err
	}
	if len(p.roles) > 0 {
		return nil, errDeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
	}
	delete(req.acct.profiles, strings.ToLower(p.name))
	return nil, nil
}

func (e *Emulator) addRoleToInstanceProfile(req *request) (any, *apiError) {
	p, err := req.profileParam()
	if err != nil {
		return nil, err
	}
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	// An instance profile holds one role; IAM reports a second (or the same
	// one again) as a quota breach.
	if len(p.roles) > 0 {
		return nil, errLimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	}
	p.roles = append(p.roles, strings.ToLower(r.name))
	return nil, nil
}

func (e *Emulator) removeRoleFromInstanceProfile(req *request) (any, *apiError) {
	p, err := req.profileParam()
	if err != nil {
		return nil, err
	}
	r, err := req.roleForWrite()
	if err != nil {
		return nil, err
	}
	key := strings.ToLower(r.name)
	for i, k := range p.roles {
		if k == key {
			p.roles = append(p.roles[:i:i], p.roles[i+1:]...)
			return nil, nil
		}
	}
	return nil, errNoSuchEntity("The role with name %s cannot be found in instance profile %s.", r.name, p.name)
}

func (e *Emulator) listInstanceProfilesForRole(req *request) (any, *apiError) {
	r, err := req.roleForRead()
	if err != nil {
		return nil, err
	}
	return e.profilePage(req, req.acct.roleProfiles(strings.ToLower(r.name)))
}

func (e *Emulator) listInstanceProfiles(req *request) (any, *apiError) {
	prefix, err := pathPrefixParam(req.p)
	if err != nil {
		return nil, err
	}
	var list []*instanceProfile
	for _, k := range slices.Sorted(maps.Keys(req.acct.profiles)) {
		if p := req.acct.profiles[k]; strings.HasPrefix(p.path, prefix) {
			list = append(list, p)
		}
	}
	return e.profilePage(req, list)
}

func (e *Emulator) profilePage(req *request, list []*instanceProfile) (any, *apiError) {
	out, pg, err := paginate(req.p, list, func(p *instanceProfile) string { return strings.ToLower(p.name) })
	if err != nil {
		return nil, err
	}
	xs := make([]instanceProfileXML, len(out))
	for i, p := range out {
		xs[i] = req.acct.profileXML(p)
	}
	return struct {
		InstanceProfiles memberList[instanceProfileXML] `xml:"InstanceProfiles"`
		page
	}{members(xs), pg}, nil
}
