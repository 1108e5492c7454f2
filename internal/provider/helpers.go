// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// stringOrNull maps the API's "" (none) to null.
func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// stringSet is a set of strings, empty (not null) for none.
func stringSet(l []string) (types.Set, diag.Diagnostics) {
	vals := make([]attr.Value, 0, len(l))
	for _, s := range l {
		vals = append(vals, types.StringValue(s))
	}
	return types.SetValue(types.StringType, vals)
}

// stringList is a list of strings, empty (not null) for none.
func stringList(l []string) (types.List, diag.Diagnostics) {
	vals := make([]attr.Value, 0, len(l))
	for _, s := range l {
		vals = append(vals, types.StringValue(s))
	}
	return types.ListValue(types.StringType, vals)
}

// useStateWhileUnchanged plans a computed string as its prior state while the string attribute
// at dependsOn keeps its value, and leaves it unknown when that changes: for values the server
// derives from another attribute (the diag account's id from diag_account).
func useStateWhileUnchanged(dependsOn path.Path) planmodifier.String {
	return stateWhileUnchanged{dependsOn: dependsOn}
}

type stateWhileUnchanged struct{ dependsOn path.Path }

func (m stateWhileUnchanged) Description(context.Context) string {
	return fmt.Sprintf("The value stays as it is unless %s changes.", m.dependsOn)
}

func (m stateWhileUnchanged) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (m stateWhileUnchanged) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	// Nothing to keep on create, on destroy, or when the plan already knows the value.
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || !req.PlanValue.IsUnknown() || req.ConfigValue.IsUnknown() {
		return
	}
	var planned, prior types.String // dependsOn is a string attribute
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, m.dependsOn, &planned)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, m.dependsOn, &prior)...)
	if resp.Diagnostics.HasError() || planned.IsUnknown() {
		return
	}
	if planned.Equal(prior) {
		resp.PlanValue = req.StateValue
	}
}
