// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package apiv1 is the JSON of API v1, as api/openapi.yaml describes it: what virtco-server
// writes and the client reads, each body defined once here so that the server and the client
// cannot drift apart. It is types and nothing else, on the standard library alone, so that both
// sides can import it without importing each other. api/openapi.yaml still checks both sides
// independently, each in its own tests: sharing these types keeps the two in step with each
// other, the contract tests keep them in step with the spec.
//
// Lists are written as [] rather than null because the spec requires the array; a nil slice in
// these types encodes as null, so the server fills its lists before it writes them.
package apiv1
