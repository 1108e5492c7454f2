// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package rolegrant_test

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/virtasant/terraform-provider-virtco/internal/acctest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
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
	account  = acctest.Account
	customer = "acme.example.com"
)

// world is one test's control plane (reached through a proxy that fails requests on demand),
// emulator, and a Grantor with the ops key acting in account.
type world struct {
	*acctest.Platform
	t       *testing.T
	aws     *acctest.AWS
	proxy   *acctest.Proxy
	grantor *rolegrant.Grantor
	trust   *rolegrant.Trust
}

func newWorld(t *testing.T) *world {
	t.Helper()
	t.Parallel()
	p := acctest.StartPlatform(t)
	p.Provision(customer, "Diag3")
	w := &world{Platform: p, t: t, aws: acctest.StartAWS(t, awsemu.Faults{}), proxy: acctest.StartProxy(t, p.URL)}
	w.grantor = w.grantorWith(acctest.NewClient(t, w.proxy.URL, p.OpsKey))
	trust, err := rolegrant.ReadTrust(t.Context(), w.Ops, customer)
	if err != nil {
		t.Fatal(err)
	}
	w.trust = trust
	return w
}

// grantorWith is a Grantor on the given platform client, acting in account through the emulator.
func (w *world) grantorWith(platform *client.Client) *rolegrant.Grantor {
	roles := w.aws.Roles(account)
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

func arn(name string) string { return acctest.RoleARN(account, name) }

// wantRole checks whether the emulator has the role.
func (w *world) wantRole(name string, exists bool) {
	w.t.Helper()
	if _, ok := w.aws.Emulator.Role(account, name); ok != exists {
		w.t.Errorf("role %s in the emulator: %v, want %v", name, ok, exists)
	}
}

// wantGranted checks that the role is exactly the one the grant makes: the customer's trust, the
// default sources' actions, nothing else.
func (w *world) wantGranted(name string) {
	w.t.Helper()
	if err := w.aws.CheckRole(acctest.RoleWant{Account: account, Name: name, Principal: acctest.Diag3Principal,
		ExternalID: w.trust.ExternalID, Actions: acctest.DefaultActions(), Tags: map[string]string{"team": "finops"}}); err != nil {
		w.t.Error(err)
	}
}

// wantRecord checks the platform's record of the account: state "" means none.
func (w *world) wantRecord(state client.RoleStatus, roleARN string) {
	w.t.Helper()
	err := w.AccountGone(customer, account)
	if state != "" {
		err = w.Account(customer, account, state, roleARN)
	}
	if err != nil {
		w.t.Error(err)
	}
}

func (w *world) createRoleCalls() int { return w.aws.Emulator.Calls().Action("iam", "CreateRole") }

func (w *world) faults(actions map[string]int) {
	w.aws.Emulator.SetFaults(awsemu.Faults{FailActions: actions})
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
	w.wantGranted("reader")
	w.wantRecord(client.RoleDone, arn("reader"))

	o, err := w.grantor.Observe(ctx, target("reader"))
	if err != nil || o.Role == nil || o.State() != client.RoleDone || o.Role.Tags["team"] != "finops" {
		t.Fatalf("observed %+v, %v", o, err)
	}

	// drift outside: a policy attached and the platform told purge; Update puts both right
	if _, err := w.aws.IAM(account).AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{
		RoleName: aws.String("reader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Ops.AWSAccounts.Put(ctx, customer, account, client.AWSAccountPutOptions{State: client.RolePurge}); err != nil {
		t.Fatal(err)
	}
	if o, err := w.grantor.Observe(ctx, target("reader")); err != nil || len(o.Role.AttachedPolicies) != 1 || o.State() != "" {
		t.Errorf("drift not observed: %+v %v", o, err)
	}
	spec.Tags = map[string]string{"team": "platform"}
	if _, err := w.grantor.Update(ctx, target("reader"), spec); err != nil {
		t.Fatal(err)
	}
	r, _ := w.aws.Emulator.Role(account, "reader")
	if len(r.AttachedPolicies) != 0 || r.Tags["team"] != "platform" {
		t.Errorf("after Update: attached %v, tags %v", r.AttachedPolicies, r.Tags)
	}
	w.wantRecord(client.RoleDone, arn("reader"))

	if left, err := w.grantor.Revoke(ctx, target("reader"), arn("reader")); err != nil || left != nil {
		t.Fatal(left, err)
	}
	w.wantRole("reader", false)
	w.wantRecord("", "")
	// revoking what is gone already is fine
	if left, err := w.grantor.Revoke(ctx, target("reader"), arn("reader")); err != nil || left != nil {
		t.Errorf("second revoke: %v %v", left, err)
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
	_, err = w.grantor.Revoke(ctx, other, "")
	check("delete", err)
	if calls := w.aws.Emulator.Calls(); calls.ByService["iam"] != 0 {
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
	master, err := w.Ops.MasterToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pe *rolegrant.PlatformError
	_, err = w.grantorWith(acctest.NewClient(t, w.proxy.URL, master)).Grant(ctx, customer, "", w.spec("reader"))
	if !errors.As(err, &pe) || !errors.Is(err, client.ErrPermissionDenied) || !strings.HasPrefix(pe.Doing, "registering AWS account 123456789012") {
		t.Errorf("master token: %v", err)
	}

	// the record cannot be read
	w.proxy.Fail(http.MethodGet, "")
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("reader")); !errors.As(err, &pe) || !errors.Is(err, client.ErrServer) ||
		!strings.HasPrefix(pe.Doing, "reading AWS account") {
		t.Errorf("record unreadable: %v", err)
	}
	w.proxy.Heal()

	// the platform registers one role per customer and account
	if _, _, err := w.Ops.AWSAccounts.Put(ctx, customer, account, client.AWSAccountPutOptions{RoleARN: arn("handmade"), State: client.RoleDone}); err != nil {
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
	if _, err := w.aws.IAM(account).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("taken"), AssumeRolePolicyDocument: aws.String(w.trust.Policy),
	}); err != nil {
		t.Fatal(err)
	}
	var notCreated *rolegrant.NotCreatedError
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("taken")); !errors.Is(err, awsrole.ErrRoleExists) ||
		!errors.As(err, &notCreated) || notCreated.RestoreErr != nil {
		t.Errorf("existing role: %v", err)
	}
	if r, _ := w.aws.Emulator.Role(account, "taken"); len(r.InlinePolicies) != 0 {
		t.Errorf("the existing role was changed: %+v", r)
	}
	w.wantRecord("", "")

	// IAM fails; a record the platform had (a revocation that did not finish) comes back
	if _, _, err := w.Ops.AWSAccounts.Put(ctx, customer, account, client.AWSAccountPutOptions{State: client.RolePurge}); err != nil {
		t.Fatal(err)
	}
	w.faults(map[string]int{"CreateRole": -1})
	_, err := w.grantor.Grant(ctx, customer, "", w.spec("reader"))
	var rolledBack *rolegrant.RolledBackError
	var leftBehind *rolegrant.LeftBehindError
	if !errors.As(err, &notCreated) || notCreated.RestoreErr != nil || errors.As(err, &rolledBack) || errors.As(err, &leftBehind) ||
		!strings.Contains(err.Error(), "creating IAM role reader") {
		t.Errorf("CreateRole failing: %v", err)
	}
	w.wantRole("reader", false)
	w.wantRecord(client.RolePurge, "")

	// and the record cannot be put back: the error says so
	w.proxy.Fail(http.MethodPut, string(client.RolePurge))
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("reader")); !errors.As(err, &notCreated) || notCreated.RestoreErr == nil {
		t.Errorf("record not restored: %v", err)
	}
	w.wantRole("reader", false)
	w.wantRecord(client.RoleInProgress, "")
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
		{"the platform fails to register it done", func(w *world) { w.proxy.Fail(http.MethodPut, string(client.RoleDone)) },
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
		w.proxy.Fail(http.MethodPut, string(client.RoleDone))
		w.proxy.Fail(http.MethodDelete, "")
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
			w.proxy.Fail(http.MethodPut, string(client.RoleDone))
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
	if o, err := w.grantor.Observe(ctx, target("reader")); err != nil || o.Role != nil || o.Record != nil || o.State() != "" ||
		o.Standing != rolegrant.Known {
		t.Errorf("nothing granted: %+v %v", o, err)
	}
	if _, err := w.grantor.Grant(ctx, customer, account, w.spec("reader")); err != nil {
		t.Fatal(err)
	}
	// deleted outside Terraform while the platform still has it
	w.aws.DeleteRole(account, "reader")
	if o, err := w.grantor.Observe(ctx, target("reader")); err != nil || o.Role != nil || o.Record == nil || o.Record.State != client.RoleDone {
		t.Errorf("role deleted outside: %+v %v", o, err)
	}

	w.faults(map[string]int{"GetRole": -1})
	var pe *rolegrant.PlatformError
	if _, err := w.grantor.Observe(ctx, target("reader")); err == nil || errors.Is(err, awsrole.ErrRoleNotFound) || errors.As(err, &pe) {
		t.Errorf("IAM failing: %v", err)
	}
}

// What IAM has is always seen, whatever the platform answers; the answer is a standing.
func TestObservePlatformStanding(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	joe := w.Provision(customer, "Diag3", "joe")["joe"]
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("reader")); err != nil {
		t.Fatal(err)
	}
	seen := func(what string, g *rolegrant.Grantor, want rolegrant.Standing) {
		t.Helper()
		o, err := g.Observe(ctx, target("reader"))
		switch {
		case err != nil:
			t.Errorf("%s: %v", what, err)
		case o.Role == nil || o.Role.ARN != arn("reader"):
			t.Errorf("%s: the role was not seen: %+v", what, o)
		case o.Standing != want || (want != rolegrant.Known) != (o.PlatformErr != nil) || o.Record != nil && want != rolegrant.Known:
			t.Errorf("%s: standing %v (%v), record %+v; want %v", what, o.Standing, o.PlatformErr, o.Record, want)
		case o.Stranded() != (want == rolegrant.CustomerGone || want == rolegrant.KeyRefused):
			t.Errorf("%s: stranded %v", what, o.Stranded())
		}
	}
	seen("the platform has it", w.grantor, rolegrant.Known)

	w.proxy.Fail(http.MethodGet, "")
	seen("the platform failing", w.grantor, rolegrant.Unreachable)
	w.proxy.Heal()

	joes := w.grantorWith(acctest.NewClient(t, w.URL, joe))
	seen("joe's token", joes, rolegrant.Known)
	if err := w.Ops.Users.Delete(ctx, customer, "joe", client.UserDeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	seen("joe's revoked token", joes, rolegrant.KeyRefused)

	if err := w.Ops.Customers.Delete(ctx, customer, client.CustomerDeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	seen("the customer unprovisioned", w.grantor, rolegrant.CustomerGone)

	w.Kill()
	seen("the platform down", w.grantor, rolegrant.Unreachable)
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
	if _, _, err := w.Ops.AWSAccounts.Put(ctx, customer, account, client.AWSAccountPutOptions{State: client.RolePurge}); err != nil {
		t.Fatal(err)
	}
	w.proxy.Fail(http.MethodPut, string(client.RoleDone))
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

	// IAM cannot delete the role: the error says so, and the record is left purge
	w.faults(map[string]int{"DeleteRole": -1})
	if left, err := w.grantor.Revoke(ctx, target("reader"), arn("reader")); err == nil || errors.As(err, &pe) || left != nil {
		t.Errorf("DeleteRole failing: %v %v", left, err)
	}
	w.wantRole("reader", true)
	w.wantRecord(client.RolePurge, arn("reader"))
	w.faults(nil)

	// the record cannot be removed: the role is gone all the same, and what is left is said
	w.proxy.Fail(http.MethodDelete, "")
	left, err := w.grantor.Revoke(ctx, target("reader"), arn("reader"))
	if err != nil || left == nil || !left.Purged || !errors.As(left.Err, &pe) || left.AccountID != account || left.Customer != customer {
		t.Errorf("record not removable: %+v %v", left, err)
	}
	w.wantRole("reader", false)
	w.wantRecord(client.RolePurge, arn("reader"))
}

// Revoking never waits for the platform: the role is deleted whatever the platform answers.
func TestRevokeWhateverThePlatformSays(t *testing.T) {
	for _, c := range []struct {
		name     string
		breakIt  func(w *world) *rolegrant.Grantor
		leftover bool // the platform may still have a record
		purged   bool
	}{
		{"purge refused", func(w *world) *rolegrant.Grantor {
			w.proxy.Fail(http.MethodPut, string(client.RolePurge))
			return w.grantor
		}, false, false},
		{"the platform down", func(w *world) *rolegrant.Grantor { w.Kill(); return w.grantor }, true, false},
		{"a revoked key", func(w *world) *rolegrant.Grantor {
			joe := w.Provision(customer, "Diag3", "joe")["joe"]
			g := w.grantorWith(acctest.NewClient(w.t, w.URL, joe))
			if err := w.Ops.Users.Delete(w.t.Context(), customer, "joe", client.UserDeleteOptions{}); err != nil {
				w.t.Fatal(err)
			}
			return g
		}, true, false},
		{"the customer gone", func(w *world) *rolegrant.Grantor {
			if err := w.Ops.Customers.Delete(w.t.Context(), customer, client.CustomerDeleteOptions{}); err != nil {
				w.t.Fatal(err)
			}
			return w.grantor
		}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			if _, err := w.grantor.Grant(t.Context(), customer, "", w.spec("reader")); err != nil {
				t.Fatal(err)
			}
			g := c.breakIt(w)
			left, err := g.Revoke(t.Context(), target("reader"), arn("reader"))
			if err != nil || (left != nil) != c.leftover || left != nil && (left.Purged != c.purged || left.Err == nil) {
				t.Errorf("revoke: %+v %v", left, err)
			}
			w.wantRole("reader", false)
			if c.leftover && !strings.Contains(left.Error(), "may still have its record of AWS account 123456789012") {
				t.Errorf("leftover: %v", left)
			}
			switch {
			case c.leftover && w.Running():
				w.wantRecord(client.RoleDone, arn("reader")) // what the warning names
			case w.Running():
				w.wantRecord("", "")
			}
		})
	}
}

// A customer unprovisioned meanwhile took its accounts with it: the role is still revoked.
func TestRevokeAfterTheCustomerIsGone(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	if _, err := w.grantor.Grant(ctx, customer, "", w.spec("reader")); err != nil {
		t.Fatal(err)
	}
	if err := w.Ops.Customers.Delete(ctx, customer, client.CustomerDeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if left, err := w.grantor.Revoke(ctx, target("reader"), arn("reader")); err != nil || left != nil {
		t.Fatal(left, err)
	}
	w.wantRole("reader", false)
}
