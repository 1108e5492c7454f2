// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

// The plan of a virtco_aws_role beyond its attributes' own: the trust from the customer, a role
// of the planned name that exists already, a stranded role.

// planTrust plans the trust policy from the customer as the platform has it now. A customer that
// does not exist yet (created in the same apply), or that is being replaced (the external_id the
// configuration gives is not known yet), leaves it to apply. It reports false when the plan must
// stop.
func (r *awsRoleResource) planTrust(ctx context.Context, plan, config, state *awsRoleResourceModel, diags *diag.Diagnostics) bool {
	plan.ExternalID, plan.TrustedPrincipal, plan.TrustPolicyJSON = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
	if c := r.data.apiOrNil(); c != nil && !plan.Customer.IsUnknown() && !config.ExternalID.IsUnknown() {
		name := plan.Customer.ValueString()
		trust, err := rolegrant.ReadTrust(r.data.logContext(ctx), c, name)
		switch {
		case errors.Is(err, client.ErrNotFound) && state == nil:
			tflog.Debug(ctx, "customer does not exist yet; the trust policy is known after apply", map[string]any{"customer": name})
		case state != nil && errors.Is(err, client.ErrNotFound):
			// Unprovisioned since the state was last refreshed (a saved plan, -refresh=false): the role
			// is stranded. Its trust is planned as it is, so that a destroy goes on, and an update
			// fails at apply saying why, rather than as a plan Terraform finds inconsistent.
			plan.ExternalID, plan.TrustedPrincipal, plan.TrustPolicyJSON = state.ExternalID, state.TrustedPrincipal, state.TrustPolicyJSON
			diags.AddWarning("Customer no longer exists",
				fmt.Sprintf("Customer %q no longer exists on the platform, so the role's trust policy is planned as it is; "+
					"the role can only be revoked now.", name))
		case state != nil && (errors.Is(err, client.ErrUnreachable) || errors.Is(err, client.ErrServer) || errors.Is(err, client.ErrRateLimited)):
			// The platform cannot say now: an existing role's trust is planned as it is, so that a plan,
			// and the refresh of a destroy, go on without it.
			plan.ExternalID, plan.TrustedPrincipal, plan.TrustPolicyJSON = state.ExternalID, state.TrustedPrincipal, state.TrustPolicyJSON
			diags.AddWarning("VIRT-CO API not reached",
				fmt.Sprintf("Customer %q could not be read (%s), so the role's trust policy is planned as it is.", name, err))
		case err != nil:
			addTrustError(r.data, diags, name, err)
			return false
		case !config.ExternalID.IsNull() && config.ExternalID.ValueString() != trust.ExternalID:
			diags.AddAttributeError(path.Root("external_id"), "Not the customer's external id",
				fmt.Sprintf("external_id is %q, but customer %q's external id is %q. Set it to the customer's "+
					"(virtco_customer.<name>.external_id), or leave it out to have it read from the customer.",
					config.ExternalID.ValueString(), name, trust.ExternalID))
			return false
		default:
			plan.ExternalID, plan.TrustedPrincipal = types.StringValue(trust.ExternalID), types.StringValue(trust.Principal)
			plan.TrustPolicyJSON = types.StringValue(trust.Policy)
			if state != nil {
				plan.TrustPolicyJSON = keepText(state.TrustPolicyJSON, trust.Policy)
			}
		}
	}
	return true
}

// refuseExistingRole refuses, at plan time, to create a role whose name another role of the
// account has: someone else's, never taken over (the apply would refuse it anyway, halfway). One
// listing of the account's roles per run tells. Left to the apply, as Terraform deletes them
// first: a role this run has seen in a virtco_aws_role's state (replaced because its customer or
// name changed), and a role that trusts exactly this customer's diagnostic account (most likely
// this configuration's own, tainted: Terraform plans a tainted object as a create, with no state).
func (r *awsRoleResource) refuseExistingRole(ctx context.Context, plan *awsRoleResourceModel, reach *awsReach, account string, diags *diag.Diagnostics) bool {
	if plan.RoleName.IsUnknown() {
		return false
	}
	existing, d := reach.existingRole(ctx, plan.RoleName.ValueString())
	diags.Append(d...)
	if d.HasError() || existing == "" || r.data.aws.isInState(account, existing) {
		return d.HasError()
	}
	if !plan.TrustPolicyJSON.IsUnknown() {
		if st, err := reach.mgr.Read(ctx, existing); err == nil && samePolicy(st.TrustPolicy, plan.TrustPolicyJSON.ValueString()) {
			return false
		}
	}
	customer := plan.Customer.ValueString()
	addAlreadyExists(diags, "role_name", "IAM role already exists",
		fmt.Sprintf("A role named %q already exists in AWS account %s, so Terraform will not create it (nor silently "+
			"take it over); nothing was changed.", existing, account),
		"virtco_aws_role", roleID(customer, account, existing), "role_name")
	return true
}

// strandedReason says why the platform can no longer use the role, for the plan's warning.
func strandedReason(t rolegrant.Target, seen *rolegrant.Observed) string {
	if seen.Standing == rolegrant.CustomerGone {
		return fmt.Sprintf("the platform no longer has customer %q (it was unprovisioned)", t.Customer)
	}
	return fmt.Sprintf("the platform refuses the provider's API key for customer %q (%s): it was revoked or rotated, or "+
		"is not this customer's", t.Customer, apiMessage(seen.PlatformErr))
}

// privateText is a string as private state holds it (JSON); "" removes the key.
func privateText(s string) []byte {
	if s == "" {
		return nil
	}
	b, _ := json.Marshal(s)
	return b
}

// planStranded plans a role the platform can no longer use: nothing can be read from the
// platform and nothing changed on its side, so the plan keeps what the state has and warns, and a
// change of the role itself is refused here rather than failing at apply. Destroying it needs AWS
// alone.
func (r *awsRoleResource) planStranded(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse,
	state, plan *awsRoleResourceModel,
) {
	raw, diags := req.Private.GetKey(ctx, privateStranded)
	resp.Diagnostics.Append(diags...)
	var reason string
	if json.Unmarshal(raw, &reason) != nil || reason == "" {
		reason = "the platform no longer has the customer, or refuses the provider's API key"
	}
	plan.ID, plan.AccountID, plan.RoleARN, plan.ExternalID = state.ID, state.AccountID, state.RoleARN, state.ExternalID
	plan.TrustedPrincipal, plan.TrustPolicyJSON, plan.PolicyJSON = state.TrustedPrincipal, state.TrustPolicyJSON, state.PolicyJSON
	plan.ManagedPolicyARNs, plan.ExtraInlinePolicies = state.ManagedPolicyARNs, state.ExtraInlinePolicies
	plan.State, plan.Stranded = state.State, state.Stranded
	plan.VerificationState, plan.VerifiedAt, plan.VerificationMessage = state.VerificationState, state.VerifiedAt, state.VerificationMessage
	resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
	what := fmt.Sprintf("IAM role %q in AWS account %s is stranded: %s. The platform can no longer use it, but it is "+
		"still there, and its trust still admits the diagnostic account.", state.RoleName.ValueString(),
		state.AccountID.ValueString(), reason)
	revoke := " Revoke it: terraform destroy, or remove the resource from the configuration and apply; either needs " +
		"only the AWS credentials."
	if !resp.Plan.Raw.Equal(req.State.Raw) {
		// A warning, not an error: terraform destroy plans the configuration too, while it refreshes,
		// and an error here would keep the role from being revoked. Update refuses the change.
		revoke = " It can only be revoked, not changed: the change planned here will fail at apply, having changed " +
			"nothing." + revoke
	}
	resp.Diagnostics.AddAttributeWarning(path.Root("stranded"), "AWS role stranded", what+revoke)
}
