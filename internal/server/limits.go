// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// The bounds on a request, besides MaxBodyBytes. Each keeps what a client that sends too much, or
// too slowly, can make the server hold.
const (
	// MaxTargetBytes is the longest request target (path and query) the API serves; a longer one
	// gets 414 before it is routed. The longest the API needs (a user of a customer with a
	// 253-byte name) is well under it.
	MaxTargetBytes = 2 << 10
	// MaxHeaderBytes bounds the request line and the headers together; over it, Go's server
	// answers 431 itself. It leaves room for a target over MaxTargetBytes to reach the API and
	// get its 414.
	MaxHeaderBytes = 128 << 10
	// ReadHeaderTimeout is how long a client may take to send the request line and headers.
	ReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout is how long a client may take to send a whole request, body included;
	// a body that has not arrived by then gets 408.
	DefaultReadTimeout = 30 * time.Second
	// IdleTimeout is how long a kept-alive connection may wait for its next request.
	IdleTimeout = 2 * time.Minute
)

// NewHTTPServer is an http.Server for h with the API's bounds; readTimeout is the time a client
// has to send a whole request (DefaultReadTimeout when zero).
func NewHTTPServer(h http.Handler, readTimeout time.Duration) *http.Server {
	if readTimeout <= 0 {
		readTimeout = DefaultReadTimeout
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(ReadHeaderTimeout, readTimeout),
		ReadTimeout:       readTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

// isTimeout tells a read that ran out of time (the server's read deadline) from other failures.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// tooLong refuses a request whose target is over MaxTargetBytes, without echoing it.
func tooLong(r *http.Request) *apiError {
	target := r.RequestURI
	if target == "" {
		target = r.URL.RequestURI()
	}
	if len(target) <= MaxTargetBytes {
		return nil
	}
	return errorf(http.StatusRequestURITooLong, "uri_too_long",
		"the request's path and query are %d bytes; the API takes at most %d", len(target), MaxTargetBytes)
}

// readBody reads the request body whole, refusing one over MaxBodyBytes (413) or too slow to
// arrive (408).
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errorf(http.StatusRequestEntityTooLarge, "payload_too_large", "the request body is over %d bytes", MaxBodyBytes)
	case isTimeout(err):
		return nil, errorf(http.StatusRequestTimeout, "request_timeout", "the request body did not arrive in time; send it again")
	case err != nil:
		// The error names the connection's addresses, which are no business of the client's.
		return nil, invalid("", "the request body could not be read: the connection failed while it was being sent")
	}
	return body, nil
}
