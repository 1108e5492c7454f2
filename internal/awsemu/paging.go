// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"encoding/base64"
	"strconv"
)

// page is the Marker/MaxItems pagination IAM uses. The SDK paginators
// (iam.NewListRolesPaginator and friends) send the previous response's
// Marker while IsTruncated is true.
type page struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// paginate returns one page of items, which must be sorted by key. The
// marker is the opaque encoding of the last key returned, so a page boundary
// survives entities being added or removed between calls.
func paginate[T any](p params, items []T, key func(T) string) ([]T, page, *apiError) {
	maxItems := 100
	if n, ok, err := p.integer("MaxItems"); err != nil {
		return nil, page{}, err
	} else if ok {
		if n < 1 {
			return nil, page{}, validationError(strconv.Itoa(n), "maxItems", "Member must have value greater than or equal to 1")
		}
		if n > 1000 {
			return nil, page{}, validationError(strconv.Itoa(n), "maxItems", "Member must have value less than or equal to 1000")
		}
		maxItems = n
	}
	start := 0
	if m, ok := p.str("Marker"); ok && m != "" {
		after, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return nil, page{}, errValidation("Invalid Marker.")
		}
		for start < len(items) && key(items[start]) <= string(after) {
			start++
		}
	}
	end := min(start+maxItems, len(items))
	out := items[start:end]
	if end < len(items) {
		return out, page{IsTruncated: true, Marker: base64.RawURLEncoding.EncodeToString([]byte(key(out[len(out)-1])))}, nil
	}
	return out, page{}, nil
}
