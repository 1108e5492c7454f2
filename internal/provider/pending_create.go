// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

// A create whose answer is lost even after the client's retries (the server killed after it
// committed, then down for longer than the retries last) may have taken effect. Such an object
// is recorded in the state all the same, tainted, with the create's idempotency key in private
// state, so that nothing the platform holds is unknown to Terraform: the next apply replaces it,
// and its Delete first asks the platform again with the same key whether that create made the
// object (the server answers a key as it did the first time), and removes it only if so.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

const privatePendingCreate = "pending_create"

// privateKeys is the part of a resource's private state this needs.
type privateKeys interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// newIdempotencyKey is a create's own key, kept so that the create can be asked about again.
func newIdempotencyKey() string { return rand.Text() }

// answerLost tells a failure after which the request may have taken effect: the server did not
// answer, or not with what it did, and not every attempt was turned away before it.
func answerLost(err error) bool {
	return !errors.Is(err, client.ErrNotActed) &&
		(errors.Is(err, client.ErrUnreachable) || errors.Is(err, client.ErrServer) || errors.Is(err, context.DeadlineExceeded))
}

// recordPendingCreate records the planned object in the state, tainted by the error that the
// caller adds, with the create's key.
func recordPendingCreate(ctx context.Context, state *tfsdk.State, private privateKeys, plan any, key string) diag.Diagnostics {
	diags := setKnown(ctx, state, plan)
	return append(diags, private.SetKey(ctx, privatePendingCreate, []byte(fmt.Sprintf("%q", key)))...)
}

// setKnown sets the state to a plan whose values are not all known yet (a create that failed
// halfway), what was not known null: a state holds no unknown values.
func setKnown(ctx context.Context, state *tfsdk.State, plan any) diag.Diagnostics {
	diags := state.Set(ctx, plan)
	if diags.HasError() {
		return diags
	}
	raw, err := withoutUnknowns(state.Raw)
	if err != nil {
		diags.AddError("Cannot record the created object", err.Error())
		return diags
	}
	state.Raw = raw
	return diags
}

// pendingCreate is the key of a create whose answer was lost, or "".
func pendingCreate(ctx context.Context, private privateKeys) (string, diag.Diagnostics) {
	raw, diags := private.GetKey(ctx, privatePendingCreate)
	var key string
	if len(raw) > 0 {
		_, _ = fmt.Sscanf(string(raw), "%q", &key)
	}
	return key, diags
}

// withoutUnknowns is v with every unknown value null: a state holds no unknown values.
func withoutUnknowns(v tftypes.Value) (tftypes.Value, error) {
	return tftypes.Transform(v, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsKnown() {
			return tftypes.NewValue(v.Type(), nil), nil
		}
		return v, nil
	})
}

// pendingDetail is what a create whose answer was lost says after the error.
func pendingDetail(what string) string {
	return fmt.Sprintf("The platform may have created %s before its answer was lost, so it is recorded in the state as "+
		"tainted: the next apply asks the platform, with this create's idempotency key, whether it did, removes it if "+
		"so, and creates it again. Nothing is left that the state does not know.", what)
}
