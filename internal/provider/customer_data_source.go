// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

var (
	_ datasource.DataSource              = &customerDataSource{}
	_ datasource.DataSourceWithConfigure = &customerDataSource{}
)

// NewCustomerDataSource is the virtco_customer data source.
func NewCustomerDataSource() datasource.DataSource { return &customerDataSource{} }

type customerDataSource struct {
	data *providerData
}

type customerDataModel struct {
	Name                    types.String        `tfsdk:"name"`
	DiagAccount             types.String        `tfsdk:"diag_account"`
	DiagAccountID           types.String        `tfsdk:"diag_account_id"`
	DiagAccountPrincipalARN types.String        `tfsdk:"diag_account_principal_arn"`
	DiagAccountStatus       types.String        `tfsdk:"diag_account_status"`
	ExternalID              types.String        `tfsdk:"external_id"`
	AWSRegion               types.String        `tfsdk:"aws_region"`
	Regions                 types.Set           `tfsdk:"regions"`
	AutoRunFinders          types.Bool          `tfsdk:"auto_run_finders"`
	RoleStatus              types.String        `tfsdk:"role_status"`
	Users                   types.List          `tfsdk:"users"`
	Accounts                []accountStateModel `tfsdk:"accounts"`
	CreatedAt               types.String        `tfsdk:"created_at"`
	UpdatedAt               types.String        `tfsdk:"updated_at"`
}

type accountStateModel struct {
	AccountID             types.String `tfsdk:"account_id"`
	RoleARN               types.String `tfsdk:"role_arn"`
	State                 types.String `tfsdk:"state"`
	VerificationState     types.String `tfsdk:"verification_state"`
	VerificationCheckedAt types.String `tfsdk:"verification_checked_at"`
	VerifiedAt            types.String `tfsdk:"verified_at"`
	VerificationMessage   types.String `tfsdk:"verification_message"`
}

func (d *customerDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_customer"
}

func (d *customerDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "One customer of the platform with its status, its users' names and its AWS accounts " +
			"(what `apiKeyGen.py --customer` and `--cstatus` printed), never its tokens. The ops key and the master " +
			"token read every customer; a user token reads its own customer only.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The customer's name, such as `acme.com`.",
				Validators:          customerNameValidators(),
			},
			"diag_account":    computed("Name of the assigned diagnostic account; null when there is none."),
			"diag_account_id": computed("AWS account id of the assigned diagnostic account; null when there is none."),
			"diag_account_principal_arn": computed("The IAM principal of the diagnostic account that assumes the customer's " +
				"role (the trust policy's principal); null when there is no diagnostic account."),
			"diag_account_status": computed("`ready-for-use` when a diagnostic account that is ready is assigned, " +
				"`diagnostics_account_unavailable` otherwise."),
			"external_id": computed("The customer's external id (a UUID): the `sts:ExternalId` of its read-only roles."),
			"aws_region":  computed("The customer's home AWS region."),
			"regions": schema.SetAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "The AWS regions the diagnostic covers; empty means all.",
			},
			"auto_run_finders": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "Whether the platform runs its finders automatically.",
			},
			"role_status": computed("The customer's role status over its AWS accounts: `pending`, `in-progress`, `done` " +
				"or `purge`."),
			"users": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "The names of the customer's users, ordered by name (their tokens are never here).",
			},
			"accounts": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The customer's registered AWS accounts, ordered by account id.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"account_id": computed("The AWS account id (12 digits)."),
						"role_arn":   computed("The ARN of the read-only role in that account; empty until it is created."),
						"state":      computed("The role's state: `pending`, `in-progress`, `done` or `purge`."),
						"verification_state": computed("The platform's verification of the role, which it makes by assuming " +
							"the role as the diagnostic account: `pending`, `verified`, `failed` (see `verification_message`) " +
							"or `unavailable` (the platform has no credentials for the diagnostic account, or verification is off)."),
						"verification_checked_at": computed("When the platform last asked AWS (RFC 3339); null before it has."),
						"verified_at": computed("When the platform last assumed the role (RFC 3339) while `verification_state` " +
							"is `verified`; null otherwise."),
						"verification_message": computed("The platform's words on its last verification: on `failed`, AWS's " +
							"error code and message and what to check; null when there are none."),
					},
				},
			},
			"created_at": computed("When the customer was created (RFC 3339)."),
			"updated_at": computed("When the customer, its users or its accounts last changed (RFC 3339)."),
		},
	}
}

func (d *customerDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *customerDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m customerDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := m.Name.ValueString()
	doing := fmt.Sprintf("reading customer %q", name)
	c := d.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	cust, err := c.Customers.Get(d.data.logContext(ctx), name)
	if errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Customer not found",
			fmt.Sprintf("There is no customer %q on the platform: %s.\n\nCheck the name. For a customer managed in the "+
				"same configuration, read its attributes from the virtco_customer resource instead, or add depends_on.",
				name, apiMessage(err)))
		return
	}
	if err != nil {
		d.data.addAPIError(&resp.Diagnostics, doing, needsCustomer, fields{"customer": "name"}, err)
		return
	}
	resp.Diagnostics.Append(m.fromAPI(cust)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (m *customerDataModel) fromAPI(c *client.Customer) diag.Diagnostics {
	var diags, d diag.Diagnostics
	m.Name = types.StringValue(c.Name)
	m.DiagAccount = stringOrNull(c.DiagAccount)
	m.DiagAccountID = stringOrNull(c.DiagAccountID)
	m.DiagAccountPrincipalARN = stringOrNull(c.DiagAccountPrincipalARN)
	m.DiagAccountStatus = types.StringValue(string(c.DiagAccountStatus))
	m.ExternalID = types.StringValue(c.ExternalID)
	m.AWSRegion = types.StringValue(c.AWSRegion)
	m.Regions, d = stringSet(c.Regions)
	diags.Append(d...)
	m.AutoRunFinders = types.BoolValue(c.AutoRunFinders)
	m.RoleStatus = types.StringValue(string(c.RoleStatus))
	m.Users, d = stringList(c.Users)
	diags.Append(d...)
	m.Accounts = make([]accountStateModel, 0, len(c.Accounts))
	for _, a := range c.Accounts {
		var role awsRoleResourceModel
		role.fromVerification(a.Verification)
		checked := types.StringNull()
		if a.Verification.CheckedAt != nil {
			checked = types.StringValue(a.Verification.CheckedAt.UTC().Format(time.RFC3339))
		}
		m.Accounts = append(m.Accounts, accountStateModel{
			AccountID:             types.StringValue(a.AccountID),
			RoleARN:               types.StringValue(a.RoleARN),
			State:                 types.StringValue(string(a.State)),
			VerificationState:     role.VerificationState,
			VerificationCheckedAt: checked,
			VerifiedAt:            role.VerifiedAt,
			VerificationMessage:   role.VerificationMessage,
		})
	}
	m.CreatedAt = types.StringValue(c.CreatedAt.UTC().Format(time.RFC3339))
	m.UpdatedAt = types.StringValue(c.UpdatedAt.UTC().Format(time.RFC3339))
	return diags
}
