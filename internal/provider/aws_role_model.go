// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

// The state of a virtco_aws_role, and its mapping to and from the grant (rolegrant) and the role
// as IAM has it (awsrole).

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/names"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
)

// The role's description when none is given: by virtco_aws_role, and in the CloudFormation
// template of virtco_aws_role_policy.
const (
	defaultRoleDescription = "VIRT-CO diagnostics: read-only access for the customer's VIRT-CO diagnostic account (managed by Terraform)"
	cfnRoleDescription     = "VIRT-CO diagnostics: read-only access for the customer's VIRT-CO diagnostic account"
)

type awsRoleResourceModel struct {
	ID                  types.String     `tfsdk:"id"`
	Customer            types.String     `tfsdk:"customer"`
	AccountID           types.String     `tfsdk:"account_id"`
	RoleName            types.String     `tfsdk:"role_name"`
	Path                types.String     `tfsdk:"path"`
	Description         types.String     `tfsdk:"description"`
	DataSources         types.Set        `tfsdk:"data_sources"`
	CURBucket           types.String     `tfsdk:"cur_bucket"`
	MaxSessionDuration  types.Int64      `tfsdk:"max_session_duration"`
	PermissionsBoundary types.String     `tfsdk:"permissions_boundary"`
	Tags                types.Map        `tfsdk:"tags"`
	RoleARN             types.String     `tfsdk:"role_arn"`
	ExternalID          types.String     `tfsdk:"external_id"`
	TrustedPrincipal    types.String     `tfsdk:"trusted_principal"`
	TrustPolicyJSON     types.String     `tfsdk:"trust_policy_json"`
	PolicyJSON          types.String     `tfsdk:"policy_json"`
	ManagedPolicyARNs   types.Set        `tfsdk:"managed_policy_arns"`
	ExtraInlinePolicies types.Map        `tfsdk:"extra_inline_policies"`
	State               types.String     `tfsdk:"state"`
	Stranded            types.Bool       `tfsdk:"stranded"`
	WaitForVerification types.Bool       `tfsdk:"wait_for_verification"`
	VerificationState   types.String     `tfsdk:"verification_state"`
	VerifiedAt          types.String     `tfsdk:"verified_at"`
	VerificationMessage types.String     `tfsdk:"verification_message"`
	Timeouts            timeouts.Value   `tfsdk:"timeouts"`
	AssumeRole          *assumeRoleModel `tfsdk:"assume_role"`
	ExpiresAt           types.String     `tfsdk:"expires_at"` // aws_role_expiry.go
	ValidFor            types.String     `tfsdk:"valid_for"`
}

// awsRoleFields maps the fields of the API's 400 errors to the resource's attributes.
var awsRoleFields = fields{"customer": "customer", "account_id": "account_id"}

// Private state keys. privateImportedRole marks a role just imported: if it does not exist, the
// import fails rather than leaving a role to re-create. privateStranded keeps why the role is
// stranded, which the plan's warning says.
const (
	privateImportedRole = "imported"
	privateStranded     = "stranded"
)

// target is the grant the state (or plan) is about.
func (m *awsRoleResourceModel) target() rolegrant.Target {
	return rolegrant.Target{Customer: m.Customer.ValueString(), AccountID: m.AccountID.ValueString(),
		RoleName: m.RoleName.ValueString(), Path: m.Path.ValueString()}
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

// spec is the role as the model declares it, with the given trust policy.
func (m *awsRoleResourceModel) spec(ctx context.Context, trust string) (awsrole.RoleSpec, diag.Diagnostics) {
	perms, diags := m.permissionsPolicy(ctx)
	tags := map[string]string{}
	if !m.Tags.IsNull() && !m.Tags.IsUnknown() {
		diags.Append(m.Tags.ElementsAs(ctx, &tags, false)...)
	}
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

// fromGrant sets the model from a role just created or updated for trust.
func (m *awsRoleResourceModel) fromGrant(trust *rolegrant.Trust, g *rolegrant.Granted) {
	m.ExternalID, m.TrustedPrincipal = types.StringValue(trust.ExternalID), types.StringValue(trust.Principal)
	if m.TrustPolicyJSON.IsUnknown() {
		m.TrustPolicyJSON = types.StringValue(trust.Policy)
	}
	m.fromRole(g.Role)
	m.State = types.StringValue(string(g.Record.State))
	m.Stranded = types.BoolValue(false)
	m.ID = types.StringValue(roleID(m.Customer.ValueString(), m.AccountID.ValueString(), m.RoleName.ValueString()))
}

// checkPlanned refuses to go on when the customer changed since the plan: the plan showed a trust
// policy that is not the one the role would get.
func (m *awsRoleResourceModel) checkPlanned(trust *rolegrant.Trust, diags *diag.Diagnostics) bool {
	if (!m.ExternalID.IsUnknown() && m.ExternalID.ValueString() != trust.ExternalID) ||
		(!m.TrustedPrincipal.IsUnknown() && m.TrustedPrincipal.ValueString() != trust.Principal) {
		diags.AddAttributeError(path.Root("customer"), "Customer changed since the plan",
			fmt.Sprintf("Customer %q's diagnostic account or external id changed on the platform after the plan was made, "+
				"so the role's trust policy would not be the one the plan showed. Nothing was changed: plan and apply again.",
				trust.Customer.Name))
		return false
	}
	return true
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

// fillImported sets what only the configuration says, from what the role has: the data sources
// (and CUR bucket) its policy was built from, and the customer's external id and principal
// (trust nil: the customer could not be read).
func (m *awsRoleResourceModel) fillImported(st *awsrole.RoleState, trust *rolegrant.Trust) (warning error) {
	sources, opts, err := awsrole.SourcesFromPolicy(st.InlinePolicies[awsrole.DefaultInlinePolicyName])
	if err != nil {
		// Not a policy this provider builds: the defaults, and the plan shows the difference.
		warning = err
		sources = awsrole.DefaultDataSources()
		opts = awsrole.PermissionOptions{}
	}
	m.DataSources, _ = stringSet(sources)
	m.CURBucket = stringOrNull(opts.CURBucket)
	// The documents in the provider's own spelling when they are what it would write, so that
	// the state after an import is the state after a create.
	if doc, err := awsrole.PermissionsPolicy(sources, opts); err == nil && !m.PolicyJSON.IsNull() && samePolicy(m.PolicyJSON.ValueString(), doc) {
		m.PolicyJSON = types.StringValue(doc)
	}
	if trust != nil {
		m.ExternalID, m.TrustedPrincipal = types.StringValue(trust.ExternalID), types.StringValue(trust.Principal)
		if samePolicy(m.TrustPolicyJSON.ValueString(), trust.Policy) {
			m.TrustPolicyJSON = types.StringValue(trust.Policy)
		}
	}
	return warning
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

// stringsOf returns the strings of a known set or list of strings, sorted.
func stringsOf(ctx context.Context, v interface {
	ElementsAs(context.Context, any, bool) diag.Diagnostics
}) ([]string, diag.Diagnostics) {
	var out []string
	diags := v.ElementsAs(ctx, &out, false)
	sort.Strings(out)
	return out, diags
}

func stringMap(m map[string]string) types.Map {
	vals := make(map[string]attr.Value, len(m))
	for k, v := range m {
		vals[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, vals)
}

// roleID is the import id: customer/account_id/role_name.
func roleID(customer, accountID, roleName string) string {
	return customer + "/" + accountID + "/" + roleName
}

// parseRoleID splits an import id customer/account_id/role_name, or
// customer/account_id/role_name/role_arn for a role managed through a role assumed (assume_role),
// whose ARN may have slashes of its own.
func parseRoleID(id string) (customer, accountID, roleName, assumeARN string, err error) {
	parts := strings.SplitN(id, "/", 4)
	if len(parts) < 3 || (len(parts) == 4 && !isRoleARN(parts[3])) {
		return "", "", "", "", fmt.Errorf("the import id %q is not of the form customer/account_id/role_name "+
			"(such as acme.com/123456789012/%s), nor customer/account_id/role_name/<ARN of the IAM role to assume> "+
			"for a role with assume_role (such as acme.com/123456789012/%s/arn:aws:iam::123456789012:role/OrganizationAccountAccessRole)",
			id, awsrole.DefaultRoleName, awsrole.DefaultRoleName)
	}
	if len(parts) == 4 {
		assumeARN = parts[3]
	}
	customer, accountID, roleName = parts[0], parts[1], parts[2]
	for _, c := range []struct {
		rule  names.Rule
		value string
	}{{names.CustomerName, customer}, {names.AccountID, accountID}, {names.RoleName, roleName}} {
		if err := c.rule.Check(c.value); err != nil {
			return "", "", "", "", err
		}
	}
	return customer, accountID, roleName, assumeARN, nil
}
