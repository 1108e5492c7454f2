// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package rolegrant

import (
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
)

// expiryOf is the expiry the role's trust carries (its DateLessThan aws:CurrentTime), which the
// platform's record of the account carries too, so that a verification refused after it says
// expired rather than failed; nil: none.
func expiryOf(spec awsrole.RoleSpec) *time.Time {
	at, err := awsrole.TrustPolicyExpiry(spec.TrustPolicy)
	if err != nil {
		return nil
	}
	return at
}

func sameExpiry(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
