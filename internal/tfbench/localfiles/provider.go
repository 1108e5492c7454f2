// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package localfiles is what the benchmark providers of scripts/tfbench share: a provider whose
// block names one directory, served under registry.terraform.io/tfbench, whose resources keep
// each object in a file of that directory (Dir).
package localfiles

import (
	"context"
	"log"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
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
	quietUnlessAsked(p.TypeName)
	err := providerserver.Serve(context.Background(), func() provider.Provider { return p }, providerserver.ServeOpts{
		Address: "registry.terraform.io/tfbench/" + p.TypeName,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietUnlessAsked turns off the log lines that Terraform drops unless TF_LOG or TF_LOG_PROVIDER
// is set, as the virtco provider's main does: the SDK's, and the provider's own (tflog), which the
// shape provider's plan modifiers, taken from the virtco provider, may write. A floor that paid
// for them would flatter the provider measured against it.
func quietUnlessAsked(typeName string) {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, v := range []string{"TF_LOG_SDK", "TF_LOG_PROVIDER_" + strings.ToUpper(typeName)} {
		if os.Getenv(v) == "" {
			_ = os.Setenv(v, "OFF")
		}
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
