// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package pgtest runs a real PostgreSQL server for tests, from the binaries of Debian's
// postgresql package: initdb in a temporary directory, a free port on loopback, torn down when
// the tests end. Each test gets a database of its own.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Server is a running PostgreSQL server.
type Server struct {
	Port   int
	dir    string
	cmd    *exec.Cmd
	admin  *sql.DB
	log    *os.File
	exited chan struct{}
}

var (
	shared    *Server
	sharedErr error
	once      sync.Once
	dbCount   atomic.Int64
)

// Shared starts the package's PostgreSQL server on first use and returns it. Without the
// binaries the test fails, so that a suite is never silently skipped; VIRTCO_SKIP_POSTGRES=1
// skips instead, for machines without PostgreSQL.
func Shared(t testing.TB) *Server {
	t.Helper()
	once.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		if os.Getenv("VIRTCO_SKIP_POSTGRES") == "1" {
			t.Skipf("PostgreSQL: %v (VIRTCO_SKIP_POSTGRES=1)", sharedErr)
		}
		t.Fatalf("PostgreSQL: %v", sharedErr)
	}
	return shared
}

// Cleanup stops the shared server; call it from TestMain.
func Cleanup() {
	if shared != nil {
		shared.Stop()
	}
}

// binDir finds the newest installed PostgreSQL's binaries.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: install Debian's postgresql package (apt-get install postgresql)")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// asPostgres runs commands as the postgres user when the tests run as root: PostgreSQL refuses
// to run as root.
func asPostgres(cmd *exec.Cmd) (uid, gid int, err error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	if os.Geteuid() != 0 {
		return os.Getuid(), os.Getgid(), nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return 0, 0, fmt.Errorf("the tests run as root and there is no postgres user to run PostgreSQL as: %w", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return uid, gid, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start initialises a cluster in a new temporary directory and starts a server on it.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "virtco-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	fail := func(err error) (*Server, error) {
		s.Stop()
		return nil, err
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "virtco", "-A", "trust", "-E", "UTF8", "--no-instructions")
	uid, gid, err := asPostgres(initdb)
	if err != nil {
		return fail(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return fail(err)
	}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}
	for attempt := 0; attempt < 3; attempt++ {
		if err = s.startServer(bin); err == nil {
			return s, nil
		}
	}
	return fail(err)
}

func (s *Server) startServer(bin string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.Port = port
	if s.log, err = os.Create(filepath.Join(s.dir, "postgres.log")); err != nil {
		return err
	}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(s.dir, "data"), "-p", strconv.Itoa(port),
		"-k", s.dir, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if _, _, err := asPostgres(s.cmd); err != nil {
		return err
	}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	s.exited = exited
	go func() { _ = s.cmd.Wait(); close(exited) }()
	s.admin, err = sql.Open("pgx", s.URL("postgres"))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = s.admin.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			logs, _ := os.ReadFile(s.log.Name())
			return fmt.Errorf("postgres exited: %s", logs)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within 30s: %w", err)
		}
	}
}

// URL is the connection URL of a database on the server.
func (s *Server) URL(database string) string {
	return fmt.Sprintf("postgres://virtco@127.0.0.1:%d/%s?sslmode=disable", s.Port, database)
}

// NewDatabase creates an empty database for one test and drops it when the test ends.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), dbCount.Add(1))
	if _, err := s.admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = s.admin.Exec("DROP DATABASE " + name + " WITH (FORCE)") })
	return s.URL(name)
}

// Dump is what pg_dump writes of a database (its URL, from NewDatabase): the copy of a database
// an operator would make, or an attacker take.
func (s *Server) Dump(t testing.TB, dbURL string) []byte {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "pg_dump"), "--dbname", dbURL)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, stderr.String())
	}
	return out
}

// Stop shuts the server down (fast shutdown) and removes its directory.
func (s *Server) Stop() {
	if s.admin != nil {
		_ = s.admin.Close()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if s.log != nil {
		_ = s.log.Close()
	}
	if s.dir != "" && strings.Contains(s.dir, "virtco-pg-") {
		_ = os.RemoveAll(s.dir)
	}
}
