// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package awsemu is an in-memory emulator of the parts of AWS IAM and STS
// that terraform-provider-virtco uses. It is a TEST TOOL, not product code:
// nothing in the provider or the control plane imports it.
//
// The emulator speaks the real AWS Query protocol (form-encoded POST with
// Action and Version, XML responses in the IAM 2010-05-08 and STS 2011-06-15
// namespaces, <ErrorResponse> errors with the HTTP status codes the real
// services use), so the unmodified aws-sdk-go-v2 IAM and STS clients and the
// AWS CLI talk to it when pointed at its URL.
//
// Accounts come from the access key id of the SigV4 Authorization header: a
// key id of exactly twelve digits acts as that account, any other key acts as
// account 000000000000, and keys minted by AssumeRole act as the assumed role.
// Every signature is recomputed with the AWS SDK's own signer and the secret
// the emulator holds for the key (DefaultSecret unless Options.Secrets says
// otherwise; AssumeRole's secret and session token for its keys), so a wrong
// secret or a dropped session token fails as it does against AWS.
//
// Faults (throttling, eventual consistency after CreateRole, slow principal
// propagation, 5xx) can be switched on per emulator, and every call is counted
// per action and per account, so tests can assert on both behaviour and cost.
//
// See README.md for the list of operations and what is deliberately missing.
package awsemu
