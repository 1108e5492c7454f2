// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Command shapeprovider is the virtco provider's schemas with no network: the floor scripts/tfbench
// measures the virtco provider against when the question is what its schemas cost. Its
// virtco_customer and virtco_user take their names and schemas (attributes, validators, plan
// modifiers, defaults, sensitivity) from the provider's own resources, so that Terraform and the
// framework do for them all the per-attribute work they do for ours; but each object is a file in
// the directory the provider block names, and the values only the platform would know are
// placeholders. What the virtco provider takes beyond it is the provider's own logic and its API
// calls. It is a benchmark tool, not a product: scripts/tfbench builds it as
// terraform-provider-virtco in a directory of its own and serves it as
// registry.terraform.io/tfbench/virtco.
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
		Address: "registry.terraform.io/tfbench/virtco",
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietUnlessAsked turns off the log lines that Terraform drops unless TF_LOG or TF_LOG_PROVIDER
// is set, as the virtco provider's main does: the SDK's, and the provider's own (tflog), which the
// plan modifiers taken from the virtco provider may write. A floor that paid for them would
// flatter the provider measured against it.
func quietUnlessAsked() {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, v := range []string{"TF_LOG_SDK", "TF_LOG_PROVIDER_VIRTCO"} {
		if os.Getenv(v) == "" {
			_ = os.Setenv(v, "OFF")
		}
	}
}
