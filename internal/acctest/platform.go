// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package acctest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// Platform is a running virtco-server of one test, seeded with DiagAccountsJSON, and a client
// with its ops key.
type Platform struct {
	*servertest.Process
	Ops *client.Client
	t   *testing.T
}

// StartPlatform starts the server; it stops when the test ends.
func StartPlatform(t *testing.T) *Platform {
	t.Helper()
	p := servertest.Start(t, servertest.Options{DiagAccounts: DiagAccountsJSON})
	return &Platform{Process: p, Ops: NewClient(t, p.URL, p.OpsKey), t: t}
}

// NewClient is a client of the server at url with key, which does not retry: a test sees each
// answer as it is.
func NewClient(t *testing.T, url, key string) *client.Client {
	t.Helper()
	c, err := client.New(&client.Config{Address: url, APIKey: key, MaxRetries: client.NoRetries, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Provision creates a customer and users on the server directly (not through Terraform) and
// returns the users' tokens by name.
func (p *Platform) Provision(customer, diag string, users ...string) map[string]string {
	p.t.Helper()
	ctx := p.t.Context()
	if _, _, err := p.Ops.Customers.Put(ctx, customer, client.CustomerPutOptions{DiagAccount: diag}); err != nil {
		p.t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, u := range users {
		user, _, err := p.Ops.Users.Put(ctx, customer, u, client.UserPutOptions{})
		if err != nil {
			p.t.Fatal(err)
		}
		tokens[u] = user.Token
	}
	return tokens
}

// ExternalID is a customer's external id on the server.
func (p *Platform) ExternalID(customer string) string {
	p.t.Helper()
	c, err := p.Ops.Customers.Get(p.t.Context(), customer)
	if err != nil {
		p.t.Fatal(err)
	}
	return c.ExternalID
}

// --- checks of what the server holds

// Customer checks the customer on the server.
func (p *Platform) Customer(name string, check func(*client.Customer) error) error {
	c, err := p.Ops.Customers.Get(p.t.Context(), name)
	if err != nil {
		return fmt.Errorf("customer %s on the server: %w", name, err)
	}
	return check(c)
}

// CustomerGone checks that the server has no such customer.
func (p *Platform) CustomerGone(name string) error {
	_, err := p.Ops.Customers.Get(p.t.Context(), name)
	return gone(err, "customer "+name)
}

// Account checks the platform's record of a customer's AWS account: its state and role.
func (p *Platform) Account(customer, account string, state client.RoleStatus, arn string) error {
	rec, err := p.Ops.AWSAccounts.Get(p.t.Context(), customer, account)
	if err != nil {
		return fmt.Errorf("AWS account %s of %s on the server: %w", account, customer, err)
	}
	if rec.State != state || rec.RoleARN != arn {
		return fmt.Errorf("AWS account %s of %s on the server: state %q, role %q; want %q, %q", account, customer, rec.State, rec.RoleARN, state, arn)
	}
	return nil
}

// AccountGone checks that the platform has no record of the account.
func (p *Platform) AccountGone(customer, account string) error {
	_, err := p.Ops.AWSAccounts.Get(p.t.Context(), customer, account)
	return gone(err, fmt.Sprintf("AWS account %s of %s", account, customer))
}

func gone(err error, what string) error {
	switch {
	case err == nil:
		return fmt.Errorf("%s is still on the server", what)
	case !errors.Is(err, client.ErrNotFound):
		return fmt.Errorf("%s on the server: want not found: %w", what, err)
	}
	return nil
}

// TokenRefused checks that the server refuses a token (401): it was revoked or rotated.
func (p *Platform) TokenRefused(token string) error {
	if token == "" {
		return errors.New("no token was captured")
	}
	// Each refused token is a failed authentication, which the server limits per address (a burst
	// of 20, then one a second): a test that checks many may be told to wait (429), and waits, as
	// the client does when it may retry.
	c, err := client.New(&client.Config{Address: p.URL, APIKey: token, MaxRetries: 10, Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	_, err = c.Customers.List(p.t.Context())
	switch {
	case err == nil:
		return errors.New("a revoked token still works")
	case !errors.Is(err, client.ErrUnauthenticated):
		return fmt.Errorf("a revoked token: want 401: %w", err)
	}
	return nil
}

// TokenWorks checks that the server accepts a token.
func (p *Platform) TokenWorks(token string) error {
	if _, err := NewClient(p.t, p.URL, token).Customers.List(p.t.Context()); err != nil {
		return fmt.Errorf("the token: %w", err)
	}
	return nil
}

// UserToken checks that a user's token on the server is token.
func (p *Platform) UserToken(customer, name, token string) error {
	u, err := p.Ops.Users.Get(p.t.Context(), customer, name)
	if err != nil {
		return fmt.Errorf("user %s@%s on the server: %w", name, customer, err)
	}
	if u.Token != token {
		return fmt.Errorf("user %s@%s: the state's token is not the server's", name, customer)
	}
	return nil
}
