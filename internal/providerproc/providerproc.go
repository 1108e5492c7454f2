// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package providerproc prepares the process of a provider that Terraform starts, before it
// serves: the virtco provider, and the benchmark providers measured against it, which must not
// pay for what the provider does not.
package providerproc

import (
	"os"
	"runtime/debug"
	"strings"
)

// Prepare quiets the loggers whose lines Terraform would drop and collects garbage less often.
// typeName is the provider's type name (virtco), which names its own logger.
func Prepare(typeName string) {
	quietUnlessAsked(typeName)
	collectLessOften()
}

// quietUnlessAsked turns off the SDK's, the framework's and the provider's own log lines when
// Terraform will not show them: it shows a provider's log only under TF_LOG or TF_LOG_PROVIDER,
// which it passes on to the provider. Left alone they default to TRACE, and the provider spends a
// large share of its CPU encoding lines that Terraform then drops. With either set, or a level
// given for the SDK, nothing changes: every line written before is written, masked as before.
func quietUnlessAsked(typeName string) {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	off := []string{"TF_LOG_PROVIDER_" + strings.ToUpper(typeName)} // the provider's own (tflog)
	if os.Getenv("TF_LOG_SDK") == "" {
		// The SDK's subsystems (the protocol's, the framework's) inherit TF_LOG_SDK's level for what
		// they write, but decide from their own variable alone whether to build a line: unset, they
		// build each TRACE line (its fields, masking) for the root logger to drop.
		off = append(off, "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK")
	}
	for _, v := range off {
		if os.Getenv(v) == "" {
			_ = os.Setenv(v, "OFF")
		}
	}
}

// collectLessOften lets the heap grow to five times what is live (GOGC=400) before a collection,
// unless GOGC is set. A provider process lasts one Terraform command and keeps a few megabytes
// live, while every RPC allocates afresh: with Go's default of 100 the collector runs every few
// megabytes, a few percent of a plan's CPU, to keep a heap that costs nothing to keep.
func collectLessOften() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
