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
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/virtasant/terraform-provider-virtco/internal/tfbench/localfiles"
)

var floor = localfiles.Provider{
	TypeName:     "noop",
	Description:  "A provider without network for benchmarks: each noop_thing is a file in dir.",
	Objects:      "noop_thing",
	NewResources: []func() resource.Resource{newThing},
}

func main() { floor.Serve() }
