// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"os"
	"testing"
)

// The provider's loggers are turned off only when Terraform would drop what they write: with
// TF_LOG or TF_LOG_PROVIDER set, or a level of the developer's own, everything stays as it was.
func TestQuietUnlessAsked(t *testing.T) {
	loggers := []string{"TF_LOG_SDK", "TF_LOG_PROVIDER_VIRTCO"}
	for _, c := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"no logging asked for", nil, map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER_VIRTCO": "OFF"}},
		{"TF_LOG", map[string]string{"TF_LOG": "trace"}, map[string]string{"TF_LOG_SDK": "", "TF_LOG_PROVIDER_VIRTCO": ""}},
		{"TF_LOG_PROVIDER", map[string]string{"TF_LOG_PROVIDER": "debug"}, map[string]string{"TF_LOG_SDK": "", "TF_LOG_PROVIDER_VIRTCO": ""}},
		{"a level of one's own", map[string]string{"TF_LOG_SDK": "warn"}, map[string]string{"TF_LOG_SDK": "warn", "TF_LOG_PROVIDER_VIRTCO": "OFF"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, v := range append([]string{"TF_LOG", "TF_LOG_PROVIDER"}, loggers...) {
				t.Setenv(v, c.env[v])
				if c.env[v] == "" {
					_ = os.Unsetenv(v)
				}
			}
			quietUnlessAsked()
			for _, v := range loggers {
				if got := os.Getenv(v); got != c.want[v] {
					t.Errorf("%s = %q, want %q", v, got, c.want[v])
				}
			}
		})
	}
}
