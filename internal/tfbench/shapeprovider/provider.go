// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	virtco "github.com/virtasant/terraform-provider-virtco/internal/provider"
)

var pathDir = path.Root("dir")

var _ provider.Provider = shapeProvider{}

// shapeProvider's block is not the virtco provider's: it has no server to reach, only a directory.
type shapeProvider struct{}

func newProvider() provider.Provider { return shapeProvider{} }

func (shapeProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "virtco"
	resp.Version = "tfbench"
}

func (shapeProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "The virtco provider's resource schemas without network, for benchmarks: each object is a file in dir.",
		Attributes: map[string]schema.Attribute{
			"dir": schema.StringAttribute{
				Required:    true,
				Description: "The directory that holds one file per object; it must exist.",
			},
		},
	}
}

func (shapeProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var dir types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathDir, &dir)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if dir.IsUnknown() || dir.ValueString() == "" {
		resp.Diagnostics.AddAttributeError(pathDir, "dir is required",
			"Set dir to an existing directory, known at plan time, to keep the objects' files in.")
		return
	}
	resp.ResourceData = store{dir: dir.ValueString()}
}

func (shapeProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return &shaped{of: virtco.NewCustomerResource()} },
		func() resource.Resource { return &shaped{of: virtco.NewUserResource()} },
	}
}

func (shapeProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
