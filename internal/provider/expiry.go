// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Time-boxed access: an expires_at (RFC 3339) or a valid_for (a Go duration turned into an
// expires_at once, when the grant is made), shared by the resources that grant access.

// expiryAttributes are the expires_at and valid_for attributes of a resource; ends says what
// happens at the expiry ("the platform refuses the user's token").
func expiryAttributes(ends string) (expiresAt, validFor schema.StringAttribute) {
	expiresAt = schema.StringAttribute{
		Optional: true,
		Computed: true,
		MarkdownDescription: "When access ends, in RFC 3339, such as `2030-01-31T18:00:00Z`: after it " + ends + ". " +
			"A time in the past is an error at plan time. Changing it updates in place, to extend or shorten access. " +
			"Conflicts with `valid_for`; when `valid_for` is set, this is the time it was turned into.",
		Validators: []validator.String{
			checkString(checkExpiresAt),
			stringvalidator.ConflictsWith(path.MatchRoot("valid_for")),
		},
	}
	validFor = schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "How long access lasts, as a Go duration such as `720h` (30 days): turned into " +
			"`expires_at` once, when applied, and kept in the state, so that later plans show no change. Changing it sets " +
			"`expires_at` anew from the time of that apply. Conflicts with `expires_at`.",
		Validators: []validator.String{checkString(checkValidFor)},
	}
	return expiresAt, validFor
}

func parseExpiresAt(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }

func checkExpiresAt(s string) error {
	if _, err := parseExpiresAt(s); err != nil {
		return fmt.Errorf("%q is not a time in RFC 3339 with its offset, such as 2030-01-31T18:00:00Z", s)
	}
	return nil
}

func checkValidFor(s string) error {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a Go duration such as 720h or 90m", s)
	case d <= 0:
		return fmt.Errorf("the duration must be longer than zero, not %q", s)
	}
	return nil
}

// formatExpiry is how an expires_at that valid_for made is written: to the second, in UTC.
func formatExpiry(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// expiry is what a plan of expires_at starts from: the configuration and the prior state (both
// null on create).
type expiry struct {
	configAt, configFor types.String
	stateAt, stateFor   types.String
	create              bool
	// what names the grant in diagnostics ("the token of user \"joe\" of customer \"acme.com\"").
	what string
}

// plan is the planned expires_at: the configuration's; unknown where valid_for is to be turned
// into a time by this apply (create, or valid_for changed); the state's where valid_for is as it
// was; null for none. A new expires_at already past is an error; access that has expired and
// stays so is a warning that says what to do.
func (e expiry) plan(now time.Time) (types.String, diag.Diagnostics) {
	var diags diag.Diagnostics
	if e.configAt.IsUnknown() || e.configFor.IsUnknown() {
		return types.StringUnknown(), nil
	}
	planned := types.StringNull()
	switch {
	case !e.configAt.IsNull():
		planned = e.configAt
		at, err := parseExpiresAt(e.configAt.ValueString())
		if err != nil {
			return planned, nil // the attribute's validator says what is wrong
		}
		if (e.create || !e.configAt.Equal(e.stateAt)) && !now.Before(at) {
			diags.AddAttributeError(path.Root("expires_at"), "Expiry in the past",
				fmt.Sprintf("expires_at is %s, which has already passed (it is now %s): access would end as soon as it is "+
					"granted. Give a time in the future, or use valid_for, such as \"720h\".", e.configAt.ValueString(), formatExpiry(now)))
			return planned, diags
		}
	case !e.configFor.IsNull():
		if e.create || !e.configFor.Equal(e.stateFor) || e.stateAt.IsNull() || e.stateAt.IsUnknown() {
			return types.StringUnknown(), nil
		}
		planned = e.stateAt
	}
	if !e.create && !planned.IsNull() {
		if at, err := parseExpiresAt(planned.ValueString()); err == nil && !now.Before(at) {
			diags.AddAttributeWarning(path.Root("expires_at"), "Access has expired",
				fmt.Sprintf("The access of %s expired at %s: it is refused since. If the engagement is over, destroy it "+
					"(terraform destroy, or remove it from the configuration). To restore access, move expires_at to a later "+
					"time (or change valid_for) and apply.", e.what, planned.ValueString()))
		}
	}
	return planned, diags
}

// resolve is the expires_at an apply writes: the planned one, or, where the plan left it to this
// apply, valid_for from now.
func resolveExpiry(planned, validFor types.String, now time.Time) (types.String, *time.Time, error) {
	if planned.IsUnknown() {
		d, err := time.ParseDuration(validFor.ValueString())
		if err != nil || validFor.IsNull() || validFor.IsUnknown() {
			return planned, nil, errors.New("valid_for is not a duration known at apply")
		}
		planned = types.StringValue(formatExpiry(now.Add(d)))
	}
	if planned.IsNull() {
		return planned, nil, nil
	}
	at, err := parseExpiresAt(planned.ValueString())
	if err != nil {
		return planned, nil, err
	}
	return planned, &at, nil
}

// expiryFromAPI is the expires_at to keep in the state for what the server holds: the state's
// own spelling when it names the same instant, so that an offset the configuration wrote is
// not a change.
func expiryFromAPI(prior types.String, server *time.Time) types.String {
	if server == nil {
		return types.StringNull()
	}
	if !prior.IsNull() && !prior.IsUnknown() {
		if at, err := parseExpiresAt(prior.ValueString()); err == nil && at.Equal(*server) {
			return prior
		}
	}
	return types.StringValue(server.UTC().Format(time.RFC3339Nano))
}
