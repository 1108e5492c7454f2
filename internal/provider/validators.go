// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/names"
)

// The naming rules are the names package's, the server's own: a bad name is refused at plan time,
// before any apply, in the words the server would have used (ARCHITECTURE.md, "Names").

func customerNameValidators() []validator.String { return nameValidators(names.CustomerName) }

func userNameValidators() []validator.String { return nameValidators(names.UserName) }

func diagAccountNameValidators() []validator.String { return nameValidators(names.DiagAccountName) }

func regionValidators() []validator.String { return nameValidators(names.RegionName) }

// accountIDValidators check an AWS account id (for virtco_aws_role's account_id).
func accountIDValidators() []validator.String { return nameValidators(names.AccountID) }

func nameValidators(rule names.Rule) []validator.String { return []validator.String{checkRule(rule)} }

// validCustomerName reports why name is not a customer name, or nil.
func validCustomerName(name string) error { return names.CustomerName.Check(name) }

// validUserName reports why name is not a user name, or nil.
func validUserName(name string) error { return names.UserName.Check(name) }

// userID is a virtco_user's id: user@customer, as the platform's key names spell it.
func userID(customer, name string) string { return name + "@" + customer }

// parseUserID splits an import id of the form user@customer.
func parseUserID(id string) (customer, name string, err error) {
	name, customer, ok := strings.Cut(id, "@")
	if !ok || strings.Contains(customer, "@") {
		return "", "", fmt.Errorf("the import id %q is not of the form user@customer (such as joe@acme.com)", id)
	}
	if err := validUserName(name); err != nil {
		return "", "", fmt.Errorf("the import id %q is not of the form user@customer: %w", id, err)
	}
	if err := validCustomerName(customer); err != nil {
		return "", "", fmt.Errorf("the import id %q is not of the form user@customer: %w", id, err)
	}
	return customer, name, nil
}

// durationValidator checks a Go duration string that must be longer than zero.
type durationValidator struct{}

var _ validator.String = durationValidator{}

func (durationValidator) Description(context.Context) string {
	return "value must be a Go duration longer than zero, such as 30s or 2m"
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string {
	return "value must be a Go duration longer than zero, such as `30s` or `2m`"
}

func (v durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseTimeout(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%s is %q: %s. Give a Go duration such as \"30s\" or \"2m\".", req.Path, req.ConfigValue.ValueString(), err))
	}
}

// checkString is a string validator from a function that says what is wrong with a value (the
// awsrole Validate* functions), so that plan time and apply time apply the same rules.
func checkString(check func(string) error) validator.String {
	return funcValidator{check: check, summary: "Invalid value", description: "value must be valid"}
}

// checkRule is a string validator of a naming rule: its diagnostic says what the server says of
// the same value, and its description spells the rule out.
func checkRule(rule names.Rule) validator.String {
	return funcValidator{
		check:       rule.Check,
		summary:     "Invalid " + rule.Name(),
		description: "value must be " + rule.Noun() + ": " + rule.Text(),
		markdown:    "value must be " + rule.Noun() + ": " + rule.Markdown(),
	}
}

type funcValidator struct {
	check                func(string) error
	summary, description string
	markdown             string // "": the description
}

func (v funcValidator) Description(context.Context) string { return v.description }

func (v funcValidator) MarkdownDescription(ctx context.Context) string {
	if v.markdown == "" {
		return v.Description(ctx)
	}
	return v.markdown
}

func (v funcValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, upperFirst(err.Error())+".")
	}
}

// roleSettingsValidator checks at plan time what spans the role's attributes, for virtco_aws_role
// and virtco_aws_role_policy alike: cur_bucket with the cur data source and only with it, and the
// tags by IAM's rules where there are tags.
type roleSettingsValidator struct{}

var (
	_ resource.ConfigValidator   = roleSettingsValidator{}
	_ datasource.ConfigValidator = roleSettingsValidator{}
)

func (roleSettingsValidator) Description(context.Context) string {
	return "cur_bucket is required with the cur data source and refused without it; tags follow IAM's rules"
}

func (v roleSettingsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (roleSettingsValidator) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateRoleSettings(ctx, req.Config, &resp.Diagnostics)
}

func (roleSettingsValidator) ValidateDataSource(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	validateRoleSettings(ctx, req.Config, &resp.Diagnostics)
}

func validateRoleSettings(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) {
	var sources types.Set
	var bucket types.String
	diags.Append(config.GetAttribute(ctx, path.Root("data_sources"), &sources)...)
	diags.Append(config.GetAttribute(ctx, path.Root("cur_bucket"), &bucket)...)
	if diags.HasError() {
		return
	}
	checkCURBucket(sources, bucket, diags)
	if _, ok := config.Schema.GetAttributes()["tags"]; !ok {
		return
	}
	var tags types.Map
	diags.Append(config.GetAttribute(ctx, path.Root("tags"), &tags)...)
	if tags.IsUnknown() {
		return
	}
	m := map[string]string{}
	for k, v := range tags.Elements() {
		sv, _ := v.(types.String)
		if sv.IsUnknown() {
			return
		}
		m[k] = sv.ValueString()
	}
	if err := awsrole.ValidateTags(m); err != nil {
		diags.AddAttributeError(path.Root("tags"), "Invalid tags", upperFirst(err.Error())+".")
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
