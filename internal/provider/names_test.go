package provider

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/server"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// TestNamesServerAgrees: a bad name gets the same words at plan time as from the server, so that
// what a user reads does not depend on where the name was caught.
func TestNamesServerAgrees(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "virtco.db"))
	if err != nil {
		t.Fatal(err)
	}
	ops := server.NewOpsKey()
	srv, err := server.New(st, server.Config{OpsKey: ops, MasterToken: server.NewMasterToken()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); _ = st.Close() })
	c := newClient(t, hs.URL, ops)

	for _, tc := range []struct {
		name       string
		validators []validator.String
		value      string
		field      string // of the server's answer
		call       func() error
	}{
		{"customer", customerNameValidators(), "ACME.com", "customer", func() error {
			_, _, err := c.Customers.Put(ctx, "ACME.com", client.CustomerPutOptions{})
			return err
		}},
		{"user", userNameValidators(), "joe smith", "user", func() error {
			_, _, err := c.Users.Put(ctx, "acme.com", "joe smith")
			return err
		}},
		{"account id", accountIDValidators(), "1234", "account_id", func() error {
			_, err := c.AWSAccounts.Get(ctx, "acme.com", "1234")
			return err
		}},
		{"diag account", diagAccountNameValidators(), "Diag!3", "diag_account", func() error {
			_, _, err := c.Customers.Put(ctx, "acme.com", client.CustomerPutOptions{DiagAccount: "Diag!3"})
			return err
		}},
		{"region", regionValidators(), "mars-north-1x", "aws_region", func() error {
			_, _, err := c.Customers.Put(ctx, "acme.com", client.CustomerPutOptions{AWSRegion: "mars-north-1x"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			planTime := validate(tc.validators, tc.value)
			var apiErr *client.APIError
			if err := tc.call(); !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Field != tc.field {
				t.Fatalf("the server answered %#v, want a 400 about %s", err, tc.field)
			}
			if want := upperFirst(apiErr.Message) + "."; planTime != want {
				t.Errorf("plan time says\n  %s\nthe server says\n  %s", planTime, want)
			}
		})
	}
}
