// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package providerproc

import (
	"os"
	"runtime/debug"
	"testing"
)

// The loggers are turned off only when Terraform would drop what they write: with TF_LOG or
// TF_LOG_PROVIDER set, or a level of the developer's own, everything stays as it was.
func TestQuietUnlessAsked(t *testing.T) {
	loggers := []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_VIRTCO"}
	allOff := map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_PROVIDER_VIRTCO": "OFF"}
	for _, c := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"no logging asked for", nil, allOff},
		{"TF_LOG", map[string]string{"TF_LOG": "trace"}, nil},
		{"TF_LOG_PROVIDER", map[string]string{"TF_LOG_PROVIDER": "debug"}, nil},
		{"an SDK level of one's own", map[string]string{"TF_LOG_SDK": "warn"},
			map[string]string{"TF_LOG_SDK": "warn", "TF_LOG_PROVIDER_VIRTCO": "OFF"}},
		{"a framework level of one's own", map[string]string{"TF_LOG_SDK_FRAMEWORK": "debug"},
			map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "debug", "TF_LOG_PROVIDER_VIRTCO": "OFF"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, v := range append([]string{"TF_LOG", "TF_LOG_PROVIDER"}, loggers...) {
				t.Setenv(v, c.env[v])
				if c.env[v] == "" {
					_ = os.Unsetenv(v)
				}
			}
			quietUnlessAsked("virtco")
			for _, v := range loggers {
				if got := os.Getenv(v); got != c.want[v] {
					t.Errorf("%s = %q, want %q", v, got, c.want[v])
				}
			}
		})
	}
}

// GOGC, when set, is the developer's: it stays as the runtime read it.
func TestCollectLessOften(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range []struct {
		gogc string
		want int
	}{{"", 400}, {"100", 100}, {"off", 100}} {
		t.Setenv("GOGC", c.gogc)
		debug.SetGCPercent(100)
		collectLessOften()
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("with GOGC=%q the collector runs at %d%%, want %d%%", c.gogc, got, c.want)
		}
	}
}
