// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

var (
	_ datasource.DataSource              = &diagAccountsDataSource{}
	_ datasource.DataSourceWithConfigure = &diagAccountsDataSource{}
)

// NewDiagAccountsDataSource is the virtco_diag_accounts data source.
func NewDiagAccountsDataSource() datasource.DataSource { return &diagAccountsDataSource{} }

type diagAccountsDataSource struct {
	data *providerData
}

type diagAccountsModel struct {
	Status       types.String       `tfsdk:"status"`
	Names        types.List         `tfsdk:"names"`
	DiagAccounts []diagAccountModel `tfsdk:"diag_accounts"`
}

type diagAccountModel struct {
	Name         types.String `tfsdk:"name"`
	AccountID    types.String `tfsdk:"account_id"`
	PrincipalARN types.String `tfsdk:"principal_arn"`
	Region       types.String `tfsdk:"region"`
	Status       types.String `tfsdk:"status"`
}

func (d *diagAccountsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_diag_accounts"
}

func (d *diagAccountsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The platform's diagnostic accounts: the AWS accounts that run diagnostics and assume " +
			"customers' read-only roles (what `apiKeyGen.py --diags` listed). Needs the ops key or the master token.",
		Attributes: map[string]schema.Attribute{
			"status": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Keep only the accounts in this state: `ready-for-use`, `provisioning` or " +
					"`unavailable`. Omit it for all.",
				Validators: []validator.String{stringvalidator.OneOf(
					string(client.DiagAccountReadyForUse), string(client.DiagAccountProvisioning), string(client.DiagAccountUnavailable))},
			},
			"names": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "The names of the accounts, in order.",
			},
			"diag_accounts": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The accounts, ordered by name.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "The account's name, such as `Diag3`: what `virtco_customer.diag_account` takes.",
						},
						"account_id": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "The AWS account id (12 digits).",
						},
						"principal_arn": schema.StringAttribute{
							Computed: true,
							MarkdownDescription: "The IAM principal that assumes customers' roles: a role of the account, or " +
								"its root (`arn:aws:iam::<account_id>:root`).",
						},
						"region": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "The account's AWS region.",
						},
						"status": schema.StringAttribute{
							Computed:            true,
							MarkdownDescription: "`ready-for-use`, `provisioning` or `unavailable`.",
						},
					},
				},
			},
		},
	}
}

func (d *diagAccountsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *diagAccountsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m diagAccountsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	const doing = "listing diagnostic accounts"
	c := d.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	list, err := c.DiagAccounts.List(d.data.logContext(ctx), client.ListDiagAccountsOptions{
		Status: client.DiagAccountStatus(m.Status.ValueString()),
	})
	if err != nil {
		d.data.addAPIError(&resp.Diagnostics, doing, needsReadAll, fields{"status": "status"}, err)
		return
	}
	m.DiagAccounts = make([]diagAccountModel, 0, len(list))
	names := make([]string, 0, len(list))
	for _, a := range list {
		m.DiagAccounts = append(m.DiagAccounts, diagAccountModel{
			Name:         types.StringValue(a.Name),
			AccountID:    types.StringValue(a.AccountID),
			PrincipalARN: types.StringValue(a.PrincipalARN),
			Region:       types.StringValue(a.Region),
			Status:       types.StringValue(string(a.Status)),
		})
		names = append(names, a.Name)
	}
	var diags diag.Diagnostics
	m.Names, diags = stringList(names)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
