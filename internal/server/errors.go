// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// apiError is an error the API reports as it is: a status, a machine code and a message that
// says what was wrong and what is allowed; a 400 about one field of the request names it, so
// that a client can point at its own setting without reading the message.
type apiError struct {
	status  int
	code    string
	message string
	field   string // a path parameter, body field or query parameter; "" when not about one
}

func (e *apiError) Error() string { return e.message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// invalid is a 400 about field, or about no one field when field is "".
func invalid(field, format string, args ...any) *apiError {
	e := errorf(http.StatusBadRequest, "invalid_argument", format, args...)
	e.field = field
	return e
}

func forbidden(format string, args ...any) *apiError {
	return errorf(http.StatusForbidden, "permission_denied", format, args...)
}

// toAPIError turns any error into what the client is told. Store errors carry messages written
// for clients; anything else is logged and reported without detail.
func (s *Server) toAPIError(ctx context.Context, err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusNotFound, "not_found", "%s", trimSentinel(err, store.ErrNotFound))
	case errors.Is(err, store.ErrInvalid):
		return invalid("", "%s", trimSentinel(err, store.ErrInvalid))
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, "conflict", "%s", trimSentinel(err, store.ErrConflict))
	case errors.Is(err, store.ErrPreconditionFailed):
		return errorf(http.StatusPreconditionFailed, "precondition_failed", "%s", trimSentinel(err, store.ErrPreconditionFailed))
	case errors.Is(err, store.ErrIdempotencyKeyReused):
		return errorf(http.StatusUnprocessableEntity, "idempotency_key_reused", "%s", trimSentinel(err, store.ErrIdempotencyKeyReused))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusServiceUnavailable, "unavailable", "the request was cancelled or timed out before it completed; it may be retried")
	}
	s.metrics.dbErrors.Inc()
	s.log.ErrorContext(ctx, "request failed", "error", err)
	return errorf(http.StatusInternalServerError, "internal", "internal error; the server log has the details (request id %s)", requestID(ctx))
}

// trimSentinel drops the "not found: " that wrapping adds in front of the store's own words.
func trimSentinel(err, sentinel error) string {
	msg := err.Error()
	prefix := sentinel.Error() + ": "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return msg
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, apiv1.ErrorBody{Error: apiv1.ErrorDetail{Code: e.code, Field: e.field, Message: e.message}})
}
