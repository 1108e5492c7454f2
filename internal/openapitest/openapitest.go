// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package openapitest holds api/openapi.yaml for the tests of the server and of the client, which
// check every request and answer they see against it: the contract is read one way, so that the
// two sides cannot drift apart by reading it differently.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Spec is api/openapi.yaml, loaded and found valid.
type Spec struct {
	doc    *openapi3.T
	router routers.Router
}

var loaded struct {
	once sync.Once
	spec *Spec
	err  error
}

// Load returns the spec, read once per test binary; a spec that cannot be read or is not valid
// OpenAPI fails tb.
func Load(tb testing.TB) *Spec {
	tb.Helper()
	loaded.once.Do(func() { loaded.spec, loaded.err = load() })
	if loaded.err != nil {
		tb.Fatal(loaded.err)
	}
	return loaded.spec
}

func load() (*Spec, error) {
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		return nil, fmt.Errorf("openapitest: cannot tell where api/openapi.yaml is")
	}
	file := filepath.Join(filepath.Dir(here), "..", "..", "api", "openapi.yaml")
	// Formats the spec uses that kin-openapi does not check unless told.
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122))
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading api/openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("api/openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	doc.Servers = nil // match any host: the tests' servers listen on random ports
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routing api/openapi.yaml: %w", err)
	}
	return &Spec{doc: doc, router: router}, nil
}

// Operations maps the id of every operation of the spec to the operation.
func (s *Spec) Operations() map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for _, item := range s.doc.Paths.Map() {
		for _, op := range item.Operations() {
			ops[op.OperationID] = op
		}
	}
	return ops
}

// Exchange is a request matched to its operation, to be checked along with its answer.
type Exchange struct {
	Operation *openapi3.Operation
	in        *openapi3filter.RequestValidationInput
}

// Match finds the operation of req, whose body is body (req.Body is left alone); an error says
// that the spec has no such operation. opts are the checks of ValidateRequest and
// ValidateResponse.
func (s *Spec) Match(req *http.Request, body []byte, opts *openapi3filter.Options) (*Exchange, error) {
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &Exchange{Operation: route.Operation,
		in: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}}, nil
}

// ValidateRequest says how the request breaks the spec, or nil.
func (e *Exchange) ValidateRequest(ctx context.Context) error {
	return openapi3filter.ValidateRequest(ctx, e.in)
}

// ValidateResponse says how an answer to the request breaks the spec, or nil. Its status must be
// one the operation documents, and an answer the spec gives no content (a 204) must have no body:
// kin-openapi checks neither unless told, or at all.
func (e *Exchange) ValidateResponse(ctx context.Context, status int, header http.Header, body []byte) error {
	if ref := e.Operation.Responses.Status(status); ref != nil && ref.Value != nil && len(ref.Value.Content) == 0 && len(body) > 0 {
		return fmt.Errorf("the spec documents no body for %d, but the answer has %d bytes", status, len(body))
	}
	if status == http.StatusNoContent && len(body) > 0 {
		return fmt.Errorf("a 204 answer has %d bytes of body", len(body))
	}
	opts := openapi3filter.Options{}
	if e.in.Options != nil {
		opts = *e.in.Options
	}
	opts.IncludeResponseStatus = true
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: e.in, Status: status, Header: header, Options: &opts}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(ctx, out)
}
