// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
)

// Errors to test with errors.Is. An *APIError matches the one for its status; ErrRateLimited and
// ErrServer reach the caller once retries are spent, or at once where retrying is unsafe.
var (
	ErrInvalidArgument    = errors.New("invalid argument")    // 400
	ErrUnauthenticated    = errors.New("unauthenticated")     // 401
	ErrPermissionDenied   = errors.New("permission denied")   // 403
	ErrNotFound           = errors.New("not found")           // 404
	ErrConflict           = errors.New("conflict")            // 409
	ErrPreconditionFailed = errors.New("precondition failed") // 412
	ErrPayloadTooLarge    = errors.New("payload too large")   // 413
	// ErrIdempotencyKeyReused is a 422: the call's Idempotency-Key was first sent with another
	// request. The keys the client makes are new for each call; a key the caller chose (an
	// IdempotencyKey option) was used before on another request: use a new one for each request.
	ErrIdempotencyKeyReused = errors.New("idempotency key reused")
	ErrRateLimited          = errors.New("rate limited") // 429
	ErrServer               = errors.New("server error") // 5xx
	// ErrUnreachable is a request that got no answer: refused, reset, timed out, DNS.
	ErrUnreachable = errors.New("server could not be reached")
	// ErrNotActed is matched, besides the error's own sentinel, by a failed call that the server
	// certainly did not act on: every attempt failed to connect, or was turned away (429, 503).
	// A failed call that does not match it may have taken effect although its answer was lost.
	ErrNotActed = errors.New("the server did not act on the request")
)

// Errors of New, to test with errors.Is: every *ConfigError matches ErrInvalidConfig, and one
// about Config.Address or Config.APIKey matches ErrInvalidAddress or ErrInvalidAPIKey too, so
// that a caller can point at its own setting without reading the message.
var (
	ErrInvalidConfig  = errors.New("invalid client configuration")
	ErrInvalidAddress = errors.New("invalid address")
	ErrInvalidAPIKey  = errors.New("invalid API key")
)

// ConfigError is a Config that New refuses.
type ConfigError struct {
	// Setting is the field of Config that is wrong: "Address", "APIKey", "Timeout",
	// "RetryWaitMin", "RetryWaitMax" or "UserAgent"; "" when there is no Config at all.
	Setting string
	// Reason says what is wrong and what is wanted, without the "virtco client: " of Error.
	Reason string
}

func (e *ConfigError) Error() string { return "virtco client: " + e.Reason }

// Is matches ErrInvalidConfig, and the sentinel of e's setting.
func (e *ConfigError) Is(target error) bool {
	switch target {
	case ErrInvalidConfig:
		return true
	case ErrInvalidAddress:
		return e.Setting == "Address"
	case ErrInvalidAPIKey:
		return e.Setting == "APIKey"
	}
	return false
}

func configErrorf(setting, format string, args ...any) *ConfigError {
	return &ConfigError{Setting: setting, Reason: fmt.Sprintf(format, args...)}
}

// APIError is an answer other than 2xx. Message is the server's own explanation (which field was
// wrong and why), or the start of the body when it was not the API's JSON error shape.
type APIError struct {
	StatusCode int
	Code       string // the API's error code, such as "invalid_argument"; empty if the body had none
	Message    string
	// Field is the request field a 400 is about: a path parameter ("customer", "user",
	// "account_id", "name"), a body field ("diag_account", "regions", ...) or a query parameter;
	// empty when the error is not about one field.
	Field  string
	Method string
	Path   string
}

// Error reads like `PUT /v1/customers/acme.com: 400 invalid_argument: diag_account "Nope" does not exist`.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	} else if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Is matches the sentinel error of e's status code.
func (e *APIError) Is(target error) bool {
	s := statusSentinel(e.StatusCode)
	return s != nil && target == s
}

func statusSentinel(status int) error {
	switch status {
	case http.StatusBadRequest:
		return ErrInvalidArgument
	case http.StatusUnauthorized:
		return ErrUnauthenticated
	case http.StatusForbidden:
		return ErrPermissionDenied
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict:
		return ErrConflict
	case http.StatusPreconditionFailed:
		return ErrPreconditionFailed
	case http.StatusRequestEntityTooLarge:
		return ErrPayloadTooLarge
	case http.StatusUnprocessableEntity:
		return ErrIdempotencyKeyReused
	case http.StatusTooManyRequests:
		return ErrRateLimited
	}
	if status >= 500 && status <= 599 {
		return ErrServer
	}
	return nil
}

// snippetBytes is how much of a body that is not the API's error shape goes into the message:
// enough to recognise a proxy's error page, not so much that it drowns the message.
const snippetBytes = 200

func (c *Client) apiError(method, path string, resp *http.Response, body []byte) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Method: method, Path: path}
	var shape apiv1.ErrorBody
	switch {
	case json.Unmarshal(body, &shape) == nil && shape.Error.Code != "":
		e.Code, e.Message, e.Field = shape.Error.Code, shape.Error.Message, shape.Error.Field
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		e.Message = fmt.Sprintf("redirected to %q, which is not followed so that the API key goes nowhere else; if that is the API, use it as the address",
			resp.Header.Get("Location"))
	default:
		e.Message = snippet(body)
	}
	e.Message, e.Field = c.redact(e.Message), c.redact(e.Field)
	return e
}

// snippet is the start of a body as one line of valid text.
func snippet(body []byte) string {
	s := strings.ToValidUTF8(string(body), "?")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > snippetBytes {
		cut := snippetBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// connError is a request that got no answer.
type connError struct {
	method, path, address string
	err                   error
}

func (e *connError) Error() string {
	return fmt.Sprintf("%s %s: the server could not be reached at %s: %v", e.method, e.path, e.address, e.err)
}

func (e *connError) Unwrap() error { return e.err }

func (e *connError) Is(target error) bool { return target == ErrUnreachable }

// unwrapURLError drops net/http's *url.Error wrapper, whose text repeats the method and URL that
// the client's own messages already give.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isDialError tells a connection that was never made, so that the request certainly did not
// reach the server.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// tokenPattern matches user tokens (vcu_...), should a server or proxy ever echo one.
var tokenPattern = regexp.MustCompile(`vcu_[A-Za-z0-9_-]{8,}`)

const redacted = "[REDACTED]"

// redact removes the client's key and anything that looks like a token from text that came from
// elsewhere (a server message, a proxy's page) before it goes into an error or a log line.
func (c *Client) redact(s string) string { return redact(s, c.apiKey) }

func redact(s, apiKey string) string {
	if apiKey != "" {
		s = strings.ReplaceAll(s, apiKey, redacted)
	}
	return tokenPattern.ReplaceAllString(s, "vcu_"+redacted)
}

// notActedError marks a failed call that the server certainly did not act on.
type notActedError struct{ err error }

func (e *notActedError) Error() string { return e.err.Error() }

func (e *notActedError) Unwrap() error { return e.err }

func (e *notActedError) Is(target error) bool { return target == ErrNotActed }

// settled is a call's final error, marked when no attempt may have been acted on.
func settled(err error, acted bool) error {
	if acted {
		return err
	}
	return &notActedError{err}
}
