// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"time"
)

// clock is the emulator's time: a base clock (Options.Now or time.Now) plus an offset that the
// admin API moves, so that a test of an expiry (aws:CurrentTime in a trust policy, session
// credentials) jumps past it rather than waiting. The offset is atomic because the emulator
// reads the clock under its lock.
type clock struct {
	base   func() time.Time
	offset atomic.Int64 // nanoseconds
}

func (c *clock) now() time.Time { return c.base().Add(time.Duration(c.offset.Load())) }

// Now is the emulator's time: what aws:CurrentTime is in trust policies, and what session
// credentials expire against.
func (e *Emulator) Now() time.Time { return e.clock.now() }

// SetClock moves the emulator's time to t; it runs on from there.
func (e *Emulator) SetClock(t time.Time) { e.clock.offset.Store(int64(t.Sub(e.clock.base()))) }

// AdvanceClock moves the emulator's time by d (back, when d is negative).
func (e *Emulator) AdvanceClock(d time.Duration) { e.clock.offset.Add(int64(d)) }

// ResetClock puts the emulator's time back to its base clock.
func (e *Emulator) ResetClock() { e.clock.offset.Store(0) }

// ClockState is the body of the admin API's /_emu/clock.
type ClockState struct {
	Now    time.Time `json:"now"`
	Offset Duration  `json:"offset"` // from the base clock
}

// ClockChange is the body of PUT /_emu/clock: one of Now (the time to move to) or Advance.
type ClockChange struct {
	Now     *time.Time `json:"now,omitempty"`
	Advance *Duration  `json:"advance,omitempty"`
}

func (e *Emulator) clockState() ClockState {
	return ClockState{Now: e.Now(), Offset: Duration{time.Duration(e.clock.offset.Load())}}
}

// clockRoutes serves GET, PUT (also POST) and DELETE /_emu/clock.
func (e *Emulator) clockRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_emu/clock", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.clockState())
	})
	set := func(w http.ResponseWriter, r *http.Request) {
		var c ClockChange
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<12))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid clock change: " + err.Error()})
			return
		}
		switch {
		case (c.Now == nil) == (c.Advance == nil):
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `give one of "now" (RFC 3339) or "advance" (a duration such as "90s")`})
			return
		case c.Now != nil:
			e.SetClock(*c.Now)
		default:
			e.AdvanceClock(c.Advance.Duration)
		}
		writeJSON(w, http.StatusOK, e.clockState())
	}
	mux.HandleFunc("PUT /_emu/clock", set)
	mux.HandleFunc("POST /_emu/clock", set)
	mux.HandleFunc("DELETE /_emu/clock", func(w http.ResponseWriter, r *http.Request) {
		e.ResetClock()
		writeJSON(w, http.StatusOK, e.clockState())
	})
}
