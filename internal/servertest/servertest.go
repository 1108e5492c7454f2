// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package servertest builds virtco-server and runs it as a real process for tests: on a free
// port, with a fresh SQLite file (or the database given), its ops key and its log at hand; and
// receives its webhooks as a consumer would (Hooks).
package servertest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/buildtest"
	"github.com/virtasant/terraform-provider-virtco/internal/openapitest"
)

// ModuleRoot is the repository's root directory, found from the test's working directory
// (buildtest.ModuleRoot).
func ModuleRoot() (string, error) { return buildtest.ModuleRoot() }

// Binary builds cmd/virtco-server once per test process and returns its path. Call Cleanup from
// TestMain to remove it.
func Binary(t testing.TB) string {
	t.Helper()
	return buildtest.Binary(t, "./cmd/virtco-server", "virtco-server")
}

// Cleanup removes the binary Binary built, and every other one buildtest built in this test
// process (buildtest.Cleanup).
func Cleanup() { buildtest.Cleanup() }

// Options says how to start the server. The zero value is a fresh SQLite database in a temp
// directory, a generated ops key file and no diag accounts.
type Options struct {
	Dir          string   // working directory; a new temp dir when empty (kept across Restart)
	DB           string   // --db; <Dir>/virtco.db when empty
	DiagAccounts string   // JSON written to <Dir>/diag-accounts.json and passed as --diag-accounts
	Env          []string // extra environment, NAME=value
	Args         []string // extra flags
	Addr         string   // --addr; 127.0.0.1:0 (a free port) when empty
	// Bare passes Args alone, none of the flags above, so that the variables in Env are what
	// configure the server (DB and DiagAccounts are then unused).
	Bare bool
}

// Process is a running virtco-server.
type Process struct {
	// URL is the server behind a proxy that checks every request and answer against
	// api/openapi.yaml (openapitest.Proxy): a test's exchanges are held to the contract. The
	// proxy keeps this address across restarts, and listens only while the server runs.
	URL string
	// DirectURL is the server's own address, for a test of what lies below the API: raw
	// connections, slow bodies, client addresses, the HTTP server's own limits.
	DirectURL string
	OpsKey    string
	Dir       string
	DB        string
	// MetricsURL is the keyless metrics page of --metrics-addr; empty without it.
	MetricsURL string

	t     testing.TB
	opts  Options
	proxy *openapitest.Proxy
	cmd   *exec.Cmd
	logs  *syncBuffer
	done  chan struct{}
	err   error
}

var (
	listening = regexp.MustCompile(`listening on (http://[^\s"]+)`)
	// The server logs its metrics' address before the API's, so it is known once Start returns.
	metricsOn = regexp.MustCompile(`metrics on (http://[^\s"]+)`)
)

// Start starts the server and waits until it serves. It is stopped when the test ends.
func Start(t testing.TB, opts Options) *Process {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.DB == "" && !opts.Bare {
		opts.DB = filepath.Join(opts.Dir, "virtco.db")
	}
	p := &Process{t: t, opts: opts, Dir: opts.Dir, DB: opts.DB}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.Running() {
			_ = p.Stop()
		}
	})
	return p
}

// StartErr starts the server with opts and waits for it to exit on its own, returning its exit
// code and log: for the ways the server refuses to start.
func StartErr(t testing.TB, opts Options, timeout time.Duration) (int, string) {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	cmd := exec.Command(Binary(t), args(opts)...)
	cmd.Dir, cmd.Env = opts.Dir, append(cleanEnv(), opts.Env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(timeout, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String()
	}
	return 0, out.String()
}

func args(opts Options) []string {
	if opts.Bare {
		return opts.Args
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	a := []string{"--addr", addr}
	if opts.DB != "" {
		a = append(a, "--db", opts.DB)
	}
	if opts.DiagAccounts != "" {
		a = append(a, "--diag-accounts", filepath.Join(opts.Dir, "diag-accounts.json"))
	}
	return append(a, opts.Args...)
}

// cleanEnv is the test's environment without the server's own variables, so that a developer's
// settings never leak into a test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIRTCO_") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *Process) start() error {
	if p.opts.DiagAccounts != "" {
		if err := os.WriteFile(filepath.Join(p.Dir, "diag-accounts.json"), []byte(p.opts.DiagAccounts), 0o600); err != nil {
			return err
		}
	}
	p.cmd = exec.Command(Binary(p.t), args(p.opts)...)
	p.cmd.Dir, p.cmd.Env = p.Dir, append(cleanEnv(), p.opts.Env...)
	p.logs = &syncBuffer{}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return err
	}
	p.cmd.Stdout = p.logs
	if err := p.cmd.Start(); err != nil {
		return err
	}
	p.done = make(chan struct{})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.logs.WriteString(line + "\n")
			if m := metricsOn.FindStringSubmatch(line); m != nil {
				p.MetricsURL = m[1]
			}
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	select {
	case url := <-ready:
		p.DirectURL = url
		if p.proxy == nil {
			p.proxy = openapitest.StartProxy(p.t, url)
			p.URL = p.proxy.URL
		} else {
			p.proxy.SetTarget(url)
			p.proxy.Resume()
		}
	case <-p.done:
		return fmt.Errorf("virtco-server exited before serving (%w):\n%s", p.err, p.logs.String())
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("virtco-server did not start serving within a minute:\n%s", p.logs.String())
	}
	key, err := os.ReadFile(filepath.Join(p.Dir, "apikey.txt"))
	if err == nil {
		p.OpsKey = strings.TrimSpace(string(key))
	}
	for _, kv := range p.opts.Env {
		if v, ok := strings.CutPrefix(kv, "VIRTCO_OPS_API_KEY="); ok {
			p.OpsKey = v
		}
	}
	return nil
}

// Running tells whether the process is still up.
func (p *Process) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM and waits for the process to exit; it returns how it exited.
func (p *Process) Stop() error {
	p.Terminate()
	return p.Wait()
}

// Terminate sends SIGTERM and returns at once, for a test that does something while the server
// shuts down; Wait then waits for it to exit.
func (p *Process) Terminate() {
	p.proxy.Stop(true)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
}

// Wait waits for the process to exit (at most 30 s, then kills it) and returns how it exited.
func (p *Process) Wait() error { return p.wait() }

// Kill sends SIGKILL: the process gets no chance to finish anything.
func (p *Process) Kill() {
	p.proxy.Stop(false)
	_ = p.cmd.Process.Kill()
	_ = p.wait()
}

func (p *Process) wait() error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.New("virtco-server did not stop within 30s of SIGTERM")
	}
}

// Restart starts the server again on the same directory and database, on a new port.
func (p *Process) Restart() {
	p.t.Helper()
	if p.Running() {
		_ = p.Stop()
	}
	if err := p.start(); err != nil {
		p.t.Fatal(err)
	}
}

// RestartOnSamePort starts the server again on the same directory, database and port, so that
// clients that know its URL reach it again: a server that came back after a crash.
func (p *Process) RestartOnSamePort() {
	p.t.Helper()
	p.opts.Addr = strings.TrimPrefix(p.DirectURL, "http://")
	p.Restart()
}

// Pid is the process id of the running server, for a test that reads what the process uses.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Logs is everything the process wrote so far.
func (p *Process) Logs() string { return p.logs.String() }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) WriteString(str string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(str)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
