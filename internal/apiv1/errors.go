// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package apiv1

// ErrorBody is the body of every answer that is not 2xx: {"error":{"code","message","field"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong. The keys are in alphabetical order, the order in which the
// server has always written them.
type ErrorDetail struct {
	Code string `json:"code"` // such as "invalid_argument"
	// Field is the request field a 400 is about: a path parameter ("customer", "user",
	// "account_id", "name"), a body field ("diag_account", "regions", ...) or a query parameter;
	// absent when the error is not about one field.
	Field   string `json:"field,omitempty"`
	Message string `json:"message"` // for people: what was wrong and what is allowed
}
