// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"math/big"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// fill makes a planned object the state that apply returns: each value the plan leaves unknown
// (what only the platform would know) gets a placeholder of its type. A string's is its attribute's
// name and a digest of the whole plan, so that it differs between objects (their ids name their
// files) and is the same on every run; a number is 0, a bool false, a list, set or map empty. The
// next plan then finds the state it expects and no change.
func fill(plan tftypes.Value) (tftypes.Value, error) {
	if plan.IsFullyKnown() {
		return plan, nil
	}
	dv, err := tfprotov6.NewDynamicValue(plan.Type(), plan)
	if err != nil {
		return plan, err
	}
	sum := sha256.Sum256(dv.MsgPack)
	seed := hex.EncodeToString(sum[:8])
	return tftypes.Transform(plan, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		switch typ := v.Type(); typ.(type) {
		case tftypes.List, tftypes.Set:
			return tftypes.NewValue(typ, []tftypes.Value{}), nil
		case tftypes.Map:
			return tftypes.NewValue(typ, map[string]tftypes.Value{}), nil
		default:
			switch {
			case typ.Equal(tftypes.String):
				return tftypes.NewValue(typ, attributeName(p)+"-"+seed), nil
			case typ.Equal(tftypes.Number):
				return tftypes.NewValue(typ, big.NewFloat(0)), nil
			case typ.Equal(tftypes.Bool):
				return tftypes.NewValue(typ, false), nil
			}
			return v, p.NewErrorf("no placeholder for an unknown %s: this provider fills strings, numbers, bools, lists, sets and maps", typ)
		}
	})
}

// attributeName is the name of the attribute p ends in, "value" for an element of a collection.
func attributeName(p *tftypes.AttributePath) string {
	steps := p.Steps()
	if len(steps) > 0 {
		if a, ok := steps[len(steps)-1].(tftypes.AttributeName); ok {
			return string(a)
		}
	}
	return "value"
}
