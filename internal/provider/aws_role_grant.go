// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

// The grant behind virtco_aws_role (package rolegrant), and what its errors tell the user.

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

// roleOp is what an operation on a role works with.
type roleOp struct {
	ctx     context.Context // masks secrets in log entries
	client  *client.Client
	grantor *rolegrant.Grantor
	trust   *rolegrant.Trust // the customer's, for Create and Update
	spec    awsrole.RoleSpec // the role declared with that trust, for Create and Update
}

// open readies an operation on a role: the API client and the grant with the provider's AWS
// credentials, or the role assume says assumed from them; nil when diags says why not. doing is
// what the operation does, for messages.
func (r *awsRoleResource) open(ctx context.Context, assume *assumeRoleModel, doing string, diags *diag.Diagnostics) *roleOp {
	c := r.data.apiClient(diags, doing)
	if c == nil {
		return nil
	}
	ctx = r.data.logContext(ctx)
	g := r.grantor(ctx, c, assume, diags)
	if g == nil {
		return nil
	}
	return &roleOp{ctx: ctx, client: c, grantor: g}
}

// declared readies Create or Update: the customer's trust as the plan showed it, and the role
// the plan declares with it, checked before any AWS credentials are loaded.
func (r *awsRoleResource) declared(ctx context.Context, plan *awsRoleResourceModel, customer, doing string, diags *diag.Diagnostics) *roleOp {
	c := r.data.apiClient(diags, doing)
	if c == nil {
		return nil
	}
	ctx = r.data.logContext(ctx)
	trust, ok := r.customerTrust(ctx, c, customer, diags)
	if !ok || !plan.checkPlanned(trust, diags) {
		return nil
	}
	if trust, ok = plan.withExpiry(trust, diags); !ok {
		return nil
	}
	spec, d := plan.spec(ctx, trust.Policy)
	diags.Append(d...)
	if d.HasError() {
		return nil
	}
	g := r.grantor(ctx, c, plan.AssumeRole, diags)
	if g == nil {
		return nil
	}
	return &roleOp{ctx: ctx, client: c, grantor: g, trust: trust, spec: spec}
}

// grantor is the grant's machinery with the provider's AWS credentials, or the role assume says
// assumed from them, loaded the first time a role needs them (r.data is set: apiClient gave c).
func (r *awsRoleResource) grantor(ctx context.Context, c *client.Client, assume *assumeRoleModel, diags *diag.Diagnostics) *rolegrant.Grantor {
	role, known := assume.assumeRole()
	if !known {
		diags.AddAttributeError(path.Root("assume_role"), "Role to assume not known",
			"The assume_role block depends on values that are not known yet, so the AWS role cannot be managed now.")
		return nil
	}
	reach, d := r.data.aws.reach(ctx, role)
	diags.Append(d...)
	if d.HasError() {
		return nil
	}
	acct, d := reach.callerAccount(ctx)
	diags.Append(d...)
	if d.HasError() {
		return nil
	}
	return rolegrant.New(c, reach.mgr, acct)
}

// customerTrust reads the customer and builds the trust policy its role must have.
func (r *awsRoleResource) customerTrust(ctx context.Context, c *client.Client, name string, diags *diag.Diagnostics) (*rolegrant.Trust, bool) {
	trust, err := rolegrant.ReadTrust(ctx, c, name)
	if errors.Is(err, client.ErrNotFound) {
		diags.AddAttributeError(path.Root("customer"), "Customer does not exist",
			fmt.Sprintf("Customer %q does not exist on the platform, so no role can be made for it. Create it first (a "+
				"virtco_customer, with the ops key), and refer to it as customer = virtco_customer.<name>.name so that "+
				"Terraform creates it before the role.", name))
		return nil, false
	}
	if err != nil {
		addTrustError(r.data, diags, name, err)
		return nil, false
	}
	return trust, true
}

// addTrustError reports why the trust policy of customer's role cannot be built (the customer not
// existing aside: each caller says what that means to it).
func addTrustError(d *providerData, diags *diag.Diagnostics, customer string, err error) {
	var pe *rolegrant.PlatformError
	switch {
	case errors.As(err, &pe):
		d.addAPIError(diags, pe.Doing, needsCustomer, fields{"customer": "customer"}, pe.Err)
	case errors.Is(err, rolegrant.ErrNoDiagAccount):
		diags.AddAttributeError(path.Root("customer"), "Customer has no diag account",
			fmt.Sprintf("Customer %q has no diag account: set diag_account on virtco_customer %q (the ops key may; "+
				"see the virtco_diag_accounts data source), then plan again. The role's trust policy names the customer's "+
				"diagnostic account, so the role cannot be created before the customer has one. If this configuration sets "+
				"diag_account on that customer in the same run, apply the customer first (terraform apply -target=...).",
				customer, customer))
	default:
		diags.AddAttributeError(path.Root("customer"), "Cannot build the trust policy", upperFirst(err.Error())+".")
	}
}

// addGrantError reports the grant's typed errors, each at the attribute it is about; it returns
// false (adding nothing) for any other error, which the caller reports in its own words.
func (r *awsRoleResource) addGrantError(diags *diag.Diagnostics, err error) bool {
	var wrong *rolegrant.WrongAccountError
	var elsewhere *rolegrant.RegisteredElsewhereError
	var pe *rolegrant.PlatformError
	switch {
	case err == nil:
		return false
	case errors.As(err, &wrong):
		diags.AddAttributeError(path.Root("account_id"), "Wrong AWS account",
			fmt.Sprintf("The provider's AWS credentials reach AWS account %s, but the role is for account %s: the provider "+
				"refuses to %s the role in another account than the one declared, and did nothing.\n\nUse credentials of "+
				"account %s (the provider's aws block: profile, assume_role, ...; or AWS_PROFILE, AWS_ACCESS_KEY_ID, ...), or "+
				"correct account_id.", wrong.Reached, wrong.Declared, wrong.Op, wrong.Declared))
	case errors.As(err, &elsewhere):
		diags.AddAttributeError(path.Root("role_name"), "Account already registered with another role",
			fmt.Sprintf("AWS account %s of customer %q is already registered with the platform with role %s; the platform "+
				"registers one role per customer and account, so Terraform will not register %q over it. Import that "+
				"role (terraform import <address> %s/%s/<its role name>), or destroy what manages it first.",
				elsewhere.AccountID, elsewhere.Customer, elsewhere.RoleARN, elsewhere.RoleName, elsewhere.Customer, elsewhere.AccountID))
	case errors.Is(err, rolegrant.ErrInvalidRole):
		diags.AddError("Invalid role", upperFirst(err.Error())+".")
	case errors.As(err, &pe):
		r.data.addAPIError(diags, pe.Doing, needsCustomer, awsRoleFields, pe.Err)
	default:
		return false
	}
	return true
}

// addGrantFailure reports a failed Grant. A role that could not be deleted again is recorded in
// the state, so that Terraform marks it tainted and replaces it on the next apply: no role is left
// that the state does not record.
func (r *awsRoleResource) addGrantFailure(ctx context.Context, plan *awsRoleResourceModel, err error, resp *resource.CreateResponse) {
	customer, accountID, roleName := plan.Customer.ValueString(), plan.AccountID.ValueString(), plan.RoleName.ValueString()
	var notCreated *rolegrant.NotCreatedError
	var rolledBack *rolegrant.RolledBackError
	var leftBehind *rolegrant.LeftBehindError
	notRestored := func(restoreErr error) {
		if restoreErr != nil {
			tflog.Warn(ctx, "could not restore the platform's record of the account", map[string]any{"error": restoreErr.Error()})
		}
	}
	if errors.As(err, &notCreated) {
		notRestored(notCreated.RestoreErr)
	}
	if errors.As(err, &rolledBack) {
		notRestored(rolledBack.RestoreErr)
	}
	switch {
	case rolledBack != nil:
		summary, detail := r.failedAfterCreate(roleName, rolledBack.Cause)
		resp.Diagnostics.AddError(summary, detail+"\n\nThe IAM role was deleted again, so nothing is left behind. "+
			"Correct the cause and apply again.")
	case errors.As(err, &leftBehind):
		tflog.Warn(ctx, "could not delete the half-created role; recording it in the state", map[string]any{"error": leftBehind.DeleteErr.Error()})
		plan.ID = types.StringValue(roleID(customer, accountID, roleName))
		plan.RoleARN = stringOrNull(leftBehind.RoleARN)
		plan.State = types.StringValue(string(client.RoleInProgress))
		resp.Diagnostics.Append(setKnown(ctx, &resp.State, plan)...)
		summary, detail := r.failedAfterCreate(roleName, leftBehind.Cause)
		resp.Diagnostics.AddError(summary, fmt.Sprintf("%s\n\nDeleting the IAM role %q again failed too (%s), so it is "+
			"recorded in the state as tainted: the next apply replaces it, and terraform destroy removes it.", detail, roleName, leftBehind.DeleteErr))
	case errors.Is(err, awsrole.ErrRoleExists):
		addAlreadyExists(&resp.Diagnostics, "role_name", "IAM role already exists",
			fmt.Sprintf("A role named %q already exists in AWS account %s, so Terraform will not create it (nor silently "+
				"take it over); nothing was changed.", roleName, accountID),
			"virtco_aws_role", roleID(customer, accountID, roleName), "role_name")
	case r.addGrantError(&resp.Diagnostics, err):
	default:
		resp.Diagnostics.AddError("Error creating the AWS role",
			fmt.Sprintf("Creating IAM role %q in AWS account %s failed, and nothing was created: %s.", roleName, accountID, err))
	}
}

// failedAfterCreate is the summary and detail of a failure after CreateRole.
func (r *awsRoleResource) failedAfterCreate(roleName string, cause error) (summary, detail string) {
	var pe *rolegrant.PlatformError
	if errors.As(cause, &pe) {
		var d diag.Diagnostics
		r.data.addAPIError(&d, pe.Doing, needsCustomer, awsRoleFields, pe.Err)
		return d[0].Summary(), d[0].Detail()
	}
	return "Error creating the AWS role", fmt.Sprintf("Creating IAM role %q failed after the role was created: %s.", roleName, cause)
}
