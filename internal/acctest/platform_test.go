// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package acctest

import (
	"fmt"
	"testing"
)

// A test may check more refused tokens than the server's burst of failed authentications per
// address: past it, TokenRefused waits as the server asks (429, Retry-After) instead of failing.
func TestTokenRefusedPastTheAuthFailureBurst(t *testing.T) {
	p := StartPlatform(t)
	for i := range 25 {
		if err := p.TokenRefused(fmt.Sprintf("vcu_revoked-or-never-issued-%02d", i)); err != nil {
			t.Fatalf("check %d: %v", i+1, err)
		}
	}
}
