// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

// virtco_aws_role's assume_role block: the role is managed with a role assumed, for it alone,
// from the provider's AWS credentials, so that one provider block and for_each reach every
// account of an organization (each account's OrganizationAccountAccessRole, say).

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/virtasant/terraform-provider-virtco/internal/awsconfig"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

// STS's rules for AssumeRole's ExternalId and RoleSessionName, checked at plan time rather than
// refused by STS at apply.
var (
	assumeExternalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	assumeSessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)
)

func roleAssumeRoleBlock() schema.Block {
	return schema.SingleNestedBlock{
		MarkdownDescription: "Manage this role with a role assumed (STS AssumeRole) from the provider's AWS credentials, " +
			"instead of with those credentials themselves: the role is created, read, updated and deleted in the " +
			"account of the assumed role, and `account_id` is checked against that account. With it, one provider " +
			"block and `for_each` over account ids reach every account of an AWS organization, through each member " +
			"account's `OrganizationAccountAccessRole` (which trusts the management account). Each role is assumed " +
			"once per Terraform run and its credentials shared by every resource that names it. A refused AssumeRole " +
			"is an error naming the role and its account, and nothing is created. Changing the block changes nothing in " +
			"AWS, but it must reach the role's account (to move the role, change `account_id` too, which replaces it); " +
			"destroy uses the block the role was last applied with.",
		Attributes: map[string]schema.Attribute{
			"role_arn": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "ARN of the IAM role to assume, such as " +
					"`arn:aws:iam::123456789012:role/OrganizationAccountAccessRole`. Required in the block.",
				Validators: []validator.String{stringvalidator.LengthAtMost(maxRoleARN), stringvalidator.RegexMatches(assumeRoleARNRE,
					"must be the ARN of an IAM role: arn:aws:iam::<12-digit account id>:role/<path and name>, such as "+
						"arn:aws:iam::123456789012:role/OrganizationAccountAccessRole")},
			},
			"external_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "External id the role to assume requires (`sts:ExternalId`), if any: 2-1224 letters, digits and `_+=,.@:/-`.",
				Validators: []validator.String{stringvalidator.LengthBetween(2, 1224), stringvalidator.RegexMatches(assumeExternalIDRE,
					"must be made of letters, digits and _+=,.@:/-")},
			},
			"session_name": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Session name, as CloudTrail shows it: 2-64 letters, digits and `_+=,.@-`. Defaults to `" +
					awsconfig.DefaultSessionName + "`.",
				Validators: []validator.String{stringvalidator.LengthBetween(2, 64), stringvalidator.RegexMatches(assumeSessionNameRE,
					"must be made of letters, digits and _+=,.@-")},
			},
		},
		Validators: []validator.Object{assumeRoleNeedsARN{}},
	}
}

// assumeRoleNeedsARN refuses an assume_role block without role_arn.
type assumeRoleNeedsARN struct{}

var _ validator.Object = assumeRoleNeedsARN{}

func (assumeRoleNeedsARN) Description(context.Context) string {
	return "role_arn is required in the block"
}

func (v assumeRoleNeedsARN) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (assumeRoleNeedsARN) ValidateObject(_ context.Context, req validator.ObjectRequest, resp *validator.ObjectResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if v, ok := req.ConfigValue.Attributes()["role_arn"]; ok && !v.IsNull() {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path.AtName("role_arn"), "Missing role to assume",
		fmt.Sprintf("The %s block has no role_arn: give the ARN of the role to assume, such as "+
			"arn:aws:iam::123456789012:role/OrganizationAccountAccessRole, or remove the block to use the provider's "+
			"AWS credentials themselves.", req.Path))
}

// assumeRole is what the block asks to assume (nil without a block), or nil and false while a
// value of it is unknown.
func (m *assumeRoleModel) assumeRole() (*awsconfig.AssumeRole, bool) {
	if m == nil {
		return nil, true
	}
	if m.RoleARN.IsUnknown() || m.ExternalID.IsUnknown() || m.SessionName.IsUnknown() {
		return nil, false
	}
	return &awsconfig.AssumeRole{RoleARN: m.RoleARN.ValueString(), ExternalID: m.ExternalID.ValueString(),
		SessionName: m.SessionName.ValueString()}, true
}

// sameAssumeRole reports whether two assume_role blocks (nil: none) assume the same role the
// same way.
func sameAssumeRole(a, b *assumeRoleModel) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.RoleARN.Equal(b.RoleARN) && a.ExternalID.Equal(b.ExternalID) && a.SessionName.Equal(b.SessionName)
}

// refuseAccount refuses, at plan time, credentials that reach another account than declared: the
// provider's own (rolegrant's words), or the role assumed for this resource (role), which are
// what to correct then. op is "create" or "update".
func (r *awsRoleResource) refuseAccount(diags *diag.Diagnostics, role *awsconfig.AssumeRole, declared, reached, op string) bool {
	err := rolegrant.CheckAccount(declared, reached, op)
	if err == nil || role == nil {
		return r.addGrantError(diags, err)
	}
	diags.AddAttributeError(path.Root("account_id"), "Wrong AWS account",
		fmt.Sprintf("The role assumed with assume_role (%s) reaches AWS account %s, but the role is for account %s: "+
			"the provider refuses to %s the role in another account than the one declared, and did nothing.\n\n"+
			"Assume a role of account %s (assume_role.role_arn), or correct account_id.",
			role.RoleARN, reached, declared, op, declared))
	return true
}

// reachedAccount assumes role (nil for none) from the provider's AWS credentials and says which
// account they then reach; ok is false when either failed, with the reason in diags.
func (r *awsRoleResource) reachedAccount(ctx context.Context, role *awsconfig.AssumeRole, diags *diag.Diagnostics) (*awsReach, string, bool) {
	reach, d := r.data.aws.reach(ctx, role)
	diags.Append(d...)
	if d.HasError() {
		return nil, "", false
	}
	acct, d := reach.callerAccount(ctx)
	diags.Append(d...)
	return reach, acct, !d.HasError()
}
