// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Command hello is what the buildtest tests build.
package main

import "fmt"

func main() { fmt.Println("hello from buildtest") }
