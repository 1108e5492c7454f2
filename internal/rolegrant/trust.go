// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package rolegrant

import (
	"context"
	"fmt"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// Trust is what a customer's role must trust: the customer's diagnostic account, and only with
// the customer's external id.
type Trust struct {
	Customer   *client.Customer
	Principal  string // the diagnostic account's principal ARN, or its root
	ExternalID string
	Policy     string // the trust policy document
}

// TrustOf builds the trust a customer's role must have, from the customer as the platform has it.
// A customer without a diagnostic account is an error wrapping ErrNoDiagAccount.
func TrustOf(c *client.Customer) (*Trust, error) {
	if c.DiagAccount == "" {
		return nil, fmt.Errorf("customer %q: %w", c.Name, ErrNoDiagAccount)
	}
	principal := c.DiagAccountPrincipalARN
	if principal == "" {
		if c.DiagAccountID == "" {
			return nil, fmt.Errorf("diagnostic account %q of customer %q has neither a principal ARN nor an account id", c.DiagAccount, c.Name)
		}
		principal = awsrole.RootPrincipal(c.DiagAccountID)
	}
	policy, err := awsrole.TrustPolicy(principal, c.ExternalID)
	if err != nil {
		return nil, err
	}
	return &Trust{Customer: c, Principal: principal, ExternalID: c.ExternalID, Policy: policy}, nil
}

// ReadTrust reads the customer and builds its trust. A customer the platform does not have is a
// *PlatformError matching client.ErrNotFound.
func ReadTrust(ctx context.Context, platform *client.Client, customer string) (*Trust, error) {
	c, err := platform.Customers.Get(ctx, customer)
	if err != nil {
		return nil, platformError(err, "reading customer %q", customer)
	}
	return TrustOf(c)
}
