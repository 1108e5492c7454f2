// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// ValidationOptions are the checks of every exchange: a security scheme is satisfied when its
// header is there (whether the key is good is the server's to say, with a 401 the spec lists), and
// every status an answer has must be one the operation lists.
var ValidationOptions = &openapi3filter.Options{
	AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		h := in.RequestValidationInput.Request.Header
		switch in.SecuritySchemeName {
		case "apiKey":
			if h.Get("x-api-key") != "" {
				return nil
			}
		case "bearer":
			if strings.HasPrefix(h.Get("Authorization"), "Bearer ") {
				return nil
			}
		}
		return fmt.Errorf("no %s credentials", in.SecuritySchemeName)
	},
	IncludeResponseStatus: true,
}

// Check validates one exchange against the spec and says how it breaks it, or nil: an answer
// must match its operation, a request the spec refuses must be refused by the server too (4xx),
// and a request the spec does not have must get the server's JSON 404 or 405.
func (s *Spec) Check(ctx context.Context, req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) error {
	ex, err := s.Match(req, reqBody, ValidationOptions)
	if err != nil {
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s %s is not in api/openapi.yaml but got %d", req.Method, req.URL.Path, status)
		}
		if !isJSONError(respBody) {
			return fmt.Errorf("%s %s is not in api/openapi.yaml, and its %d is not a JSON error: %s", req.Method, req.URL.Path, status, respBody)
		}
		return nil
	}
	if reqErr := ex.ValidateRequest(ctx); reqErr != nil && (status < 400 || status >= 500) {
		return fmt.Errorf("%s %s: the spec refuses this request (%w) but the server answered %d", req.Method, req.URL.Path, reqErr, status)
	}
	if err := ex.ValidateResponse(ctx, status, header, respBody); err != nil {
		return fmt.Errorf("%s %s (%s): the answer %d does not match api/openapi.yaml: %w\n%s", req.Method, req.URL.Path,
			ex.Operation.OperationID, status, err, respBody)
	}
	return nil
}

func isJSONError(body []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(body), []byte(`{"error":{`))
}

// Proxy stands between the clients of a test and a server, and checks every request and answer
// through it against the spec (Spec.Check); a violation fails the test. It listens while the
// server does (Stop, Resume), so that a client of a stopped server is refused its connection as
// it would be without the proxy, and it can follow the server to another address (SetTarget).
type Proxy struct {
	URL string

	t         testing.TB
	spec      *Spec
	target    atomic.Pointer[url.URL]
	transport *http.Transport
	ended     atomic.Bool // the test is over: t may no longer be told anything
	report    func(format string, args ...any)

	mu  sync.Mutex
	ln  net.Listener // nil while stopped
	srv *http.Server
}

// StartProxy starts a proxy in front of the server at target; it stops when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	p := &Proxy{t: t, spec: Load(t), transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}, report: t.Errorf}
	p.SetTarget(target)
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.URL = "http://" + ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() { p.Stop(false); p.transport.CloseIdleConnections(); p.ended.Store(true) })
	return p
}

// SetTarget sends the requests that follow to the server at target.
func (p *Proxy) SetTarget(target string) {
	u, err := url.Parse(target)
	if err != nil {
		p.t.Fatal(err)
	}
	p.target.Store(u)
}

func (p *Proxy) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(p.forward), ReadHeaderTimeout: 30 * time.Second}
	p.mu.Lock()
	p.ln, p.srv = ln, srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop stops listening: new connections are refused. Graceful lets the requests under way finish
// (as the server does on SIGTERM); otherwise their connections are cut (as by SIGKILL).
func (p *Proxy) Stop(graceful bool) {
	p.mu.Lock()
	ln, srv := p.ln, p.srv
	p.ln, p.srv = nil, nil
	p.mu.Unlock()
	if ln == nil {
		return
	}
	_ = ln.Close()
	if !graceful {
		_ = srv.Close()
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
}

// Resume listens again on the proxy's address.
func (p *Proxy) Resume() {
	p.mu.Lock()
	running := p.ln != nil
	p.mu.Unlock()
	if running {
		return
	}
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		p.t.Fatalf("the contract proxy cannot listen on its address again: %v", err)
	}
	p.serve(ln)
}

// hopByHop are the headers of one connection, which a proxy does not pass on (RFC 9110, 7.6.1).
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		cut(w)
		return
	}
	target := p.target.Load()
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host, out.Host = target.Scheme, target.Host, target.Host
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	if len(body) == 0 {
		out.Body = http.NoBody
	}
	for _, h := range hopByHop {
		out.Header.Del(h)
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		// The server is gone or cut the connection: the client sees its connection cut, not an
		// answer the server never gave.
		cut(w)
		return
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		cut(w)
		return
	}
	// The request as the client sent it, on the server's address, is what the spec is about.
	checked := r.Clone(r.Context())
	checked.URL.Scheme, checked.URL.Host = target.Scheme, target.Host
	if err := p.spec.Check(context.WithoutCancel(r.Context()), checked, body, resp.StatusCode, resp.Header, respBody); err != nil && !p.ended.Load() {
		p.report("contract proxy: %v", err)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	for _, h := range hopByHop {
		w.Header().Del(h)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

// cut closes the client's connection without an answer.
func cut(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
