package rolegrant_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/rolegrant"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// The grant runs against a real virtco-server process and the IAM/STS emulator (a test tool
// standing in for AWS), and every test checks both afterwards: what is in the account and what
// the platform records.

func TestMain(m *testing.M) {
	code := m.Run()
	servertest.Cleanup()
	os.Exit(code)
}

const (
	account  = "123456789012"
	customer = "acme.example.com"
	diag3    = "arn:aws:iam::111122223333:role/virtco-collector"
)

const diagAccounts = `[
  {"name": "Diag3", "account_id": "111122223333", "region": "us-east-1", "status": "ready-for-use",
   "principal_arn": "arn:aws:iam::111122223333:role/virtco-collector"},
  {"name": "Diag4", "account_id": "444455556666", "region": "eu-west-1", "status": "ready-for-use"}
]`

// world is one test's control plane (behind a proxy that fails requests on demand), emulator and
// a Grantor with the ops key, acting in account.
type world struct {
	t       *testing.T
	ops     *client.Client
	emu     *awsemu.Server
	proxy   *proxy
	grantor *rolegrant.Grantor
	trust   *rolegrant.Trust
}

func newWorld(t *testing.T) *world {
	t.Helper()
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{DiagAccounts: diagAccounts})
	w := &world{t: t, emu: awsemu.NewServer(t, awsemu.Options{}), proxy: newProxy(t, srv.URL)}
	w.ops = newClient(t, srv.URL, srv.OpsKey)
	if _, _, err := w.ops.Customers.Put(t.Context(), customer, client.CustomerPutOptions{DiagAccount: "Diag3"}); err != nil {
		t.Fatal(err)
	}
	w.grantor = w.grantorWith(newClient(t, w.proxy.URL, srv.OpsKey))
	trust, err := rolegrant.ReadTrust(t.Context(), w.ops, customer)
	if err != nil {
		t.Fatal(err)
	}
	w.trust = trust
	return w
}

func newClient(t *testing.T, url, key string) *client.Client {
	t.Helper()
	c, err := client.New(&client.Config{Address: url, APIKey: key, MaxRetries: client.NoRetries, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// grantorWith is a Grantor on the given platform client, acting in account through the emulator
// with fast retries and waits.
func (w *world) grantorWith(platform *client.Client) *rolegrant.Grantor {
	cfg := awsemutest.Config(w.emu.URL, account)
	roles := awsrole.NewFromClients(iam.NewFromConfig(cfg), sts.NewFromConfig(cfg),
		awsrole.Options{PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond})
	acct, err := roles.CallerAccount(w.t.Context())
	if err != nil {
		w.t.Fatal(err)
	}
	return rolegrant.New(platform, roles, acct)
}

func (w *world) spec(name string) awsrole.RoleSpec {
	perms, err := awsrole.PermissionsPolicy(awsrole.DefaultDataSources(), awsrole.PermissionOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	return awsrole.RoleSpec{Name: name, TrustPolicy: w.trust.Policy, PermissionsPolicy: perms, Tags: map[string]string{"team": "finops"}}
}

func target(name string) rolegrant.Target {
	return rolegrant.Target{Customer: customer, AccountID: account, RoleName: name}
}

func arn(name string) string { return "arn:aws:iam::" + account + ":role/" + name }

// --- what the world holds

// wantRole checks whether the emulator has the role, and that a role it has trusts the customer's
// diagnostic account only.
func (w *world) wantRole(name string, exists bool) {
	w.t.Helper()
	r, ok := w.emu.Emulator.Role(account, name)
	switch {
	case ok != exists:
		w.t.Errorf("role %s in the emulator: %v, want %v", name, ok, exists)
	case ok:
		if same, err := awsrole.PoliciesEqual(r.TrustPolicy, w.trust.Policy); err != nil || !same {
			w.t.Errorf("role %s trusts %s (%v), want %s", name, r.TrustPolicy, err, w.trust.Policy)
		}
	}
}

// wantRecord checks the platform's record of the account: state "" means none.
func (w *world) wantRecord(state client.RoleStatus, roleARN string) {
	w.t.Helper()
	rec, err := w.ops.AWSAccounts.Get(w.t.Context(), customer, account)
	switch {
	case state == "" && errors.Is(err, client.ErrNotFound):
	case state == "":
		w.t.Errorf("the platform has the account (%+v, %v), want no record", rec, err)
	case err != nil:
		w.t.Errorf("the platform's record: %v, want %s", err, state)
	case rec.State != state || rec.RoleARN != roleARN:
		w.t.Errorf("the platform's record: %s %q, want %s %q", rec.State, rec.RoleARN, state, roleARN)
	}
}

func (w *world) createRoleCalls() int { return w.emu.Emulator.Calls().Action("iam", "CreateRole") }

func (w *world) faults(actions map[string]int) {
	w.emu.Emulator.SetFaults(awsemu.Faults{FailActions: actions})
}

// --- a control plane that fails on demand

// proxy forwards to the server and answers 500 to the requests fail picks.
type proxy struct {
	URL    string
	fail   atomic.Pointer[func(method, path, state string) bool]
	failed atomic.Int64
}

func newProxy(t *testing.T, target string) *proxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(raw))
		var body struct {
			State string `json:"state"`
		}
		_ = json.Unmarshal(raw, &body)
		if f := p.fail.Load(); f != nil && (*f)(r.Method, r.URL.Path, body.State) {
			p.failed.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":{"code":"internal","message":"injected by the test"}}`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// failOn makes the proxy fail requests with this method on AWS accounts, whose body state is
// state ("" for any).
func (p *proxy) failOn(method, state string) {
	f := func(m, path, s string) bool {
		return m == method && strings.Contains(path, "/aws-accounts/") && (state == "" || s == state)
	}
	p.fail.Store(&f)
}

func (p *proxy) failAlso(method string) {
	prev := p.fail.Load()
	f := func(m, path, s string) bool {
		return (prev != nil && (*prev)(m, path, s)) || (m == method && strings.Contains(path, "/aws-accounts/"))
	}
	p.fail.Store(&f)
}

// --- the tests

func TestGrantObserveUpdateRevoke(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	spec := w.spec("reader")
	g, err := w.grantor.Grant(ctx, customer, "", spec)
	if err != nil {
		t.Fatal(err)
	}
	if g.Role.ARN != arn("reader") || g.Record.State != client.RoleDone || g.Record.RoleARN != arn("reader") {
		t.Errorf("granted %+v %+v", g.Role, g.Record)
	}
	w.wantRole("reader", true)
	w.wantRecord(client.RoleDone, arn("reader"))

	o, err := w.grantor.Observe(ctx, target("reader"))
	if err != nil || o.Role == nil || o.State() != client.RoleDone || o.Role.Tags["team"] != "finops" {
		t.Fatalf("observed %+v, %v", o, err)
	}

	// drift outside: a policy attached and the platform told purge; Update puts both right
	if _, err := iam.NewFromConfig(awsemutest.Config(w.emu.URL, account)).AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{
		RoleName: aws.String("reader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.ops.AWSAccounts.Put(ctx, customer, account, client.AWSAccountPutOptions{State: client.RolePurge}); err != nil {
		t.Fatal(err)
	}
	if o, err := w.grantor.Observe(ctx, target("reader")); err != nil || len(o.Role.AttachedPolicies) != 1 || o.State() != "" {
		t.Errorf("drift not observed: %+v %v", o, err)
	}
	spec.Tags = map[string]string{"team": "platform"}
	if _, err := w.grantor.Update(ctx, target("reader"), spec); err != nil {
		t.Fatal(err)
	}
	r, _ := w.emu.Emulator.Role(account, "reader")
	if len(r.AttachedPolicies) != 0 || r.Tags["team"] != "platform" {
		t.Errorf("after Update: attached %v, tags %v", r.AttachedPolicies, r.Tags)
	}
	w.wantRecord(client.RoleDone, arn("reader"))

	if err := w.grantor.Revoke(ctx, target("reader"), arn("reader")); err != nil {
		t.Fatal(err)
	}
	w.wantRole("reader", false)
	w.wantRecord("", "")
	// revoking what is gone already is fine
	if err := w.grantor.Revoke(ctx, target("reader"), arn("reader")); err != nil {
		t.Errorf("second revoke: %v", err)
	}
}

// Nothing is done in another account than the one declared, whatever the operation.
func TestWrongAccount(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	other := target("reader")
	other.AccountID = "210987654321"
	check := func(op string, err error) {
		t.Helper()
		var wrong *rolegrant.WrongAccountError
		if !errors.As(err, &wrong) || wrong.Declared != "210987654321" || wrong.Reached != account || wrong.Op != op {
			t.Errorf("%s: %v, want a WrongAccountError", op, err)
		}
	}
	_, err := w.grantor.Grant(ctx, customer, other.AccountID, w.spec("reader"))
	check("create", err)
	_, err = w.grantor.Observe(ctx, other)
	check("read", err)
	_, err = w.grantor.Update(ctx, other, w.spec("reader"))
	check("update", err)
	check("delete", w.grantor.Revoke(ctx, other, ""))
	if calls := w.emu.Emulator.Calls(); calls.ByService["iam"] != 0 {
		t.Errorf("IAM calls: %v", calls.ByAction)
	}
	w.wantRecord("", "")
}

func TestGrantRefusesBeforeAnythingIsCreated(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()

	bad := w.spec("no spaces")
	if _, err := w.grantor.Grant(ctx, customer, "", bad); !errors.Is(err, rolegrant.ErrInvalidRole) {
		t.Errorf("invalid role: %v", err)
	}

	// the master token reads the record but may not register the account
	master, err := w.ops.MasterToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pe *rolegrant.PlatformError
	_, err = w.grantorWith(newClient(t, w.proxy.URL, master)).Grant(ctx, customer, "", w.spec("reader"))
	if !errors.As(err, &pe) || !errors.Is(err, client.ErrPermissionDenied) || !strings.HasPrefix(pe.Doing, "registering AWS account 123456789012") {
		t.Errorf("master token: %v", err)
	}

	// the record cannot be read
	w.proxy.failOn(http.MethodGet, "")
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("reader")); !errors.As(err, &pe) || !errors.Is(err, client.ErrServer) ||
		!strings.HasPrefix(pe.Doing, "reading AWS account") {
		t.Errorf("record unreadable: %v", err)
	}
	w.proxy.fail.Store(nil)

	// the platform registers one role per customer and account
	if _, _, err := w.ops.AWSAccounts.Put(ctx, customer, account, client.AWSAccountPutOptions{RoleARN: arn("handmade"), State: client.RoleDone}); err != nil {
		t.Fatal(err)
	}
	var elsewhere *rolegrant.RegisteredElsewhereError
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("reader")); !errors.As(err, &elsewhere) || elsewhere.RoleARN != arn("handmade") {
		t.Errorf("registered elsewhere: %v", err)
	}
	w.wantRecord(client.RoleDone, arn("handmade"))
	if n := w.createRoleCalls(); n != 0 {
		t.Errorf("%d CreateRole calls", n)
	}
	w.wantRole("reader", false)
}

// When CreateRole makes nothing, the platform's record is put back as it was.
func TestGrantCreateRoleFails(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()

	// a role of that name exists: someone else's, never taken over
	if _, err := iam.NewFromConfig(awsemutest.Config(w.emu.URL, account)).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("taken"), AssumeRolePolicyDocument: aws.String(w.trust.Policy),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("taken")); !errors.Is(err, awsrole.ErrRoleExists) {
		t.Errorf("existing role: %v", err)
	}
	if r, _ := w.emu.Emulator.Role(account, "taken"); len(r.InlinePolicies) != 0 {
		t.Errorf("the existing role was changed: %+v", r)
	}
	w.wantRecord("", "")

	// IAM fails; a record the platform had (a revocation that did not finish) comes back
	if _, _, err := w.ops.AWSAccounts.Put(ctx, customer, account, client.AWSAccountPutOptions{State: client.RolePurge}); err != nil {
		t.Fatal(err)
	}
	w.faults(map[string]int{"CreateRole": -1})
	_, err := w.grantor.Grant(ctx, customer, "", w.spec("reader"))
	var rolledBack *rolegrant.RolledBackError
	var leftBehind *rolegrant.LeftBehindError
	if err == nil || errors.As(err, &rolledBack) || errors.As(err, &leftBehind) || !strings.Contains(err.Error(), "creating IAM role reader") {
		t.Errorf("CreateRole failing: %v", err)
	}
	w.wantRole("reader", false)
	w.wantRecord(client.RolePurge, "")
}

// A failure after CreateRole deletes the role again and restores the record.
func TestGrantRollsBack(t *testing.T) {
	for _, c := range []struct {
		name   string
		break_ func(w *world)
		cause  func(error) bool
	}{
		{"the policy cannot be put", func(w *world) { w.faults(map[string]int{"PutRolePolicy": -1}) },
			func(err error) bool { var p *awsrole.PartialCreateError; return errors.As(err, &p) }},
		{"the platform fails to register it done", func(w *world) { w.proxy.failOn(http.MethodPut, string(client.RoleDone)) },
			func(err error) bool {
				var p *rolegrant.PlatformError
				return errors.As(err, &p) && errors.Is(err, client.ErrServer)
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			c.break_(w)
			_, err := w.grantor.Grant(t.Context(), customer, "", w.spec("reader"))
			var rb *rolegrant.RolledBackError
			if !errors.As(err, &rb) || rb.RestoreErr != nil || !c.cause(rb.Cause) {
				t.Fatalf("%v, want a RolledBackError with the cause", err)
			}
			if w.createRoleCalls() != 1 {
				t.Errorf("CreateRole calls: %d", w.createRoleCalls())
			}
			w.wantRole("reader", false)
			w.wantRecord("", "")
		})
	}

	t.Run("the record cannot be restored", func(t *testing.T) {
		w := newWorld(t)
		w.proxy.failOn(http.MethodPut, string(client.RoleDone))
		w.proxy.failAlso(http.MethodDelete)
		_, err := w.grantor.Grant(t.Context(), customer, "", w.spec("reader"))
		var rb *rolegrant.RolledBackError
		if !errors.As(err, &rb) || rb.RestoreErr == nil {
			t.Fatalf("%v, want a RolledBackError saying the record was not restored", err)
		}
		w.wantRole("reader", false)
		w.wantRecord(client.RoleInProgress, "")
	})
}

// When the role cannot be deleted again, the error says so and carries its ARN, so that the
// caller records it: the role is not lost.
func TestGrantLeavesBehind(t *testing.T) {
	for _, c := range []struct {
		name   string
		break_ func(w *world)
	}{
		{"the policy cannot be put", func(w *world) { w.faults(map[string]int{"PutRolePolicy": -1, "DeleteRole": -1}) }},
		{"the platform fails to register it done", func(w *world) {
			w.proxy.failOn(http.MethodPut, string(client.RoleDone))
			w.faults(map[string]int{"DeleteRole": -1})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			c.break_(w)
			_, err := w.grantor.Grant(t.Context(), customer, "", w.spec("reader"))
			var lb *rolegrant.LeftBehindError
			if !errors.As(err, &lb) || lb.RoleARN != arn("reader") || lb.DeleteErr == nil || lb.RoleName != "reader" {
				t.Fatalf("%v, want a LeftBehindError with the role's ARN", err)
			}
			w.wantRole("reader", true)
			w.wantRecord(client.RoleInProgress, "")
		})
	}
}

func TestObserve(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	if o, err := w.grantor.Observe(ctx, target("reader")); err != nil || o.Role != nil || o.Record != nil || o.State() != "" {
		t.Errorf("nothing granted: %+v %v", o, err)
	}
	if _, err := w.grantor.Grant(ctx, customer, account, w.spec("reader")); err != nil {
		t.Fatal(err)
	}
	// deleted outside Terraform while the platform still has it
	if err := awsrole.NewFromClients(iam.NewFromConfig(awsemutest.Config(w.emu.URL, account)), nil, awsrole.Options{}).Delete(ctx, "reader"); err != nil {
		t.Fatal(err)
	}
	if o, err := w.grantor.Observe(ctx, target("reader")); err != nil || o.Role != nil || o.Record == nil || o.Record.State != client.RoleDone {
		t.Errorf("role deleted outside: %+v %v", o, err)
	}

	w.proxy.failOn(http.MethodGet, "")
	var pe *rolegrant.PlatformError
	if _, err := w.grantor.Observe(ctx, target("reader")); !errors.As(err, &pe) {
		t.Errorf("record unreadable: %v", err)
	}
	w.proxy.fail.Store(nil)

	w.faults(map[string]int{"GetRole": -1})
	if _, err := w.grantor.Observe(ctx, target("reader")); err == nil || errors.Is(err, awsrole.ErrRoleNotFound) || errors.As(err, &pe) {
		t.Errorf("IAM failing: %v", err)
	}
}

func TestUpdateFails(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	if _, err := w.grantor.Update(ctx, target("reader"), w.spec("reader")); !errors.Is(err, awsrole.ErrRoleNotFound) {
		t.Errorf("no role: %v", err)
	}
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("reader")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.ops.AWSAccounts.Put(ctx, customer, account, client.AWSAccountPutOptions{State: client.RolePurge}); err != nil {
		t.Fatal(err)
	}
	w.proxy.failOn(http.MethodPut, string(client.RoleDone))
	var pe *rolegrant.PlatformError
	if _, err := w.grantor.Update(ctx, target("reader"), w.spec("reader")); !errors.As(err, &pe) || !strings.HasPrefix(pe.Doing, "registering role") {
		t.Errorf("platform failing: %v", err)
	}
	w.wantRecord(client.RolePurge, "")
	if _, err := w.grantor.Update(ctx, target("reader"), w.spec("no spaces")); !errors.Is(err, rolegrant.ErrInvalidRole) {
		t.Errorf("invalid role: %v", err)
	}
}

func TestRevokeFails(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("reader")); err != nil {
		t.Fatal(err)
	}
	var pe *rolegrant.PlatformError

	// the platform cannot be told: nothing is deleted
	w.proxy.failOn(http.MethodPut, string(client.RolePurge))
	if err := w.grantor.Revoke(ctx, target("reader"), arn("reader")); !errors.As(err, &pe) || !strings.HasPrefix(pe.Doing, "marking AWS account") {
		t.Errorf("purge refused: %v", err)
	}
	w.wantRole("reader", true)
	w.proxy.fail.Store(nil)

	// IAM cannot delete the role: the record is left purge
	w.faults(map[string]int{"DeleteRole": -1})
	if err := w.grantor.Revoke(ctx, target("reader"), arn("reader")); err == nil || errors.As(err, &pe) {
		t.Errorf("DeleteRole failing: %v", err)
	}
	w.wantRole("reader", true)
	w.wantRecord(client.RolePurge, arn("reader"))
	w.faults(nil)

	// the record cannot be removed: the role is gone all the same
	w.proxy.failOn(http.MethodDelete, "")
	if err := w.grantor.Revoke(ctx, target("reader"), arn("reader")); !errors.As(err, &pe) || !strings.HasPrefix(pe.Doing, "removing AWS account") {
		t.Errorf("record not removable: %v", err)
	}
	w.wantRole("reader", false)
	w.wantRecord(client.RolePurge, arn("reader"))
}

// A customer unprovisioned meanwhile took its accounts with it: the role is still revoked.
func TestRevokeAfterTheCustomerIsGone(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("reader")); err != nil {
		t.Fatal(err)
	}
	if err := w.ops.Customers.Delete(ctx, customer, client.CustomerDeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := w.grantor.Revoke(ctx, target("reader"), arn("reader")); err != nil {
		t.Fatal(err)
	}
	w.wantRole("reader", false)
}
