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

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

// grantor is the grant's machinery with the provider's AWS credentials, loaded the first time a
// role needs them.
func (r *awsRoleResource) grantor(ctx context.Context, c *client.Client, diags *diag.Diagnostics) *rolegrant.Grantor {
	if r.data == nil {
		diags.AddError("Provider not configured",
			"The VIRT-CO provider was not configured before the AWS role was needed. This is a bug in the provider or Terraform; please report it.")
		return nil
	}
	mgr, d := r.data.aws.manager(ctx)
	diags.Append(d...)
	if d.HasError() {
		return nil
	}
	acct, d := r.data.aws.callerAccount(ctx)
	diags.Append(d...)
	if d.HasError() {
		return nil
	}
	return rolegrant.New(c, mgr, acct)
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
		r.addTrustError(diags, name, err)
		return nil, false
	}
	return trust, true
}

// addTrustError reports why the trust policy of customer's role cannot be built (the customer not
// existing aside: each caller says what that means to it).
func (r *awsRoleResource) addTrustError(diags *diag.Diagnostics, customer string, err error) {
	addTrustError(r.data, diags, customer, err)
}

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
