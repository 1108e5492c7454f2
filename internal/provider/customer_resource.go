// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/names"
)

var (
	_ resource.Resource                = &customerResource{}
	_ resource.ResourceWithConfigure   = &customerResource{}
	_ resource.ResourceWithImportState = &customerResource{}
	_ resource.ResourceWithModifyPlan  = &customerResource{}
)

// NewCustomerResource is the virtco_customer resource.
func NewCustomerResource() resource.Resource { return &customerResource{} }

type customerResource struct {
	data *providerData
}

// defaultAWSRegion is the server's default for aws_region.
const defaultAWSRegion = "us-east-1"

type customerResourceModel struct {
	ID                      types.String `tfsdk:"id"`
	Name                    types.String `tfsdk:"name"`
	DiagAccount             types.String `tfsdk:"diag_account"`
	AWSRegion               types.String `tfsdk:"aws_region"`
	Regions                 types.Set    `tfsdk:"regions"`
	AutoRunFinders          types.Bool   `tfsdk:"auto_run_finders"`
	ExternalID              types.String `tfsdk:"external_id"`
	DiagAccountID           types.String `tfsdk:"diag_account_id"`
	DiagAccountPrincipalARN types.String `tfsdk:"diag_account_principal_arn"`
	DiagAccountStatus       types.String `tfsdk:"diag_account_status"`
	RoleStatus              types.String `tfsdk:"role_status"`
}

// customerFields maps the fields of the server's 400 messages to the resource's attributes.
var customerFields = fields{
	"customer":         "name",
	"diag_account":     "diag_account",
	"aws_region":       "aws_region",
	"regions":          "regions",
	"auto_run_finders": "auto_run_finders",
}

func (r *customerResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_customer"
}

func (r *customerResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	// The attributes that follow the diagnostic account: known from the state while diag_account
	// stays as it is, unknown when it changes.
	followDiag := []planmodifier.String{useStateWhileUnchanged(path.Root("diag_account"))}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A customer of the VIRT-CO platform: one per DNS domain, with the diagnostic account that " +
			"reads its cloud. Creating one needs the ops key. Destroying it unprovisions the customer on the platform: " +
			"the customer, every key of its users (revoked at once) and its registered AWS accounts.\n\n" +
			"Creating a customer that already exists on the platform is an error, never a silent adoption: import it instead.\n\n" +
			"Replacing a customer (`terraform apply -replace`, a taint, a new `name`) unprovisions it with every key and " +
			"AWS account of it, and creates it with a new `external_id`. So that its users and roles follow in the same " +
			"apply, give each `virtco_user` of it `lifecycle { replace_triggered_by = [virtco_customer.<name>.external_id] }`, " +
			"and each `virtco_aws_role` of it `external_id = virtco_customer.<name>.external_id` (its trust is then updated " +
			"in place). `create_before_destroy` cannot apply to a customer whose `name` stays the same: the name is unique " +
			"on the platform, so the new customer cannot exist before the old one is gone.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The customer's name, as `name`.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The customer's name: its lower-case DNS domain, such as `acme.com` (" + names.CustomerName.Markdown() +
					"). Changing it replaces the customer: a new one is created and the old one unprovisioned.",
				Validators:    customerNameValidators(),
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"diag_account": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Name of the diagnostic account that runs the customer's diagnostic, such as `Diag3` " +
					"(see the `virtco_diag_accounts` data source). Omit it for none yet; an unknown name is an error. " +
					"Changing it reassigns the customer, and so all its users, in place.",
				Validators: diagAccountNameValidators(),
			},
			"aws_region": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(defaultAWSRegion),
				MarkdownDescription: "The customer's home AWS region, where the diagnostic runs. Defaults to `" +
					defaultAWSRegion + "`.",
				Validators: regionValidators(),
			},
			"regions": schema.SetAttribute{
				Optional:    true,
				Computed:    true,
				ElementType: types.StringType,
				Default:     setdefault.StaticValue(types.SetValueMust(types.StringType, []attr.Value{})),
				MarkdownDescription: "The AWS regions the diagnostic covers, such as `[\"us-east-1\", \"eu-west-1\"]`. " +
					"Empty or omitted means all regions.",
				Validators: []validator.Set{setvalidator.ValueStringsAre(regionValidators()...)},
			},
			"auto_run_finders": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
				MarkdownDescription: "Whether the platform runs its finders on the customer's data automatically. Defaults to `true`.",
			},
			"external_id": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The customer's external id, a UUID minted once when the customer is created: the " +
					"`sts:ExternalId` that the diagnostic account must present to assume the customer's read-only role.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"diag_account_id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "AWS account id of the assigned diagnostic account; null when there is none.",
				PlanModifiers:       followDiag,
			},
			"diag_account_principal_arn": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The IAM principal of the diagnostic account that assumes the customer's role " +
					"(the trust policy's principal); null when there is no diagnostic account.",
				PlanModifiers: followDiag,
			},
			"diag_account_status": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "`ready-for-use` when a diagnostic account that is ready is assigned, " +
					"`diagnostics_account_unavailable` otherwise.",
				PlanModifiers: followDiag,
			},
			"role_status": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "Where the customer's read-only roles are, summed up over its AWS accounts: " +
					"`pending` (none registered yet), `in-progress`, `done`, or `purge` (revocation under way). " +
					"It is read when the customer is, so it changes when a `virtco_aws_role` is created or destroyed: " +
					"refer to the role's `state`, or to the `virtco_customer` data source, for the current status.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *customerResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configureData(req.ProviderData, &resp.Diagnostics)
}

// putOptions is the customer's whole settable state, as PUT replaces it.
func (m *customerResourceModel) putOptions(ctx context.Context) (client.CustomerPutOptions, diag.Diagnostics) {
	var regions []string
	diags := m.Regions.ElementsAs(ctx, &regions, false)
	return client.CustomerPutOptions{
		DiagAccount:    m.DiagAccount.ValueString(),
		AWSRegion:      m.AWSRegion.ValueString(),
		Regions:        regions,
		AutoRunFinders: client.Bool(m.AutoRunFinders.ValueBool()),
	}, diags
}

// fromAPI sets the model from the server's customer.
func (m *customerResourceModel) fromAPI(c *client.Customer) diag.Diagnostics {
	m.ID = types.StringValue(c.Name)
	m.Name = types.StringValue(c.Name)
	m.DiagAccount = stringOrNull(c.DiagAccount)
	m.AWSRegion = types.StringValue(c.AWSRegion)
	regions, diags := stringSet(c.Regions)
	m.Regions = regions
	m.AutoRunFinders = types.BoolValue(c.AutoRunFinders)
	m.ExternalID = types.StringValue(c.ExternalID)
	m.DiagAccountID = stringOrNull(c.DiagAccountID)
	m.DiagAccountPrincipalARN = stringOrNull(c.DiagAccountPrincipalARN)
	m.DiagAccountStatus = types.StringValue(string(c.DiagAccountStatus))
	m.RoleStatus = types.StringValue(string(c.RoleStatus))
	return diags
}

// ModifyPlan refuses at plan time what the API would refuse at apply where the plan can know it
// (plan_checks.go): a write with a key that is not the ops key, a diag_account the platform does
// not have.
func (r *customerResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var plan, state *customerResourceModel
	if !req.Plan.Raw.IsNull() {
		plan = &customerResourceModel{}
		resp.Diagnostics.Append(req.Plan.Get(ctx, plan)...)
	}
	if !req.State.Raw.IsNull() {
		state = &customerResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	// A plan equal to the state writes nothing: reading stays allowed to every key that may read.
	if resp.Diagnostics.HasError() || (plan == nil && state == nil) || req.Plan.Raw.Equal(req.State.Raw) {
		return
	}
	if r.data.refuseWithoutOps(&resp.Diagnostics, customerWrite(plan, state)) || plan == nil {
		return
	}
	switch {
	case state == nil || !plan.Name.Equal(state.Name):
		r.data.checkDiagAccount(ctx, &resp.Diagnostics, "creating customer "+quotedOrLater(plan.Name), plan.DiagAccount)
	case !plan.DiagAccount.Equal(state.DiagAccount):
		// An unchanged one was accepted before, and the API has no way to remove a diagnostic account.
		r.data.checkDiagAccount(ctx, &resp.Diagnostics, fmt.Sprintf("updating customer %q", state.Name.ValueString()), plan.DiagAccount)
	}
}

// customerWrite is what apply would do to the customer, in the gerund, for the messages.
func customerWrite(plan, state *customerResourceModel) string {
	switch {
	case plan == nil:
		return fmt.Sprintf("unprovisioning customer %q", state.Name.ValueString())
	case state == nil:
		return "creating customer " + quotedOrLater(plan.Name)
	case !plan.Name.Equal(state.Name):
		return fmt.Sprintf("unprovisioning customer %q and creating customer %s", state.Name.ValueString(), quotedOrLater(plan.Name))
	}
	return fmt.Sprintf("updating customer %q", state.Name.ValueString())
}

func (r *customerResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan customerResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	key := newIdempotencyKey()
	switch ok, lost := r.put(ctx, &plan, key, &resp.Diagnostics); {
	case ok:
		tflog.Debug(ctx, "created customer", map[string]any{"customer": plan.Name.ValueString()})
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	case lost:
		plan.ID = plan.Name
		resp.Diagnostics.Append(recordPendingCreate(ctx, &resp.State, resp.Private, &plan, key)...)
		resp.Diagnostics.AddError("Customer may have been created",
			pendingDetail(fmt.Sprintf("customer %q", plan.Name.ValueString())))
	}
}

// put writes the plan's customer (PUT replaces its settable fields) and sets the plan from the
// answer. A create's key (createKey not empty) makes it a create only (a customer that exists
// belongs to someone else's configuration, or to none), else it is an update only (never
// bringing back a customer unprovisioned since the plan was made). lost reports a create whose
// answer was lost: it may have taken effect.
func (r *customerResource) put(ctx context.Context, plan *customerResourceModel, createKey string, diags *diag.Diagnostics) (ok, lost bool) {
	name, create := plan.Name.ValueString(), createKey != ""
	doing := fmt.Sprintf("updating customer %q", name)
	if create {
		doing = fmt.Sprintf("creating customer %q", name)
	}
	c := r.data.apiClient(diags, doing)
	if c == nil {
		return false, false
	}
	opts, d := plan.putOptions(ctx)
	diags.Append(d...)
	if d.HasError() {
		return false, false
	}
	if create {
		opts.IfNoneMatch, opts.IdempotencyKey = "*", createKey
	} else {
		opts.IfMatch = "*"
	}
	cust, _, err := c.Customers.Put(r.data.logContext(ctx), name, opts)
	switch {
	case errors.Is(err, client.ErrPreconditionFailed) && create:
		addAlreadyExists(diags, "name", "Customer already exists",
			fmt.Sprintf("Customer %q already exists on the platform, so Terraform will not create it (nor silently take it over).", name),
			"virtco_customer", name, "name",
			"If this replaces a virtco_customer that has create_before_destroy: a customer's name is unique on the platform, "+
				"so its replacement cannot be created before the old one is gone; remove create_before_destroy from it.")
	case errors.Is(err, client.ErrPreconditionFailed):
		diags.AddError("Customer no longer exists",
			fmt.Sprintf("Customer %q was unprovisioned on the platform after Terraform last read it, so it was not "+
				"updated (an update never re-creates it). Run terraform apply again: the plan will re-create it.", name))
	case err != nil:
		r.data.addAPIError(diags, doing, needsOps, customerFields, err)
		return false, create && answerLost(err)
	default:
		diags.Append(plan.fromAPI(cust)...)
		return !diags.HasError(), false
	}
	return false, false
}

func (r *customerResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state customerResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.Name.ValueString()
	if name == "" {
		name = state.ID.ValueString()
	}
	doing := fmt.Sprintf("reading customer %q", name)
	c := r.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	cust, err := r.data.reads.customer(r.data.logContext(ctx), name)
	if errors.Is(err, client.ErrNotFound) {
		tflog.Warn(ctx, "customer no longer exists on the platform; removing it from the state", map[string]any{"customer": name})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		r.data.addAPIError(&resp.Diagnostics, doing, needsCustomer, customerFields, err)
		return
	}
	resp.Diagnostics.Append(state.fromAPI(cust)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *customerResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan customerResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if ok, _ := r.put(ctx, &plan, "", &resp.Diagnostics); ok {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
}

func (r *customerResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state customerResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.Name.ValueString()
	doing := fmt.Sprintf("unprovisioning customer %q", name)
	c := r.data.apiClient(&resp.Diagnostics, doing)
	if c == nil {
		return
	}
	ctx = r.data.logContext(ctx)
	if key, diags := pendingCreate(ctx, req.Private); key != "" || diags.HasError() {
		resp.Diagnostics.Append(diags...)
		if !r.createdBy(ctx, c, &state, key, &resp.Diagnostics) {
			return
		}
	}
	err := c.Customers.Delete(ctx, name, client.CustomerDeleteOptions{})
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		r.data.addAPIError(&resp.Diagnostics, doing, needsOps, customerFields, err)
	}
}

// createdBy asks the platform again, with the key of a create whose answer was lost, whether that
// create made the customer: a create it already took is answered as it was (201), one it never
// took is taken now (201 too: the customer is then this configuration's as well); 412 says that
// the customer is someone else's, which is left alone.
func (r *customerResource) createdBy(ctx context.Context, c *client.Client, state *customerResourceModel, key string, diags *diag.Diagnostics) bool {
	name := state.Name.ValueString()
	doing := fmt.Sprintf("asking whether creating customer %q took effect", name)
	opts, d := state.putOptions(ctx)
	diags.Append(d...)
	if d.HasError() {
		return false
	}
	opts.IfNoneMatch, opts.IdempotencyKey = "*", key
	_, _, err := c.Customers.Put(ctx, name, opts)
	switch {
	case errors.Is(err, client.ErrPreconditionFailed):
		diags.AddWarning("Customer left alone",
			fmt.Sprintf("Customer %q exists on the platform, but not by the create whose answer was lost: it is someone "+
				"else's, and was left as it is. Import it to manage it here.", name))
		return false
	case err != nil:
		r.data.addAPIError(diags, doing, needsOps, customerFields, err)
		return false
	}
	return true
}

func (r *customerResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if err := validCustomerName(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("A virtco_customer is imported by its name: %s.", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}
