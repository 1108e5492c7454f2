// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// providerData is what Configure hands to resources, data sources and ephemeral resources.
type providerData struct {
	client *client.Client
	// reads are the reads of the API that resources share; set with client.
	reads    *sharedReads
	endpoint string
	apiKey   string
	// keySource says where apiKey came from ("api_key", "api_key_file (/path)", ...), for messages.
	keySource string
	// unknown, when not empty, lists provider settings that are not known until apply; client is
	// nil then.
	unknown []string
	// aws is the aws block, loaded when a virtco_aws_role first needs it.
	aws *awsSession
	// diagAccounts holds the platform's diagnostic accounts once diagAccountNames has read them.
	diagAccounts diagAccountCache
	// logsOff: the provider's own logger writes nothing (TF_LOG_PROVIDER_VIRTCO=OFF), so its lines
	// need no masking.
	logsOff bool
}

// diagAccountCache is the one listing of the diagnostic accounts per configured provider (each
// alias, in each provider process Terraform starts: one for a plan): the plan-time checks of many
// customers, which Terraform runs concurrently, share it instead of asking the API once each.
type diagAccountCache struct {
	once  sync.Once
	names []string
	err   error
}

// diagAccountNames is the names of the platform's diagnostic accounts, in the API's order (by
// name). Only the first call asks the API; every other one, concurrent ones included, waits for
// that answer and gets it, an error too, so that a plan asks at most once even when the API
// fails (the check is then left to the server at apply). It needs the client (apiOrNil not nil).
func (d *providerData) diagAccountNames(ctx context.Context) ([]string, error) {
	d.diagAccounts.once.Do(func() {
		list, err := d.client.DiagAccounts.List(d.logContext(ctx), client.ListDiagAccountsOptions{})
		if err != nil {
			d.diagAccounts.err = err
			return
		}
		names := make([]string, 0, len(list))
		for _, a := range list {
			names = append(names, a.Name)
		}
		d.diagAccounts.names = names
	})
	return d.diagAccounts.names, d.diagAccounts.err
}

// configureData takes the provider's data in a resource's, data source's or ephemeral
// resource's Configure. nil (Terraform validating before the provider is configured) is fine.
func configureData(raw any, diags *diag.Diagnostics) *providerData {
	if raw == nil {
		return nil
	}
	d, ok := raw.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *provider.providerData, got %T. This is a bug in the provider; please report it.", raw))
		return nil
	}
	return d
}

// apiOrNil is the API client, or nil when there is none (not configured, or settings unknown).
func (d *providerData) apiOrNil() *client.Client {
	if d == nil {
		return nil
	}
	return d.client
}

// apiClient is the client, or an error that says why there is none.
func (d *providerData) apiClient(diags *diag.Diagnostics, doing string) *client.Client {
	switch {
	case d == nil:
		diags.AddError("Provider not configured",
			"The VIRT-CO provider was not configured before "+doing+". This is a bug in the provider or Terraform; please report it.")
		return nil
	case d.client == nil:
		diags.AddError("Provider configuration not known yet",
			fmt.Sprintf("Terraform cannot be %s now: the provider's %s depend(s) on values that are known only after apply. "+
				"Apply the resources that these settings come from first (terraform apply -target=...), or give the "+
				"settings values known at plan time.", doing, strings.Join(d.unknown, ", ")))
		return nil
	}
	return d.client
}

// addAPIError adds a diagnostic for a failed API call: what happened (with the server's own
// words) and what to do. doing is the action in the gerund ("creating customer \"acme.com\""); a
// 400 about a field in attrs is reported at that attribute.
func (d *providerData) addAPIError(diags *diag.Diagnostics, doing string, need access, attrs fields, err error) {
	endpoint := ""
	if d != nil {
		endpoint = d.endpoint
	}
	var apiErr *client.APIError
	status, msg := 0, err.Error()
	if errors.As(err, &apiErr) {
		status, msg = apiErr.StatusCode, apiErr.Message
		if msg == "" {
			msg = apiErr.Error()
		}
	}
	summary := "Error " + doing
	var detail string
	attr := ""
	switch {
	case errors.Is(err, client.ErrUnreachable):
		summary = "VIRT-CO API unreachable"
		detail = fmt.Sprintf("The VIRT-CO API at %s could not be reached while %s: %s\n\n"+
			"Check the provider's endpoint (or %s) and that virtco-server is running and reachable from here. "+
			"On a slow network raise timeout (%s) or max_retries (%s).",
			endpoint, doing, err, envEndpoint, envTimeout, envMaxRetries)
	case errors.Is(err, client.ErrUnauthenticated):
		summary = "API key refused"
		detail = fmt.Sprintf("The VIRT-CO API at %s refused the API key (401) while %s: %s\n\n"+
			"Check api_key / api_key_file (or %s / %s): the key may be mistyped, revoked or rotated, or belong to "+
			"another VIRT-CO endpoint.", endpoint, doing, msg, envAPIKey, envAPIKeyFile)
	case errors.Is(err, client.ErrPermissionDenied):
		summary = "Permission denied " + doing
		detail = fmt.Sprintf("The VIRT-CO API refused %s (403): %s.\n\n%s", doing, strings.TrimSuffix(msg, "."), need.advice())
	case errors.Is(err, client.ErrInvalidArgument):
		detail = fmt.Sprintf("The VIRT-CO API refused %s (400): %s\n\nCorrect the configuration and apply again.", doing, msg)
		if apiErr != nil && apiErr.Field != "" {
			attr = attrs[apiErr.Field]
		}
	case errors.Is(err, client.ErrRateLimited), errors.Is(err, client.ErrServer):
		summary = "VIRT-CO API error"
		detail = fmt.Sprintf("The VIRT-CO API at %s failed while %s (%d): %s\n\n"+
			"This is a problem on the server's side (its log has the details, under the request id if one is given); "+
			"try again later, or raise max_retries (%s).", endpoint, doing, status, msg, envMaxRetries)
	case status != 0:
		detail = fmt.Sprintf("The VIRT-CO API answered %d while %s: %s", status, doing, msg)
	default:
		detail = fmt.Sprintf("%s failed: %s", upperFirst(doing), err)
	}
	if attr == "" {
		diags.AddError(summary, detail)
	} else {
		diags.AddAttributeError(path.Root(attr), summary, detail)
	}
}

// masterToken reads the master token for the data source and the ephemeral resource alike.
func (d *providerData) masterToken(ctx context.Context, diags *diag.Diagnostics) (string, bool) {
	const doing = "reading the master token"
	c := d.apiClient(diags, doing)
	if c == nil {
		return "", false
	}
	tok, err := c.MasterToken(d.logContext(ctx))
	if err != nil {
		d.addAPIError(diags, doing, needsOps, nil, err)
		return "", false
	}
	return tok, true
}

// logContext masks the API key and anything that looks like a VIRT-CO key in every log entry
// written with the returned context. Nothing logs secrets in the first place; this is defence
// in depth.
func (d *providerData) logContext(ctx context.Context) context.Context {
	if d.logsOff {
		return ctx
	}
	keys := []string{d.apiKey}
	if d.aws != nil {
		keys = append(keys, d.aws.settings.SecretKey, d.aws.settings.Token)
	}
	return maskSecrets(ctx, keys...)
}

func maskSecrets(ctx context.Context, keys ...string) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "api_key", "token", "master_token", "secret_key")
	ctx = tflog.MaskAllFieldValuesRegexes(ctx, secretPattern)
	ctx = tflog.MaskMessageRegexes(ctx, secretPattern)
	for _, key := range keys {
		if key != "" {
			ctx = tflog.MaskAllFieldValuesStrings(ctx, key)
			ctx = tflog.MaskMessageStrings(ctx, key)
		}
	}
	return ctx
}

// The prefixes the server gives the keys it mints. An ops key set by the server's operator
// (VIRTCO_OPS_API_KEY) may be any string.
const (
	opsKeyPrefix      = "vco_"
	masterTokenPrefix = "vcm_"
	userTokenPrefix   = "vcu_"
)

// secretPattern matches every kind of VIRT-CO key by its prefix: ops keys (vco_), the master
// token (vcm_) and user tokens (vcu_).
var secretPattern = regexp.MustCompile(`vc[umo]_[A-Za-z0-9_-]+`)
