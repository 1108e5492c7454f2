// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package provider is the Terraform surface of VIRT-CO: the provider, its resources, data sources
// and ephemeral resources, on terraform-plugin-framework. It talks to the control plane through
// internal/client only.
package provider

import (
	"context"
	"errors"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/providervalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

var (
	_ provider.Provider                       = &virtcoProvider{}
	_ provider.ProviderWithEphemeralResources = &virtcoProvider{}
	_ provider.ProviderWithConfigValidators   = &virtcoProvider{}
)

// New returns the provider's constructor for providerserver; version goes into the User-Agent.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &virtcoProvider{version: version, env: osEnvironment()}
	}
}

type virtcoProvider struct {
	version string
	env     environment
	// awsHooks are test-only settings (see awsHooks); zero in the released provider.
	awsHooks awsHooks
}

func (p *virtcoProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "virtco"
	resp.Version = p.version
}

func (p *virtcoProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The VIRT-CO provider declares the VIRT-CO platform's customers, users and their API keys, " +
			"and the read-only IAM role the platform assumes in a customer's AWS account, so that diagnostic access is " +
			"granted by `terraform apply` and revoked by `terraform destroy`.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "URL of the VIRT-CO API, such as `http://127.0.0.1:8080` (a path prefix is allowed, " +
					"credentials, a query or a fragment are not). Defaults to the `" + envEndpoint + "` environment variable; " +
					"one of the two is required.",
			},
			"api_key": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "API key sent to the API: the ops key (operations: everything), the master token (reads) " +
					"or a user token (its own customer). Surrounding white space is ignored. Defaults to the `" + envAPIKey +
					"` environment variable; `api_key` and `api_key_file` in the block win over the environment. Conflicts " +
					"with `api_key_file`.",
			},
			"api_key_file": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Path of a file holding the API key on one line, like the old `apikey.txt`; surrounding " +
					"white space is ignored and `~/` is the home directory. Defaults to the `" + envAPIKeyFile + "` environment " +
					"variable; setting both `" + envAPIKey + "` and `" + envAPIKeyFile + "` is an error. Conflicts with `api_key`.",
			},
			"timeout": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "How long one API request may take before it is abandoned (and retried when that is safe), " +
					"as a Go duration such as `30s` or `2m`. Defaults to the `" + envTimeout + "` environment variable, else `30s`.",
				Validators: []validator.String{durationValidator{}},
			},
			"max_retries": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "How many times a failed API request is retried (connection failures, 429, 5xx; " +
					"never a token rotation that may have reached the server), with exponential backoff. `0` turns " +
					"retries off. Defaults to the `" + envMaxRetries + "` environment variable, else `5`.",
				Validators: []validator.Int64{int64validator.AtLeast(0)},
			},
		},
		Blocks: map[string]schema.Block{
			"aws": awsBlockSchema(),
		},
	}
}

func (p *virtcoProvider) ConfigValidators(context.Context) []provider.ConfigValidator {
	return []provider.ConfigValidator{
		providervalidator.Conflicting(path.MatchRoot("api_key"), path.MatchRoot("api_key_file")),
	}
}

func (p *virtcoProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The aws block is only checked here; it is loaded when a virtco_aws_role first needs it.
	awsS := &awsSession{unknown: awsUnknown(m.AWS), hooks: p.awsHooks, env: p.env}
	if len(awsS.unknown) == 0 {
		var diags diag.Diagnostics
		awsS.settings, diags = resolveAWS(m.AWS)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if unknown := unknownSettings(m); len(unknown) > 0 {
		// The settings come from resources that are not created yet. Planning new objects needs no
		// API call, so the plan can go on; whatever needs the API says why it cannot (see client).
		tflog.Warn(ctx, "provider settings not known until apply", map[string]any{"settings": strings.Join(unknown, ", ")})
		data := &providerData{unknown: unknown, aws: awsS}
		resp.DataSourceData, resp.ResourceData, resp.EphemeralResourceData = data, data, data
		return
	}
	s, diags := resolve(m, p.env)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = maskSecrets(ctx, s.APIKey)
	key := s.APIKey
	cfg := client.Config{
		Address:    s.Endpoint,
		APIKey:     s.APIKey,
		Timeout:    s.Timeout,
		MaxRetries: s.MaxRetries,
		UserAgent:  "terraform-provider-virtco/" + p.version,
	}
	// With the provider's logger off (main turns it off when Terraform would drop its lines), a
	// line per request, and the masking of every line, would be work for nothing.
	logsOff := strings.EqualFold(p.env.Getenv("TF_LOG_PROVIDER_VIRTCO"), "off")
	if !logsOff {
		cfg.Logger = func(ctx context.Context, msg string, fields map[string]any) {
			tflog.Debug(maskSecrets(ctx, key), msg, fields)
		}
	}
	c, reads, err := newSharedClient(cfg)
	if err != nil {
		reason := err.Error()
		var cfgErr *client.ConfigError
		if errors.As(err, &cfgErr) {
			reason = cfgErr.Reason
		}
		switch {
		case errors.Is(err, client.ErrInvalidAddress):
			resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Invalid VIRT-CO endpoint",
				"The VIRT-CO endpoint (endpoint / "+envEndpoint+") is not usable: "+reason+".")
		case errors.Is(err, client.ErrInvalidAPIKey):
			resp.Diagnostics.AddAttributeError(path.Root("api_key"), "Invalid API key",
				"The API key from "+s.KeySource+" is not usable: "+reason+". Check api_key / api_key_file (or "+
					envAPIKey+" / "+envAPIKeyFile+").")
		default:
			// The provider checks the other settings itself before it gets here.
			resp.Diagnostics.AddError("Invalid provider configuration",
				"The VIRT-CO client refused the provider's settings: "+reason+". This is a bug in the provider; please report it.")
		}
		return
	}
	tflog.Debug(ctx, "VIRT-CO provider configured", map[string]any{
		"endpoint": s.Endpoint, "key_source": s.KeySource, "timeout": s.Timeout.String(), "max_retries": s.MaxRetries,
	})
	data := &providerData{client: c, reads: reads, endpoint: c.Address(), apiKey: s.APIKey, keySource: s.KeySource, aws: awsS,
		logsOff: logsOff}
	resp.DataSourceData, resp.ResourceData, resp.EphemeralResourceData = data, data, data
}

func (p *virtcoProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewCustomerResource,
		NewUserResource,
		NewAWSRoleResource,
	}
}

func (p *virtcoProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewDiagAccountsDataSource,
		NewMasterTokenDataSource,
		NewCustomerDataSource,
		NewAWSRolePolicyDataSource,
	}
}

func (p *virtcoProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewMasterTokenEphemeralResource,
		NewUserTokenEphemeralResource,
	}
}
