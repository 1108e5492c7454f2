// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

//go:build tools

// Package tools pins the versions of the tools the provider's make targets run (`make docs`).
// It is a module of its own so that the provider's go.mod carries none of their dependencies.
package tools

import (
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)
