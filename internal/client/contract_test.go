// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/virtasant/terraform-provider-virtco/internal/openapitest"
)

// TestContract sends every client call to a server that checks each request against
// api/openapi.yaml and answers with a response that is itself checked against the spec, then
// checks that the client decoded it, and that every operation in the spec has a client method.
func TestContract(t *testing.T) {
	spec := openapitest.Load(t)
	operations := spec.Operations()

	var (
		mu        sync.Mutex
		current   *apiCall // the call under way: how to answer
		failWith  int      // when set, answer with an error of this status instead
		exercised = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		status, header, body, err := serveFromSpec(spec, r, current, failWith, exercised)
		if err != nil {
			t.Errorf("%s %s: %v", r.Method, r.URL, err)
			writeAPIError(w, 500, "internal", "contract violation (see the test log)")
			return
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	defer srv.Close()

	c, err := New(&Config{Address: srv.URL, APIKey: testKey, MaxRetries: NoRetries})
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range apiCalls() {
		t.Run(call.name, func(t *testing.T) {
			mu.Lock()
			current, failWith = &call, 0
			mu.Unlock()
			got, err := call.call(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if call.want != nil && !reflect.DeepEqual(got, call.want) {
				t.Errorf("got  %#v\nwant %#v", got, call.want)
			}
		})
		if operations[call.operation] == nil || operations[call.operation].Responses.Default() == nil {
			continue // no error response documented (healthz)
		}
		t.Run(call.name+" not found", func(t *testing.T) {
			mu.Lock()
			current, failWith = &call, http.StatusNotFound
			mu.Unlock()
			_, err := call.call(context.Background(), c)
			var apiErr *APIError
			if !errors.Is(err, ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Code != "not_found" ||
				apiErr.Message != "no such thing" || apiErr.Field != "" {
				t.Errorf("error %#v", err)
			}
		})
		t.Run(call.name+" invalid", func(t *testing.T) {
			mu.Lock()
			current, failWith = &call, http.StatusBadRequest
			mu.Unlock()
			_, err := call.call(context.Background(), c)
			var apiErr *APIError
			if !errors.Is(err, ErrInvalidArgument) || !errors.As(err, &apiErr) || apiErr.Code != "invalid_argument" ||
				apiErr.Message != "no such thing is allowed" || apiErr.Field != "customer" {
				t.Errorf("error %#v", err)
			}
		})
	}

	// Not for this client: the legacy protocol is apiKeyGen.py's, /metrics is Prometheus's.
	notForClient := map[string]bool{"legacy": true, "metrics": true}
	for id, op := range operations {
		if exercised[id] == 0 && !notForClient[id] {
			t.Errorf("%s (%s) has no client method, or apiCalls does not call it", id, op.Summary)
		}
	}
}

// serveFromSpec checks r against the spec, and the answer for call (or an error of status
// failWith) too, before it is sent.
func serveFromSpec(spec *openapitest.Spec, r *http.Request, call *apiCall, failWith int, exercised map[string]int) (int, http.Header, []byte, error) {
	reqBody, err := io.ReadAll(r.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	ex, err := spec.Match(r, reqBody, &openapi3filter.Options{
		AuthenticationFunc:                authenticate,
		RejectWhenRequestBodyNotSpecified: true,
		MultiError:                        true,
	})
	if err != nil {
		return 0, nil, nil, fmt.Errorf("not in the spec: %w", err)
	}
	if err := ex.ValidateRequest(r.Context()); err != nil {
		return 0, nil, nil, fmt.Errorf("the request does not match the spec: %w", err)
	}
	op := ex.Operation.OperationID
	exercised[op]++
	if call == nil || call.operation != op {
		return 0, nil, nil, fmt.Errorf("operation %s, want %v", op, call)
	}

	status, header, body := call.status, http.Header{}, []byte(call.resp)
	for k, v := range call.respHeader {
		header.Set(k, v)
	}
	switch failWith {
	case 0:
	case http.StatusBadRequest:
		status, header = failWith, http.Header{}
		body = []byte(`{"error":{"code":"invalid_argument","message":"no such thing is allowed","field":"customer"}}`)
	default:
		status, header = failWith, http.Header{}
		body = []byte(`{"error":{"code":"not_found","message":"no such thing"}}`)
	}
	if len(body) > 0 {
		header.Set("Content-Type", "application/json")
	}
	if err := ex.ValidateResponse(r.Context(), status, header, body); err != nil {
		return 0, nil, nil, fmt.Errorf("the test's answer (%d) does not match the spec: %w", status, err)
	}
	return status, header, body, nil
}

// authenticate accepts the test key in either of the spec's security schemes.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header
	var ok bool
	switch in.SecuritySchemeName {
	case "apiKey":
		ok = h.Get("x-api-key") == testKey
	case "bearer":
		ok = h.Get("Authorization") == "Bearer "+testKey
	default:
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	if !ok {
		return fmt.Errorf("no valid key for scheme %s", in.SecuritySchemeName)
	}
	return nil
}
