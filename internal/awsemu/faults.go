// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Faults are failures the emulator injects so that tests can exercise the
// retry and wait logic real IAM forces on its clients. The zero value injects
// nothing. Faults are decided with a seeded RNG, so a single-threaded client
// sees the same sequence of faults on every run with the same Seed.
type Faults struct {
	// ThrottleRate is the share (0..1) of IAM calls answered with HTTP 400
	// code "Throttling" ("Rate exceeded"), which the SDK's standard retryer
	// retries. It leaves STS alone: STSThrottleRate is STS's.
	ThrottleRate float64 `json:"throttle_rate,omitempty"`

	// STSThrottleRate is the share (0..1) of STS calls answered with HTTP 400
	// code "Throttling" ("Rate exceeded"), as STS throttles AssumeRole and
	// GetCallerIdentity under load.
	STSThrottleRate float64 `json:"sts_throttle_rate,omitempty"`

	// AssumeRoleDelay makes AssumeRole refuse a role created, or whose trust
	// policy changed, less than this long ago (by the emulator's clock), with
	// the AccessDenied of a trust that does not match: IAM's propagation delay
	// on the assuming side. In JSON a Go duration string ("3s").
	AssumeRoleDelay Duration `json:"assume_role_delay,omitzero"`

	// FailRate is the share (0..1) of IAM and STS calls answered with a 500
	// (IAM: ServiceFailure, STS: InternalFailure).
	FailRate float64 `json:"fail_rate,omitempty"`

	// FailActions makes named actions fail with a 500: the value is how many
	// of the next calls to fail, or -1 for every call. Keys are action names,
	// optionally with the service prefix ("CreateRole" or "iam:CreateRole").
	FailActions map[string]int `json:"fail_actions,omitempty"`

	// InvisibleReads makes each role created from now on invisible to the
	// first N read calls that name it (GetRole, GetRolePolicy,
	// ListRolePolicies, ListAttachedRolePolicies, ListRoleTags,
	// ListInstanceProfilesForRole answer NoSuchEntity; ListRoles leaves it
	// out). This models IAM's eventual consistency after CreateRole. Writes
	// see the role at once.
	InvisibleReads int `json:"invisible_reads,omitempty"`

	// InvalidPrincipalAttempts makes the first N CreateRole attempts for each
	// role name (per account) fail with MalformedPolicyDocument "Invalid
	// principal in policy", as IAM does while a newly created principal has
	// not propagated yet. The role is not created by a refused attempt.
	InvalidPrincipalAttempts int `json:"invalid_principal_attempts,omitempty"`

	// Seed seeds the RNG behind ThrottleRate and FailRate; 0 means 1.
	Seed int64 `json:"seed,omitempty"`
}

// SetFaults replaces the fault configuration. It reseeds the RNG and restarts
// the FailActions and InvalidPrincipalAttempts counters; InvisibleReads
// applies to roles created afterwards.
func (e *Emulator) SetFaults(f Faults) {
	e.mu.Lock()
	defer e.mu.Unlock()
	seed := f.Seed
	if seed == 0 {
		seed = 1
	}
	e.faults = f
	e.faults.FailActions = nil
	e.failLeft = map[string]int{}
	for k, v := range f.FailActions {
		if e.faults.FailActions == nil {
			e.faults.FailActions = map[string]int{}
		}
		e.faults.FailActions[k] = v
		e.failLeft[k] = v
	}
	e.rng = rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	e.principalFailures = map[string]int{}
}

// Faults returns the fault configuration last set.
func (e *Emulator) Faults() Faults {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.faults
	if f.FailActions != nil {
		f.FailActions = make(map[string]int, len(e.faults.FailActions))
		for k, v := range e.faults.FailActions {
			f.FailActions[k] = v
		}
	}
	return f
}

// injectFault decides whether this call fails before it reaches its handler.
// Explicit per-action failures come first because tests rely on them being
// deterministic. Callers hold e.mu.
func (e *Emulator) injectFault(req *request) *apiError {
	for _, key := range []string{req.action, req.service + ":" + req.action} {
		n, ok := e.failLeft[key]
		if !ok || n == 0 {
			continue
		}
		if n > 0 {
			e.failLeft[key] = n - 1
		}
		return serviceFailure(req.service)
	}
	if e.faults.FailRate > 0 && e.rng.Float64() < e.faults.FailRate {
		return serviceFailure(req.service)
	}
	rate := e.faults.ThrottleRate
	if req.service == "sts" {
		rate = e.faults.STSThrottleRate
	}
	if rate > 0 && e.rng.Float64() < rate {
		// Real IAM throttles with a 400, not a 429; the SDK recognises the
		// code, not the status.
		return errorf(http.StatusBadRequest, "Throttling", "Rate exceeded")
	}
	return nil
}

// Duration is a time.Duration written in JSON as a Go duration string ("3s", "1m30s").
type Duration struct{ time.Duration }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string such as "3s"; a number is taken as seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if json.Unmarshal(b, &secs) != nil {
			return fmt.Errorf("a duration is a string such as \"3s\" or a number of seconds, not %s", b)
		}
		d.Duration = time.Duration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

func serviceFailure(service string) *apiError {
	if service == "sts" {
		return errorf(http.StatusInternalServerError, "InternalFailure", "An internal error occurred (injected by the emulator).")
	}
	return errorf(http.StatusInternalServerError, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure (injected by the emulator).")
}

// invalidPrincipalFault reports whether this CreateRole attempt must be
// refused by Faults.InvalidPrincipalAttempts. Callers hold e.mu.
func (e *Emulator) invalidPrincipalFault(acct, roleName string) bool {
	if e.faults.InvalidPrincipalAttempts <= 0 {
		return false
	}
	key := acct + "/" + strings.ToLower(roleName)
	if e.principalFailures[key] >= e.faults.InvalidPrincipalAttempts {
		return false
	}
	e.principalFailures[key]++
	return true
}
