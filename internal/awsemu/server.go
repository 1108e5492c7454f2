// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is an Emulator listening on a TCP address.
type Server struct {
	// URL is the base URL to give the AWS SDK (BaseEndpoint) or the CLI
	// (AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS), e.g. http://127.0.0.1:4566.
	URL string
	// Addr is the address actually listened on (useful with port 0).
	Addr string
	// Emulator is the emulator being served.
	Emulator *Emulator

	srv    *http.Server
	done   chan error
	once   sync.Once
	served error // what Serve returned, once it has
}

// Start serves the emulator on addr ("127.0.0.1:0" picks a free port) until
// Close or Shutdown. It returns once the listener is open, so the URL is
// immediately usable.
func (e *Emulator) Start(addr string) (*Server, error) {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		Addr:     ln.Addr().String(),
		Emulator: e,
		srv:      &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second},
		done:     make(chan error, 1),
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// Shutdown stops accepting calls and waits for the ones in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil {
		return err
	}
	return s.wait()
}

// Close stops the server at once. Calling it again (or after Shutdown) is
// harmless, so tests may close explicitly and still rely on NewServer's
// cleanup.
func (s *Server) Close() error {
	if err := s.srv.Close(); err != nil {
		return err
	}
	return s.wait()
}

// wait returns what Serve returned, blocking until it has.
func (s *Server) wait() error {
	s.once.Do(func() { s.served = <-s.done })
	return s.served
}

// TB is the part of testing.TB that NewServer needs. Taking an interface
// keeps the testing package (and its flags) out of the awsemu binary.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// NewServer starts an emulator on a free loopback port for one test and
// stops it when the test ends. Use srv.URL as the SDK's BaseEndpoint and
// srv.Emulator for faults, call counts and state.
func NewServer(t TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts).Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("awsemu: start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
