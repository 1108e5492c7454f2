// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"context"
	"errors"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/virtasant/terraform-provider-virtco/internal/tfbench/localfiles"
)

var (
	_ resource.Resource              = &shaped{}
	_ resource.ResourceWithConfigure = &shaped{}
)

// shaped is one of the virtco provider's resources reduced to its name and schema, called from
// the resource itself so that they cannot drift apart. It implements on purpose no more than
// resource.Resource and ResourceWithConfigure: the resource's ModifyPlan (and ValidateConfig or
// ConfigValidators, should it get them) is the virtco provider's own logic, which belongs to the
// share measured against this floor, so the framework must not find it here.
type shaped struct {
	of    resource.Resource
	store store
}

func (r *shaped) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	r.of.Metadata(ctx, req, resp)
}

func (r *shaped) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	r.of.Schema(ctx, req, resp)
}

func (r *shaped) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if dir, ok := req.ProviderData.(localfiles.Dir); ok {
		r.store = store{dir: dir}
	}
}

func (r *shaped) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	state, err := fill(req.Plan.Raw)
	if err == nil {
		err = r.store.create(state)
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not create the object", err.Error())
		return
	}
	resp.State.Raw = state
}

func (r *shaped) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	state, err := r.store.read(req.State.Raw)
	if errors.Is(err, localfiles.ErrNotFound) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not read the object", err.Error())
		return
	}
	resp.State.Raw = state
}

func (r *shaped) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	state, err := fill(req.Plan.Raw)
	if err == nil {
		err = r.store.update(req.State.Raw, state)
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not update the object", err.Error())
		return
	}
	resp.State.Raw = state
}

func (r *shaped) Delete(_ context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if err := r.store.delete(req.State.Raw); err != nil {
		resp.Diagnostics.AddError("Could not delete the object", err.Error())
	}
}
