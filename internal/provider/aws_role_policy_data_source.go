// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

var (
	_ datasource.DataSource                     = &awsRolePolicyDataSource{}
	_ datasource.DataSourceWithConfigure        = &awsRolePolicyDataSource{}
	_ datasource.DataSourceWithConfigValidators = &awsRolePolicyDataSource{}
)

// NewAWSRolePolicyDataSource is the virtco_aws_role_policy data source.
func NewAWSRolePolicyDataSource() datasource.DataSource { return &awsRolePolicyDataSource{} }

type awsRolePolicyDataSource struct {
	data *providerData
}

type awsRolePolicyModel struct {
	ID                     types.String `tfsdk:"id"`
	Customer               types.String `tfsdk:"customer"`
	DataSources            types.Set    `tfsdk:"data_sources"`
	CURBucket              types.String `tfsdk:"cur_bucket"`
	RoleName               types.String `tfsdk:"role_name"`
	Path                   types.String `tfsdk:"path"`
	MaxSessionDuration     types.Int64  `tfsdk:"max_session_duration"`
	ExternalID             types.String `tfsdk:"external_id"`
	TrustedPrincipal       types.String `tfsdk:"trusted_principal"`
	TrustPolicyJSON        types.String `tfsdk:"trust_policy_json"`
	PermissionsPolicyJSON  types.String `tfsdk:"permissions_policy_json"`
	CloudFormationTemplate types.String `tfsdk:"cloudformation_template"`
	ExpiresAt              types.String `tfsdk:"expires_at"` // aws_role_expiry.go
}

func (d *awsRolePolicyDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_aws_role_policy"
}

func (d *awsRolePolicyDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The documents of a customer's read-only role, for people who create the role themselves " +
			"(with another tool, or by hand): the trust policy (the customer's diagnostic account, with the customer's " +
			"external id), the permissions policy of the data sources asked for, and a CloudFormation template that creates " +
			"the same role `virtco_aws_role` would. It reads the customer from the platform (a user token of the customer " +
			"will do) and needs no AWS credentials. Register the role's ARN with the platform afterwards.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The customer's name.",
			},
			"customer": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the customer, such as `acme.com`. It must have a diagnostic account.",
				Validators:          customerNameValidators(),
			},
			"data_sources": schema.SetAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "What the diagnostic may read, as for `virtco_aws_role`. Defaults to " +
					"`[\"cloudwatch\", \"cloudtrail\"]`.",
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(checkString(func(s string) error { return awsrole.ValidateDataSources([]string{s}) })),
				},
			},
			"cur_bucket": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "The Cost and Usage Report's S3 bucket: required with the `cur` data source, refused without it.",
				Validators:          []validator.String{checkString(awsrole.ValidateS3BucketName)},
			},
			"role_name": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Name of the role in the CloudFormation template. Defaults to `" + awsrole.DefaultRoleName + "`.",
				Validators:          []validator.String{checkString(awsrole.ValidateRoleName)},
			},
			"path": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "IAM path of the role in the CloudFormation template. Defaults to `/`.",
				Validators:          []validator.String{checkString(awsrole.ValidatePath)},
			},
			"max_session_duration": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "Longest session of the role in the CloudFormation template, 3600 to 43200 seconds. Defaults to `3600`.",
				Validators:          []validator.Int64{int64validator.Between(3600, 43200)},
			},
			"expires_at": policyExpiryAttribute(),
			"external_id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The customer's external id, which the trust policy requires as `sts:ExternalId`.",
			},
			"trusted_principal": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The principal the trust policy lets in: the customer's diagnostic account.",
			},
			"trust_policy_json": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The trust (assume-role) policy.",
			},
			"permissions_policy_json": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The permissions policy, to put as the role's one inline policy.",
			},
			"cloudformation_template": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "A CloudFormation template (JSON) that creates the role with both policies and outputs " +
					"its ARN (`RoleArn`). Deploy it with `--capabilities CAPABILITY_NAMED_IAM`.",
			},
		},
	}
}

func (d *awsRolePolicyDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{roleSettingsValidator{}}
}

func (d *awsRolePolicyDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (d *awsRolePolicyDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m awsRolePolicyModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := m.Customer.ValueString()
	doing := fmt.Sprintf("reading customer %q", name)
	c := d.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	trust, err := rolegrant.ReadTrust(d.data.logContext(ctx), c, name)
	if errors.Is(err, client.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("customer"), "Customer not found",
			fmt.Sprintf("Customer %q does not exist on the platform.", name))
		return
	}
	if err != nil {
		addTrustError(d.data, &resp.Diagnostics, name, err)
		return
	}
	if trust = trustUntil(trust, m.ExpiresAt, &resp.Diagnostics); trust == nil {
		return
	}

	sources := awsrole.DefaultDataSources()
	if !m.DataSources.IsNull() {
		s, diags := stringsOf(ctx, m.DataSources)
		resp.Diagnostics.Append(diags...)
		sources = s
	}
	perms, err := awsrole.PermissionsPolicy(sources, awsrole.PermissionOptions{CURBucket: m.CURBucket.ValueString()})
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("data_sources"), "Invalid data sources", upperFirst(err.Error())+".")
		return
	}
	spec := awsrole.RoleSpec{
		Name:               m.RoleName.ValueString(),
		Path:               m.Path.ValueString(),
		Description:        cfnRoleDescription,
		MaxSessionDuration: int32(m.MaxSessionDuration.ValueInt64()),
		TrustPolicy:        trust.Policy,
		PermissionsPolicy:  perms,
	}
	cfn, err := awsrole.CloudFormationTemplate(spec)
	if err != nil {
		resp.Diagnostics.AddError("Cannot build the CloudFormation template", upperFirst(err.Error())+".")
		return
	}
	m.ID = types.StringValue(name)
	m.ExternalID = types.StringValue(trust.ExternalID)
	m.TrustedPrincipal = types.StringValue(trust.Principal)
	m.TrustPolicyJSON = types.StringValue(trust.Policy)
	m.PermissionsPolicyJSON = types.StringValue(perms)
	m.CloudFormationTemplate = types.StringValue(cfn)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
