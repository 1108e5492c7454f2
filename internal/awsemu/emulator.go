// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"log"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Options configures an Emulator. The zero value is a faultless emulator.
type Options struct {
	// Faults to inject from the start; see Faults and Emulator.SetFaults.
	Faults Faults

	// Logger, when set, gets one line per AWS call (action, account, outcome).
	Logger *log.Logger

	// Now replaces the clock (CreateDate, credential expiry). Defaults to
	// time.Now.
	Now func() time.Time
}

// Emulator is an in-memory IAM + STS service. It implements http.Handler:
// AWS Query requests are served on any path, and a JSON admin API is served
// under /_emu/ (see admin.go). All methods are safe for concurrent use.
type Emulator struct {
	now    func() time.Time
	logger *log.Logger
	admin  http.Handler

	// mu guards everything below. One lock for the whole emulator keeps the
	// semantics obvious (each call is atomic, as it is in IAM) and is cheap
	// enough for a test tool.
	mu       sync.Mutex
	accounts map[string]*account
	sessions map[string]*session // access key id -> AssumeRole session
	faults   Faults
	rng      *rand.Rand
	// failLeft counts down Faults.FailActions per action.
	failLeft map[string]int
	// principalFailures counts the CreateRole attempts already refused by
	// Faults.InvalidPrincipalAttempts, per account and role name.
	principalFailures map[string]int
	calls             callCounter
}

// New returns an emulator with no roles and the given options.
func New(opts Options) *Emulator {
	e := &Emulator{
		now:      opts.Now,
		logger:   opts.Logger,
		accounts: map[string]*account{},
		sessions: map[string]*session{},
		calls:    newCallCounter(),
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.admin = e.adminHandler()
	e.SetFaults(opts.Faults)
	return e
}

// request is one decoded AWS call.
type request struct {
	id      string
	service string // "iam" or "sts"
	action  string
	p       params
	caller  *principal
	acct    *account // the caller's account
	region  string   // from the SigV4 credential scope; "us-east-1" if absent
}

type handlerFunc func(e *Emulator, req *request) (any, *apiError)

// handlers maps service and action to the function serving it.
var handlers = map[string]map[string]handlerFunc{
	"iam": {
		"CreateRole":                    (*Emulator).createRole,
		"GetRole":                       (*Emulator).getRole,
		"ListRoles":                     (*Emulator).listRoles,
		"DeleteRole":                    (*Emulator).deleteRole,
		"UpdateRole":                    (*Emulator).updateRole,
		"UpdateRoleDescription":         (*Emulator).updateRoleDescription,
		"UpdateAssumeRolePolicy":        (*Emulator).updateAssumeRolePolicy,
		"PutRolePermissionsBoundary":    (*Emulator).putRolePermissionsBoundary,
		"DeleteRolePermissionsBoundary": (*Emulator).deleteRolePermissionsBoundary,
		"TagRole":                       (*Emulator).tagRole,
		"UntagRole":                     (*Emulator).untagRole,
		"ListRoleTags":                  (*Emulator).listRoleTags,
		"PutRolePolicy":                 (*Emulator).putRolePolicy,
		"GetRolePolicy":                 (*Emulator).getRolePolicy,
		"DeleteRolePolicy":              (*Emulator).deleteRolePolicy,
		"ListRolePolicies":              (*Emulator).listRolePolicies,
		"AttachRolePolicy":              (*Emulator).attachRolePolicy,
		"DetachRolePolicy":              (*Emulator).detachRolePolicy,
		"ListAttachedRolePolicies":      (*Emulator).listAttachedRolePolicies,
		"CreatePolicy":                  (*Emulator).createPolicy,
		"GetPolicy":                     (*Emulator).getPolicy,
		"GetPolicyVersion":              (*Emulator).getPolicyVersion,
		"DeletePolicy":                  (*Emulator).deletePolicy,
		"CreateInstanceProfile":         (*Emulator).createInstanceProfile,
		"GetInstanceProfile":            (*Emulator).getInstanceProfile,
		"DeleteInstanceProfile":         (*Emulator).deleteInstanceProfile,
		"AddRoleToInstanceProfile":      (*Emulator).addRoleToInstanceProfile,
		"RemoveRoleFromInstanceProfile": (*Emulator).removeRoleFromInstanceProfile,
		"ListInstanceProfilesForRole":   (*Emulator).listInstanceProfilesForRole,
		"ListInstanceProfiles":          (*Emulator).listInstanceProfiles,
	},
	"sts": {
		"GetCallerIdentity": (*Emulator).getCallerIdentity,
		"AssumeRole":        (*Emulator).assumeRole,
		"GetAccessKeyInfo":  (*Emulator).getAccessKeyInfo,
	},
}

// ServeHTTP serves one AWS Query call, or the admin API under /_emu/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_emu" || strings.HasPrefix(r.URL.Path, "/_emu/") {
		e.admin.ServeHTTP(w, r)
		return
	}
	reqID := newRequestID()
	// Query-protocol bodies are small; 1 MiB is far above any IAM limit.
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		writeError(w, iamNamespace, reqID, errorf(http.StatusBadRequest, "MalformedQueryString", "could not parse the request body: %v", err))
		return
	}
	p := params{r.Form}
	akid, region, scopeService := credentialScope(r)

	service, ns, apiErr := serviceOf(p, scopeService)
	if apiErr != nil {
		writeError(w, ns, reqID, apiErr)
		e.logf("%s %s -> %d %s", r.Method, p.get("Action"), apiErr.status, apiErr.code)
		return
	}
	req := &request{id: reqID, service: service, action: p.get("Action"), p: p, region: region}

	result, apiErr := e.serve(req, akid)
	if apiErr != nil {
		writeError(w, ns, reqID, apiErr)
		e.logf("%s:%s account=%s -> %d %s: %s", service, req.action, accountOf(req), apiErr.status, apiErr.code, apiErr.message)
		return
	}
	writeResult(w, ns, req.action, reqID, result)
	e.logf("%s:%s account=%s -> 200", service, req.action, accountOf(req))
}

// serve runs one call under the emulator lock: identify the caller, count
// the call, inject faults, then dispatch.
func (e *Emulator) serve(req *request, akid string) (any, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()

	caller, authErr := e.identify(akid)
	if caller != nil {
		req.caller = caller
		req.acct = e.accountState(caller.account)
	}
	e.calls.count(req.service, req.action, accountOf(req))
	result, apiErr := e.dispatch(req, authErr)
	if apiErr != nil {
		e.calls.countError(apiErr.code)
	}
	return result, apiErr
}

func (e *Emulator) dispatch(req *request, authErr *apiError) (any, *apiError) {
	if req.action == "" {
		return nil, errorf(http.StatusBadRequest, "MissingAction", "Missing Action")
	}
	h := handlers[req.service][req.action]
	if h == nil {
		version := iamVersion
		if req.service == "sts" {
			version = stsVersion
		}
		return nil, errorf(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", req.action, version)
	}
	if authErr != nil {
		return nil, authErr
	}
	if f := e.injectFault(req); f != nil {
		return nil, f
	}
	return h(e, req)
}

func accountOf(req *request) string {
	if req.caller == nil {
		return ""
	}
	return req.caller.account
}

func (e *Emulator) logf(format string, args ...any) {
	if e.logger != nil {
		e.logger.Printf(format, args...)
	}
}

// serviceOf decides which service a call is for. The Version parameter is
// authoritative (the SDKs always send it); without it the SigV4 credential
// scope's service, then the action name, decide.
func serviceOf(p params, scopeService string) (service, namespace string, err *apiError) {
	switch v := p.get("Version"); v {
	case iamVersion:
		return "iam", iamNamespace, nil
	case stsVersion:
		return "sts", stsNamespace, nil
	case "":
		if scopeService == "sts" || (scopeService == "" && handlers["sts"][p.get("Action")] != nil) {
			return "sts", stsNamespace, nil
		}
		return "iam", iamNamespace, nil
	default:
		ns := iamNamespace
		if scopeService == "sts" {
			ns = stsNamespace
		}
		return "", ns, errorf(http.StatusBadRequest, "NoSuchVersion", "The requested version (%s) is not valid.", v)
	}
}

// credentialRE pulls the access key id, region and service out of a SigV4
// Authorization header: "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...".
var credentialRE = regexp.MustCompile(`Credential=([^/,\s]+)/[^/]*/([^/]*)/([^/]*)/`)

// credentialScope returns the access key id, region and service of the
// request's SigV4 credential (header or presigned query). The signature itself
// is never checked: this is a test tool.
func credentialScope(r *http.Request) (akid, region, service string) {
	region = "us-east-1"
	var parts []string // AKID, date, region, service, "aws4_request"
	if m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		parts = []string{m[1], "", m[2], m[3]}
	} else if c := r.URL.Query().Get("X-Amz-Credential"); c != "" {
		parts = strings.Split(c, "/")
	}
	if len(parts) == 0 {
		return "", region, ""
	}
	akid = parts[0]
	if len(parts) >= 4 {
		if parts[2] != "" {
			region = parts[2]
		}
		service = parts[3]
	}
	return akid, region, service
}

var twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)

// identify maps an access key id to the principal it acts as. Callers hold e.mu.
func (e *Emulator) identify(akid string) (*principal, *apiError) {
	if akid == "" {
		return nil, errorf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	if s := e.sessions[akid]; s != nil {
		if !e.now().Before(s.expires) {
			return nil, errorf(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
		}
		return sessionPrincipal(s), nil
	}
	if strings.HasPrefix(akid, "ASIA") {
		// Temporary keys the emulator did not mint (or minted before a
		// restart) are refused, as AWS refuses unknown session keys.
		return nil, errorf(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	if twelveDigits.MatchString(akid) {
		return userPrincipal(akid), nil
	}
	return userPrincipal(defaultAccount), nil
}
