// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Command awsemu serves the IAM + STS emulator of package awsemu over HTTP,
// for the demo, scripts and process-level tests. It is a test tool: it does
// not verify signatures and keeps everything in memory.
//
//	go run ./internal/awsemu/cmd/awsemu --addr 127.0.0.1:4566
//
// Point clients at it with AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS; an
// access key id of twelve digits acts as that AWS account. See
// internal/awsemu/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "awsemu:", err)
		os.Exit(2)
	}
}

// failActions collects repeated --fail-action flags: "CreateRole" fails every
// call, "CreateRole=3" the next three.
type failActions map[string]int

func (f failActions) String() string { return fmt.Sprint(map[string]int(f)) }

func (f failActions) Set(v string) error {
	name, count, hasCount := strings.Cut(v, "=")
	if name == "" {
		return errors.New("want ACTION or ACTION=N")
	}
	n := -1
	if hasCount {
		var err error
		if n, err = strconv.Atoi(count); err != nil || n < 1 {
			return fmt.Errorf("count in %q must be a positive integer", v)
		}
	}
	f[name] = n
	return nil
}

// secretFlag collects --secret ACCESSKEY=SECRET.
type secretFlag map[string]string

func (f secretFlag) String() string { return strings.Join(slices.Sorted(maps.Keys(f)), ",") }

func (f secretFlag) Set(v string) error {
	key, secret, ok := strings.Cut(v, "=")
	if !ok || key == "" || secret == "" {
		return fmt.Errorf("%q is not ACCESSKEY=SECRET", v)
	}
	f[key] = secret
	return nil
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("awsemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr     = fs.String("addr", "127.0.0.1:4566", "listen address (loopback by default; the emulator has no authentication)")
		throttle = fs.Float64("throttle-rate", 0, "share (0..1) of IAM calls answered with Throttling")
		stsThrot = fs.Float64("sts-throttle-rate", 0, "share (0..1) of STS calls answered with Throttling")
		arDelay  = fs.Duration("assume-role-delay", 0, "AssumeRole refuses (AccessDenied) a role created, or whose trust changed, less than this long ago")
		failRate = fs.Float64("fail-rate", 0, "share (0..1) of IAM and STS calls answered with a 500")
		invis    = fs.Int("invisible-reads", 0, "a new role is invisible (NoSuchEntity) to its first N reads")
		badPrinc = fs.Int("invalid-principal-attempts", 0, "the first N CreateRole attempts per role name fail with \"Invalid principal in policy\"")
		seed     = fs.Int64("seed", 1, "seed of the fault RNG")
		logReqs  = fs.Bool("log-requests", false, "log one line per AWS call")
		fails    = failActions{}
		secrets  = secretFlag{}
	)
	fs.Var(fails, "fail-action", "make an action fail with a 500: ACTION (always) or ACTION=N (next N calls); repeatable")
	fs.Var(secrets, "secret", "ACCESSKEY=SECRET: the secret access key of ACCESSKEY, instead of \""+awsemu.DefaultSecret+"\"; repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *throttle < 0 || *throttle > 1 || *stsThrot < 0 || *stsThrot > 1 || *failRate < 0 || *failRate > 1 {
		return errors.New("--throttle-rate, --sts-throttle-rate and --fail-rate must be between 0 and 1")
	}
	if *arDelay < 0 {
		return errors.New("--assume-role-delay must not be negative")
	}
	if *invis < 0 || *badPrinc < 0 {
		return errors.New("--invisible-reads and --invalid-principal-attempts must not be negative")
	}

	logger := log.New(stderr, "awsemu: ", log.LstdFlags)
	opts := awsemu.Options{Faults: awsemu.Faults{
		ThrottleRate:             *throttle,
		STSThrottleRate:          *stsThrot,
		AssumeRoleDelay:          awsemu.Duration{Duration: *arDelay},
		FailRate:                 *failRate,
		FailActions:              fails,
		InvisibleReads:           *invis,
		InvalidPrincipalAttempts: *badPrinc,
		Seed:                     *seed,
	}, Secrets: secrets}
	if *logReqs {
		opts.Logger = logger
	}
	srv, err := awsemu.New(opts).Start(*addr)
	if err != nil {
		return err
	}
	logger.Printf("listening on %s", srv.URL)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Printf("stopped")
	return nil
}
