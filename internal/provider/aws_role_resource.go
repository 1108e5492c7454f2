package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

var (
	_ resource.Resource                     = &awsRoleResource{}
	_ resource.ResourceWithConfigure        = &awsRoleResource{}
	_ resource.ResourceWithImportState      = &awsRoleResource{}
	_ resource.ResourceWithModifyPlan       = &awsRoleResource{}
	_ resource.ResourceWithConfigValidators = &awsRoleResource{}
)

// NewAWSRoleResource is the virtco_aws_role resource.
func NewAWSRoleResource() resource.Resource { return &awsRoleResource{} }

type awsRoleResource struct {
	data *providerData
}

// The role's description when none is given: by virtco_aws_role, and in the CloudFormation
// template of virtco_aws_role_policy.
const (
	defaultRoleDescription = "VIRT-CO diagnostics: read-only access for the customer's VIRT-CO diagnostic account (managed by Terraform)"
	cfnRoleDescription     = "VIRT-CO diagnostics: read-only access for the customer's VIRT-CO diagnostic account"
)

// cleanupTimeout bounds the removal of a half-created role, which runs even when Terraform was
// interrupted: a role left behind that no state records is worse than a slow stop.
const cleanupTimeout = 2 * time.Minute

type awsRoleResourceModel struct {
	ID                  types.String `tfsdk:"id"`
	Customer            types.String `tfsdk:"customer"`
	AccountID           types.String `tfsdk:"account_id"`
	RoleName            types.String `tfsdk:"role_name"`
	Path                types.String `tfsdk:"path"`
	Description         types.String `tfsdk:"description"`
	DataSources         types.Set    `tfsdk:"data_sources"`
	CURBucket           types.String `tfsdk:"cur_bucket"`
	MaxSessionDuration  types.Int64  `tfsdk:"max_session_duration"`
	PermissionsBoundary types.String `tfsdk:"permissions_boundary"`
	Tags                types.Map    `tfsdk:"tags"`
	RoleARN             types.String `tfsdk:"role_arn"`
	ExternalID          types.String `tfsdk:"external_id"`
	TrustedPrincipal    types.String `tfsdk:"trusted_principal"`
	TrustPolicyJSON     types.String `tfsdk:"trust_policy_json"`
	PolicyJSON          types.String `tfsdk:"policy_json"`
	ManagedPolicyARNs   types.Set    `tfsdk:"managed_policy_arns"`
	ExtraInlinePolicies types.Map    `tfsdk:"extra_inline_policies"`
	State               types.String `tfsdk:"state"`
}

// awsRoleFields maps the fields of the server's 400 messages to the resource's attributes.
var awsRoleFields = fields{"customer": "customer", "account_id": "account_id"}

// privateImportedRole marks a role just imported: if it does not exist, the import fails
// rather than leaving a role to re-create.
const privateImportedRole = "imported"

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)

func (r *awsRoleResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_aws_role"
}

func (r *awsRoleResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	sources := strings.Join(quoted(awsrole.DataSources()), ", ")
	resp.Schema = schema.Schema{
		MarkdownDescription: "The read-only cross-account IAM role in a customer's AWS account that the customer's VIRT-CO " +
			"diagnostic account assumes, registered with the platform. It is created in the account that the provider's " +
			"`aws` settings reach, and never in another one. Its trust policy names only the customer's diagnostic " +
			"account and requires the customer's external id; its one inline policy grants only the Read and List " +
			"actions of the `data_sources` asked for; nothing else is attached.\n\n" +
			"Create registers the account with the platform (`in-progress`), creates the role and registers it `done` " +
			"with its ARN; if anything fails after the role was created, the role is deleted again (or, if that fails " +
			"too, kept in the state as tainted), so that no role is left that Terraform does not know. Anything changed " +
			"outside Terraform (trust policy, permissions, attached managed policies, extra inline policies, boundary, " +
			"tags, session duration, the platform's record) shows in the next plan, and apply puts it back. Destroy " +
			"marks the account `purge`, deletes the role and everything attached to it, and removes the account from " +
			"the platform.\n\n" +
			"It works with the ops key or a user token of the customer (the customer's engineer, with its own AWS " +
			"credentials). Keep one `virtco_aws_role` per customer and AWS account: the platform registers one role per " +
			"account, so a second one (or `create_before_destroy`) is refused rather than registered over the first.\n\n" +
			"The trust policy follows the customer's diagnostic account as the platform has it when the plan is made: " +
			"after the customer is reassigned to another diagnostic account, the next plan updates the trust policy.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`customer/account_id/role_name`, such as `acme.com/123456789012/virtco-diagnostics-readonly`: the import id.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"customer": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the customer whose diagnostic account may assume the role, such as `acme.com`. " +
					"It must have a diagnostic account (`diag_account` of `virtco_customer`). Changing it replaces the role.",
				Validators:    customerNameValidators(),
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"account_id": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "The AWS account (12 digits) the role is meant for. The provider checks it against the " +
					"account its AWS credentials reach (STS GetCallerIdentity) and refuses, before anything is created, " +
					"when they differ. When omitted, it is the credentials' account. Changing it replaces the role.",
				Validators: []validator.String{stringvalidator.RegexMatches(accountIDRE, "value must be an AWS account id: 12 digits")},
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(),
					stringplanmodifier.RequiresReplace(),
				},
			},
			"role_name": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(awsrole.DefaultRoleName),
				MarkdownDescription: "Name of the role (1-64 letters, digits and `+=,.@_-`). Defaults to `" + awsrole.DefaultRoleName +
					"`. Changing it replaces the role.",
				Validators:    []validator.String{checkString(awsrole.ValidateRoleName)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"path": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(awsrole.DefaultPath),
				MarkdownDescription: "IAM path of the role, beginning and ending with `/`. Defaults to `/`. Changing it replaces the role.",
				Validators:          []validator.String{checkString(awsrole.ValidatePath)},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"description": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(defaultRoleDescription),
				MarkdownDescription: "Description of the role (at most 1000 characters). Defaults to `" + defaultRoleDescription + "`.",
				Validators:          []validator.String{stringvalidator.LengthAtMost(1000)},
			},
			"data_sources": schema.SetAttribute{
				Optional:    true,
				Computed:    true,
				ElementType: types.StringType,
				Default: setdefault.StaticValue(types.SetValueMust(types.StringType, []attr.Value{
					types.StringValue(awsrole.SourceCloudWatch), types.StringValue(awsrole.SourceCloudTrail),
				})),
				MarkdownDescription: "What the diagnostic may read; each source adds only Read and List actions, spelled " +
					"out (see the provider's documentation for the actions of each). One or more of " + sources +
					". Defaults to `[\"cloudwatch\", \"cloudtrail\"]`, the two the diagnostic reads. `cur` needs `cur_bucket`.",
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(checkString(func(s string) error { return awsrole.ValidateDataSources([]string{s}) })),
				},
			},
			"cur_bucket": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Name of the S3 bucket holding the Cost and Usage Report: required with the `cur` data " +
					"source (which may read only that bucket), refused without it.",
				Validators: []validator.String{checkString(awsrole.ValidateS3BucketName)},
			},
			"max_session_duration": schema.Int64Attribute{
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(awsrole.DefaultMaxSessionDuration),
				MarkdownDescription: "Longest session of the role, in seconds: 3600 to 43200. Defaults to `3600`.",
				Validators:          []validator.Int64{int64validator.Between(3600, 43200)},
			},
			"permissions_boundary": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "ARN of a managed policy to set as the role's permissions boundary, if your organisation requires one.",
				Validators:          []validator.String{checkString(awsrole.ValidatePermissionsBoundary)},
			},
			"tags": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Tags of the role (at most 50; keys unique without regard to case, not starting with `aws:`).",
			},
			"role_arn": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "ARN of the role, as registered with the platform.",
			},
			"external_id": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The customer's external id: the `sts:ExternalId` the trust policy requires (from the " +
					"customer on the platform).",
			},
			"trusted_principal": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The principal the trust policy lets in: the customer's diagnostic account's principal ARN " +
					"(or `arn:aws:iam::<diag account id>:root` when the diagnostic account has none).",
			},
			"trust_policy_json": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The role's trust policy. Planned from the customer when it exists; after a refresh it is " +
					"what IAM has when that differs from what was declared (compared semantically: IAM's reordering is " +
					"never a difference), so a trust policy edited outside Terraform shows in the plan.",
			},
			"policy_json": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The role's inline permissions policy, computed at plan time from `data_sources` and " +
					"`cur_bucket` so that reviewers see it in the plan. After a refresh it is what IAM has when that differs " +
					"semantically (null when the policy was removed).",
			},
			"managed_policy_arns": schema.SetAttribute{
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Managed policies attached to the role. Always planned empty: a policy attached outside " +
					"Terraform (say AdministratorAccess) shows in the plan and apply detaches it.",
			},
			"extra_inline_policies": schema.MapAttribute{
				Computed:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Inline policies of the role other than its own, by name. Always planned empty: a policy " +
					"added outside Terraform shows in the plan and apply deletes it.",
			},
			"state": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The platform's state of the account: `done` once the role is registered. Null when the " +
					"platform has no record of this role (the account is not registered, or with another role); " +
					"`in-progress` or `purge` when a create or destroy did not finish. Anything but `done` shows in the " +
					"plan and apply registers the role again.",
			},
		},
	}
}

func quoted(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = "`" + s + "`"
	}
	return out
}

func (r *awsRoleResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{awsRoleConfigValidator{}}
}

// awsRoleConfigValidator checks what spans attributes, at plan time: cur_bucket with cur and
// only with cur, and the tags.
type awsRoleConfigValidator struct{}

func (awsRoleConfigValidator) Description(context.Context) string {
	return "cur_bucket is required with the cur data source and refused without it; tags follow IAM's rules"
}

func (v awsRoleConfigValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (awsRoleConfigValidator) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var sources types.Set
	var bucket types.String
	var tags types.Map
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("data_sources"), &sources)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("cur_bucket"), &bucket)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("tags"), &tags)...)
	if resp.Diagnostics.HasError() {
		return
	}
	checkCURBucket(sources, bucket, &resp.Diagnostics)
	if !tags.IsNull() && !tags.IsUnknown() {
		m := map[string]string{}
		known := true
		for k, v := range tags.Elements() {
			sv, _ := v.(types.String)
			if sv.IsUnknown() {
				known = false
				break
			}
			m[k] = sv.ValueString()
		}
		if known {
			if err := awsrole.ValidateTags(m); err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("tags"), "Invalid tags", upperFirst(err.Error())+".")
			}
		}
	}
}

// checkCURBucket refuses cur without cur_bucket and cur_bucket without cur (sources null means
// the default sources).
func checkCURBucket(sources types.Set, bucket types.String, diags *diag.Diagnostics) {
	if sources.IsUnknown() || bucket.IsUnknown() {
		return
	}
	hasCUR := false
	for _, v := range sources.Elements() {
		sv, _ := v.(types.String)
		if sv.IsUnknown() {
			return
		}
		if sv.ValueString() == awsrole.SourceCUR {
			hasCUR = true
		}
	}
	switch {
	case hasCUR && bucket.IsNull():
		diags.AddAttributeError(path.Root("cur_bucket"), "Missing cur_bucket",
			"The \"cur\" data source reads the Cost and Usage Report from its S3 bucket, and only from it: set cur_bucket "+
				"to the name of that bucket.")
	case !hasCUR && !bucket.IsNull():
		diags.AddAttributeError(path.Root("cur_bucket"), "cur_bucket without the cur data source",
			"cur_bucket is set but data_sources does not include \"cur\": add \"cur\" to data_sources, or remove cur_bucket.")
	}
}

func (r *awsRoleResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// --- the documents

// stringsOf returns the strings of a known set or list of strings.
func stringsOf(ctx context.Context, v interface {
	ElementsAs(context.Context, any, bool) diag.Diagnostics
}) ([]string, diag.Diagnostics) {
	var out []string
	diags := v.ElementsAs(ctx, &out, false)
	sort.Strings(out)
	return out, diags
}

// permissionsPolicy is the inline policy for the model's data_sources and cur_bucket (known).
func (m *awsRoleResourceModel) permissionsPolicy(ctx context.Context) (string, diag.Diagnostics) {
	sources, diags := stringsOf(ctx, m.DataSources)
	if diags.HasError() {
		return "", diags
	}
	doc, err := awsrole.PermissionsPolicy(sources, awsrole.PermissionOptions{CURBucket: m.CURBucket.ValueString()})
	if err != nil {
		diags.AddAttributeError(path.Root("data_sources"), "Invalid data sources", upperFirst(err.Error())+".")
	}
	return doc, diags
}

func (m *awsRoleResourceModel) tags(ctx context.Context) (map[string]string, diag.Diagnostics) {
	out := map[string]string{}
	if m.Tags.IsNull() || m.Tags.IsUnknown() {
		return out, nil
	}
	diags := m.Tags.ElementsAs(ctx, &out, false)
	return out, diags
}

// spec is the role as the model declares it, with the given trust policy.
func (m *awsRoleResourceModel) spec(ctx context.Context, trust string) (awsrole.RoleSpec, diag.Diagnostics) {
	perms, diags := m.permissionsPolicy(ctx)
	tags, d := m.tags(ctx)
	diags.Append(d...)
	return awsrole.RoleSpec{
		Name:                m.RoleName.ValueString(),
		Path:                m.Path.ValueString(),
		Description:         m.Description.ValueString(),
		MaxSessionDuration:  int32(m.MaxSessionDuration.ValueInt64()),
		PermissionsBoundary: m.PermissionsBoundary.ValueString(),
		Tags:                tags,
		TrustPolicy:         trust,
		PermissionsPolicy:   perms,
	}, diags
}

// errNoDiagAccount is trustFor's error for a customer without a diagnostic account.
var errNoDiagAccount = errors.New("no diag account")

// trustFor is the trust policy a customer's role must have, and the principal it names.
func trustFor(c *client.Customer) (principal, trust string, err error) {
	if c.DiagAccount == "" {
		return "", "", errNoDiagAccount
	}
	principal = c.DiagAccountPrincipalARN
	if principal == "" {
		if c.DiagAccountID == "" {
			return "", "", fmt.Errorf("diagnostic account %q of customer %q has neither a principal ARN nor an account id", c.DiagAccount, c.Name)
		}
		principal = awsrole.RootPrincipal(c.DiagAccountID)
	}
	trust, err = awsrole.TrustPolicy(principal, c.ExternalID)
	return principal, trust, err
}

func noDiagAccountDetail(customer string) string {
	return fmt.Sprintf("customer %q has no diag account: set diag_account on virtco_customer %q (the ops key may; "+
		"see the virtco_diag_accounts data source), then plan again. The role's trust policy names the customer's "+
		"diagnostic account, so the role cannot be created before the customer has one. If this configuration sets "+
		"diag_account on that customer in the same run, apply the customer first (terraform apply -target=...).",
		customer, customer)
}

// samePolicy reports whether two policy documents are semantically equal (false when either is
// not a policy).
func samePolicy(a, b string) bool {
	eq, err := awsrole.PoliciesEqual(a, b)
	return err == nil && eq
}

// keepText is prior when it is semantically the same policy as doc (so that the state keeps the
// text Terraform planned), else doc.
func keepText(prior types.String, doc string) types.String {
	if !prior.IsNull() && !prior.IsUnknown() && samePolicy(prior.ValueString(), doc) {
		return prior
	}
	return types.StringValue(doc)
}

func roleID(customer, accountID, roleName string) string {
	return customer + "/" + accountID + "/" + roleName
}

// --- plan

func (r *awsRoleResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, config awsRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	var state *awsRoleResourceModel
	if !req.State.Raw.IsNull() {
		state = &awsRoleResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	creating := state == nil

	// What the role must look like, whatever it looks like now.
	plan.ManagedPolicyARNs = types.SetValueMust(types.StringType, []attr.Value{})
	plan.ExtraInlinePolicies = types.MapValueMust(types.StringType, map[string]attr.Value{})
	plan.State = types.StringValue(string(client.RoleDone))

	plan.PolicyJSON = types.StringUnknown()
	if !plan.DataSources.IsUnknown() && !plan.CURBucket.IsUnknown() {
		doc, diags := plan.permissionsPolicy(ctx)
		resp.Diagnostics.Append(diags...)
		if diags.HasError() {
			return
		}
		plan.PolicyJSON = types.StringValue(doc)
		if state != nil {
			plan.PolicyJSON = keepText(state.PolicyJSON, doc)
		}
	}

	if creating {
		plan.RoleARN = types.StringUnknown()
	} else {
		if config.AccountID.IsNull() {
			plan.AccountID = state.AccountID
		}
		plan.RoleARN = state.RoleARN
		if state.RoleARN.IsNull() {
			// The role was deleted outside Terraform while the platform still has its record: replace
			// it, so that the platform's record is cleaned up and the role created again.
			plan.RoleARN = types.StringUnknown()
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("role_arn"))
		}
	}

	// The trust policy, from the customer as the platform has it now. A customer that does not
	// exist yet (created in the same apply) leaves it to apply.
	plan.ExternalID, plan.TrustedPrincipal, plan.TrustPolicyJSON = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
	if c := r.data.apiOrNil(); c != nil && !plan.Customer.IsUnknown() {
		name := plan.Customer.ValueString()
		cust, err := c.Customers.Get(r.data.logContext(ctx), name)
		switch {
		case errors.Is(err, client.ErrNotFound):
			tflog.Debug(ctx, "customer does not exist yet; the trust policy is known after apply", map[string]any{"customer": name})
		case err != nil:
			r.data.addAPIError(&resp.Diagnostics, fmt.Sprintf("reading customer %q", name), needsCustomer, awsRoleFields, err)
			return
		default:
			principal, trust, err := trustFor(cust)
			if errors.Is(err, errNoDiagAccount) {
				resp.Diagnostics.AddAttributeError(path.Root("customer"), "Customer has no diag account", upperFirst(noDiagAccountDetail(name)))
				return
			}
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("customer"), "Cannot build the trust policy", upperFirst(err.Error())+".")
				return
			}
			plan.ExternalID, plan.TrustedPrincipal = types.StringValue(cust.ExternalID), types.StringValue(principal)
			plan.TrustPolicyJSON = types.StringValue(trust)
			if state != nil {
				plan.TrustPolicyJSON = keepText(state.TrustPolicyJSON, trust)
			}
		}
	}

	// The account: refuse at plan time when the credentials reach another account than account_id.
	if creating && r.data != nil && r.data.aws != nil && len(r.data.aws.unknown) == 0 && !config.AccountID.IsUnknown() {
		acct, diags := r.data.aws.callerAccount(ctx)
		resp.Diagnostics.Append(diags...)
		if diags.HasError() {
			return
		}
		switch {
		case config.AccountID.IsNull():
			plan.AccountID = types.StringValue(acct)
		case config.AccountID.ValueString() != acct:
			resp.Diagnostics.AddAttributeError(path.Root("account_id"), "Wrong AWS account", wrongAccountDetail(config.AccountID.ValueString(), acct, "create"))
			return
		}
	}

	plan.ID = types.StringUnknown()
	if !plan.Customer.IsUnknown() && !plan.AccountID.IsUnknown() && !plan.RoleName.IsUnknown() {
		plan.ID = types.StringValue(roleID(plan.Customer.ValueString(), plan.AccountID.ValueString(), plan.RoleName.ValueString()))
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func wrongAccountDetail(want, got, doing string) string {
	return fmt.Sprintf("The provider's AWS credentials reach AWS account %s, but the role is for account %s: the provider "+
		"refuses to %s the role in another account than the one declared, and did nothing.\n\nUse credentials of "+
		"account %s (the provider's aws block: profile, assume_role, ...; or AWS_PROFILE, AWS_ACCESS_KEY_ID, ...), or "+
		"correct account_id.", got, want, doing, want)
}

// apiOrNil is the API client, or nil when there is none (not configured, or settings unknown).
func (d *providerData) apiOrNil() *client.Client {
	if d == nil {
		return nil
	}
	return d.client
}

// --- create, read, update, delete

// customerTrust reads the customer and builds the trust policy its role must have.
func (r *awsRoleResource) customerTrust(ctx context.Context, c *client.Client, name string, diags *diag.Diagnostics) (cust *client.Customer, principal, trust string, ok bool) {
	cust, err := c.Customers.Get(ctx, name)
	if errors.Is(err, client.ErrNotFound) {
		diags.AddAttributeError(path.Root("customer"), "Customer does not exist",
			fmt.Sprintf("Customer %q does not exist on the platform, so no role can be made for it. Create it first (a "+
				"virtco_customer, with the ops key), and refer to it as customer = virtco_customer.<name>.name so that "+
				"Terraform creates it before the role.", name))
		return nil, "", "", false
	}
	if err != nil {
		r.data.addAPIError(diags, fmt.Sprintf("reading customer %q", name), needsCustomer, awsRoleFields, err)
		return nil, "", "", false
	}
	principal, trust, err = trustFor(cust)
	if errors.Is(err, errNoDiagAccount) {
		diags.AddAttributeError(path.Root("customer"), "Customer has no diag account", upperFirst(noDiagAccountDetail(name)))
		return nil, "", "", false
	}
	if err != nil {
		diags.AddAttributeError(path.Root("customer"), "Cannot build the trust policy", upperFirst(err.Error())+".")
		return nil, "", "", false
	}
	return cust, principal, trust, true
}

// checkPlanned refuses to go on when the customer changed since the plan: the plan showed a trust
// policy that is not the one the role would get.
func checkPlanned(plan *awsRoleResourceModel, cust *client.Customer, principal string, diags *diag.Diagnostics) bool {
	if (!plan.ExternalID.IsUnknown() && plan.ExternalID.ValueString() != cust.ExternalID) ||
		(!plan.TrustedPrincipal.IsUnknown() && plan.TrustedPrincipal.ValueString() != principal) {
		diags.AddAttributeError(path.Root("customer"), "Customer changed since the plan",
			fmt.Sprintf("Customer %q's diagnostic account or external id changed on the platform after the plan was made, "+
				"so the role's trust policy would not be the one the plan showed. Nothing was changed: plan and apply again.",
				cust.Name))
		return false
	}
	return true
}

// session returns the awsrole Manager and the account its credentials reach.
func (r *awsRoleResource) session(ctx context.Context, diags *diag.Diagnostics) (*awsrole.Manager, string) {
	if r.data == nil {
		diags.AddError("Provider not configured",
			"The VIRT-CO provider was not configured before the AWS role was needed. This is a bug in the provider or Terraform; please report it.")
		return nil, ""
	}
	mgr, d := r.data.aws.manager(ctx)
	diags.Append(d...)
	if diags.HasError() {
		return nil, ""
	}
	acct, d := r.data.aws.callerAccount(ctx)
	diags.Append(d...)
	if diags.HasError() {
		return nil, ""
	}
	return mgr, acct
}

// isRoleARN reports whether arn is the role name at path in the account (any partition).
func isRoleARN(arn, accountID, rolePath, name string) bool {
	return strings.HasPrefix(arn, "arn:aws") && strings.HasSuffix(arn, ":iam::"+accountID+":role"+rolePath+name)
}

func (r *awsRoleResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan awsRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	customer, roleName := plan.Customer.ValueString(), plan.RoleName.ValueString()
	doing := fmt.Sprintf("creating AWS role %q for customer %q", roleName, customer)
	c := r.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	ctx = r.data.logContext(ctx)

	// 1. The customer, and the trust policy it needs.
	cust, principal, trust, ok := r.customerTrust(ctx, c, customer, &resp.Diagnostics)
	if !ok || !checkPlanned(&plan, cust, principal, &resp.Diagnostics) {
		return
	}
	spec, diags := plan.spec(ctx, trust)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := spec.Validate(); err != nil {
		resp.Diagnostics.AddError("Invalid role", fmt.Sprintf("The role is not valid: %s.", err))
		return
	}

	// 2. The account: never create the role in another account than the one declared.
	mgr, acct := r.session(ctx, &resp.Diagnostics)
	if mgr == nil {
		return
	}
	accountID := acct
	if !plan.AccountID.IsUnknown() {
		accountID = plan.AccountID.ValueString()
	}
	if accountID != acct {
		resp.Diagnostics.AddAttributeError(path.Root("account_id"), "Wrong AWS account", wrongAccountDetail(accountID, acct, "create"))
		return
	}

	// 3. Register the account with the platform as in-progress; one role per customer and account.
	prev, err := c.AWSAccounts.Get(ctx, customer, accountID)
	switch {
	case errors.Is(err, client.ErrNotFound):
		prev = nil
	case err != nil:
		r.data.addAPIError(&resp.Diagnostics, fmt.Sprintf("reading AWS account %s of customer %q", accountID, customer), needsCustomer, awsRoleFields, err)
		return
	case prev.State == client.RoleDone && prev.RoleARN != "" && !isRoleARN(prev.RoleARN, accountID, spec.Path, roleName):
		resp.Diagnostics.AddAttributeError(path.Root("role_name"), "Account already registered with another role",
			fmt.Sprintf("AWS account %s of customer %q is already registered with the platform with role %s; the platform "+
				"registers one role per customer and account, so Terraform will not register %q over it. Import that "+
				"role (terraform import <address> %s/%s/<its role name>), or destroy what manages it first.",
				accountID, customer, prev.RoleARN, roleName, customer, accountID))
		return
	}
	if _, _, err := c.AWSAccounts.Put(ctx, customer, accountID, client.AWSAccountPutOptions{State: client.RoleInProgress}); err != nil {
		r.data.addAPIError(&resp.Diagnostics, fmt.Sprintf("registering AWS account %s of customer %q", accountID, customer), needsCustomer, awsRoleFields, err)
		return
	}
	undoRegistration := func() {
		if err := restoreRecord(ctx, c, customer, accountID, prev); err != nil {
			tflog.Warn(ctx, "could not restore the platform's record of the account", map[string]any{"error": err.Error()})
		}
	}

	// 4. The role.
	st, err := mgr.Create(ctx, spec)
	if err != nil {
		var partial *awsrole.PartialCreateError
		switch {
		case errors.As(err, &partial):
			r.abandon(ctx, mgr, &plan, accountID, partial.RoleARN, undoRegistration, resp,
				"Error creating the AWS role", fmt.Sprintf("Creating IAM role %q failed after the role was created: %s.", roleName, err))
		case errors.Is(err, awsrole.ErrRoleExists):
			undoRegistration()
			addAlreadyExists(&resp.Diagnostics, "role_name", "IAM role already exists",
				fmt.Sprintf("A role named %q already exists in AWS account %s, so Terraform will not create it (nor silently "+
					"take it over); nothing was changed.", roleName, accountID),
				"virtco_aws_role", roleID(customer, accountID, roleName), "role_name")
		default:
			undoRegistration()
			resp.Diagnostics.AddError("Error creating the AWS role",
				fmt.Sprintf("Creating IAM role %q in AWS account %s failed, and nothing was created: %s.", roleName, accountID, err))
		}
		return
	}

	// 5. Register it done, with its ARN.
	rec, _, err := c.AWSAccounts.Put(ctx, customer, accountID, client.AWSAccountPutOptions{RoleARN: st.ARN, State: client.RoleDone})
	if err != nil {
		var tmp diag.Diagnostics
		r.data.addAPIError(&tmp, fmt.Sprintf("registering role %s with the platform", st.ARN), needsCustomer, awsRoleFields, err)
		summary, detail := "Error registering the AWS role", err.Error()
		if len(tmp) > 0 {
			summary, detail = tmp[0].Summary(), tmp[0].Detail()
		}
		r.abandon(ctx, mgr, &plan, accountID, st.ARN, undoRegistration, resp, summary, detail)
		return
	}
	tflog.Debug(ctx, "created AWS role", map[string]any{"customer": customer, "role_arn": st.ARN})

	plan.AccountID = types.StringValue(accountID)
	plan.ID = types.StringValue(roleID(customer, accountID, roleName))
	plan.ExternalID, plan.TrustedPrincipal = types.StringValue(cust.ExternalID), types.StringValue(principal)
	if plan.TrustPolicyJSON.IsUnknown() {
		plan.TrustPolicyJSON = types.StringValue(trust)
	}
	plan.fromRole(st)
	plan.State = types.StringValue(string(rec.State))
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// abandon cleans up after a failure that came after CreateRole: it deletes the role again (even
// when Terraform is being interrupted) and restores the platform's record; when the role cannot
// be deleted, it records the role in the state, so that Terraform marks it tainted and replaces
// it on the next apply. Either way no role is left that the state does not record.
func (r *awsRoleResource) abandon(ctx context.Context, mgr *awsrole.Manager, plan *awsRoleResourceModel, accountID, roleARN string,
	undoRegistration func(), resp *resource.CreateResponse, summary, detail string,
) {
	name := plan.RoleName.ValueString()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	derr := mgr.Delete(cctx, name)
	if derr == nil {
		undoRegistration()
		resp.Diagnostics.AddError(summary, detail+"\n\nThe IAM role was deleted again, so nothing is left behind. "+
			"Correct the cause and apply again.")
		return
	}
	tflog.Warn(ctx, "could not delete the half-created role; recording it in the state", map[string]any{"error": derr.Error()})
	plan.AccountID = types.StringValue(accountID)
	plan.ID = types.StringValue(roleID(plan.Customer.ValueString(), accountID, name))
	plan.RoleARN = stringOrNull(roleARN)
	plan.State = types.StringValue(string(client.RoleInProgress))
	plan.nullUnknowns()
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	resp.Diagnostics.AddError(summary, fmt.Sprintf("%s\n\nDeleting the IAM role %q again failed too (%s), so it is "+
		"recorded in the state as tainted: the next apply replaces it, and terraform destroy removes it.", detail, name, derr))
}

// restoreRecord puts the platform's record of the account back as it was before Create
// registered it (prev nil: there was none).
func restoreRecord(ctx context.Context, c *client.Client, customer, accountID string, prev *client.AWSAccount) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if prev == nil {
		if err := c.AWSAccounts.Delete(ctx, customer, accountID); err != nil && !errors.Is(err, client.ErrNotFound) {
			return err
		}
		return nil
	}
	_, _, err := c.AWSAccounts.Put(ctx, customer, accountID, client.AWSAccountPutOptions{
		RoleARN: prev.RoleARN, Regions: prev.Regions, State: prev.State,
	})
	return err
}

// nullUnknowns sets every value still unknown to null (a state never holds unknown values).
func (m *awsRoleResourceModel) nullUnknowns() {
	for _, s := range []*types.String{&m.ID, &m.AccountID, &m.RoleARN, &m.ExternalID, &m.TrustedPrincipal,
		&m.TrustPolicyJSON, &m.PolicyJSON, &m.State, &m.Description, &m.RoleName, &m.Path, &m.CURBucket, &m.PermissionsBoundary} {
		if s.IsUnknown() {
			*s = types.StringNull()
		}
	}
	if m.ManagedPolicyARNs.IsUnknown() {
		m.ManagedPolicyARNs = types.SetNull(types.StringType)
	}
	if m.DataSources.IsUnknown() {
		m.DataSources = types.SetNull(types.StringType)
	}
	if m.ExtraInlinePolicies.IsUnknown() {
		m.ExtraInlinePolicies = types.MapNull(types.StringType)
	}
	if m.Tags.IsUnknown() {
		m.Tags = types.MapNull(types.StringType)
	}
	if m.MaxSessionDuration.IsUnknown() {
		m.MaxSessionDuration = types.Int64Null()
	}
}

// fromRole sets the model from the role as IAM has it. The policy documents keep the model's
// text while IAM's are semantically the same; an attribute that differs is drift for the plan.
func (m *awsRoleResourceModel) fromRole(st *awsrole.RoleState) {
	m.RoleARN = types.StringValue(st.ARN)
	if !strings.EqualFold(m.RoleName.ValueString(), st.Name) || m.RoleName.IsNull() || m.RoleName.IsUnknown() {
		m.RoleName = types.StringValue(st.Name)
	}
	m.Path = types.StringValue(st.Path)
	m.Description = types.StringValue(st.Description)
	m.MaxSessionDuration = types.Int64Value(int64(st.MaxSessionDuration))
	m.PermissionsBoundary = stringOrNull(st.PermissionsBoundary)
	if len(st.Tags) == 0 && (m.Tags.IsNull() || m.Tags.IsUnknown()) {
		m.Tags = types.MapNull(types.StringType)
	} else {
		m.Tags = stringMap(st.Tags)
	}
	m.TrustPolicyJSON = keepText(m.TrustPolicyJSON, st.TrustPolicy)
	extra := map[string]string{}
	ours := ""
	for name, doc := range st.InlinePolicies {
		if name == awsrole.DefaultInlinePolicyName {
			ours = doc
		} else {
			extra[name] = doc
		}
	}
	if ours == "" {
		m.PolicyJSON = types.StringNull()
	} else {
		m.PolicyJSON = keepText(m.PolicyJSON, ours)
	}
	m.ExtraInlinePolicies = stringMap(extra)
	arns, _ := stringSet(st.AttachedPolicies)
	m.ManagedPolicyARNs = arns
}

func stringMap(m map[string]string) types.Map {
	vals := make(map[string]attr.Value, len(m))
	for k, v := range m {
		vals[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, vals)
}

func (r *awsRoleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state awsRoleResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	customer, accountID, roleName := state.Customer.ValueString(), state.AccountID.ValueString(), state.RoleName.ValueString()
	doing := fmt.Sprintf("reading AWS role %q of customer %q", roleName, customer)
	c := r.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	ctx = r.data.logContext(ctx)
	imported, diags := req.Private.GetKey(ctx, privateImportedRole)
	resp.Diagnostics.Append(diags...)
	mgr, acct := r.session(ctx, &resp.Diagnostics)
	if mgr == nil {
		return
	}
	if acct != accountID {
		resp.Diagnostics.AddAttributeError(path.Root("account_id"), "Wrong AWS account", wrongAccountDetail(accountID, acct, "read"))
		return
	}

	rec, err := c.AWSAccounts.Get(ctx, customer, accountID)
	switch {
	case errors.Is(err, client.ErrNotFound):
		rec = nil
	case err != nil:
		r.data.addAPIError(&resp.Diagnostics, fmt.Sprintf("reading AWS account %s of customer %q", accountID, customer), needsCustomer, awsRoleFields, err)
		return
	}

	st, err := mgr.Read(ctx, roleName)
	if errors.Is(err, awsrole.ErrRoleNotFound) {
		if rec == nil || len(imported) > 0 {
			tflog.Warn(ctx, "IAM role no longer exists; removing it from the state", map[string]any{"role": roleName, "account": accountID})
			resp.State.RemoveResource(ctx)
			return
		}
		// The platform still has the account: keep the resource, so that the plan replaces it
		// (which cleans the platform's record up) and destroy removes the record.
		tflog.Warn(ctx, "IAM role no longer exists but the platform still has the account; planning to replace it",
			map[string]any{"role": roleName, "account": accountID})
		state.RoleARN = types.StringNull()
		state.State = types.StringValue(string(rec.State))
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error reading the AWS role", fmt.Sprintf("Reading IAM role %q in AWS account %s failed: %s.", roleName, accountID, err))
		return
	}
	state.fromRole(st)
	state.State = types.StringNull()
	if rec != nil && rec.RoleARN == st.ARN {
		state.State = types.StringValue(string(rec.State))
	}
	state.ID = types.StringValue(roleID(customer, accountID, state.RoleName.ValueString()))

	if len(imported) > 0 {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportedRole, nil)...)
		r.fillImported(ctx, c, &state, st)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// fillImported sets what only the configuration says, from what the role has: the data sources
// (and CUR bucket) its policy was built from, and the customer's external id and principal.
func (r *awsRoleResource) fillImported(ctx context.Context, c *client.Client, state *awsRoleResourceModel, st *awsrole.RoleState) {
	sources, opts, err := awsrole.SourcesFromPolicy(st.InlinePolicies[awsrole.DefaultInlinePolicyName])
	if err != nil {
		// Not a policy this provider builds: the defaults, and the plan shows the difference.
		tflog.Warn(ctx, "imported role's policy is not one this provider builds", map[string]any{"error": err.Error()})
		sources = awsrole.DefaultDataSources()
		opts = awsrole.PermissionOptions{}
	}
	state.DataSources, _ = stringSet(sources)
	state.CURBucket = stringOrNull(opts.CURBucket)
	// The documents in the provider's own spelling when they are what it would write, so that
	// the state after an import is the state after a create.
	if doc, err := awsrole.PermissionsPolicy(sources, opts); err == nil && !state.PolicyJSON.IsNull() && samePolicy(state.PolicyJSON.ValueString(), doc) {
		state.PolicyJSON = types.StringValue(doc)
	}
	if cust, err := c.Customers.Get(ctx, state.Customer.ValueString()); err == nil {
		if principal, trust, err := trustFor(cust); err == nil {
			state.ExternalID, state.TrustedPrincipal = types.StringValue(cust.ExternalID), types.StringValue(principal)
			if samePolicy(state.TrustPolicyJSON.ValueString(), trust) {
				state.TrustPolicyJSON = types.StringValue(trust)
			}
		}
	}
}

func (r *awsRoleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state awsRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	customer, accountID, roleName := state.Customer.ValueString(), state.AccountID.ValueString(), state.RoleName.ValueString()
	doing := fmt.Sprintf("updating AWS role %q of customer %q", roleName, customer)
	c := r.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	ctx = r.data.logContext(ctx)
	cust, principal, trust, ok := r.customerTrust(ctx, c, customer, &resp.Diagnostics)
	if !ok || !checkPlanned(&plan, cust, principal, &resp.Diagnostics) {
		return
	}
	spec, diags := plan.spec(ctx, trust)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	mgr, acct := r.session(ctx, &resp.Diagnostics)
	if mgr == nil {
		return
	}
	if acct != accountID {
		resp.Diagnostics.AddAttributeError(path.Root("account_id"), "Wrong AWS account", wrongAccountDetail(accountID, acct, "update"))
		return
	}

	st, err := mgr.Update(ctx, roleName, nil, spec)
	if errors.Is(err, awsrole.ErrRoleNotFound) {
		resp.Diagnostics.AddError("AWS role no longer exists",
			fmt.Sprintf("IAM role %q in AWS account %s was deleted after Terraform last read it, so it was not updated. "+
				"Run terraform apply again: the plan will re-create it.", roleName, accountID))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error updating the AWS role", fmt.Sprintf("Updating IAM role %q in AWS account %s failed: %s.", roleName, accountID, err))
		return
	}

	rec, err := c.AWSAccounts.Get(ctx, customer, accountID)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		r.data.addAPIError(&resp.Diagnostics, fmt.Sprintf("reading AWS account %s of customer %q", accountID, customer), needsCustomer, awsRoleFields, err)
		return
	}
	if rec == nil || rec.State != client.RoleDone || rec.RoleARN != st.ARN {
		if rec, _, err = c.AWSAccounts.Put(ctx, customer, accountID, client.AWSAccountPutOptions{RoleARN: st.ARN, State: client.RoleDone}); err != nil {
			r.data.addAPIError(&resp.Diagnostics, fmt.Sprintf("registering role %s with the platform", st.ARN), needsCustomer, awsRoleFields, err)
			return
		}
	}

	plan.ExternalID, plan.TrustedPrincipal = types.StringValue(cust.ExternalID), types.StringValue(principal)
	if plan.TrustPolicyJSON.IsUnknown() {
		plan.TrustPolicyJSON = types.StringValue(trust)
	}
	plan.fromRole(st)
	plan.State = types.StringValue(string(rec.State))
	plan.ID = types.StringValue(roleID(customer, accountID, plan.RoleName.ValueString()))
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *awsRoleResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state awsRoleResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	customer, accountID, roleName := state.Customer.ValueString(), state.AccountID.ValueString(), state.RoleName.ValueString()
	doing := fmt.Sprintf("revoking AWS role %q of customer %q", roleName, customer)
	c := r.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	ctx = r.data.logContext(ctx)
	mgr, acct := r.session(ctx, &resp.Diagnostics)
	if mgr == nil {
		return
	}
	if acct != accountID {
		resp.Diagnostics.AddAttributeError(path.Root("account_id"), "Wrong AWS account", wrongAccountDetail(accountID, acct, "delete"))
		return
	}

	// 1. Tell the platform that the revocation is under way.
	customerGone := false
	opts := client.AWSAccountPutOptions{State: client.RolePurge}
	if arn := state.RoleARN.ValueString(); isRoleARN(arn, accountID, state.Path.ValueString(), roleName) {
		opts.RoleARN = arn
	}
	if _, _, err := c.AWSAccounts.Put(ctx, customer, accountID, opts); err != nil {
		if !errors.Is(err, client.ErrNotFound) {
			r.data.addAPIError(&resp.Diagnostics, fmt.Sprintf("marking AWS account %s of customer %q for purge", accountID, customer), needsCustomer, awsRoleFields, err)
			return
		}
		customerGone = true // unprovisioned: its accounts went with it
	}

	// 2. The role and everything attached to it (a role already gone is fine).
	if err := mgr.Delete(ctx, roleName); err != nil {
		resp.Diagnostics.AddError("Error deleting the AWS role",
			fmt.Sprintf("Deleting IAM role %q in AWS account %s failed: %s.\n\nThe platform's record of the account is "+
				"left in state purge; run terraform destroy again once the cause is fixed.", roleName, accountID, err))
		return
	}

	// 3. The platform's record.
	if customerGone {
		return
	}
	if err := c.AWSAccounts.Delete(ctx, customer, accountID); err != nil && !errors.Is(err, client.ErrNotFound) {
		r.data.addAPIError(&resp.Diagnostics, fmt.Sprintf("removing AWS account %s of customer %q", accountID, customer), needsCustomer, awsRoleFields, err)
	}
}

// parseRoleID splits an import id customer/account_id/role_name.
func parseRoleID(id string) (customer, accountID, roleName string, err error) {
	parts := strings.Split(id, "/")
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("the import id %q is not of the form customer/account_id/role_name "+
			"(such as acme.com/123456789012/%s)", id, awsrole.DefaultRoleName)
	}
	customer, accountID, roleName = parts[0], parts[1], parts[2]
	if err := validCustomerName(customer); err != nil {
		return "", "", "", err
	}
	if !accountIDRE.MatchString(accountID) {
		return "", "", "", fmt.Errorf("%q is not an AWS account id: 12 digits", accountID)
	}
	if err := awsrole.ValidateRoleName(roleName); err != nil {
		return "", "", "", err
	}
	return customer, accountID, roleName, nil
}

func (r *awsRoleResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	customer, accountID, roleName, err := parseRoleID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("A virtco_aws_role is imported by customer/account_id/role_name: %s.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), roleID(customer, accountID, roleName))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("customer"), customer)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("account_id"), accountID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("role_name"), roleName)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportedRole, []byte(`true`))...)
}
