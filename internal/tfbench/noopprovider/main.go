// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Command noopprovider is the floor scripts/tfbench measures the virtco provider against: a
// provider on the same terraform-plugin-framework as ours, with no network, and one resource,
// noop_thing (id and name), whose objects are files in the directory the provider block names.
// What remains of a run of it is Terraform's own cost plus the framework's, which no provider on
// this framework can go below. It is a benchmark tool, not a product: scripts/tfbench builds it
// as terraform-provider-noop and serves it as registry.terraform.io/tfbench/noop.
package main

import (
	"context"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

func main() {
	quietUnlessAsked()
	err := providerserver.Serve(context.Background(), newProvider, providerserver.ServeOpts{
		Address: "registry.terraform.io/tfbench/noop",
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietUnlessAsked spares the floor the SDK's TRACE log lines that Terraform drops unless TF_LOG
// or TF_LOG_PROVIDER is set, as the virtco provider's main does: a floor that paid for them would
// flatter the provider measured against it.
func quietUnlessAsked() {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	if os.Getenv("TF_LOG_SDK") == "" {
		_ = os.Setenv("TF_LOG_SDK", "OFF")
	}
}
