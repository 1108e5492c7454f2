// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

// Checks at plan time of what the API would refuse at apply, where the plan can know the answer:
// an apply that fails halfway leaves some of its changes made and others not, a plan that fails
// leaves nothing. What the plan cannot know (a value known only after apply, a key of no known
// kind, a key that may not list what a check needs) is left to the server at apply, as before.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// refusedWhilePlanning says when and why the provider refused; the plan-time checks' messages end
// their first paragraph with it.
const refusedWhilePlanning = "The provider refuses it while planning, so that no apply starts only to fail halfway."

// keyKind is the kind of a key by its prefix, as the server mints them.
type keyKind int

const (
	// keyOfNoKnownKind is not judged: the server's operator may set the ops key to any string.
	keyOfNoKnownKind keyKind = iota
	keyOps
	keyMaster
	keyUser
)

func kindOfKey(key string) keyKind {
	switch {
	case strings.HasPrefix(key, opsKeyPrefix):
		return keyOps
	case strings.HasPrefix(key, masterTokenPrefix):
		return keyMaster
	case strings.HasPrefix(key, userTokenPrefix):
		return keyUser
	}
	return keyOfNoKnownKind
}

func (k keyKind) String() string {
	switch k {
	case keyOps:
		return "the ops key (" + opsKeyPrefix + "...)"
	case keyMaster:
		return "the master token (" + masterTokenPrefix + "...)"
	case keyUser:
		return "a user token (" + userTokenPrefix + "...)"
	}
	return "a key of no known kind"
}

// refuseWithoutOps refuses, at plan time, a write that only the ops key may do when the provider's
// key is known to be another kind, and says so; it costs no request. doing is the write in the
// gerund ("creating customer \"acme.com\""). It returns whether it refused.
func (d *providerData) refuseWithoutOps(diags *diag.Diagnostics, doing string) bool {
	if d == nil {
		return false
	}
	kind := kindOfKey(d.apiKey)
	if kind != keyMaster && kind != keyUser {
		return false
	}
	diags.AddError("Ops key needed",
		fmt.Sprintf("The VIRT-CO API would refuse %s (403): that needs the ops key, and the provider's key, from %s, is %s. "+
			"%s\n\n%s", doing, d.keySource, kind, refusedWhilePlanning, needsOps.advice()))
	return true
}

// checkDiagAccount refuses, at plan time, a diag_account that is not among the platform's
// diagnostic accounts, in the words the server would use at apply. doing is the write in the
// gerund. A listing that fails (such as a key that may not list them: 403) leaves the check to
// the server at apply.
func (d *providerData) checkDiagAccount(ctx context.Context, diags *diag.Diagnostics, doing string, diagAccount types.String) {
	if d.apiOrNil() == nil || diagAccount.IsNull() || diagAccount.IsUnknown() {
		return
	}
	name := diagAccount.ValueString()
	known, err := d.diagAccountNames(ctx)
	if err != nil {
		tflog.Warn(d.logContext(ctx), "the diagnostic accounts could not be listed; diag_account is left to the server to check at apply",
			map[string]any{"error": err.Error()})
		return
	}
	if slices.Contains(known, name) {
		return
	}
	diags.AddAttributeError(path.Root("diag_account"), "Unknown diagnostic account",
		fmt.Sprintf("The VIRT-CO API would refuse %s (400): %s. %s\n\nSet diag_account to one of the platform's "+
			"diagnostic accounts (the virtco_diag_accounts data source lists them), or leave it out for none yet.",
			doing, unknownDiagAccount(name, known), refusedWhilePlanning))
}

// unknownDiagAccount is what the server answers for a diag_account it does not know, so that the
// plan says what the apply would have said.
func unknownDiagAccount(name string, known []string) string {
	list := "there are none yet (PUT /v1/diag-accounts/{name})"
	if len(known) > 0 {
		list = "known: " + strings.Join(known, ", ")
	}
	return fmt.Sprintf("diag_account %q does not exist; %s", name, list)
}

// quotedOrLater is a name for the messages: quoted, or what it is when it is known only after
// apply.
func quotedOrLater(v types.String) string {
	if v.IsUnknown() {
		return "(known after apply)"
	}
	return fmt.Sprintf("%q", v.ValueString())
}
