// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// STS: GetCallerIdentity, AssumeRole (with trust-policy evaluation) and
// GetAccessKeyInfo.

const (
	// sessionKeyAlphabet is what AWS access key ids are made of.
	sessionKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretAlphabet     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func (e *Emulator) getCallerIdentity(req *request) (any, *apiError) {
	return struct {
		UserId  string `xml:"UserId"`
		Account string `xml:"Account"`
		Arn     string `xml:"Arn"`
	}{req.caller.userID, req.caller.account, req.caller.arn}, nil
}

func (e *Emulator) getAccessKeyInfo(req *request) (any, *apiError) {
	akid, err := req.p.required("AccessKeyId")
	if err != nil {
		return nil, err
	}
	acct := defaultAccount
	if s := e.sessions[akid]; s != nil {
		acct = s.account
	} else if twelveDigits.MatchString(akid) {
		acct = akid
	}
	return struct {
		Account string `xml:"Account"`
	}{acct}, nil
}

// assumeRole mints credentials for a role if its trust policy lets the
// caller in. As in AWS, a role that does not exist and a role that does not
// trust the caller give the same AccessDenied, so callers cannot probe for
// role names. The caller's own identity policies are not evaluated: every
// emulator identity may call sts:AssumeRole.
func (e *Emulator) assumeRole(req *request) (any, *apiError) {
	roleARN, err := req.p.required("RoleArn")
	if err != nil {
		return nil, err
	}
	if err := checkLength(roleARN, "roleArn", 20, 2048); err != nil {
		return nil, err
	}
	sessionName, err := req.p.required("RoleSessionName")
	if err != nil {
		return nil, err
	}
	if err := checkLength(sessionName, "roleSessionName", 2, 64); err != nil {
		return nil, err
	}
	if err := checkPattern(sessionName, "roleSessionName", sessionNameRE, `[\w+=,.@-]*`); err != nil {
		return nil, err
	}
	externalID, hasExternalID := req.p.str("ExternalId")
	if hasExternalID {
		if err := checkLength(externalID, "externalId", 2, 1224); err != nil {
			return nil, err
		}
		if err := checkPattern(externalID, "externalId", externalIDRE, `[\w+=,.@:\/-]*`); err != nil {
			return nil, err
		}
	}
	duration, hasDuration, err := req.p.integer("DurationSeconds")
	if err != nil {
		return nil, err
	}
	if !hasDuration {
		duration = 3600
	}
	if duration < 900 {
		return nil, validationError(strconv.Itoa(duration), "durationSeconds", "Member must have value greater than or equal to 900")
	}
	if duration > 43200 {
		return nil, validationError(strconv.Itoa(duration), "durationSeconds", "Member must have value less than or equal to 43200")
	}
	m := roleARNRE.FindStringSubmatch(roleARN)
	if m == nil {
		return nil, errValidation("%s is invalid", roleARN)
	}
	denied := errAccessDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", req.caller.arn, roleARN)

	target := e.accounts[m[1]]
	if target == nil {
		return nil, denied
	}
	r := target.roles[strings.ToLower(m[3])]
	if r == nil || r.path != m[2] {
		return nil, denied
	}
	pd, perr := parsePolicy(r.trust)
	if perr != nil {
		return nil, denied
	}
	// A new role, or a changed trust, is refused for a while, with the same AccessDenied as a
	// trust that does not let the caller in: callers cannot tell the two apart, as with IAM.
	if d := e.faults.AssumeRoleDelay.Duration; d > 0 && e.now().Before(r.trustSince.Add(d)) {
		return nil, denied
	}
	keys := map[string]string{
		"sts:rolesessionname":  sessionName,
		"aws:principalaccount": req.caller.account,
		"aws:principalarn":     req.caller.arn,
		"aws:userid":           req.caller.userID,
		"aws:principaltype":    "User",
		// The emulator's clock, which the admin API can move, so that an expiry in a trust policy
		// (DateLessThan on aws:CurrentTime) is tested without waiting.
		"aws:currenttime": e.now().UTC().Format(time.RFC3339),
	}
	if req.caller.roleARN != "" {
		keys["aws:principalarn"] = req.caller.roleARN
		keys["aws:principaltype"] = "AssumedRole"
	}
	if hasExternalID {
		keys["sts:externalid"] = externalID
	}
	if !pd.allows(evalContext{caller: req.caller, action: "sts:AssumeRole", keys: keys}) {
		return nil, denied
	}
	if duration > r.maxSession {
		return nil, errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if req.caller.chained && hasDuration && duration > 3600 {
		return nil, errValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}

	now := e.now()
	s := &session{
		accessKeyID: e.newSessionKey(),
		secret:      randomString(secretAlphabet, 40),
		token:       base64.StdEncoding.EncodeToString([]byte("awsemu-session/" + randomString(secretAlphabet, 96))),
		account:     target.id,
		roleName:    r.name,
		roleARN:     r.arn,
		roleID:      r.id,
		sessionName: sessionName,
		expires:     now.Add(time.Duration(duration) * time.Second),
	}
	e.sessions[s.accessKeyID] = s
	r.lastUsed, r.lastUsedRegion = now, req.region

	type credentialsXML struct {
		AccessKeyId     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	}
	type assumedRoleUserXML struct {
		AssumedRoleId string `xml:"AssumedRoleId"`
		Arn           string `xml:"Arn"`
	}
	p := sessionPrincipal(s)
	return struct {
		Credentials     credentialsXML     `xml:"Credentials"`
		AssumedRoleUser assumedRoleUserXML `xml:"AssumedRoleUser"`
	}{
		credentialsXML{s.accessKeyID, s.secret, s.token, isoTime(s.expires)},
		assumedRoleUserXML{p.userID, p.arn},
	}, nil
}

// newSessionKey returns an unused temporary access key id (ASIA + 16).
// Callers hold e.mu.
func (e *Emulator) newSessionKey() string {
	for {
		k := "ASIA" + randomString(sessionKeyAlphabet, 16)
		if e.sessions[k] == nil {
			return k
		}
	}
}
