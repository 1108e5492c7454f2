// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// The environment variables of the provider settings. A setting in the provider block wins over
// its variable.
const (
	envEndpoint   = "VIRTCO_ENDPOINT"
	envAPIKey     = "VIRTCO_API_KEY"
	envAPIKeyFile = "VIRTCO_API_KEY_FILE"
	envTimeout    = "VIRTCO_TIMEOUT"
	envMaxRetries = "VIRTCO_MAX_RETRIES"
)

// providerModel is the provider block.
type providerModel struct {
	Endpoint   types.String `tfsdk:"endpoint"`
	APIKey     types.String `tfsdk:"api_key"`
	APIKeyFile types.String `tfsdk:"api_key_file"`
	Timeout    types.String `tfsdk:"timeout"`
	MaxRetries types.Int64  `tfsdk:"max_retries"`
	AWS        *awsModel    `tfsdk:"aws"`
}

// settings are the provider's settings once resolved from the block and the environment.
type settings struct {
	Endpoint string
	APIKey   string
	// KeySource says where the key came from, for messages: "api_key", "api_key_file (/path)", ...
	KeySource  string
	Timeout    time.Duration // 0: the client's default
	MaxRetries int           // as client.Config.MaxRetries: 0 default, client.NoRetries none
}

// environment is what resolve reads besides the block; tests give their own.
type environment struct {
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
	HomeDir  func() (string, error)
}

func osEnvironment() environment {
	return environment{Getenv: os.Getenv, ReadFile: os.ReadFile, HomeDir: os.UserHomeDir}
}

// expandHome turns a leading ~/ (or a lone ~) into the home directory, as a shell would: the
// paths of api_key_file and of the aws block's files are often written that way. The path stays
// as it is when there is no home directory; reading it then says what is wrong.
func expandHome(p string, env environment) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := env.HomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

// unknownSettings lists the settings of the block whose values are not known yet (they come from
// resources that do not exist yet); the provider can then not talk to the API until apply.
func unknownSettings(m providerModel) []string {
	var out []string
	if m.Endpoint.IsUnknown() {
		out = append(out, "endpoint")
	}
	if m.APIKey.IsUnknown() {
		out = append(out, "api_key")
	}
	if m.APIKeyFile.IsUnknown() {
		out = append(out, "api_key_file")
	}
	if m.Timeout.IsUnknown() {
		out = append(out, "timeout")
	}
	if m.MaxRetries.IsUnknown() {
		out = append(out, "max_retries")
	}
	return out
}

// resolve turns the provider block and the environment into settings. Every error names the
// setting, its variable and, for files, the path, and says what to do.
func resolve(m providerModel, env environment) (settings, diag.Diagnostics) {
	var s settings
	var diags diag.Diagnostics

	// endpoint
	switch {
	case !m.Endpoint.IsNull():
		s.Endpoint = strings.TrimSpace(m.Endpoint.ValueString())
		if s.Endpoint == "" {
			diags.AddAttributeError(path.Root("endpoint"), "Empty VIRT-CO endpoint",
				"The provider's endpoint is set but empty. Set it to the URL of the VIRT-CO API, such as "+
					"http://127.0.0.1:8080, or remove it to use "+envEndpoint+".")
		}
	default:
		s.Endpoint = strings.TrimSpace(env.Getenv(envEndpoint))
		if s.Endpoint == "" {
			diags.AddAttributeError(path.Root("endpoint"), "Missing VIRT-CO endpoint",
				"The provider needs the URL of the VIRT-CO API: set endpoint in the provider block or the "+
					envEndpoint+" environment variable, such as http://127.0.0.1:8080.")
		}
	}

	// api_key / api_key_file
	key, source, d := resolveKey(m, env)
	diags.Append(d...)
	s.APIKey, s.KeySource = key, source

	// timeout
	switch {
	case !m.Timeout.IsNull():
		t, err := parseTimeout(m.Timeout.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("timeout"), "Invalid timeout",
				fmt.Sprintf("The provider's timeout %q is not valid: %s. Give a Go duration such as \"30s\" or \"2m\" "+
					"(the setting timeout, or %s).", m.Timeout.ValueString(), err, envTimeout))
		}
		s.Timeout = t
	case env.Getenv(envTimeout) != "":
		v := env.Getenv(envTimeout)
		t, err := parseTimeout(v)
		if err != nil {
			diags.AddAttributeError(path.Root("timeout"), "Invalid "+envTimeout,
				fmt.Sprintf("The environment variable %s=%q is not valid: %s. Give a Go duration such as \"30s\" or \"2m\" "+
					"(or set timeout in the provider block, which wins).", envTimeout, v, err))
		}
		s.Timeout = t
	}

	// max_retries
	retries := int64(-1)
	switch {
	case !m.MaxRetries.IsNull():
		retries = m.MaxRetries.ValueInt64()
		if retries < 0 {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid max_retries",
				fmt.Sprintf("The provider's max_retries is %d; it must be 0 (no retries) or more.", retries))
		}
	case env.Getenv(envMaxRetries) != "":
		v := env.Getenv(envMaxRetries)
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n < 0 {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid "+envMaxRetries,
				fmt.Sprintf("The environment variable %s=%q is not valid: it must be a whole number, 0 (no retries) or more "+
					"(or set max_retries in the provider block, which wins).", envMaxRetries, v))
		} else {
			retries = n
		}
	}
	switch {
	case retries == 0:
		s.MaxRetries = client.NoRetries
	case retries > 0:
		s.MaxRetries = int(retries)
	}
	return s, diags
}

func parseTimeout(v string) (time.Duration, error) {
	t, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("it is not a duration")
	}
	if t <= 0 {
		return 0, fmt.Errorf("it must be longer than zero")
	}
	return t, nil
}

const keyHelp = "The key is the ops key (the old apikey.txt), the master token or a user token: " +
	"set api_key or api_key_file in the provider block, or " + envAPIKey + " or " + envAPIKeyFile + " in the environment."

// resolveKey finds the API key: api_key, then api_key_file, then VIRTCO_API_KEY, then
// VIRTCO_API_KEY_FILE. Both settings in the block are refused by the provider's config validator
// before this runs; both variables at once are refused here, as neither would clearly win.
func resolveKey(m providerModel, env environment) (key, source string, diags diag.Diagnostics) {
	switch {
	case !m.APIKey.IsNull():
		key = strings.TrimSpace(m.APIKey.ValueString())
		if key == "" {
			diags.AddAttributeError(path.Root("api_key"), "Empty API key",
				"The provider's api_key is set but empty. "+keyHelp)
		}
		return key, "api_key", diags
	case !m.APIKeyFile.IsNull():
		return readKeyFile(m.APIKeyFile.ValueString(), "api_key_file", env)
	}
	envKey, envFile := env.Getenv(envAPIKey), env.Getenv(envAPIKeyFile)
	switch {
	case envKey != "" && envFile != "":
		diags.AddAttributeError(path.Root("api_key"), "Two API keys in the environment",
			fmt.Sprintf("Both %s and %s are set, so it is not clear which key to use. Unset one of them, "+
				"or set api_key or api_key_file in the provider block, which win over the environment.", envAPIKey, envAPIKeyFile))
		return "", "", diags
	case envKey != "":
		key = strings.TrimSpace(envKey)
		if key == "" {
			diags.AddAttributeError(path.Root("api_key"), "Empty API key",
				"The environment variable "+envAPIKey+" holds only white space. "+keyHelp)
		}
		return key, envAPIKey, diags
	case envFile != "":
		return readKeyFile(envFile, envAPIKeyFile, env)
	}
	diags.AddAttributeError(path.Root("api_key"), "Missing API key", "The provider has no API key. "+keyHelp)
	return "", "", diags
}

// readKeyFile reads a key file like the old apikey.txt: one line, surrounding white space ignored.
// from is "api_key_file" or "VIRTCO_API_KEY_FILE", for the messages.
func readKeyFile(name, from string, env environment) (string, string, diag.Diagnostics) {
	var diags diag.Diagnostics
	both := "api_key_file / " + envAPIKeyFile
	errAt := func(summary, detail string) (string, string, diag.Diagnostics) {
		diags.AddAttributeError(path.Root("api_key_file"), summary, detail)
		return "", "", diags
	}
	if strings.TrimSpace(name) == "" {
		return errAt("Empty API key file name",
			fmt.Sprintf("The API key file (%s) is set but empty in %s. Give the path of the file that holds the key "+
				"(the old apikey.txt), or use api_key / %s instead.", both, from, envAPIKey))
	}
	p := expandHome(name, env)
	data, err := env.ReadFile(p)
	if err != nil {
		return errAt("Unreadable API key file",
			fmt.Sprintf("The API key file %q (%s, set by %s) could not be read: %s. Check the path and the file's "+
				"permissions; the file is the old apikey.txt: one line that holds the key.", p, both, from, fileError(err)))
	}
	key := strings.TrimSpace(string(data))
	switch {
	case key == "":
		return errAt("Empty API key file",
			fmt.Sprintf("The API key file %q (%s, set by %s) is empty. Put the key in it, on one line "+
				"(the old apikey.txt), or point %s at the right file.", p, both, from, both))
	case strings.ContainsAny(key, "\r\n"):
		return errAt("API key file has more than one line",
			fmt.Sprintf("The API key file %q (%s, set by %s) holds more than one line; it must hold only the key, "+
				"on one line (the old apikey.txt).", p, both, from))
	}
	return key, from + " (" + p + ")", diags
}

// fileError is err without the path, which the messages already give.
func fileError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
