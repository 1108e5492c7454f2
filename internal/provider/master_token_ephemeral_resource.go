// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ ephemeral.EphemeralResource              = &masterTokenEphemeralResource{}
	_ ephemeral.EphemeralResourceWithConfigure = &masterTokenEphemeralResource{}
)

// NewMasterTokenEphemeralResource is the virtco_master_token ephemeral resource.
func NewMasterTokenEphemeralResource() ephemeral.EphemeralResource {
	return &masterTokenEphemeralResource{}
}

type masterTokenEphemeralResource struct {
	data *providerData
}

func (e *masterTokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_master_token"
}

func (e *masterTokenEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The platform's master token, read without ever being written to the plan or the state " +
			"(Terraform 1.10 and later, OpenTofu 1.11 and later): pass it to another provider's configuration, a secret store's write-only " +
			"argument or a `locals` value used only in such places. Needs the ops key.",
		Attributes: map[string]schema.Attribute{
			"master_token": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "The master token (`vcm_...`): it reads every customer, user and status, and writes nothing.",
			},
		},
	}
}

func (e *masterTokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (e *masterTokenEphemeralResource) Open(ctx context.Context, _ ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	if tok, ok := e.data.masterToken(ctx, &resp.Diagnostics); ok {
		resp.Diagnostics.Append(resp.Result.Set(ctx, &masterTokenModel{MasterToken: types.StringValue(tok)})...)
	}
}
