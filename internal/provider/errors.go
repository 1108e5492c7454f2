package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

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

// access is what an API call needs of the key, for the advice on a 403.
type access int

const (
	needsOps      access = iota // only the ops key
	needsReadAll                // the ops key or the master token
	needsCustomer               // the ops key, the master token or a user token of that customer
)

func (a access) advice() string {
	switch a {
	case needsOps:
		return "This needs the ops key: configure the provider with it (api_key / api_key_file, or " + envAPIKey + " / " +
			envAPIKeyFile + "). A user token may only read its own customer and manage that customer's AWS accounts, " +
			"and the master token only reads; use a separate provider configuration (an alias) with the ops key for this."
	case needsReadAll:
		return "This needs the ops key or the master token: configure the provider with one of them (api_key / api_key_file, " +
			"or " + envAPIKey + " / " + envAPIKeyFile + "). A user token sees only its own customer and no keys."
	case needsCustomer:
		return "A user token may only read its own customer; use that customer's name, or configure the provider with the " +
			"ops key or the master token (api_key / api_key_file, or " + envAPIKey + " / " + envAPIKeyFile + ")."
	}
	return "Configure the provider with a key that may do this (api_key / api_key_file, or " + envAPIKey + " / " + envAPIKeyFile + ")."
}

// fields maps the API's request fields (the field of a 400, such as "diag_account" or the path
// parameter "customer") to the attributes that hold them.
type fields map[string]string

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

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// apiMessage is the server's own message of an API error, or the error's text.
func apiMessage(err error) string {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Message != "" {
		return apiErr.Message
	}
	return err.Error()
}

// addAlreadyExists refuses a create whose object exists already: nothing is adopted silently.
// what says what exists and what was (not) done; otherwise, when set, is the attribute to change
// instead of importing.
func addAlreadyExists(diags *diag.Diagnostics, attr, summary, what, resourceType, importID, otherwise string) {
	detail := fmt.Sprintf("%s\n\nTo manage it with this configuration, import it: terraform import <address of this "+
		"resource> %s (such as terraform import %s.example %s), or add an import block { to = <address>, id = %q }.",
		what, importID, resourceType, importID, importID)
	if otherwise != "" {
		detail += " Otherwise choose another " + otherwise + "."
	}
	diags.AddAttributeError(path.Root(attr), summary, detail)
}
