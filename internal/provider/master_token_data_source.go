// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSource              = &masterTokenDataSource{}
	_ datasource.DataSourceWithConfigure = &masterTokenDataSource{}
)

// NewMasterTokenDataSource is the virtco_master_token data source.
func NewMasterTokenDataSource() datasource.DataSource { return &masterTokenDataSource{} }

type masterTokenDataSource struct {
	data *providerData
}

type masterTokenModel struct {
	MasterToken types.String `tfsdk:"master_token"`
}

func (d *masterTokenDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_master_token"
}

func (d *masterTokenDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The platform's master token, for customer account managers: it reads every customer, user " +
			"and status, and writes nothing (what `apiKeyGen.py --mtok` printed). Needs the ops key.\n\n" +
			"The value is stored in the state (marked sensitive). To pass it on without storing it, use the " +
			"`virtco_master_token` ephemeral resource instead (Terraform 1.10 and later, OpenTofu 1.11 and later).",
		Attributes: map[string]schema.Attribute{
			"master_token": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "The master token (`vcm_...`).",
			},
		},
	}
}

func (d *masterTokenDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *masterTokenDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	if tok, ok := d.data.masterToken(ctx, &resp.Diagnostics); ok {
		resp.Diagnostics.Append(resp.State.Set(ctx, &masterTokenModel{MasterToken: types.StringValue(tok)})...)
	}
}
