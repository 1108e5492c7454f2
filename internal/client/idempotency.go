// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"crypto/rand"
	"fmt"
	"net/http"
)

const idempotencyHeader = "Idempotency-Key"

// maxIdempotencyKey is the longest key the server takes.
const maxIdempotencyKey = 255

// withIdempotencyKey sets the call's Idempotency-Key on h: the caller's own key when it gave one,
// else a new random one. It is set once per call, before the first attempt, so that every retry
// of the call carries the same key and the server can tell a retry from a new request.
func withIdempotencyKey(h http.Header, own string) (http.Header, error) {
	if h == nil {
		h = http.Header{}
	}
	key := own
	if key == "" {
		key = rand.Text()
	} else if err := checkIdempotencyKey(key); err != nil {
		return nil, err
	}
	h.Set(idempotencyHeader, key)
	return h, nil
}

func checkIdempotencyKey(key string) error {
	if len(key) > maxIdempotencyKey {
		return fmt.Errorf("%w: the idempotency key is %d characters long; it is 1-%d printable ASCII characters",
			ErrInvalidArgument, len(key), maxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return fmt.Errorf("%w: the idempotency key has a character that is not printable ASCII at byte %d; it is 1-%d printable ASCII characters",
				ErrInvalidArgument, i+1, maxIdempotencyKey)
		}
	}
	return nil
}
