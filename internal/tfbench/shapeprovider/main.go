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
	"github.com/hashicorp/terraform-plugin-framework/resource"

	virtco "github.com/virtasant/terraform-provider-virtco/internal/provider"
	"github.com/virtasant/terraform-provider-virtco/internal/tfbench/localfiles"
)

// floor's block is not the virtco provider's: it has no server to reach, only a directory.
var floor = localfiles.Provider{
	TypeName:    "virtco",
	Description: "The virtco provider's resource schemas without network, for benchmarks: each object is a file in dir.",
	Objects:     "object",
	NewResources: []func() resource.Resource{
		func() resource.Resource { return &shaped{of: virtco.NewCustomerResource()} },
		func() resource.Resource { return &shaped{of: virtco.NewUserResource()} },
	},
}

func main() { floor.Serve() }
