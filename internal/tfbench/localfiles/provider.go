// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package localfiles is what the benchmark providers of scripts/tfbench share: a provider whose
// block names one directory, served under registry.terraform.io/tfbench, whose resources keep
// each object in a file of that directory (Dir).
package localfiles

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/providerproc"
)

var pathDir = path.Root("dir")

var _ provider.Provider = Provider{}

// Provider has no server to reach, only a directory, dir, which it hands to its resources as a
// Dir (their ProviderData).
type Provider struct {
	TypeName    string
	Description string
	// Objects names what dir holds one file per, in the messages about dir.
	Objects      string
	NewResources []func() resource.Resource
}

// Serve serves p as registry.terraform.io/tfbench/<type name>; it returns when Terraform is done.
func (p Provider) Serve() {
	providerproc.Prepare(p.TypeName) // as the virtco provider: a floor must not pay for what it does not
	err := providerserver.Serve(context.Background(), func() provider.Provider { return p }, providerserver.ServeOpts{
		Address: "registry.terraform.io/tfbench/" + p.TypeName,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

func (p Provider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = p.TypeName
	resp.Version = "tfbench"
}

func (p Provider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: p.Description,
		Attributes: map[string]schema.Attribute{
			"dir": schema.StringAttribute{
				Required:    true,
				Description: "The directory that holds one file per " + p.Objects + "; it must exist.",
			},
		},
	}
}

func (p Provider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var dir types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathDir, &dir)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if dir.IsUnknown() || dir.ValueString() == "" {
		resp.Diagnostics.AddAttributeError(pathDir, "dir is required",
			"Set dir to an existing directory, known at plan time, to keep one file per "+p.Objects+" in.")
		return
	}
	resp.ResourceData = Dir(dir.ValueString())
}

func (p Provider) Resources(context.Context) []func() resource.Resource { return p.NewResources }

func (Provider) DataSources(context.Context) []func() datasource.DataSource { return nil }
