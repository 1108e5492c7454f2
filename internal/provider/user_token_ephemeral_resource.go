// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

var (
	_ ephemeral.EphemeralResource              = &userTokenEphemeralResource{}
	_ ephemeral.EphemeralResourceWithConfigure = &userTokenEphemeralResource{}
)

// NewUserTokenEphemeralResource is the virtco_user_token ephemeral resource.
func NewUserTokenEphemeralResource() ephemeral.EphemeralResource {
	return &userTokenEphemeralResource{}
}

type userTokenEphemeralResource struct {
	data *providerData
}

type userTokenModel struct {
	Customer types.String `tfsdk:"customer"`
	Name     types.String `tfsdk:"name"`
	Token    types.String `tfsdk:"token"`
	KeyID    types.String `tfsdk:"key_id"`
	KeyName  types.String `tfsdk:"key_name"`
	// ExpiresAt is null when the token never expires.
	ExpiresAt types.String `tfsdk:"expires_at"`
}

func (e *userTokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user_token"
}

func (e *userTokenEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The API key of an existing user of a customer, read without ever being written to the plan " +
			"or the state (Terraform 1.10 and later, OpenTofu 1.11 and later): for example to configure a second `virtco` provider (an alias) " +
			"that acts as that user, or to hand the token to a secret store's write-only argument. Needs the ops key " +
			"or the master token. It reads the token; it never creates the user (that is `virtco_user`).",
		Attributes: map[string]schema.Attribute{
			"customer": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the user's customer, such as `acme.com`.",
				Validators:          customerNameValidators(),
			},
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The user's name, such as `joe`.",
				Validators:          userNameValidators(),
			},
			"token": schema.StringAttribute{
				Computed:            true,
				Sensitive:           true,
				MarkdownDescription: "The user's API key (`vcu_...`).",
			},
			"key_id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The id of the user's key.",
			},
			"key_name": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The key's name: `user@customer-API-Key`.",
			},
			"expires_at": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "When the platform stops accepting the token (RFC 3339, UTC), as `virtco_user`'s " +
					"`expires_at` or `valid_for` set it; null when it never expires.",
			},
		},
	}
}

func (e *userTokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (e *userTokenEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m userTokenModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	customer, name := m.Customer.ValueString(), m.Name.ValueString()
	doing := fmt.Sprintf("reading the token of user %q of customer %q", name, customer)
	c := e.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	u, err := c.Users.Get(e.data.logContext(ctx), customer, name)
	if errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.AddError("User not found",
			fmt.Sprintf("There is no user %q of customer %q on the platform: %s.\n\nCheck the names. For a user "+
				"managed in the same configuration, add depends_on = [virtco_user.<name>] to this ephemeral resource, so "+
				"that its token is read only once the user exists.", name, customer, apiMessage(err)))
		return
	}
	if err != nil {
		e.data.addAPIError(&resp.Diagnostics, doing, needsReadAll, userFields, err)
		return
	}
	m.Token = types.StringValue(u.Token)
	m.KeyID = types.StringValue(u.KeyID)
	m.KeyName = types.StringValue(u.KeyName)
	m.ExpiresAt = types.StringNull()
	if u.ExpiresAt != nil {
		m.ExpiresAt = types.StringValue(formatExpiry(*u.ExpiresAt))
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
