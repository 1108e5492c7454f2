// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"bytes"
	"crypto/subtle"
	"io"
	"log"
	"maps"
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

	// Now replaces the clock (CreateDate, credential expiry, aws:CurrentTime). Defaults to
	// time.Now. The admin API moves the emulator's time relative to it (clock.go).
	Now func() time.Time

	// Secrets gives plain access keys a secret other than DefaultSecret, by access key id.
	Secrets map[string]string
}

// Emulator is an in-memory IAM + STS service. It implements http.Handler:
// AWS Query requests are served on any path, and a JSON admin API is served
// under /_emu/ (see admin.go). All methods are safe for concurrent use.
type Emulator struct {
	now     func() time.Time // clock.now
	clock   *clock
	logger  *log.Logger
	admin   http.Handler
	secrets map[string]string // read-only after New

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
	base := opts.Now
	if base == nil {
		base = time.Now
	}
	c := &clock{base: base}
	e := &Emulator{
		now:      c.now,
		clock:    c,
		logger:   opts.Logger,
		accounts: map[string]*account{},
		sessions: map[string]*session{},
		calls:    newCallCounter(),
		secrets:  maps.Clone(opts.Secrets),
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
	// Query-protocol bodies are small; 1 MiB is far above any IAM limit. The body is kept as
	// received, because the signature covers its hash.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err == nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		err = r.ParseForm()
	}
	if err != nil {
		writeError(w, iamNamespace, reqID, errorf(http.StatusBadRequest, "MalformedQueryString", "could not parse the request body: %v", err))
		return
	}
	p := params{r.Form}
	sig, sigErr := parseSignature(r, body)
	region, scopeService := "us-east-1", ""
	if sig != nil {
		if sig.region != "" {
			region = sig.region
		}
		scopeService = sig.service
	}

	service, ns, apiErr := serviceOf(p, scopeService)
	if apiErr != nil {
		writeError(w, ns, reqID, apiErr)
		e.logf("%s %s -> %d %s", r.Method, p.get("Action"), apiErr.status, apiErr.code)
		return
	}
	req := &request{id: reqID, service: service, action: p.get("Action"), p: p, region: region}

	result, apiErr := e.serve(req, func() (*principal, *apiError) {
		if sigErr != nil {
			return nil, sigErr
		}
		return e.identify(r, sig)
	})
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
func (e *Emulator) serve(req *request, identify func() (*principal, *apiError)) (any, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()

	caller, authErr := identify()
	if caller != nil {
		req.caller = caller
		req.acct = e.accountState(caller.account)
	}
	e.calls.count(req.service, req.action, accountOf(req))
	result, apiErr := e.dispatch(req, authErr)
	if apiErr != nil {
		e.calls.countError(req.service, accountOf(req), apiErr.code)
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

var twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)

// identify maps the request's access key to the principal it acts as, once the signature proves
// the caller holds the key's secret (and, for AssumeRole's keys, its session token), in the order
// AWS checks them: the key, the token, the expiry, the signature. Callers hold e.mu.
func (e *Emulator) identify(r *http.Request, sig *signature) (*principal, *apiError) {
	if sig == nil {
		return nil, errorf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	akid := sig.accessKeyID
	if s := e.sessions[akid]; s != nil {
		if subtle.ConstantTimeCompare([]byte(sig.sessionToken), []byte(s.token)) != 1 {
			return nil, errInvalidClientTokenID()
		}
		if !e.now().Before(s.expires) {
			return nil, errorf(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
		}
		if err := sig.verify(r, s.secret, s.token); err != nil {
			return nil, err
		}
		return sessionPrincipal(s), nil
	}
	// Temporary keys the emulator did not mint (or minted before a restart) are refused, as AWS
	// refuses unknown session keys; so is a session token with a plain key.
	if strings.HasPrefix(akid, "ASIA") || sig.sessionToken != "" {
		return nil, errInvalidClientTokenID()
	}
	secret, ok := e.secrets[akid]
	if !ok {
		secret = DefaultSecret
	}
	if err := sig.verify(r, secret, ""); err != nil {
		return nil, err
	}
	if twelveDigits.MatchString(akid) {
		return userPrincipal(akid), nil
	}
	return userPrincipal(defaultAccount), nil
}
