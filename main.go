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

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/virtasant/terraform-provider-virtco/internal/provider"
	"github.com/virtasant/terraform-provider-virtco/internal/providerproc"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3" (see GNUmakefile and
// .goreleaser.yml).
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	providerproc.Prepare("virtco")
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
