// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ provider.Provider = noopProvider{}

type noopProvider struct{}

func newProvider() provider.Provider { return noopProvider{} }

func (noopProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "noop"
	resp.Version = "tfbench"
}

func (noopProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A provider without network for benchmarks: each noop_thing is a file in dir.",
		Attributes: map[string]schema.Attribute{
			"dir": schema.StringAttribute{
				Required:    true,
				Description: "The directory that holds one file per noop_thing; it must exist.",
			},
		},
	}
}

func (noopProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var dir types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathDir, &dir)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if dir.IsUnknown() || dir.ValueString() == "" {
		resp.Diagnostics.AddAttributeError(pathDir, "dir is required",
			"Set dir to an existing directory, known at plan time, to keep the noop_thing files in.")
		return
	}
	resp.ResourceData = store{dir: dir.ValueString()}
}

func (noopProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{newThing}
}

func (noopProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
