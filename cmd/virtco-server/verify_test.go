// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
	"github.com/virtasant/terraform-provider-virtco/internal/buildtest"
	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// The verification through the real processes: virtco-server and the emulator's binary, the
// server acting as the diag account through a profile of the shared AWS files, STS reached
// through AWS_ENDPOINT_URL_STS, as an operator would run them.

const (
	verifyDiag     = "111122223333"
	verifyCustomer = "123456789012"
	verifyRoleName = "virtco-diagnostics-readonly"
	// verifyDiagJSON names the profile the server acts as Diag3 with; Diag3 trusts by account.
	verifyDiagJSON = `[{"name":"Diag3","account_id":"111122223333","region":"us-east-1","credentials_profile":"virtco-diag3"}]`
	// verifyDiagSecret is the diag account's secret key, which the emulator is given with
	// --secret: a wrong one in the profile would fail every verification.
	verifyDiagSecret = "diag3-secret"
)

// emulator is an awsemu process.
type emulator struct {
	URL string
	t   *testing.T
}

var listeningOn = regexp.MustCompile(`listening on (http://\S+)`)

func startEmulator(t *testing.T, args ...string) *emulator {
	t.Helper()
	bin := buildtest.Binary(t, "./internal/awsemu/cmd/awsemu", "awsemu")
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--secret", verifyDiag + "=" + verifyDiagSecret}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listeningOn.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case url <- m[1]:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	select {
	case u := <-url:
		return &emulator{URL: u, t: t}
	case <-time.After(30 * time.Second):
		t.Fatal("the emulator did not start")
	}
	return nil
}

func (e *emulator) calls() awsemu.CallStats {
	e.t.Helper()
	resp, err := http.Get(e.URL + "/_emu/calls")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var c awsemu.CallStats
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *emulator) iam(account string) *iam.Client {
	return iam.NewFromConfig(awsemutest.Config(e.URL, account))
}

func trustJSON(externalID string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + verifyDiag +
		`:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"` + externalID + `"}}}]}`
}

// makeRole creates the role by hand in account, as a customer following the template would.
func (e *emulator) makeRole(account, externalID string) string {
	e.t.Helper()
	out, err := e.iam(account).CreateRole(e.t.Context(), &iam.CreateRoleInput{
		RoleName: aws.String(verifyRoleName), AssumeRolePolicyDocument: aws.String(trustJSON(externalID))})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.Role.Arn)
}

// awsEnv is the server's AWS environment: the shared files with the diag account's profile,
// STS at the emulator, nothing from the developer's own settings.
func awsEnv(t *testing.T, emuURL string) []string {
	dir := t.TempDir()
	creds := "[virtco-diag3]\naws_access_key_id = " + verifyDiag + "\naws_secret_access_key = " + verifyDiagSecret + "\n"
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[profile virtco-diag3]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_ENDPOINT_URL_STS=" + emuURL, "AWS_ENDPOINT_URL=", "AWS_EC2_METADATA_DISABLED=true", "AWS_PROFILE=", "AWS_DEFAULT_PROFILE=",
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_REGION=us-east-1"}
}

// platform provisions customer on Diag3 with user joe, and returns joe's token and the
// customer's external id.
func platform(t *testing.T, p *servertest.Process, customer string) (token, externalID string) {
	t.Helper()
	var c apiv1.Customer
	if err := json.Unmarshal(putBody(t, 201, p.URL+"/v1/customers/"+customer, p.OpsKey, `{"diag_account":"Diag3"}`), &c); err != nil {
		t.Fatal(err)
	}
	var u apiv1.User
	call(t, 201, "PUT", p.URL+"/v1/customers/"+customer+"/users/joe", p.OpsKey, &u)
	return u.Token, c.ExternalID
}

// awaitVerdict polls the account until its verification leaves pending; it returns the account
// and how long that took, for the measurements in the log.
func awaitVerdict(t *testing.T, url, key string) (apiv1.AWSAccount, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		var a apiv1.AWSAccount
		call(t, 200, "GET", url, key, &a)
		if a.Verification.State != apiv1.VerificationPending {
			return a, time.Since(start)
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("%s still pending: %+v", url, a.Verification)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func putBody(t *testing.T, want int, url, key, body string) []byte {
	t.Helper()
	status, b := request(t, "PUT", url, key, body)
	if status != want {
		t.Fatalf("PUT %s: %d, want %d: %s", url, status, want, b)
	}
	return b
}

// TestVerificationProcesses: a hand-made role, trusted correctly and registered done with a user
// token, becomes verified with one AssumeRole; a wrong external id ends failed with AWS's words;
// a trust changed outside, then POST .../verify, fails; the API's rules hold.
func TestVerificationProcesses(t *testing.T) {
	emu := startEmulator(t)
	p := servertest.Start(t, servertest.Options{DiagAccounts: verifyDiagJSON, Env: awsEnv(t, emu.URL),
		Args: []string{"--verify-timeout", "3s", "--verify-interval", "0"}})
	joe, ext := platform(t, p, "acme.com")
	arn := emu.makeRole(verifyCustomer, ext)
	acct := p.URL + "/v1/customers/acme.com/aws-accounts/" + verifyCustomer
	putBody(t, 201, acct, joe, `{"state":"done","role_arn":"`+arn+`"}`)
	a, took := awaitVerdict(t, acct, joe)
	if a.Verification.State != apiv1.Verified || a.Verification.AssumedRoleARN != "arn:aws:sts::"+verifyCustomer+":assumed-role/"+verifyRoleName+"/virtco-verify-acme.com" {
		t.Fatalf("verification: %+v", a.Verification)
	}
	calls := emu.calls()
	t.Logf("measure: done → verified in %v with %d AssumeRole call(s), %d STS calls in all", took, calls.Action("sts", "AssumeRole"), calls.ByService["sts"])
	// One with the external id, and one without it, which the role refuses.
	if n := calls.Action("sts", "AssumeRole"); n != 2 {
		t.Errorf("%d AssumeRole calls for one verification, want 2", n)
	}
	if n := calls.ByAccountAction[verifyDiag]["sts:AssumeRole"]; n != 2 {
		t.Errorf("AssumeRole as the diag account: %d", n)
	}

	// The trust changed outside: the customer's external id is no longer the one it requires.
	if _, err := emu.iam(verifyCustomer).UpdateAssumeRolePolicy(t.Context(), &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String(verifyRoleName), PolicyDocument: aws.String(trustJSON("someone-else"))}); err != nil {
		t.Fatal(err)
	}
	call(t, 200, "POST", acct+"/verify", joe, &a)
	if a.Verification.State != apiv1.VerificationFailed || !strings.Contains(a.Verification.Message, "AccessDenied") ||
		!strings.Contains(a.Verification.Message, "is not authorized to perform: sts:AssumeRole on resource: "+arn) {
		t.Fatalf("after the trust changed: %+v", a.Verification)
	}
	// Put back: verified again on demand.
	if _, err := emu.iam(verifyCustomer).UpdateAssumeRolePolicy(t.Context(), &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String(verifyRoleName), PolicyDocument: aws.String(trustJSON(ext))}); err != nil {
		t.Fatal(err)
	}
	call(t, 200, "POST", acct+"/verify", p.OpsKey, &a)
	if a.Verification.State != apiv1.Verified {
		t.Fatalf("after the repair: %+v", a.Verification)
	}

	// A wrong external id in a hand-made role: refused through the retry window, then failed.
	const other = "210987654321"
	wrong := emu.makeRole(other, "not-"+ext)
	before := emu.calls().Action("sts", "AssumeRole")
	otherAcct := p.URL + "/v1/customers/acme.com/aws-accounts/" + other
	putBody(t, 201, otherAcct, joe, `{"state":"done","role_arn":"`+wrong+`"}`)
	a, took = awaitVerdict(t, otherAcct, joe)
	if a.Verification.State != apiv1.VerificationFailed || !strings.Contains(a.Verification.Message, "AccessDenied") ||
		!strings.Contains(a.Verification.Message, "external_id") {
		t.Fatalf("wrong external id: %+v", a.Verification)
	}
	t.Logf("measure: wrong external id → failed in %v after %d AssumeRole calls (--verify-timeout 3s)", took, emu.calls().Action("sts", "AssumeRole")-before)

	// The rules, through the process.
	ann, _ := platform(t, p, "other.org")
	if status, b := request(t, "PUT", acct, joe, `{"state":"done","role_arn":"`+arn+`","verification":{"state":"verified"}}`); status != 400 ||
		!strings.Contains(string(b), `"field":"verification"`) {
		t.Errorf("a user token sending verification: %d %s", status, b)
	}
	if status, b := request(t, "PUT", p.URL+"/v1/customers/acme.com/aws-accounts/"+verifyDiag, joe,
		`{"state":"done","role_arn":"arn:aws:iam::`+verifyDiag+`:role/x"}`); status != 400 || !strings.Contains(string(b), `"field":"account_id"`) {
		t.Errorf("the diag account's id: %d %s", status, b)
	}
	if status, b := request(t, "PUT", p.URL+"/v1/customers/other.org/aws-accounts/"+verifyCustomer, ann,
		`{"state":"in-progress"}`); status != 409 {
		t.Errorf("another customer's account: %d %s", status, b)
	}
	if !strings.Contains(p.Logs(), "role verification: on") {
		t.Errorf("the log does not say verification is on:\n%s", p.Logs())
	}
}

// TestVerificationRidesOutPropagation: with a 3 s assume-role delay in the emulator, a role
// registered done the moment it is created still ends verified, having been refused first.
func TestVerificationRidesOutPropagation(t *testing.T) {
	emu := startEmulator(t, "--assume-role-delay", "3s")
	p := servertest.Start(t, servertest.Options{DiagAccounts: verifyDiagJSON, Env: awsEnv(t, emu.URL), Args: []string{"--verify-interval", "0"}})
	joe, ext := platform(t, p, "acme.com")
	arn := emu.makeRole(verifyCustomer, ext)
	acct := p.URL + "/v1/customers/acme.com/aws-accounts/" + verifyCustomer
	putBody(t, 201, acct, joe, `{"state":"done","role_arn":"`+arn+`"}`)
	a, took := awaitVerdict(t, acct, joe)
	if a.Verification.State != apiv1.Verified {
		t.Fatalf("verification: %+v", a.Verification)
	}
	calls := emu.calls()
	t.Logf("measure: 3s assume-role delay: done → verified in %v with %d AssumeRole calls (%d refused)",
		took, calls.Action("sts", "AssumeRole"), calls.Errors["AccessDenied"])
	if calls.Action("sts", "AssumeRole") < 2 || calls.Errors["AccessDenied"] < 1 {
		t.Errorf("verified without having been refused first: %+v", calls)
	}
}

// TestVerificationUnderSTSThrottling: with 30% of STS calls throttled, every account still ends
// verified; the retries are the throttled calls.
func TestVerificationUnderSTSThrottling(t *testing.T) {
	emu := startEmulator(t, "--sts-throttle-rate", "0.3", "--seed", "11")
	p := servertest.Start(t, servertest.Options{DiagAccounts: verifyDiagJSON, Env: awsEnv(t, emu.URL), Args: []string{"--verify-interval", "0"}})
	joe, ext := platform(t, p, "acme.com")
	const n = 10
	accts := make([]string, n)
	for i := range accts {
		id := fmt.Sprintf("3000000000%02d", i)
		arn := emu.makeRole(id, ext)
		accts[i] = p.URL + "/v1/customers/acme.com/aws-accounts/" + id
		putBody(t, 201, accts[i], joe, `{"state":"done","role_arn":"`+arn+`"}`)
	}
	var slowest time.Duration
	for _, acct := range accts {
		a, took := awaitVerdict(t, acct, joe)
		if a.Verification.State != apiv1.Verified {
			t.Errorf("%s under throttling: %+v", acct, a.Verification)
		}
		slowest = max(slowest, took)
	}
	calls := emu.calls()
	t.Logf("measure: 30%% STS throttling, %d accounts: %d AssumeRole calls, %d STS calls, %d throttled (retried), all verified within %v",
		n, calls.Action("sts", "AssumeRole"), calls.ByService["sts"], calls.Errors["Throttling"], slowest)
	if calls.Errors["Throttling"] == 0 {
		t.Error("nothing was throttled")
	}
}

// TestVerifiedOnceByTwoServers: two servers on one PostgreSQL, 20 accounts due: each account is
// verified exactly once per round, by one server or the other (the lease).
func TestVerifiedOnceByTwoServers(t *testing.T) {
	db := pgtest.Shared(t).NewDatabase(t)
	emu := startEmulator(t)
	env := append(awsEnv(t, emu.URL), "VIRTCO_OPS_API_KEY=vco_shared-ops-key-for-the-two-servers",
		"VIRTCO_SECRETS_KEY_FILE="+filepath.Join(t.TempDir(), "secrets.key"))
	opts := servertest.Options{DB: db, DiagAccounts: verifyDiagJSON, Env: env, Args: []string{"--verify-interval", "0"}}
	a := servertest.Start(t, opts)
	b := servertest.Start(t, opts)
	ops := a.OpsKey
	var c apiv1.Customer
	if err := json.Unmarshal(putBody(t, 201, a.URL+"/v1/customers/acme.com", ops, `{"diag_account":"Diag3"}`), &c); err != nil {
		t.Fatal(err)
	}
	const n = 20
	urls := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("4000000000%02d", i)
		arn := emu.makeRole(id, c.ExternalID)
		srv := []*servertest.Process{a, b}[i%2]
		urls[i] = srv.URL + "/v1/customers/acme.com/aws-accounts/" + id
		wg.Add(1)
		go func(url string) { defer wg.Done(); putBody(t, 201, url, ops, `{"state":"done","role_arn":"`+arn+`"}`) }(urls[i])
	}
	wg.Wait()
	round := func(name string) {
		t.Helper()
		for _, u := range urls {
			if v, _ := awaitVerdict(t, u, ops); v.Verification.State != apiv1.Verified {
				t.Fatalf("%s: %s: %+v", name, u, v.Verification)
			}
		}
	}
	round("round 1")
	// Two AssumeRole calls a verification: with the external id, and without it (refused).
	if got := emu.calls().Action("sts", "AssumeRole"); got != 2*n {
		t.Fatalf("round 1: %d AssumeRole calls for %d accounts, want %d", got, n, 2*n)
	}
	// Round 2: every account due at once again, as the interval would make them.
	var first []time.Time
	for _, u := range urls {
		var acct apiv1.AWSAccount
		call(t, 200, "GET", u, ops, &acct)
		first = append(first, *acct.Verification.CheckedAt)
	}
	raw, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(context.Background(), `UPDATE aws_accounts SET verify_due_at = '1970-01-01T00:00:00.000000Z'`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for i, u := range urls {
		for {
			var acct apiv1.AWSAccount
			call(t, 200, "GET", u, ops, &acct)
			if acct.Verification.CheckedAt.After(first[i]) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round 2: %s not verified again", u)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if got := emu.calls().Action("sts", "AssumeRole"); got != 4*n {
		t.Fatalf("after round 2: %d AssumeRole calls for %d accounts, want %d", got, n, 4*n)
	}
	t.Logf("measure: two servers, %d accounts, 2 rounds: %d AssumeRole calls; server A verified %d, server B %d", n, 4*n,
		strings.Count(a.Logs(), "msg=verification "), strings.Count(b.Logs(), "msg=verification "))
}

// TestVerifyFlags: each flag falls back to its variable, a flag wins over its variable, and a bad
// value stops the server with a message that names both.
func TestVerifyFlags(t *testing.T) {
	t.Setenv("VIRTCO_VERIFY_ROLES", "false")
	t.Setenv("VIRTCO_VERIFY_TIMEOUT", "30s")
	t.Setenv("VIRTCO_VERIFY_INTERVAL", "0")
	o, _, err := parseFlags(nil, io.Discard)
	if err != nil || o.verify.enabled || o.verify.timeout != 30*time.Second || o.verify.interval != 0 {
		t.Fatalf("from the environment: %+v %v", o.verify, err)
	}
	o, _, err = parseFlags([]string{"--verify-roles=true", "--verify-timeout", "1m", "--verify-interval", "1h"}, io.Discard)
	if err != nil || !o.verify.enabled || o.verify.timeout != time.Minute || o.verify.interval != time.Hour {
		t.Fatalf("flags over the environment: %+v %v", o.verify, err)
	}
	for _, args := range [][]string{{"--verify-roles", "maybe"}, {"--verify-timeout", "0"}, {"--verify-interval", "-1h"}, {"--verify-interval", "often"}} {
		if _, _, err := parseFlags(args, io.Discard); err == nil || !strings.Contains(err.Error(), "VIRTCO_VERIFY_") {
			t.Errorf("%q: %v", args, err)
		}
	}
	for k, v := range map[string]string{"VIRTCO_VERIFY_ROLES": "", "VIRTCO_VERIFY_TIMEOUT": "", "VIRTCO_VERIFY_INTERVAL": ""} {
		t.Setenv(k, v)
	}
	o, _, err = parseFlags(nil, io.Discard)
	if err != nil || !o.verify.enabled || o.verify.timeout != 2*time.Minute || o.verify.interval != 6*time.Hour {
		t.Fatalf("defaults: %+v %v", o.verify, err)
	}
}

// TestVerificationOffProcess: --verify-roles=false (here through its variable): every account is
// unavailable, and nothing is asked of AWS.
func TestVerificationOffProcess(t *testing.T) {
	emu := startEmulator(t)
	p := servertest.Start(t, servertest.Options{DiagAccounts: verifyDiagJSON, Env: append(awsEnv(t, emu.URL), "VIRTCO_VERIFY_ROLES=false")})
	joe, ext := platform(t, p, "acme.com")
	arn := emu.makeRole(verifyCustomer, ext)
	acct := p.URL + "/v1/customers/acme.com/aws-accounts/" + verifyCustomer
	putBody(t, 201, acct, joe, `{"state":"done","role_arn":"`+arn+`"}`)
	var a apiv1.AWSAccount
	call(t, 200, "POST", acct+"/verify", joe, &a)
	if a.Verification.State != apiv1.VerificationUnavailable || emu.calls().ByService["sts"] != 0 {
		t.Fatalf("verification off: %+v, %d STS calls", a.Verification, emu.calls().ByService["sts"])
	}
}
