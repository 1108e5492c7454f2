// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package rolegrant grants the platform read access to a customer's AWS account, and takes it
// away again: the read-only role in the account (package awsrole) and the control plane's
// record of that account (package client), kept in step so that neither is ever left behind
// without the other being known.
//
// A grant moves the platform's record through the platform's own states: the account is
// registered in-progress before the role is created, and done, with the role's ARN, once IAM
// shows the role. Should anything fail after CreateRole, Grant deletes the role again and puts
// the record back as it was (RolledBackError); if even that deletion fails, the role is still
// there and Grant says so (LeftBehindError), so that the caller records it rather than losing
// it. Revoke marks the record purge, deletes the role with everything attached to it, and removes
// the record. ARCHITECTURE.md ("The grant's states") draws the whole state machine.
//
// Every operation first checks that the credentials reach the AWS account the grant is for: a
// role is never created, changed or deleted in another account than the one declared.
//
// The package has no Terraform in it; the virtco_aws_role resource maps its plan and state to
// and from it. Errors are typed: test them with errors.Is and errors.As.
package rolegrant
