// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
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
	"github.com/virtasant/terraform-provider-virtco/internal/names"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

var (
	_ resource.Resource                     = &awsRoleResource{}
	_ resource.ResourceWithConfigure        = &awsRoleResource{}
	_ resource.ResourceWithImportState      = &awsRoleResource{}
	_ resource.ResourceWithModifyPlan       = &awsRoleResource{}
	_ resource.ResourceWithConfigValidators = &awsRoleResource{}
)

// NewAWSRoleResource is the virtco_aws_role resource: its schema and plan, and the mapping of its
// state to and from the grant (package rolegrant), which does the work.
func NewAWSRoleResource() resource.Resource { return &awsRoleResource{} }

type awsRoleResource struct {
	data *providerData
}

func (r *awsRoleResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_aws_role"
}

func (r *awsRoleResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	sources := strings.Join(quoted(awsrole.DataSources()), ", ")
	resp.Schema = schema.Schema{
		MarkdownDescription: "The read-only cross-account IAM role in a customer's AWS account that the customer's VIRT-CO " +
			"diagnostic account assumes, registered with the platform. It is created in the account that the provider's " +
			"`aws` settings reach (or, with `assume_role`, the account of the role assumed from them), and never in another one. Its trust policy names only the customer's diagnostic " +
			"account and requires the customer's external id; its one inline policy grants only the Read and List " +
			"actions of the `data_sources` asked for; nothing else is attached.\n\n" +
			"Create registers the account with the platform (`in-progress`), creates the role and registers it `done` " +
			"with its ARN, then waits (bounded by `timeouts`) until the platform has assumed the role itself as the " +
			"customer's diagnostic account (`verification_state` `verified`). A refusal is an error with AWS's message " +
			"and what to check, and the role is kept in the state; a platform that cannot verify is a warning. A " +
			"verification that fails later (the trust changed outside Terraform) shows in the plan, and apply puts the " +
			"trust back and asks the platform to verify again. If anything fails after the role was created, the role is deleted again (or, if that fails " +
			"too, kept in the state as tainted), so that no role is left that Terraform does not know. Anything changed " +
			"outside Terraform (trust policy, permissions, attached managed policies, extra inline policies, boundary, " +
			"tags, session duration, the platform's record) shows in the next plan, and apply puts it back. Destroy " +
			"marks the account `purge`, deletes the role and everything attached to it, and removes the account from " +
			"the platform. The role is deleted whatever the platform answers (unreachable, a revoked key, a customer " +
			"gone): revoking never waits for the platform, and a step the platform could not take is a warning that " +
			"says what is left on its side and how to finish it.\n\n" +
			"It works with the ops key or a user token of the customer (the customer's engineer, with its own AWS " +
			"credentials). Keep one `virtco_aws_role` per customer and AWS account: the platform registers one role per " +
			"account, so a second one (or `create_before_destroy`) is refused rather than registered over the first.\n\n" +
			"The trust policy follows the customer's diagnostic account as the platform has it when the plan is made: " +
			"after the customer is reassigned to another diagnostic account, the next plan updates the trust policy.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "`customer/account_id/role_name`, such as `acme.com/123456789012/virtco-diagnostics-readonly`: the import id " +
					"(followed by `/` and the ARN of the role to assume when the role has an `assume_role` block).",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
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
					"account its AWS credentials reach (STS GetCallerIdentity; with `assume_role`, the account of the role " +
					"assumed) and refuses, before anything is created, when they differ. When omitted, it is the " +
					"credentials' account. Changing it replaces the role.",
				Validators: accountIDValidators(),
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
				Validators:    []validator.String{checkRule(names.RoleName)},
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
				Optional: true,
				Computed: true,
				MarkdownDescription: "The customer's external id: the `sts:ExternalId` the trust policy requires, read from the " +
					"customer on the platform. When the customer is in the same configuration, set it to " +
					"`virtco_customer.<name>.external_id`: replacing the customer then updates the role's trust to the new " +
					"customer's id in the same apply. When set, it must be the customer's.",
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
			"stranded": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "True when the platform can no longer use the role: it no longer has the customer (it was " +
					"unprovisioned) or it refuses the provider's API key (revoked or rotated). The role is still in the AWS " +
					"account, and its trust still admits the diagnostic account. The plan then warns, and apply refuses any " +
					"change but the role's removal (a plan that changes it says so; terraform destroy is never stopped by " +
					"it): destroying the resource, or removing it from the configuration, deletes the role with the AWS " +
					"credentials alone.",
			},
		},
		Blocks: map[string]schema.Block{"timeouts": timeoutsBlock(ctx), "assume_role": roleAssumeRoleBlock()},
	}
	for name, a := range verificationAttributes() {
		resp.Schema.Attributes[name] = a
	}
	addRoleExpiryAttributes(resp.Schema.Attributes)
}

func quoted(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = "`" + s + "`"
	}
	return out
}

func (r *awsRoleResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{roleSettingsValidator{}}
}

func (r *awsRoleResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (r *awsRoleResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var state *awsRoleResourceModel
	if !req.State.Raw.IsNull() {
		state = &awsRoleResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if r.data != nil && r.data.aws != nil && !resp.Diagnostics.HasError() {
			r.data.aws.sawInState(state.AccountID.ValueString(), state.RoleName.ValueString())
		}
	}
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, config awsRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	creating := state == nil
	if state != nil && state.Stranded.ValueBool() {
		r.planStranded(ctx, req, resp, state, &plan)
		return
	}

	// What the role must look like, whatever it looks like now.
	plan.ManagedPolicyARNs = types.SetValueMust(types.StringType, []attr.Value{})
	plan.ExtraInlinePolicies = types.MapValueMust(types.StringType, map[string]attr.Value{})
	plan.State = types.StringValue(string(client.RoleDone))
	plan.Stranded = types.BoolValue(false)

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

	if !r.planTrust(ctx, &plan, &config, state, &resp.Diagnostics) {
		return
	}
	if planRoleExpiry(&plan, &config, state, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	planRoleVerification(&plan, state, &resp.Diagnostics) // aws_role_expiry.go

	// The account: refuse at plan time when the credentials (the provider's, or the role assumed
	// from them) reach another account than account_id. A refused AssumeRole stops the plan here.
	role, roleKnown := plan.AssumeRole.assumeRole()
	if creating && roleKnown && r.data != nil && r.data.aws != nil && len(r.data.aws.unknown) == 0 && !config.AccountID.IsUnknown() {
		reach, acct, ok := r.reachedAccount(ctx, role, &resp.Diagnostics)
		if !ok {
			return
		}
		if config.AccountID.IsNull() {
			plan.AccountID = types.StringValue(acct)
		} else if r.refuseAccount(&resp.Diagnostics, role, config.AccountID.ValueString(), acct, "create") {
			return
		}
		if r.refuseExistingRole(ctx, &plan, reach, acct, &resp.Diagnostics) {
			return
		}
	}
	// A changed assume_role must still reach the role's account: the update acts through it.
	if !creating && roleKnown && !plan.AccountID.IsUnknown() && !sameAssumeRole(plan.AssumeRole, state.AssumeRole) &&
		r.data != nil && r.data.aws != nil && len(r.data.aws.unknown) == 0 {
		_, acct, ok := r.reachedAccount(ctx, role, &resp.Diagnostics)
		if !ok || r.refuseAccount(&resp.Diagnostics, role, plan.AccountID.ValueString(), acct, "update") {
			return
		}
	}

	plan.ID = types.StringUnknown()
	if !plan.Customer.IsUnknown() && !plan.AccountID.IsUnknown() && !plan.RoleName.IsUnknown() {
		plan.ID = types.StringValue(roleID(plan.Customer.ValueString(), plan.AccountID.ValueString(), plan.RoleName.ValueString()))
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *awsRoleResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan awsRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	customer, roleName := plan.Customer.ValueString(), plan.RoleName.ValueString()
	op := r.declared(ctx, &plan, customer, fmt.Sprintf("creating AWS role %q for customer %q", roleName, customer), &resp.Diagnostics)
	if op == nil {
		return
	}
	if plan.AccountID.IsUnknown() {
		plan.AccountID = types.StringValue(op.grantor.Account())
	}
	granted, err := op.grantor.Grant(op.ctx, customer, plan.AccountID.ValueString(), op.spec)
	if err != nil {
		r.addGrantFailure(op.ctx, &plan, err, resp)
		return
	}
	tflog.Debug(op.ctx, "created AWS role", map[string]any{"customer": customer, "role_arn": granted.Role.ARN})
	plan.fromGrant(op.trust, granted)
	// The role exists from here on: the state records it whatever the verdict, so that a failed
	// verification is followed by a fixed apply or a destroy, never by a role no state knows.
	rec, err := r.verify(op.ctx, op, &plan, granted.Record, false)
	r.reportVerification(&plan, rec, err, &resp.Diagnostics)
	resp.Diagnostics.Append(setKnown(op.ctx, &resp.State, &plan)...)
}

func (r *awsRoleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state awsRoleResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	t := state.target()
	op := r.open(ctx, state.AssumeRole, fmt.Sprintf("reading AWS role %q of customer %q", t.RoleName, t.Customer), &resp.Diagnostics)
	if op == nil {
		return
	}
	ctx = op.ctx
	imported, diags := req.Private.GetKey(ctx, privateImportedRole)
	resp.Diagnostics.Append(diags...)

	seen, err := op.grantor.Observe(ctx, t)
	if err != nil {
		if !r.addGrantError(&resp.Diagnostics, err) {
			resp.Diagnostics.AddError("Error reading the AWS role",
				fmt.Sprintf("Reading IAM role %q in AWS account %s failed: %s.", t.RoleName, t.AccountID, err))
		}
		return
	}
	fields := map[string]any{"role": t.RoleName, "account": t.AccountID}
	switch {
	case seen.Role == nil && (seen.Standing != rolegrant.Known || seen.Record == nil || len(imported) > 0):
		// Nothing is left in AWS; a record the platform may still have is not access.
		tflog.Warn(ctx, "IAM role no longer exists; removing it from the state", fields)
		resp.State.RemoveResource(ctx)
		return
	case seen.Role == nil:
		// The platform still has the account: keep the resource, so that the plan replaces it
		// (which cleans the platform's record up) and destroy removes the record.
		tflog.Warn(ctx, "IAM role no longer exists but the platform still has the account; planning to replace it", fields)
		state.RoleARN = types.StringNull()
		state.State = types.StringValue(string(seen.Record.State))
		state.noVerification()
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	state.fromRole(seen.Role)
	state.ID = types.StringValue(roleID(t.Customer, t.AccountID, state.RoleName.ValueString()))
	reason := ""
	switch {
	case seen.Standing == rolegrant.Known:
		state.State = stringOrNull(string(seen.State()))
		state.noVerification()
		if seen.State() != "" {
			state.fromVerification(seen.Record.Verification)
		}
	case seen.Stranded():
		state.State = types.StringNull()
		state.noVerification()
		reason = strandedReason(t, seen)
	default:
		// The platform did not answer: what IAM has is read; its record is kept as it was.
		resp.Diagnostics.AddWarning("VIRT-CO API not reached",
			fmt.Sprintf("The platform's record of AWS account %s of customer %q could not be read (%s), so it was not "+
				"checked; IAM role %q was read from AWS.", t.AccountID, t.Customer, seen.PlatformErr, t.RoleName))
	}
	if seen.Standing != rolegrant.Unreachable {
		state.Stranded = types.BoolValue(reason != "")
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateStranded, privateText(reason))...)
	}

	if len(imported) > 0 {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportedRole, nil)...)
		trust, err := rolegrant.ReadTrust(ctx, op.client, t.Customer)
		if err != nil {
			trust = nil // the plan shows what could not be filled in
		}
		if warning := state.fillImported(seen.Role, trust); warning != nil {
			tflog.Warn(ctx, "imported role's policy is not one this provider builds", map[string]any{"error": warning.Error()})
		}
		state.ExpiresAt = importedExpiry(seen.Role) // aws_role_expiry.go
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *awsRoleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state awsRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	t := state.target()
	if state.Stranded.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("stranded"), "AWS role stranded",
			fmt.Sprintf("IAM role %q in AWS account %s is stranded: the platform no longer has customer %q, or refuses the "+
				"provider's API key for it. It can only be revoked, not changed, so nothing was changed: remove the resource "+
				"from the configuration (or run terraform destroy), which deletes the role with the AWS credentials alone.",
				t.RoleName, t.AccountID, t.Customer))
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	op := r.declared(ctx, &plan, t.Customer, fmt.Sprintf("updating AWS role %q of customer %q", t.RoleName, t.Customer), &resp.Diagnostics)
	if op == nil {
		return
	}
	granted, err := op.grantor.Update(op.ctx, t, op.spec)
	switch {
	case errors.Is(err, awsrole.ErrRoleNotFound):
		resp.Diagnostics.AddError("AWS role no longer exists",
			fmt.Sprintf("IAM role %q in AWS account %s was deleted after Terraform last read it, so it was not updated. "+
				"Run terraform apply again: the plan will re-create it.", t.RoleName, t.AccountID))
		return
	case err != nil:
		if !r.addGrantError(&resp.Diagnostics, err) {
			resp.Diagnostics.AddError("Error updating the AWS role",
				fmt.Sprintf("Updating IAM role %q in AWS account %s failed: %s.", t.RoleName, t.AccountID, err))
		}
		return
	}
	plan.fromGrant(op.trust, granted)
	if plan.VerificationState.IsUnknown() {
		// The plan asked for a new verdict (ModifyPlan: planVerification): the trust and policy
		// are put back above, so the platform is asked now.
		trustChanged := !samePolicy(state.TrustPolicyJSON.ValueString(), op.trust.Policy)
		rec, err := r.verify(op.ctx, op, &plan, granted.Record, trustChanged)
		r.reportVerification(&plan, rec, err, &resp.Diagnostics)
	}
	resp.Diagnostics.Append(setKnown(op.ctx, &resp.State, &plan)...)
}

func (r *awsRoleResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state awsRoleResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	t := state.target()
	op := r.open(ctx, state.AssumeRole, fmt.Sprintf("revoking AWS role %q of customer %q", t.RoleName, t.Customer), &resp.Diagnostics)
	if op == nil {
		return
	}
	left, err := op.grantor.Revoke(op.ctx, t, state.RoleARN.ValueString())
	if err != nil {
		if !r.addGrantError(&resp.Diagnostics, err) {
			resp.Diagnostics.AddError("Error deleting the AWS role",
				fmt.Sprintf("Deleting IAM role %q in AWS account %s failed: %s.\n\nThe role still exists. The platform's "+
					"record of the account is marked purge when the platform could be told; run terraform destroy again "+
					"once the cause is fixed.", t.RoleName, t.AccountID, err))
		}
		return
	}
	if left != nil {
		resp.Diagnostics.AddWarning("AWS role revoked; the platform's record is left",
			fmt.Sprintf("IAM role %q was deleted from AWS account %s: the diagnostic account can no longer assume it. "+
				"But %s.\n\nThat record is bookkeeping, not access. Remove it with the ops key when the platform "+
				"answers again: curl -X DELETE -H \"x-api-key: $VIRTCO_OPS_KEY\" %s/v1/customers/%s/aws-accounts/%s "+
				"(a virtco_aws_role created later for that account replaces it too).",
				t.RoleName, t.AccountID, left, r.data.endpoint, t.Customer, t.AccountID))
	}
}

func (r *awsRoleResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	customer, accountID, roleName, assumeARN, err := parseRoleID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("A virtco_aws_role is imported by customer/account_id/role_name, followed by /<role ARN> when it "+
				"has an assume_role block: %s.", err))
		return
	}
	if assumeARN != "" {
		// The role is read through the role to assume, as the configuration's assume_role will.
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("assume_role"), &assumeRoleModel{
			RoleARN: types.StringValue(assumeARN), ExternalID: types.StringNull(), SessionName: types.StringNull(),
		})...)
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), roleID(customer, accountID, roleName))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("customer"), customer)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("account_id"), accountID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("role_name"), roleName)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportedRole, []byte(`true`))...)
}
