// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
	"github.com/virtasant/terraform-provider-virtco/internal/buildtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	buildtest.Cleanup()
	os.Exit(code)
}

// TestProcess builds the binary, runs it as a real process on a free port,
// talks to it through the SDK and the admin API, and stops it with SIGTERM.
func TestProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildtest.Binary(t, "./internal/awsemu/cmd/awsemu", "awsemu")

	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--log-requests", "--fail-action", "iam:DeleteRole=1", "--secret", "444455556666=s3cr3t")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// Read stderr until the process ends; hand over the URL once it is ready.
	var (
		mu   sync.Mutex
		logs strings.Builder
	)
	urlCh := make(chan string, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlCh <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-urlCh:
	case <-readDone:
		t.Fatalf("process ended before listening:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no 'listening on' line within 30s")
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("listening on %s, want loopback", url)
	}

	ctx := t.Context()
	cfg := awsemutest.Config(url, "123456789012")
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "123456789012" {
		t.Fatalf("GetCallerIdentity: %v, %v", id, err)
	}
	c := iam.NewFromConfig(cfg)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	// The --fail-action flag made the first DeleteRole a 500; the SDK retried.
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}

	resp, err := http.Get(url + "/_emu/calls")
	if err != nil {
		t.Fatal(err)
	}
	var calls awsemu.CallStats
	err = json.NewDecoder(resp.Body).Decode(&calls)
	resp.Body.Close()
	if err != nil || calls.ByAction["iam:DeleteRole"] != 2 || calls.Errors["ServiceFailure"] != 1 || calls.ByAccount["123456789012"] != 4 {
		t.Errorf("admin calls = %+v, %v", calls, err)
	}

	// --secret gave that key another secret than the default.
	if _, err := sts.NewFromConfig(awsemutest.ConfigWithSecret(url, "444455556666", "s3cr3t")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity with the --secret secret: %v", err)
	}
	if _, err := sts.NewFromConfig(awsemutest.Config(url, "444455556666")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Error("GetCallerIdentity with the default secret of a key --secret gave another: no error")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() {
		<-readDone // Wait must not run before the pipe is drained
		waitErr <- cmd.Wait()
	}()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("process did not stop within 30s of SIGTERM")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"iam:CreateRole account=123456789012 -> 200", "iam:DeleteRole account=123456789012 -> 500 ServiceFailure", "stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// TestFlags checks flag validation without starting a server.
func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--throttle-rate", "1.5"},
		{"--fail-rate", "-0.1"},
		{"--sts-throttle-rate", "2"},
		{"--assume-role-delay", "-1s"},
		{"--assume-role-delay", "soon"},
		{"--invisible-reads", "-1"},
		{"--fail-action", "GetRole=0"},
		{"--fail-action", "=3"},
		{"extra"},
		{"--no-such-flag"},
	} {
		if err := run(args, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
	if err := run([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	if err := run([]string{"--addr", "256.0.0.1:1"}, io.Discard); err == nil {
		t.Errorf("unusable address accepted")
	}
}
