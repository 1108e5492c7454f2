// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Command terraform-provider-virtco is the Terraform provider of the VIRT-CO platform
// (registry.terraform.io/virtasant/virtco). Terraform starts it; run it with -debug to attach a
// debugger and hand Terraform the reattach configuration it prints.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/virtasant/terraform-provider-virtco/internal/provider"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3" (see GNUmakefile and
// .goreleaser.yml).
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	quietUnlessAsked()
	stop := profile()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/virtasant/virtco",
		Debug:   debug,
	})
	stop()
	if err != nil {
		log.Fatal(err.Error())
	}
}

// profile starts profiling the process when the build asks for it (profile_pprof.go) and returns
// what stops it.
var profile = func() (stop func()) { return func() {} }

// quietUnlessAsked turns off the SDK's, the framework's and the provider's own log lines when
// Terraform will not show them. Left alone they default to TRACE, and the provider spends a large
// share of its CPU on a refresh encoding lines that Terraform then drops: it shows a provider's
// log only under TF_LOG or TF_LOG_PROVIDER, which it passes on to the provider. With either set,
// or a level given for one of these loggers, nothing changes: every line written before is
// written, masked as before.
func quietUnlessAsked() {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	// TF_LOG_SDK is the root of the SDK's loggers (TF_LOG_SDK_PROTO, TF_LOG_SDK_FRAMEWORK inherit
	// it); TF_LOG_PROVIDER_VIRTCO is the provider's own (tflog).
	for _, v := range []string{"TF_LOG_SDK", "TF_LOG_PROVIDER_VIRTCO"} {
		if os.Getenv(v) == "" {
			_ = os.Setenv(v, "OFF")
		}
	}
}
