// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

// Time-boxed access for virtco_aws_role: expires_at (or valid_for) becomes a DateLessThan
// aws:CurrentTime condition in the trust policy, so that AWS itself refuses AssumeRole from then
// on, whoever runs what.

import (
	"fmt"
	"time"

	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

// addRoleExpiryAttributes adds expires_at and valid_for to virtco_aws_role's schema.
func addRoleExpiryAttributes(attrs map[string]schema.Attribute) {
	expiresAt, validFor := expiryAttributes("the role's trust policy refuses AssumeRole (the statement's " +
		"`DateLessThan` `aws:CurrentTime` condition, beside the external id): AWS itself ends the platform's access, " +
		"even if nobody runs Terraform again. The role stays; a later `expires_at` updates the trust in place and " +
		"restores access")
	attrs["expires_at"], attrs["valid_for"] = expiresAt, validFor
}

// planRoleExpiry plans expires_at and folds it into the trust policy planTrust planned (one
// without an expiry): unknown when valid_for is turned into a time by this apply.
func planRoleExpiry(plan, config, state *awsRoleResourceModel, diags *diag.Diagnostics) {
	e := expiry{configAt: config.ExpiresAt, configFor: config.ValidFor, create: state == nil,
		what: fmt.Sprintf("IAM role %s of customer %s", quotedOrLater(plan.RoleName), quotedOrLater(plan.Customer))}
	if state != nil {
		e.stateAt, e.stateFor = state.ExpiresAt, state.ValidFor
	}
	planned, d := e.plan(time.Now())
	diags.Append(d...)
	plan.ExpiresAt = planned
	if plan.TrustPolicyJSON.IsUnknown() || plan.TrustedPrincipal.IsUnknown() || plan.ExternalID.IsUnknown() {
		return
	}
	if planned.IsUnknown() {
		plan.TrustPolicyJSON = types.StringUnknown()
		return
	}
	doc, err := roleTrustPolicy(plan.TrustedPrincipal.ValueString(), plan.ExternalID.ValueString(), planned)
	if err != nil {
		diags.AddAttributeError(path.Root("expires_at"), "Cannot build the trust policy", upperFirst(err.Error())+".")
		return
	}
	plan.TrustPolicyJSON = types.StringValue(doc)
	if state != nil {
		plan.TrustPolicyJSON = keepText(state.TrustPolicyJSON, doc)
	}
}

// roleTrustPolicy is the trust policy with the expiry expiresAt (null: none).
func roleTrustPolicy(principal, externalID string, expiresAt types.String) (string, error) {
	var at *time.Time
	if !expiresAt.IsNull() {
		t, err := parseExpiresAt(expiresAt.ValueString())
		if err != nil {
			return "", err
		}
		at = &t
	}
	return awsrole.TrustPolicyUntil(principal, externalID, at)
}

// withExpiry is the customer's trust with the plan's expiry in its policy, for Create and Update:
// valid_for is turned into expires_at here, once, and the plan records it.
func (m *awsRoleResourceModel) withExpiry(trust *rolegrant.Trust, diags *diag.Diagnostics) (*rolegrant.Trust, bool) {
	expiresAt, _, err := resolveExpiry(m.ExpiresAt, m.ValidFor, time.Now())
	if err != nil {
		diags.AddAttributeError(path.Root("expires_at"), "Invalid expiry", upperFirst(err.Error())+".")
		return nil, false
	}
	m.ExpiresAt = expiresAt
	doc, err := roleTrustPolicy(trust.Principal, trust.ExternalID, expiresAt)
	if err != nil {
		diags.AddAttributeError(path.Root("expires_at"), "Cannot build the trust policy", upperFirst(err.Error())+".")
		return nil, false
	}
	expiring := *trust
	expiring.Policy = doc
	return &expiring, true
}

// policyExpiryAttribute is virtco_aws_role_policy's expires_at.
func policyExpiryAttribute() dsschema.StringAttribute {
	return dsschema.StringAttribute{
		Optional: true,
		MarkdownDescription: "When the role's access ends, in RFC 3339, such as `2030-01-31T18:00:00Z`: the trust policy " +
			"(and the CloudFormation template's) then requires `DateLessThan` `aws:CurrentTime` beside the external id, so " +
			"that AWS refuses AssumeRole from that time on. A time already past is an error.",
		Validators: []validator.String{checkString(checkExpiresAt)},
	}
}

// trustUntil is trust with expiresAt (null: none) in its policy, or nil after an error.
func trustUntil(trust *rolegrant.Trust, expiresAt types.String, diags *diag.Diagnostics) *rolegrant.Trust {
	if expiresAt.IsNull() || expiresAt.IsUnknown() {
		return trust
	}
	if at, err := parseExpiresAt(expiresAt.ValueString()); err == nil && !time.Now().Before(at) {
		diags.AddAttributeError(path.Root("expires_at"), "Expiry in the past",
			fmt.Sprintf("expires_at is %s, which has already passed: a role with this trust policy could never be assumed. "+
				"Give a time in the future.", expiresAt.ValueString()))
		return nil
	}
	doc, err := roleTrustPolicy(trust.Principal, trust.ExternalID, expiresAt)
	if err != nil {
		diags.AddAttributeError(path.Root("expires_at"), "Cannot build the trust policy", upperFirst(err.Error())+".")
		return nil
	}
	expiring := *trust
	expiring.Policy = doc
	return &expiring
}

// planRoleVerification is planVerification, except for a role whose access has expired and stays
// so: the platform's verification failing then is the expiry doing its work, not drift to repair,
// so the plan keeps the verdict as it is (and the expiry's own warning says what to do), rather
// than planning an update that would put back the same trust and fail again.
func planRoleVerification(plan, state *awsRoleResourceModel, diags *diag.Diagnostics) {
	if state != nil && expiredAndKept(plan, state, time.Now()) &&
		state.VerificationState.ValueString() == string(client.VerificationFailed) && state.State.ValueString() == string(client.RoleDone) {
		plan.VerificationState, plan.VerifiedAt, plan.VerificationMessage = state.VerificationState, state.VerifiedAt, state.VerificationMessage
		return
	}
	planVerification(plan, state, diags)
}

// expiredAndKept reports whether the planned expiry has passed and the planned trust is the
// state's: nothing this plan changes would let the platform in again.
func expiredAndKept(plan, state *awsRoleResourceModel, now time.Time) bool {
	if plan.ExpiresAt.IsNull() || plan.ExpiresAt.IsUnknown() || plan.TrustPolicyJSON.IsUnknown() {
		return false
	}
	at, err := parseExpiresAt(plan.ExpiresAt.ValueString())
	return err == nil && !now.Before(at) && samePolicy(plan.TrustPolicyJSON.ValueString(), state.TrustPolicyJSON.ValueString())
}

// importedExpiry is the expires_at of an imported role: its trust's DateLessThan aws:CurrentTime,
// null when it has none (or one this provider does not write).
func importedExpiry(st *awsrole.RoleState) types.String {
	at, err := awsrole.TrustPolicyExpiry(st.TrustPolicy)
	if err != nil || at == nil {
		return types.StringNull()
	}
	return types.StringValue(awsrole.FormatExpiry(*at))
}
