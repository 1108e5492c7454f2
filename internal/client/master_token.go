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

// MasterTokenRotate replaces the master token with a new one and returns it (ops key only). The
// old token is refused at once by the server that rotated it, and by every other server on the
// same database within seconds. The call carries an Idempotency-Key, so that a retry after a lost
// answer gets that rotation's token rather than rotating again.
func (c *Client) MasterTokenRotate(ctx context.Context) (string, error) {
	h, err := withIdempotencyKey(nil, "")
	if err != nil {
		return "", err
	}
	var out apiv1.MasterToken
	if _, err := c.do(ctx, http.MethodPost, "/v1/master-token/rotate", nil, &out, &requestOptions{header: h}); err != nil {
		return "", err
	}
	return out.MasterToken, nil
}
