// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/names"
)

var (
	_ resource.Resource                = &userResource{}
	_ resource.ResourceWithConfigure   = &userResource{}
	_ resource.ResourceWithImportState = &userResource{}
	_ resource.ResourceWithModifyPlan  = &userResource{}
)

// NewUserResource is the virtco_user resource.
func NewUserResource() resource.Resource { return &userResource{} }

type userResource struct {
	data *providerData
}

type userResourceModel struct {
	ID          types.String `tfsdk:"id"`
	Customer    types.String `tfsdk:"customer"`
	Name        types.String `tfsdk:"name"`
	RotateToken types.Map    `tfsdk:"rotate_token"`
	Token       types.String `tfsdk:"token"`
	KeyID       types.String `tfsdk:"key_id"`
	KeyName     types.String `tfsdk:"key_name"`
	ExpiresAt   types.String `tfsdk:"expires_at"`
	ValidFor    types.String `tfsdk:"valid_for"`
}

// userFields maps the fields of the server's 400 messages to the resource's attributes.
var userFields = fields{"customer": "customer", "user": "name"}

// privateImported marks, in the private state, a user that was imported and has not been
// updated since: its first rotate_token is recorded without rotating (see the token's plan
// modifier), so that importing a user never replaces a token in use.
const privateImported = "imported"

// privateETag is, in the private state, the ETag of the user as Terraform last read or wrote it.
// A rotation and a revocation send it as If-Match, so that neither acts on a token that changed
// since without saying so (Update, Delete).
const privateETag = "etag"

func setETag(ctx context.Context, private privateKeys, etag string) diag.Diagnostics {
	if etag == "" {
		return private.SetKey(ctx, privateETag, nil)
	}
	return private.SetKey(ctx, privateETag, []byte(strconv.Quote(etag)))
}

// etagOf is the ETag recorded in the private state, "" for none (a state written by an older
// provider): the write then goes ahead without If-Match, as it always did.
func etagOf(ctx context.Context, private privateKeys) (string, diag.Diagnostics) {
	raw, diags := private.GetKey(ctx, privateETag)
	etag, err := strconv.Unquote(string(raw))
	if err != nil {
		return "", diags
	}
	return etag, diags
}

func (r *userResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user"
}

func (r *userResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	expiresAt, validFor := expiryAttributes("the platform refuses the user's token (401, saying that it expired and when); " +
		"the user and its key stay, and a later `expires_at` makes the same token work again")
	resp.Schema = schema.Schema{
		MarkdownDescription: "A user of a VIRT-CO customer, with its API key (the user token). Creating one needs the ops " +
			"key and an existing customer. Destroying it revokes the user's key at once.\n\n" +
			"The token is stored in the state (marked sensitive); where it is only passed on, the " +
			"`virtco_user_token` ephemeral resource reads it without storing it. Creating a user that already exists on " +
			"the platform is an error, never a silent adoption: import it instead.\n\n" +
			"A rotation or a destroy is made under the user's ETag as Terraform last read it. A token rotated outside " +
			"Terraform since then stops a rotation with an error (the next apply reads it, and rotates if `rotate_token` " +
			"still asks for that); a destroy revokes the user all the same, unless the user was removed and provisioned " +
			"again outside Terraform (another `key_id`): that one is left alone, with a warning.\n\n" +
			"Access can be time-boxed with `expires_at` or `valid_for`: after that time the platform refuses the token, " +
			"even if nobody runs Terraform again, and a plan warns that access has expired.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`user@customer`, such as `joe@acme.com`: the import id.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"customer": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the user's customer, such as `acme.com`; usually `virtco_customer.<name>.name`, " +
					"so that Terraform creates the customer first. Changing it replaces the user.",
				Validators:    customerNameValidators(),
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The user's name, such as `joe`: " + names.UserName.Markdown() +
					". Changing it replaces the user (the old user's key is revoked).",
				Validators:    userNameValidators(),
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"rotate_token": schema.MapAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Arbitrary map of values that, when changed, rotates the user's token in place: the " +
					"user gets a new token and the old one stops working at once (`key_id` stays). For example " +
					"`{ rotated = \"2025-01\" }`, or a `time_rotating` id. After an import, the first value given is " +
					"recorded without rotating, so that importing a user never replaces a token in use.",
			},
			"token": schema.StringAttribute{
				Computed:  true,
				Sensitive: true,
				MarkdownDescription: "The user's API key (`vcu_...`), sent as `x-api-key` by the user's tools. Known after " +
					"create; changes only when `rotate_token` changes.",
				PlanModifiers: []planmodifier.String{rotateTokenModifier{}},
			},
			"key_id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The id of the user's key; it stays the same when the token is rotated.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"key_name": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The key's name as the platform spells it: `user@customer-API-Key`.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"expires_at": expiresAt,
			"valid_for":  validFor,
		},
	}
}

func (r *userResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

func (m *userResourceModel) fromAPI(u *client.User) {
	m.ID = types.StringValue(userID(u.Customer, u.Name))
	m.Customer = types.StringValue(u.Customer)
	m.Name = types.StringValue(u.Name)
	m.Token = types.StringValue(u.Token)
	m.KeyID = types.StringValue(u.KeyID)
	m.KeyName = types.StringValue(u.KeyName)
}

// ModifyPlan refuses at plan time a write that the API would refuse at apply because the
// provider's key is not the ops key (plan_checks.go).
func (r *userResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	// A refresh plans most users as they are: such a plan writes nothing, and with no expiry there
	// is nothing to say of it. Answered before the model is read, since the framework's reflection
	// is most of what this method costs.
	if !req.Plan.Raw.IsNull() && req.Plan.Raw.Equal(req.State.Raw) {
		var at types.String
		if d := req.State.GetAttribute(ctx, path.Root("expires_at"), &at); !d.HasError() && at.IsNull() {
			return
		}
	}
	var plan, state *userResourceModel
	if !req.Plan.Raw.IsNull() {
		plan = &userResourceModel{}
		resp.Diagnostics.Append(req.Plan.Get(ctx, plan)...)
	}
	if !req.State.Raw.IsNull() {
		state = &userResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if resp.Diagnostics.HasError() || (plan == nil && state == nil) {
		return
	}
	if plan != nil {
		var config userResourceModel
		resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
		if resp.Diagnostics.HasError() {
			return
		}
		e := expiry{configAt: config.ExpiresAt, configFor: config.ValidFor, create: state == nil,
			what: fmt.Sprintf("user %s of customer %s", quotedOrLater(plan.Name), quotedOrLater(plan.Customer))}
		if state != nil {
			e.stateAt, e.stateFor = state.ExpiresAt, state.ValidFor
		}
		planned, diags := e.plan(time.Now())
		resp.Diagnostics.Append(diags...)
		if !planned.Equal(plan.ExpiresAt) {
			plan.ExpiresAt = planned
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("expires_at"), planned)...)
		}
	}
	if doing := userWrite(plan, state); doing != "" {
		r.data.refuseWithoutOps(&resp.Diagnostics, doing)
	}
}

// userWrite is what apply would ask of the API for the user, in the gerund, or "" for nothing:
// a plan equal to the state, or rotate_token recorded after an import (the token planned as it
// is), which writes only Terraform's state.
func userWrite(plan, state *userResourceModel) string {
	switch {
	case plan == nil:
		return fmt.Sprintf("revoking user %q of customer %q", state.Name.ValueString(), state.Customer.ValueString())
	case state == nil:
		return fmt.Sprintf("creating user %s of customer %s", quotedOrLater(plan.Name), quotedOrLater(plan.Customer))
	case !plan.Customer.Equal(state.Customer) || !plan.Name.Equal(state.Name):
		return fmt.Sprintf("revoking user %q of customer %q and creating user %s of customer %s", state.Name.ValueString(),
			state.Customer.ValueString(), quotedOrLater(plan.Name), quotedOrLater(plan.Customer))
	case plan.Token.IsUnknown():
		return fmt.Sprintf("rotating the token of user %q of customer %q", state.Name.ValueString(), state.Customer.ValueString())
	case !plan.ExpiresAt.Equal(state.ExpiresAt):
		return fmt.Sprintf("changing when the token of user %q of customer %q expires", state.Name.ValueString(), state.Customer.ValueString())
	}
	return ""
}

func (r *userResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan userResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	customer, name := plan.Customer.ValueString(), plan.Name.ValueString()
	doing := fmt.Sprintf("creating user %q of customer %q", name, customer)
	c := r.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	ctx = r.data.logContext(ctx)
	var expiresAt *time.Time
	var err error
	if plan.ExpiresAt, expiresAt, err = resolveExpiry(plan.ExpiresAt, plan.ValidFor, time.Now()); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("expires_at"), "Invalid expiry", fmt.Sprintf("User %q of customer %q "+
			"was not created: %s.", name, customer, err))
		return
	}
	key := newIdempotencyKey()
	u, created, err := c.Users.Put(ctx, customer, name, client.UserPutOptions{IdempotencyKey: key, ExpiresAt: expiresAt})
	switch {
	case errors.Is(err, client.ErrNotFound):
		resp.Diagnostics.AddAttributeError(path.Root("customer"), "Customer does not exist",
			fmt.Sprintf("User %q cannot be created: customer %q does not exist on the platform.\n\n"+
				"Create the customer first: declare it as a virtco_customer and set customer = virtco_customer.<name>.name, "+
				"so that Terraform creates it before its users.", name, customer))
		return
	case err != nil:
		r.data.addAPIError(&resp.Diagnostics, doing, needsOps, userFields, err)
		if answerLost(err) {
			plan.ID = types.StringValue(userID(customer, name))
			resp.Diagnostics.Append(recordPendingCreate(ctx, &resp.State, resp.Private, &plan, key)...)
			resp.Diagnostics.AddError("User may have been created", pendingDetail(fmt.Sprintf("user %q of customer %q", name, customer)))
		}
		return
	case !created:
		// PUT is idempotent on the server: an existing user answers 200 with its key untouched.
		addAlreadyExists(&resp.Diagnostics, "name", "User already exists",
			fmt.Sprintf("User %q of customer %q already exists on the platform, so Terraform will not create it (nor "+
				"silently take it over); its key is untouched.", name, customer),
			"virtco_user", userID(customer, name), "")
		return
	}
	tflog.Debug(ctx, "created user", map[string]any{"customer": customer, "user": name, "key_id": u.KeyID})
	plan.fromAPI(u)
	plan.ExpiresAt = expiryFromAPI(plan.ExpiresAt, u.ExpiresAt)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setETag(ctx, resp.Private, u.ETag)...)
}

func (r *userResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state userResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	customer, name := state.Customer.ValueString(), state.Name.ValueString()
	doing := fmt.Sprintf("reading user %q of customer %q", name, customer)
	c := r.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	ctx = r.data.logContext(ctx)
	u, err := r.data.reads.user(ctx, customer, name)
	if errors.Is(err, client.ErrNotFound) {
		tflog.Warn(ctx, "user no longer exists on the platform; removing it from the state", map[string]any{"customer": customer, "user": name})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		r.data.addAPIError(&resp.Diagnostics, doing, needsReadAll, userFields, err)
		return
	}
	state.fromAPI(u)
	state.ExpiresAt = expiryFromAPI(state.ExpiresAt, u.ExpiresAt)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	resp.Diagnostics.Append(setETag(ctx, resp.Private, u.ETag)...)
}

func (r *userResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state userResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Only rotate_token and the expiry change in place (customer and name replace the user). The
	// plan leaves the token unknown when it is to be rotated, or when rotate_token was not known
	// at plan time (then it is rotated only if rotate_token turned out to change).
	imported, diags := req.Private.GetKey(ctx, privateImported)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, nil)...)
	firstAfterImport := len(imported) > 0 && state.RotateToken.IsNull()
	rotate := plan.Token.IsUnknown() && !plan.RotateToken.Equal(state.RotateToken) && !firstAfterImport
	customer, name := plan.Customer.ValueString(), plan.Name.ValueString()
	expiresAt, at, err := resolveExpiry(plan.ExpiresAt, plan.ValidFor, time.Now())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("expires_at"), "Invalid expiry",
			fmt.Sprintf("User %q of customer %q was not updated: %s.", name, customer, err))
		return
	}
	plan.ExpiresAt = expiresAt
	move := !plan.ExpiresAt.Equal(state.ExpiresAt)
	if !rotate && !move {
		plan.Token, plan.KeyID, plan.KeyName, plan.ID = state.Token, state.KeyID, state.KeyName, state.ID
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	doing := fmt.Sprintf("rotating the token of user %q of customer %q", name, customer)
	if move {
		doing = fmt.Sprintf("changing when the token of user %q of customer %q expires", name, customer)
	}
	c := r.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	ctx = r.data.logContext(ctx)
	etag, diags := etagOf(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	var u *client.User
	if move {
		// Under If-Match, so that a user removed meanwhile is not provisioned again with a new key.
		u, _, err = c.Users.Put(ctx, customer, name, client.UserPutOptions{IfMatch: etag, ExpiresAt: at})
		switch {
		case errors.Is(err, client.ErrNotFound), errors.Is(err, client.ErrPreconditionFailed):
			resp.Diagnostics.AddError("User changed since Terraform read it",
				fmt.Sprintf("User %q of customer %q was rotated, replaced or removed outside this Terraform run after "+
					"Terraform last read it, so Terraform did not change when its token expires. Run terraform apply again: "+
					"it reads the user as it is now.", name, customer))
			return
		case err != nil:
			r.data.addAPIError(&resp.Diagnostics, doing, needsOps, userFields, err)
			return
		}
		tflog.Debug(ctx, "changed user expiry", map[string]any{"customer": customer, "user": name, "expires_at": plan.ExpiresAt.ValueString()})
		etag = u.ETag
	}
	if rotate {
		doing = fmt.Sprintf("rotating the token of user %q of customer %q", name, customer)
		u, err = c.Users.Rotate(ctx, customer, name, client.UserRotateOptions{IfMatch: etag})
		switch {
		case errors.Is(err, client.ErrNotFound):
			resp.Diagnostics.AddError("User no longer exists",
				fmt.Sprintf("User %q of customer %q was removed on the platform after Terraform last read it, so its token "+
					"was not rotated. Run terraform apply again: the plan will re-create it.", name, customer))
			return
		case errors.Is(err, client.ErrPreconditionFailed), errors.Is(err, client.ErrConflict):
			// Rotating anyway would throw away a token someone was just handed, unseen.
			resp.Diagnostics.AddError("Token changed since Terraform read it",
				fmt.Sprintf("The token of user %q of customer %q was rotated or replaced outside this Terraform run after "+
					"Terraform last read it, so Terraform did not rotate it again. Run terraform apply again: it reads the "+
					"token as it is now, and rotates it if rotate_token still asks for that.", name, customer))
			return
		case err != nil:
			r.data.addAPIError(&resp.Diagnostics, doing, needsOps, userFields, err)
			return
		}
		tflog.Debug(ctx, "rotated user token", map[string]any{"customer": customer, "user": name, "key_id": u.KeyID})
	}
	plan.fromAPI(u)
	plan.ExpiresAt = expiryFromAPI(plan.ExpiresAt, u.ExpiresAt)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setETag(ctx, resp.Private, u.ETag)...)
}

func (r *userResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state userResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	customer, name := state.Customer.ValueString(), state.Name.ValueString()
	doing := fmt.Sprintf("revoking user %q of customer %q", name, customer)
	c := r.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	ctx = r.data.logContext(ctx)
	etag, diags := etagOf(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if key, diags := pendingCreate(ctx, req.Private); key != "" || diags.HasError() {
		resp.Diagnostics.Append(diags...)
		// Asked again with the lost create's key, the platform answers as it did (201: this create
		// made the user), or makes the user now (201 too), or says it existed already (200):
		// someone else's, left alone.
		var expiresAt *time.Time
		if at, err := parseExpiresAt(state.ExpiresAt.ValueString()); err == nil {
			expiresAt = &at
		}
		u, created, err := c.Users.Put(ctx, customer, name, client.UserPutOptions{IdempotencyKey: key, ExpiresAt: expiresAt})
		switch {
		case errors.Is(err, client.ErrNotFound):
			return // the customer is gone, and its users with it
		case err != nil:
			r.data.addAPIError(&resp.Diagnostics, fmt.Sprintf("asking whether creating user %q of customer %q took effect",
				name, customer), needsOps, userFields, err)
			return
		case !created:
			resp.Diagnostics.AddWarning("User left alone",
				fmt.Sprintf("User %q of customer %q exists on the platform, but not by the create whose answer was lost: it "+
					"is someone else's, and was left as it is with its key. Import it to manage it here.", name, customer))
			return
		}
		etag = u.ETag
	}
	err := c.Users.Delete(ctx, customer, name, client.UserDeleteOptions{IfMatch: etag})
	if errors.Is(err, client.ErrPreconditionFailed) {
		err = r.revokeChanged(ctx, c, &state, &resp.Diagnostics)
	}
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		r.data.addAPIError(&resp.Diagnostics, doing, needsOps, userFields, err)
	}
}

// revokeChanged revokes a user whose token changed since Terraform read it. Revoking must not
// wait for a refresh: when the user still holds the key Terraform created (the same key id, its
// token rotated outside Terraform), it is revoked all the same. A user with another key id was
// removed and made again by someone else since: it is theirs, and is left alone with a warning.
func (r *userResource) revokeChanged(ctx context.Context, c *client.Client, state *userResourceModel, diags *diag.Diagnostics) error {
	customer, name := state.Customer.ValueString(), state.Name.ValueString()
	now, err := c.Users.Get(ctx, customer, name)
	if err != nil {
		return err
	}
	if now.KeyID != state.KeyID.ValueString() {
		diags.AddWarning("User left alone",
			fmt.Sprintf("User %q of customer %q was removed and provisioned again outside Terraform since Terraform last "+
				"read it (its key id is now %s, not %s): it is no longer the user this state created, so it was left as "+
				"it is, with its key. Import it to manage it here, or revoke it with the ops key.",
				name, customer, now.KeyID, state.KeyID.ValueString()))
		return nil
	}
	tflog.Info(ctx, "the user's token was rotated outside Terraform; revoking it all the same",
		map[string]any{"customer": customer, "user": name, "key_id": now.KeyID})
	return c.Users.Delete(ctx, customer, name, client.UserDeleteOptions{IfMatch: now.ETag})
}

func (r *userResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	customer, name, err := parseUserID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("A virtco_user is imported by user@customer, such as joe@acme.com: %s.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), userID(customer, name))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("customer"), customer)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, []byte(`true`))...)
}

// rotateTokenModifier plans the token: unknown on create and when rotate_token changes (the
// token will be rotated), the prior token otherwise. A user imported and not updated since keeps
// its token when rotate_token is first set.
type rotateTokenModifier struct{}

func (rotateTokenModifier) Description(context.Context) string {
	return "The token stays as it is unless rotate_token changes."
}

func (m rotateTokenModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (rotateTokenModifier) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || req.StateValue.IsNull() {
		return // create (unknown) or destroy
	}
	var planned, prior types.Map
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("rotate_token"), &planned)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("rotate_token"), &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if planned.IsUnknown() {
		return // not known until apply: it may change, so the token may too
	}
	if planned.Equal(prior) {
		resp.PlanValue = req.StateValue
		return
	}
	imported, diags := req.Private.GetKey(ctx, privateImported)
	resp.Diagnostics.Append(diags...)
	if len(imported) > 0 && prior.IsNull() {
		resp.PlanValue = req.StateValue
	}
}
