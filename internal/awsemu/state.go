// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"crypto/rand"
	"crypto/sha256"
	"sort"
	"strings"
	"time"
)

// defaultAccount is the account of every access key that is not twelve digits.
const defaultAccount = "000000000000"

// Tag is an IAM tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// account is the IAM state of one AWS account. IAM names are unique without
// regard to case ("Role" and "role" collide), so the maps are keyed by the
// lower-cased name and each entity keeps the spelling it was created with.
type account struct {
	id       string
	roles    map[string]*role            // lower(name) -> role
	policies map[string]*managedPolicy   // ARN -> customer-managed policy
	profiles map[string]*instanceProfile // lower(name) -> profile
}

func newAccount(id string) *account {
	return &account{
		id:       id,
		roles:    map[string]*role{},
		policies: map[string]*managedPolicy{},
		profiles: map[string]*instanceProfile{},
	}
}

type role struct {
	name    string
	path    string
	id      string
	arn     string
	created time.Time
	trust   string // normalised trust policy JSON (see normalizeTrustPolicy)
	// trustSince is when the role was created or its trust last changed: AssumeRole refuses it
	// until Faults.AssumeRoleDelay has passed since, as IAM does while a trust propagates.
	trustSince  time.Time
	description string
	maxSession  int
	boundary    string // permissions boundary policy ARN, "" for none
	tags        []Tag
	inline      map[string]*inlinePolicy // lower(name) -> policy
	attached    []string                 // managed policy ARNs, in attach order

	lastUsed       time.Time
	lastUsedRegion string

	// invisibleReads counts down the read calls that must still answer
	// NoSuchEntity (Faults.InvisibleReads), modelling IAM's eventual
	// consistency right after CreateRole.
	invisibleReads int
}

type inlinePolicy struct {
	name string
	doc  string // as submitted: IAM returns inline policies verbatim
}

type managedPolicy struct {
	name        string
	path        string
	id          string
	arn         string
	description string
	doc         string
	created     time.Time
	tags        []Tag
	awsManaged  bool
}

type instanceProfile struct {
	name    string
	path    string
	id      string
	arn     string
	created time.Time
	tags    []Tag
	roles   []string // lower(role name); IAM allows at most one
}

// session is a set of temporary credentials minted by AssumeRole.
type session struct {
	accessKeyID string
	secret      string
	token       string
	account     string
	roleName    string
	roleARN     string // IAM ARN of the role, with its path
	roleID      string
	sessionName string
	expires     time.Time
}

// principal is the identity a request acts as.
type principal struct {
	account string
	arn     string // as GetCallerIdentity reports it
	userID  string
	roleARN string // IAM ARN of the assumed role; "" for the emulator user
	chained bool   // acting through AssumeRole credentials (role chaining)
}

// userPrincipal is the identity of a plain (non-session) access key: an IAM
// user called "emulator" in the key's account. A user rather than the root
// user, because real AWS refuses AssumeRole to root credentials.
func userPrincipal(acct string) *principal {
	return &principal{
		account: acct,
		arn:     "arn:aws:iam::" + acct + ":user/emulator",
		userID:  stableID("AIDA", acct),
	}
}

func sessionPrincipal(s *session) *principal {
	return &principal{
		account: s.account,
		arn:     "arn:aws:sts::" + s.account + ":assumed-role/" + s.roleName + "/" + s.sessionName,
		userID:  s.roleID + ":" + s.sessionName,
		roleARN: s.roleARN,
		chained: true,
	}
}

// accountState returns the state of an account, creating it on first use.
// Callers hold e.mu.
func (e *Emulator) accountState(id string) *account {
	a := e.accounts[id]
	if a == nil {
		a = newAccount(id)
		e.accounts[id] = a
	}
	return a
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID returns prefix + 17 random upper-case alphanumerics, the shape of IAM
// unique ids (AROA... for roles, ANPA... for policies, AIPA... for profiles).
func newID(prefix string) string { return prefix + randomString(idAlphabet, 17) }

// stableID derives a fixed id from a seed, for entities that exist implicitly
// (the emulator user of each account, AWS-managed policies).
func stableID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < 17; i++ {
		b.WriteByte(idAlphabet[int(sum[i])%len(idAlphabet)])
	}
	return b.String()
}

func randomString(alphabet string, n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	for i := range buf {
		buf[i] = alphabet[int(buf[i])%len(alphabet)]
	}
	return string(buf)
}

// roleProfiles lists the names of the instance profiles that contain the role.
func (a *account) roleProfiles(lowerRole string) []*instanceProfile {
	var out []*instanceProfile
	for _, p := range a.profiles {
		for _, r := range p.roles {
			if r == lowerRole {
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].name) < strings.ToLower(out[j].name) })
	return out
}

// setTags merges tags into existing ones. Tag keys are case-insensitive in
// IAM: a new spelling of an existing key replaces it.
func setTags(existing []Tag, add []Tag) []Tag {
	out := append([]Tag(nil), existing...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i] = t
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

func removeTags(existing []Tag, keys []string) []Tag {
	var out []Tag
	for _, t := range existing {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(t.Key, k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}
