// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"encoding/json"
	"net/http"
)

// The admin API lets scripts and process-level tests read call counts and
// state and switch faults without linking against this package. It lives
// under /_emu/, a path no AWS Query client ever uses (they post to "/").
// It is JSON in and out and, like the emulator, unauthenticated.
//
//	GET    /_emu/healthz              {"status":"ok"}
//	GET    /_emu/calls                CallStats
//	DELETE /_emu/calls                reset the counts (also POST /_emu/calls/reset)
//	GET    /_emu/faults               Faults
//	PUT    /_emu/faults               replace Faults (also POST), answers the new Faults
//	GET    /_emu/accounts             ["000000000000", ...]
//	GET    /_emu/roles?account=ID     [RoleSnapshot, ...] (account defaults to 000000000000)
//	GET    /_emu/roles/NAME?account=ID RoleSnapshot, or 404
//	GET    /_emu/clock                ClockState: the emulator's time and its offset
//	PUT    /_emu/clock                ClockChange {"now": RFC 3339} or {"advance": "90s"} (also POST)
//	DELETE /_emu/clock                back to the real clock
//	POST   /_emu/reset                forget all roles, policies, profiles, sessions and counts,
//	                                  and put the clock back
func (e *Emulator) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_emu/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /_emu/calls", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Calls())
	})
	resetCalls := func(w http.ResponseWriter, r *http.Request) {
		e.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	}
	mux.HandleFunc("DELETE /_emu/calls", resetCalls)
	mux.HandleFunc("POST /_emu/calls/reset", resetCalls)
	mux.HandleFunc("GET /_emu/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Faults())
	})
	setFaults := func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid faults: " + err.Error()})
			return
		}
		if f.ThrottleRate < 0 || f.ThrottleRate > 1 || f.STSThrottleRate < 0 || f.STSThrottleRate > 1 || f.FailRate < 0 || f.FailRate > 1 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "throttle_rate, sts_throttle_rate and fail_rate must be between 0 and 1"})
			return
		}
		if f.AssumeRoleDelay.Duration < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "assume_role_delay must not be negative"})
			return
		}
		e.SetFaults(f)
		writeJSON(w, http.StatusOK, e.Faults())
	}
	mux.HandleFunc("PUT /_emu/faults", setFaults)
	mux.HandleFunc("POST /_emu/faults", setFaults)
	mux.HandleFunc("GET /_emu/accounts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Accounts())
	})
	mux.HandleFunc("GET /_emu/roles", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Roles(accountParam(r)))
	})
	mux.HandleFunc("GET /_emu/roles/{name}", func(w http.ResponseWriter, r *http.Request) {
		s, ok := e.Role(accountParam(r), r.PathValue("name"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such role"})
			return
		}
		writeJSON(w, http.StatusOK, s)
	})
	e.clockRoutes(mux)
	mux.HandleFunc("POST /_emu/reset", func(w http.ResponseWriter, r *http.Request) {
		e.Reset()
		e.ResetClock()
		e.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/_emu/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown admin endpoint " + r.Method + " " + r.URL.Path})
	})
	return mux
}

func accountParam(r *http.Request) string {
	if a := r.URL.Query().Get("account"); a != "" {
		return a
	}
	return defaultAccount
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
