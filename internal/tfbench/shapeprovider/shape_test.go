// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// The floor is only a floor if Terraform accepts what it applies as done: apply, then a plan of
// the same configuration that finds nothing to change (resource.Test plans after every step and
// fails on a change), after a create and after an update that leaves the diagnostic account's
// attributes unknown; one file per object, none left after destroy.
func TestAccShapeAppliesAndPlansNoChange(t *testing.T) {
	dir := t.TempDir()
	config := func(diag string) string {
		return fmt.Sprintf(`
provider "virtco" {
  dir = %q
}

resource "virtco_customer" "c" {
  count        = 2
  name         = "bench${count.index}.example.com"
  diag_account = %q
}

resource "virtco_user" "u" {
  count    = 4
  customer = virtco_customer.c[floor(count.index / 2)].name
  name     = "user${count.index %% 2}"
}
`, dir, diag)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"virtco": providerserver.NewProtocol6WithError(floor),
		},
		Steps: []resource.TestStep{
			{Config: config("Diag3"), Check: resource.ComposeAggregateTestCheckFunc(files(dir, 6),
				resource.TestCheckResourceAttr("virtco_customer.c.1", "aws_region", "us-east-1"),
				resource.TestCheckResourceAttrSet("virtco_user.u.3", "token"))},
			{Config: config("Diag1"), Check: files(dir, 6)},
			{
				// An object whose file is gone was deleted outside Terraform: the plan creates it again.
				PreConfig:          func() { removeOne(t, dir) },
				Config:             config("Diag1"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
		CheckDestroy: files(dir, 0),
	})
}

func files(dir string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		if len(got) != want {
			return fmt.Errorf("%d files in the provider's directory, want %d", len(got), want)
		}
		return nil
	}
}

func removeOne(t *testing.T, dir string) {
	got, err := os.ReadDir(dir)
	if err != nil || len(got) == 0 {
		t.Fatalf("no file to remove in %s: %v", dir, err)
	}
	if err := os.Remove(filepath.Join(dir, got[0].Name())); err != nil {
		t.Fatal(err)
	}
}
