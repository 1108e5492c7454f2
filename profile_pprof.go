// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

//go:build pprof

package main

import (
	"fmt"
	"log"
	"os"
	"runtime/pprof"
)

// A provider built with -tags pprof writes a CPU profile of each of its processes (Terraform
// starts one per graph walk: validate, plan, apply) to $VIRTCO_CPUPROFILE.<pid> when that is set,
// for `go tool pprof`. Release builds have no such switch.
func init() {
	base := os.Getenv("VIRTCO_CPUPROFILE")
	if base == "" {
		return
	}
	profile = func() func() {
		f, err := os.Create(fmt.Sprintf("%s.%d", base, os.Getpid()))
		if err != nil {
			log.Printf("VIRTCO_CPUPROFILE: %v", err)
			return func() {}
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Printf("VIRTCO_CPUPROFILE: %v", err)
			_ = f.Close()
			return func() {}
		}
		return func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}
	}
}
