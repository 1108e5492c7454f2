// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

// The platform's verification of a virtco_aws_role (ARCHITECTURE.md, "Verification", and "An
// apply and a destroy"): the attributes that show it, the plan that repairs a failed one, and
// the wait after a create or a repair.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

// The defaults of the timeouts block.
const (
	defaultCreateTimeout = 5 * time.Minute
	defaultUpdateTimeout = 5 * time.Minute
)

// verificationAttributes are the schema's attributes of the verification.
func verificationAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"wait_for_verification": schema.BoolAttribute{
			Optional: true,
			MarkdownDescription: "Whether create waits until the platform has assumed the role itself (`verification_state` " +
				"`verified`), bounded by `timeouts.create`, and an apply that repairs a failed verification retries it " +
				"while IAM propagates the repaired trust. Defaults to `true`. With `false`, create returns once the role " +
				"is registered (`verification_state` is then usually `pending`) and a repair asks the platform once.",
		},
		"verification_state": schema.StringAttribute{
			Computed: true,
			MarkdownDescription: "The platform's verification of the role: `verified` (the platform assumed it as the " +
				"customer's diagnostic account, with the external id), `failed` (AWS refused; see `verification_message`), " +
				"`pending` (not settled yet), `unavailable` (the platform has no credentials for the diagnostic account, " +
				"or verification is off) or `expired` (AWS refused after `expires_at`, as the trust says: not a fault). A failed verification shows in the plan as a change; apply puts back the trust " +
				"and policy and asks the platform to verify again. Null when the platform has no record of this role.",
		},
		"verified_at": schema.StringAttribute{
			Computed: true,
			MarkdownDescription: "When the platform last assumed the role (RFC 3339), while `verification_state` is " +
				"`verified`; null otherwise. The platform verifies every registered role again periodically, so a " +
				"refresh may move it.",
		},
		"verification_message": schema.StringAttribute{
			Computed: true,
			MarkdownDescription: "The platform's words on its last verification: on `failed`, AWS's error code and " +
				"message and what to check (the trust's principal, its `sts:ExternalId` condition, SCPs and permissions " +
				"boundaries); on `unavailable`, why the platform could not try.",
		},
	}
}

// timeoutsBlock is the timeouts block: create and update, the waits for the verdict included.
func timeoutsBlock(ctx context.Context) schema.Block {
	b := timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true})
	if nb, ok := b.(schema.SingleNestedBlock); ok {
		nb.MarkdownDescription = "How long create and update may take, the wait for the platform's verification " +
			"included: durations such as `\"10m\"`. Both default to `5m`."
		for name, a := range nb.Attributes {
			if sa, ok := a.(schema.StringAttribute); ok {
				sa.MarkdownDescription = "How long " + name + " may take (default `5m`), such as `\"10m\"`."
				nb.Attributes[name] = sa
			}
		}
		return nb
	}
	return b
}

// waits is wait_for_verification, true unless set false.
func (m *awsRoleResourceModel) waits() bool {
	return m.WaitForVerification.IsNull() || m.WaitForVerification.IsUnknown() || m.WaitForVerification.ValueBool()
}

// fromVerification sets the verification attributes from the platform's verdict.
func (m *awsRoleResourceModel) fromVerification(v client.Verification) {
	m.VerificationState = stringOrNull(string(v.State))
	m.VerificationMessage = stringOrNull(v.Message)
	m.VerifiedAt = types.StringNull()
	if v.State == client.Verified && v.CheckedAt != nil {
		m.VerifiedAt = types.StringValue(v.CheckedAt.UTC().Format(time.RFC3339))
	}
}

// noVerification sets the verification attributes null: the platform has no record of the role.
func (m *awsRoleResourceModel) noVerification() {
	m.VerificationState, m.VerifiedAt, m.VerificationMessage = types.StringNull(), types.StringNull(), types.StringNull()
}

// unknownVerification plans the verification as known after apply.
func (m *awsRoleResourceModel) unknownVerification() {
	m.VerificationState, m.VerifiedAt, m.VerificationMessage = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
}

// planVerification plans the verification attributes. The verdict is the platform's, known only
// once it has assumed the role, so it is planned unknown whenever the apply asks for a new one:
// a create, a role registered again, a trust that changes, and a verification that failed, which
// is thus a change in the plan that apply repairs. Otherwise the state's verdict stands, so that
// the plan after a successful apply is empty.
func planVerification(plan, state *awsRoleResourceModel, diags *diag.Diagnostics) {
	if state == nil || plan.RoleARN.IsUnknown() {
		plan.unknownVerification()
		return
	}
	failed := state.VerificationState.ValueString() == string(client.VerificationFailed)
	if failed || reverifies(plan, state) {
		plan.unknownVerification()
		if failed {
			diags.AddAttributeWarning(path.Root("verification_state"), "AWS role verification failed",
				fmt.Sprintf("The platform's last verification of IAM role %q failed: %s\n\nApply puts back the role's trust "+
					"and policy as declared, then asks the platform to verify it again.",
					state.RoleName.ValueString(), state.VerificationMessage.ValueString()))
		}
		return
	}
	plan.VerificationState, plan.VerifiedAt, plan.VerificationMessage = state.VerificationState, state.VerifiedAt, state.VerificationMessage
}

// reverifies reports whether an update asks the platform for a new verdict, whatever the last
// one was: the role is registered again (which forgets the verdict), or its trust changes.
func reverifies(plan, state *awsRoleResourceModel) bool {
	if state.State.ValueString() != string(client.RoleDone) {
		return true
	}
	return plan.TrustPolicyJSON.IsUnknown() || !samePolicy(plan.TrustPolicyJSON.ValueString(), state.TrustPolicyJSON.ValueString())
}

// verify gets the platform's verdict after a create or an update and records it in m. rec is the
// platform's record as the grant left it. asked is whether the plan asked for a new verdict;
// trustChanged whether this apply changed the role's trust in IAM, which IAM takes a while to
// let through.
func (r *awsRoleResource) verify(ctx context.Context, op *roleOp, m *awsRoleResourceModel, rec *client.AWSAccount, trustChanged bool) (*client.AWSAccount, error) {
	t := m.target()
	switch {
	case rec.Verification.State == client.VerificationPending && m.waits():
		// Registered done just now: the platform verifies it, retrying while IAM propagates.
		return op.grantor.AwaitVerification(ctx, t, rolegrant.DefaultPoll)
	case rec.Verification.State == client.VerificationPending:
		return rec, nil
	case rec.Verification.State == client.VerificationFailed || (trustChanged && m.waits()):
		return op.grantor.Reverify(ctx, t, trustChanged && m.waits(), rolegrant.DefaultPoll)
	}
	return rec, nil
}

// reportVerification records the verdict in m and says what it means: an error when the role
// was refused and the apply waits for the verdict, a warning when the platform could not tell.
// The caller sets the state whatever it reports, so that the role stays in it.
func (r *awsRoleResource) reportVerification(m *awsRoleResourceModel, rec *client.AWSAccount, err error, diags *diag.Diagnostics) {
	role, account := m.RoleName.ValueString(), m.AccountID.ValueString()
	var timeout *rolegrant.VerificationTimeoutError
	var pe *rolegrant.PlatformError
	switch {
	case errors.As(err, &timeout):
		if timeout.Last != nil {
			m.fromVerification(timeout.Last.Verification)
		} else {
			m.noVerification()
		}
		diags.AddError("Timed out waiting for the AWS role's verification",
			fmt.Sprintf("IAM role %q in AWS account %s is created and registered with the platform, but the platform "+
				"gave no verdict on it within the timeout (timeouts in the resource; the default is 5m): %s.\n\nThe role is "+
				"kept in the state. Run terraform apply again to wait again, or raise the timeout.", role, account, timeout))
		return
	case errors.As(err, &pe):
		if rec != nil {
			m.fromVerification(rec.Verification)
		} else if m.VerificationState.IsUnknown() {
			m.noVerification()
		}
		diags.AddWarning("AWS role verification not read",
			fmt.Sprintf("IAM role %q in AWS account %s is in place and registered with the platform, but its verification "+
				"could not be read: %s. A refresh reads it again.", role, account, apiMessage(pe.Err)))
		return
	case err != nil:
		m.noVerification()
		diags.AddWarning("AWS role verification not read", fmt.Sprintf("The verification of IAM role %q could not be read: %s.", role, err))
		return
	}
	m.fromVerification(rec.Verification)
	v := rec.Verification
	switch v.State {
	case client.VerificationFailed:
		detail := fmt.Sprintf("IAM role %q in AWS account %s is in place and registered with the platform, but the platform "+
			"could not assume it as the customer's diagnostic account: %s\n\nCheck the role's trust policy: its principal "+
			"must be trusted_principal (%s) and its sts:ExternalId condition must be external_id; and that no SCP or "+
			"permissions boundary denies sts:AssumeRole. The role is kept in the state: a fixed terraform apply, or "+
			"terraform destroy, follows from it.", role, account, v.Message, m.TrustedPrincipal.ValueString())
		if m.waits() {
			diags.AddAttributeError(path.Root("verification_state"), "AWS role verification failed", detail)
		} else {
			diags.AddAttributeWarning(path.Root("verification_state"), "AWS role verification failed", detail)
		}
	case client.VerificationUnavailable:
		diags.AddAttributeWarning(path.Root("verification_state"), "AWS role verification unavailable",
			fmt.Sprintf("IAM role %q in AWS account %s is in place and registered with the platform, but the platform could "+
				"not verify it: %s. That is on the platform's side (its operators give it the diagnostic account's "+
				"credentials, or switch verification on); the role itself may be fine.", role, account, v.Message))
	}
}
