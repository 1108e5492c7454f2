// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/server"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

func validate(vs []validator.String, v string) string {
	var msgs []string
	for _, val := range vs {
		resp := &validator.StringResponse{}
		val.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("name"), ConfigValue: types.StringValue(v)}, resp)
		for _, d := range resp.Diagnostics {
			msgs = append(msgs, d.Detail())
		}
	}
	return strings.Join(msgs, "; ")
}

func TestCustomerNames(t *testing.T) {
	long := strings.Repeat("a", 63)
	good := []string{"acme.com", "a.b", "x-1.example.co.uk", "0.0", long + "." + long + "." + long + "." + strings.Repeat("b", 61)}
	bad := []string{"", "acme", "Acme.com", "acme_corp.com", "-acme.com", "acme-.com", "acme..com", ".acme.com", "acme.com.",
		strings.Repeat("a", 64) + ".com", long + "." + long + "." + long + "." + strings.Repeat("b", 62), "joe@acme.com", "acme.com/x"}
	for _, n := range good {
		if msg := validate(customerNameValidators(), n); msg != "" {
			t.Errorf("%q refused: %s", n, msg)
		}
		if err := validCustomerName(n); err != nil {
			t.Errorf("validCustomerName(%q): %v", n, err)
		}
	}
	for _, n := range bad {
		if msg := validate(customerNameValidators(), n); msg == "" {
			t.Errorf("%q accepted", n)
		}
		if err := validCustomerName(n); err == nil {
			t.Errorf("validCustomerName(%q) accepted", n)
		}
	}
	if msg := validate(customerNameValidators(), "Acme"); !strings.Contains(msg, `"Acme" is not a customer name: a customer name is a lower-case DNS domain such as acme.com`) {
		t.Errorf("message: %s", msg)
	}
}

func TestUserNames(t *testing.T) {
	good := []string{"joe", "Joe.Smith", "a", "x_y-z", "...a", strings.Repeat("u", 64)}
	bad := []string{"", ".", "..", "...", "joe smith", "joe@acme.com", "jöe", strings.Repeat("u", 65), "a/b"}
	for _, n := range good {
		if msg := validate(userNameValidators(), n); msg != "" {
			t.Errorf("%q refused: %s", n, msg)
		}
		if err := validUserName(n); err != nil {
			t.Errorf("validUserName(%q): %v", n, err)
		}
	}
	for _, n := range bad {
		if msg := validate(userNameValidators(), n); msg == "" {
			t.Errorf("%q accepted", n)
		}
		if err := validUserName(n); err == nil {
			t.Errorf("validUserName(%q) accepted", n)
		}
	}
}

func TestRegions(t *testing.T) {
	for _, r := range []string{"us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-3"} {
		if msg := validate(regionValidators(), r); msg != "" {
			t.Errorf("%q refused: %s", r, msg)
		}
	}
	for _, r := range []string{"", "us-east", "US-EAST-1", "moon", "us-east-1a"} {
		if msg := validate(regionValidators(), r); msg == "" {
			t.Errorf("%q accepted", r)
		}
	}
}

func TestAccountIDs(t *testing.T) {
	for _, id := range []string{"123456789012", "000000000000"} {
		if msg := validate(accountIDValidators(), id); msg != "" {
			t.Errorf("%q refused: %s", id, msg)
		}
	}
	for _, id := range []string{"", "1234", "1234567890123", "12345678901a", "arn:aws:iam::123456789012:root"} {
		if msg := validate(accountIDValidators(), id); msg == "" {
			t.Errorf("%q accepted", id)
		}
	}
	if msg := validate(accountIDValidators(), "1234"); msg != `"1234" is not an AWS account id: an AWS account id is exactly 12 digits.` {
		t.Errorf("message: %s", msg)
	}
}

func TestParseUserID(t *testing.T) {
	customer, name, err := parseUserID("joe.smith@acme.com")
	if err != nil || customer != "acme.com" || name != "joe.smith" {
		t.Fatalf("parseUserID: %q %q %v", customer, name, err)
	}
	if id := userID(customer, name); id != "joe.smith@acme.com" {
		t.Errorf("userID: %s", id)
	}
	for id, want := range map[string]string{
		"joe":                "is not of the form user@customer (such as joe@acme.com)",
		"acme.com":           "is not of the form user@customer",
		"joe@acme.com@x.io":  "is not of the form user@customer",
		"@acme.com":          `"" is not a user name`,
		"joe@":               `"" is not a customer name`,
		"joe@ACME.com":       `"ACME.com" is not a customer name: a customer name is a lower-case DNS domain`,
		"joe smith@acme.com": `"joe smith" is not a user name: a user name is 1-64 characters`,
	} {
		_, _, err := parseUserID(id)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseUserID(%q): %v, want %q", id, err, want)
		}
	}
}

func TestDurationValidator(t *testing.T) {
	for v, ok := range map[string]bool{"30s": true, "2m": true, "1h30m": true, "0s": false, "-1s": false, "30": false, "soon": false} {
		resp := &validator.StringResponse{}
		durationValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("timeout"), ConfigValue: types.StringValue(v)}, resp)
		if resp.Diagnostics.HasError() == ok {
			t.Errorf("%q: errors %v", v, resp.Diagnostics)
		}
	}
	resp := &validator.StringResponse{}
	durationValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("timeout"), ConfigValue: types.StringUnknown()}, resp)
	if resp.Diagnostics.HasError() {
		t.Error("an unknown value is refused")
	}
}

// TestNamesServerAgrees: a bad name gets the same words at plan time as from the server, so that
// what a user reads does not depend on where the name was caught.
func TestNamesServerAgrees(t *testing.T) {
	ctx := t.Context()
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
	c := acctest.NewClient(t, hs.URL, ops)

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
			_, _, err := c.Users.Put(ctx, "acme.com", "joe smith", client.UserPutOptions{})
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
