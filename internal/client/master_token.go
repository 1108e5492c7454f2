// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"net/http"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
)

// MasterToken returns the master token (ops key only). It is a secret: keep it out of logs.
func (c *Client) MasterToken(ctx context.Context) (string, error) {
	var out apiv1.MasterToken
	if _, err := c.do(ctx, http.MethodGet, "/v1/master-token", nil, &out, nil); err != nil {
		return "", err
	}
	return out.MasterToken, nil
}
