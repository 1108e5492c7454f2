// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

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
// instead of importing; notes are paragraphs after the advice.
func addAlreadyExists(diags *diag.Diagnostics, attr, summary, what, resourceType, importID, otherwise string, notes ...string) {
	detail := fmt.Sprintf("%s\n\nTo manage it with this configuration, import it: terraform import <address of this "+
		"resource> %s (such as terraform import %s.example %s), or add an import block { to = <address>, id = %q }.",
		what, importID, resourceType, importID, importID)
	if otherwise != "" {
		detail += " Otherwise choose another " + otherwise + "."
	}
	for _, n := range notes {
		detail += "\n\n" + n
	}
	diags.AddAttributeError(path.Root(attr), summary, detail)
}
