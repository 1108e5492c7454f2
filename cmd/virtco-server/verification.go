// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/server"
	"github.com/virtasant/terraform-provider-virtco/internal/verifier"
)

// verifyOptions are the settings of the verification of roles (ARCHITECTURE.md, "Verification").
type verifyOptions struct {
	enabled           bool
	timeout, interval time.Duration

	enabledText, timeoutText, intervalText string
}

func (v *verifyOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&v.enabledText, "verify-roles", envOr("VIRTCO_VERIFY_ROLES", "true"),
		"verify each done account's role by assuming it as the customer's diag account; false: every account is unavailable (env VIRTCO_VERIFY_ROLES)")
	fs.StringVar(&v.timeoutText, "verify-timeout", envOr("VIRTCO_VERIFY_TIMEOUT", server.DefaultVerifyTimeout.String()),
		"how long a role refused right after done is retried, while IAM propagates (env VIRTCO_VERIFY_TIMEOUT)")
	fs.StringVar(&v.intervalText, "verify-interval", envOr("VIRTCO_VERIFY_INTERVAL", server.DefaultVerifyInterval.String()),
		"how often every done account is verified again; 0: never (env VIRTCO_VERIFY_INTERVAL)")
}

func (v *verifyOptions) parse() error {
	var err error
	if v.enabled, err = strconv.ParseBool(strings.TrimSpace(v.enabledText)); err != nil {
		return fmt.Errorf("--verify-roles (VIRTCO_VERIFY_ROLES) %q is not true or false", v.enabledText)
	}
	v.timeout, err = time.ParseDuration(strings.TrimSpace(v.timeoutText))
	if err != nil || v.timeout <= 0 {
		return fmt.Errorf("--verify-timeout (VIRTCO_VERIFY_TIMEOUT) %q is not a positive duration such as 2m", v.timeoutText)
	}
	v.interval, err = time.ParseDuration(strings.TrimSpace(v.intervalText))
	if v.intervalText == "0" {
		v.interval, err = 0, nil
	}
	if err != nil || v.interval < 0 {
		return fmt.Errorf("--verify-interval (VIRTCO_VERIFY_INTERVAL) %q is not a duration such as 6h, or 0 for never", v.intervalText)
	}
	return nil
}

// config is the server's verification configuration, with the diag accounts' profiles.
func (v *verifyOptions) config(profiles map[string]string, log *slog.Logger) server.VerificationConfig {
	if !v.enabled {
		log.Info("role verification: off (--verify-roles=false); every account is unavailable")
		return server.VerificationConfig{}
	}
	every := "never again"
	if v.interval > 0 {
		every = "again every " + v.interval.String()
	}
	log.Info("role verification: on; refusals after done retried for "+v.timeout.String()+", every account verified "+every,
		"profiles", len(profiles))
	return server.VerificationConfig{Verifier: verifier.New(verifier.Options{}), Profiles: profiles, Timeout: v.timeout, Interval: v.interval}
}
