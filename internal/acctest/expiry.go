// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package acctest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

// UserExpiry checks when a user's token expires on the server: want nil for never.
func (p *Platform) UserExpiry(customer, name string, want *time.Time) error {
	u, err := p.Ops.Users.Get(p.t.Context(), customer, name)
	switch {
	case err != nil:
		return fmt.Errorf("user %s@%s on the server: %w", name, customer, err)
	case want == nil && u.ExpiresAt != nil:
		return fmt.Errorf("user %s@%s expires at %s on the server; want never", name, customer, u.ExpiresAt)
	case want != nil && (u.ExpiresAt == nil || !u.ExpiresAt.Equal(*want)):
		return fmt.Errorf("user %s@%s expires at %v on the server; want %s", name, customer, u.ExpiresAt, want)
	}
	return nil
}

// TokenExpired checks that the server refuses a token with 401 because it expired, and says when.
func (p *Platform) TokenExpired(token string, at time.Time) error {
	_, err := NewClient(p.t, p.URL, token).Customers.List(p.t.Context())
	var apiErr *client.APIError
	switch {
	case err == nil:
		return errors.New("the token still works")
	case !errors.Is(err, client.ErrUnauthenticated) || !errors.As(err, &apiErr):
		return fmt.Errorf("want 401: %w", err)
	case !strings.Contains(apiErr.Message, "expired at "+at.UTC().Format(time.RFC3339)):
		return fmt.Errorf("401 without saying that the token expired at %s: %s", at.UTC().Format(time.RFC3339), apiErr.Message)
	}
	return nil
}

// AwaitTokenExpired waits until the server refuses the token as expired at at: a test's wait
// for a server whose clock it cannot set, judged by what the server answers.
func (p *Platform) AwaitTokenExpired(token string, at time.Time, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		err := p.TokenExpired(token, at)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
}
