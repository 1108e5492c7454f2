// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// fakeEnv is an environment of variables and files in memory.
func fakeEnv(vars map[string]string, files map[string]string) environment {
	return environment{
		Getenv: func(k string) string { return vars[k] },
		ReadFile: func(name string) ([]byte, error) {
			if name == "/secret/locked.txt" {
				return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
			}
			if c, ok := files[name]; ok {
				return []byte(c), nil
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("no such file or directory")}
		},
		HomeDir: func() (string, error) { return "/home/ops", nil },
	}
}

func nullModel() providerModel {
	return providerModel{
		Endpoint: types.StringNull(), APIKey: types.StringNull(), APIKeyFile: types.StringNull(),
		Timeout: types.StringNull(), MaxRetries: types.Int64Null(),
	}
}

func diagText(d diag.Diagnostics) string {
	var b strings.Builder
	for _, e := range d {
		b.WriteString(e.Summary() + ": " + e.Detail() + "\n")
	}
	return b.String()
}

func TestResolve(t *testing.T) {
	const key = "vco_0123456789abcdef"
	files := map[string]string{
		"/etc/virtco/apikey.txt":   "  " + key + "\r\n\n",
		"/home/ops/apikey.txt":     key + "\n",
		"/etc/virtco/empty.txt":    " \n\t\n",
		"/etc/virtco/twolines.txt": key + "\nother\n",
	}
	with := func(f func(*providerModel)) providerModel {
		m := nullModel()
		f(&m)
		return m
	}
	tests := []struct {
		name   string
		model  providerModel
		vars   map[string]string
		want   settings
		errors []string // each must appear in the diagnostics
	}{
		{
			name: "all from the environment",
			vars: map[string]string{envEndpoint: "http://env:8080", envAPIKeyFile: "/etc/virtco/apikey.txt",
				envTimeout: "45s", envMaxRetries: "2"},
			want: settings{Endpoint: "http://env:8080", APIKey: key, KeySource: "VIRTCO_API_KEY_FILE (/etc/virtco/apikey.txt)",
				Timeout: 45 * time.Second, MaxRetries: 2},
		},
		{
			name: "the block wins over the environment",
			model: with(func(m *providerModel) {
				m.Endpoint = types.StringValue("http://block:8080")
				m.APIKey = types.StringValue(" " + key + "\n")
				m.Timeout = types.StringValue("1m")
				m.MaxRetries = types.Int64Value(0)
			}),
			vars: map[string]string{envEndpoint: "http://env:8080", envAPIKey: "vco_env", envTimeout: "45s", envMaxRetries: "2"},
			want: settings{Endpoint: "http://block:8080", APIKey: key, KeySource: "api_key", Timeout: time.Minute,
				MaxRetries: client.NoRetries},
		},
		{
			name:  "api_key_file in the block wins over VIRTCO_API_KEY; ~ is home",
			model: with(func(m *providerModel) { m.APIKeyFile = types.StringValue("~/apikey.txt") }),
			vars:  map[string]string{envEndpoint: "http://env:8080", envAPIKey: "vco_env"},
			want:  settings{Endpoint: "http://env:8080", APIKey: key, KeySource: "api_key_file (/home/ops/apikey.txt)"},
		},
		{
			name: "VIRTCO_API_KEY",
			vars: map[string]string{envEndpoint: "http://env:8080", envAPIKey: key},
			want: settings{Endpoint: "http://env:8080", APIKey: key, KeySource: "VIRTCO_API_KEY"},
		},
		{
			name:   "nothing",
			errors: []string{"Missing VIRT-CO endpoint", "VIRTCO_ENDPOINT", "Missing API key", "api_key or api_key_file", "VIRTCO_API_KEY or VIRTCO_API_KEY_FILE"},
		},
		{
			name:   "both variables",
			vars:   map[string]string{envEndpoint: "http://env:8080", envAPIKey: key, envAPIKeyFile: "/etc/virtco/apikey.txt"},
			errors: []string{"Both VIRTCO_API_KEY and VIRTCO_API_KEY_FILE are set"},
		},
		{
			name:   "empty endpoint and key in the block",
			model:  with(func(m *providerModel) { m.Endpoint = types.StringValue(" "); m.APIKey = types.StringValue("") }),
			errors: []string{"endpoint is set but empty", "api_key is set but empty"},
		},
		{
			name:   "missing file",
			model:  with(func(m *providerModel) { m.APIKeyFile = types.StringValue("/nope/apikey.txt") }),
			vars:   map[string]string{envEndpoint: "http://env:8080"},
			errors: []string{`The API key file "/nope/apikey.txt" (api_key_file / VIRTCO_API_KEY_FILE, set by api_key_file) could not be read: no such file or directory.`},
		},
		{
			name:   "unreadable file from the environment",
			vars:   map[string]string{envEndpoint: "http://env:8080", envAPIKeyFile: "/secret/locked.txt"},
			errors: []string{`"/secret/locked.txt" (api_key_file / VIRTCO_API_KEY_FILE, set by VIRTCO_API_KEY_FILE) could not be read: permission denied`},
		},
		{
			name:   "empty file",
			vars:   map[string]string{envEndpoint: "http://env:8080", envAPIKeyFile: "/etc/virtco/empty.txt"},
			errors: []string{`The API key file "/etc/virtco/empty.txt" (api_key_file / VIRTCO_API_KEY_FILE, set by VIRTCO_API_KEY_FILE) is empty`},
		},
		{
			name:   "two lines",
			vars:   map[string]string{envEndpoint: "http://env:8080", envAPIKeyFile: "/etc/virtco/twolines.txt"},
			errors: []string{"holds more than one line"},
		},
		{
			name:   "empty file name",
			model:  with(func(m *providerModel) { m.APIKeyFile = types.StringValue("") }),
			vars:   map[string]string{envEndpoint: "http://env:8080"},
			errors: []string{"The API key file (api_key_file / VIRTCO_API_KEY_FILE) is set but empty in api_key_file"},
		},
		{
			name:   "bad timeout and retries in the environment",
			vars:   map[string]string{envEndpoint: "http://env:8080", envAPIKey: key, envTimeout: "0s", envMaxRetries: "many"},
			errors: []string{`VIRTCO_TIMEOUT="0s" is not valid: it must be longer than zero`, `VIRTCO_MAX_RETRIES="many" is not valid`},
		},
		{
			name: "bad timeout and retries in the block",
			model: with(func(m *providerModel) {
				m.Timeout = types.StringValue("10")
				m.MaxRetries = types.Int64Value(-1)
			}),
			vars:   map[string]string{envEndpoint: "http://env:8080", envAPIKey: key},
			errors: []string{`The provider's timeout "10" is not valid: it is not a duration`, "max_retries is -1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.model
			if m == (providerModel{}) {
				m = nullModel()
			}
			got, diags := resolve(m, fakeEnv(tt.vars, files))
			text := diagText(diags)
			if len(tt.errors) == 0 {
				if diags.HasError() {
					t.Fatalf("unexpected errors:\n%s", text)
				}
				if got != tt.want {
					t.Errorf("got %+v\nwant %+v", got, tt.want)
				}
				return
			}
			for _, want := range tt.errors {
				if !strings.Contains(text, want) {
					t.Errorf("the diagnostics do not say %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, key) {
				t.Errorf("a diagnostic holds the key:\n%s", text)
			}
		})
	}
}

func TestUnknownSettings(t *testing.T) {
	m := nullModel()
	if u := unknownSettings(m); len(u) != 0 {
		t.Errorf("null settings are not unknown: %v", u)
	}
	m.Endpoint, m.APIKey, m.MaxRetries = types.StringUnknown(), types.StringUnknown(), types.Int64Unknown()
	if u := strings.Join(unknownSettings(m), ","); u != "endpoint,api_key,max_retries" {
		t.Errorf("unknown settings: %s", u)
	}
}

func TestOSEnvironment(t *testing.T) {
	env := osEnvironment()
	t.Setenv(envEndpoint, "http://from-env:1")
	if env.Getenv(envEndpoint) != "http://from-env:1" {
		t.Error("osEnvironment does not read the process environment")
	}
	if _, err := env.ReadFile("/nonexistent/file"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile: %v", err)
	}
}
