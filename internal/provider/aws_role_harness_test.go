package provider

// The AWS side of the acceptance harness: an IAM/STS emulator (internal/awsemu) per test, served
// in-process on a free port, and the provider pointed at it through its aws block, with static
// credentials whose access key id is the account the emulator acts as. The provider gets fast
// retries and waits through its test-only hooks, so injected throttling never makes a test sleep.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
	"github.com/virtasant/terraform-provider-virtco/internal/client"
)

const (
	// testAccount is the customer's AWS account the tests act as.
	testAccount = "123456789012"
	// diag3Account and diag3Principal are Diag3 of diagAccountsJSON.
	diag3Account   = "111122223333"
	diag3Principal = "arn:aws:iam::111122223333:role/virtco-collector"
)

// section6a are the actions DESIGN.md section 6a gives the default data sources, written out here
// rather than taken from awsrole, so that the tests check the code against the design.
var section6a = map[string][]string{
	"cloudwatch": {"cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics",
		"cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmsForMetric", "cloudwatch:DescribeAlarmHistory",
		"cloudwatch:DescribeAnomalyDetectors", "cloudwatch:ListDashboards", "cloudwatch:GetDashboard",
		"cloudwatch:ListTagsForResource"},
	"cloudtrail": {"cloudtrail:LookupEvents", "cloudtrail:DescribeTrails", "cloudtrail:GetTrail",
		"cloudtrail:GetTrailStatus", "cloudtrail:ListTrails", "cloudtrail:GetEventSelectors",
		"cloudtrail:GetInsightSelectors", "cloudtrail:ListTags"},
	"logs": {"logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:DescribeMetricFilters", "logs:GetLogEvents",
		"logs:FilterLogEvents", "logs:StartQuery", "logs:StopQuery", "logs:GetQueryResults"},
}

// fastAWS are the test hooks: the SDK's standard retryer with a 1ms backoff, and IAM waits of
// milliseconds.
var fastAWS = awsHooks{
	retryer:     awsemutest.FastRetryer(awsemutest.DefaultMaxAttempts),
	roleOptions: awsrole.Options{PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond},
}

// awsProviders serves the provider with the test hooks and an empty environment.
var awsProviders = map[string]func() (tfprotov6.ProviderServer, error){
	"virtco": providerserver.NewProtocol6WithError(&virtcoProvider{version: "test", env: testEnv(nil), awsHooks: fastAWS}),
	"echo":   echoprovider.NewProviderServer(),
}

// awsTest is a test's control plane and emulator.
type awsTest struct {
	*testServer
	emu *awsemu.Server
}

// startAWS starts a server (marking the test parallel) and an emulator with the given faults.
func startAWS(t *testing.T, faults awsemu.Faults) *awsTest {
	t.Helper()
	s := startServer(t)
	return &awsTest{testServer: s, emu: awsemu.NewServer(t, awsemu.Options{Faults: faults})}
}

// config is a provider block for the server with the given key (the ops key if empty) whose AWS
// credentials act as account in the emulator; extra goes into the provider block.
func (a *awsTest) config(key, account string, extra ...string) string {
	if key == "" {
		key = a.OpsKey
	}
	return fmt.Sprintf(`
provider "virtco" {
  endpoint = %q
  api_key  = %q
%s
  aws {
    access_key = %q
    secret_key = "emulator-secret"
    endpoints {
      iam = %q
      sts = %q
    }
  }
}
`, a.URL, key, strings.Join(extra, "\n"), account, a.emu.URL, a.emu.URL)
}

func (a *awsTest) iam(account string) *iam.Client {
	return iam.NewFromConfig(awsemutest.Config(a.emu.URL, account))
}

func (a *awsTest) sts(account string) *sts.Client {
	return sts.NewFromConfig(awsemutest.Config(a.emu.URL, account))
}

// roleARN is the ARN the emulator gives a role at path /.
func roleARN(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

// --- checks of the emulator

// roleWant is what a role in the emulator must be.
type roleWant struct {
	account, name string
	principal     string // the trust policy's principal
	externalID    *string
	actions       []string // exactly these, in the one inline policy
	sessionSecs   int
	tags          map[string]string
}

// checkRole checks the role in the emulator: exactly the trust asked for, exactly one inline
// policy with exactly the actions asked for, no managed policy, no boundary, the tags.
func (a *awsTest) checkRole(w roleWant) resource.TestCheckFunc {
	return func(*terraform.State) error {
		r, ok := a.emu.Emulator.Role(w.account, w.name)
		if !ok {
			return fmt.Errorf("role %s is not in account %s of the emulator", w.name, w.account)
		}
		want, err := awsrole.TrustPolicy(w.principal, *w.externalID)
		if err != nil {
			return err
		}
		if !samePolicy(r.TrustPolicy, want) {
			return fmt.Errorf("trust policy of %s:\n%s\nwant\n%s", w.name, r.TrustPolicy, want)
		}
		if len(r.InlinePolicies) != 1 {
			return fmt.Errorf("role %s has %d inline policies, want 1: %v", w.name, len(r.InlinePolicies), r.InlinePolicies)
		}
		doc, ok := r.InlinePolicies[awsrole.DefaultInlinePolicyName]
		if !ok {
			return fmt.Errorf("role %s has no inline policy %s", w.name, awsrole.DefaultInlinePolicyName)
		}
		if err := sameActions(doc, w.actions); err != nil {
			return fmt.Errorf("role %s: %w", w.name, err)
		}
		if len(r.AttachedPolicies) != 0 || len(r.InstanceProfiles) != 0 || r.PermissionsBoundary != "" {
			return fmt.Errorf("role %s has managed policies %v, instance profiles %v, boundary %q; want none",
				w.name, r.AttachedPolicies, r.InstanceProfiles, r.PermissionsBoundary)
		}
		if w.sessionSecs != 0 && r.MaxSessionDuration != w.sessionSecs {
			return fmt.Errorf("role %s: max session duration %d, want %d", w.name, r.MaxSessionDuration, w.sessionSecs)
		}
		if w.tags != nil && fmt.Sprint(r.Tags) != fmt.Sprint(w.tags) {
			return fmt.Errorf("role %s: tags %v, want %v", w.name, r.Tags, w.tags)
		}
		return nil
	}
}

// checkNoRoles checks that an account of the emulator has no role at all.
func (a *awsTest) checkNoRoles(account string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if roles := a.emu.Emulator.Roles(account); len(roles) != 0 {
			var names []string
			for _, r := range roles {
				names = append(names, r.Name)
			}
			return fmt.Errorf("account %s of the emulator still has roles %v", account, names)
		}
		return nil
	}
}

// policyActions returns the actions of every statement of a policy, sorted.
func policyActions(doc string) ([]string, error) {
	var p struct {
		Statement []struct {
			Effect string
			Action any
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, fmt.Errorf("policy is not JSON: %w", err)
	}
	var out []string
	for _, st := range p.Statement {
		if st.Effect != "Allow" {
			return nil, fmt.Errorf("a statement has effect %q", st.Effect)
		}
		switch v := st.Action.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, x := range v {
				s, _ := x.(string)
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// sameActions checks that a policy grants exactly the given actions.
func sameActions(doc string, want []string) error {
	got, err := policyActions(doc)
	if err != nil {
		return err
	}
	w := append([]string(nil), want...)
	sort.Strings(w)
	if strings.Join(got, ",") != strings.Join(w, ",") {
		return fmt.Errorf("the policy grants\n  %v\nwant exactly\n  %v", got, w)
	}
	return nil
}

// actionsOf is the union of section6a's lists (and any extra actions).
func actionsOf(sources []string, extra ...string) []string {
	var out []string
	for _, s := range sources {
		out = append(out, section6a[s]...)
	}
	return append(out, extra...)
}

// --- checks of the control plane

// checkAccount checks the platform's record of a customer's AWS account.
func (a *awsTest) checkAccount(customer, account string, state client.RoleStatus, arn string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		rec, err := a.ops.AWSAccounts.Get(ctx, customer, account)
		if err != nil {
			return fmt.Errorf("AWS account %s of %s on the server: %w", account, customer, err)
		}
		if rec.State != state || rec.RoleARN != arn {
			return fmt.Errorf("AWS account %s of %s on the server: state %q, role %q; want %q, %q", account, customer, rec.State, rec.RoleARN, state, arn)
		}
		return nil
	}
}

// checkAccountGone checks that the platform has no record of the account.
func (a *awsTest) checkAccountGone(customer, account string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		rec, err := a.ops.AWSAccounts.Get(ctx, customer, account)
		switch {
		case err == nil:
			return fmt.Errorf("AWS account %s of %s is still on the server (state %s)", account, customer, rec.State)
		case !errors.Is(err, client.ErrNotFound):
			return fmt.Errorf("AWS account %s of %s on the server: want not found: %w", account, customer, err)
		}
		return nil
	}
}

// externalID is a customer's external id on the server.
func (a *awsTest) externalID(t *testing.T, customer string) string {
	t.Helper()
	c, err := a.ops.Customers.Get(ctx, customer)
	if err != nil {
		t.Fatal(err)
	}
	return c.ExternalID
}

// --- AssumeRole, as the diagnostic account does it

// collectorSession creates Diag3's collector role in the emulator (its principal) and returns an
// STS client with a session of it: what the platform's diagnostic account runs as.
func (a *awsTest) collectorSession(t *testing.T) *sts.Client {
	t.Helper()
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, diag3Account)
	if _, err := a.iam(diag3Account).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("virtco-collector"), AssumeRolePolicyDocument: aws.String(trust),
	}); err != nil {
		t.Fatal(err)
	}
	out, err := a.sts(diag3Account).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(diag3Principal), RoleSessionName: aws.String("collector"),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	return sts.NewFromConfig(awsemutest.SessionConfig(a.emu.URL, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
}

// checkAssumeRole checks who may assume the role: the collector with the customer's external id,
// and nobody else (a wrong or missing external id, a plain user of the diag account, another
// account).
func (a *awsTest) checkAssumeRole(collector *sts.Client, arn string, externalID *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		assume := func(c *sts.Client, ext *string) error {
			_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("diag"), ExternalId: ext})
			return err
		}
		denied := func(what string, err error) error {
			var ae smithy.APIError
			if err == nil {
				return fmt.Errorf("AssumeRole %s succeeded; it must be denied", what)
			}
			if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
				return fmt.Errorf("AssumeRole %s: want AccessDenied, got %w", what, err)
			}
			return nil
		}
		if err := assume(collector, externalID); err != nil {
			return fmt.Errorf("AssumeRole by the diag account's collector with the external id: %w", err)
		}
		return errors.Join(
			denied("with a wrong external id", assume(collector, aws.String("not-"+*externalID))),
			denied("without an external id", assume(collector, nil)),
			denied("by a plain user of the diag account", assume(a.sts(diag3Account), externalID)),
			denied("from another account", assume(a.sts("999999999999"), externalID)),
		)
	}
}

// --- plan checks

// expectDrift checks that the plan's refresh found the resource changed outside Terraform, and
// lets check look at the refreshed values.
type expectDrift struct {
	addr  string
	check func(before, after map[string]any) error
}

func (e expectDrift) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceDrift {
		if rc.Address != e.addr {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		resp.Error = e.check(before, after)
		return
	}
	resp.Error = fmt.Errorf("the plan shows no change of %s outside Terraform", e.addr)
}

// expectPlannedActions checks the planned policy_json: exactly these actions.
type expectPlannedActions struct {
	addr    string
	actions []string
}

func (e expectPlannedActions) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != e.addr {
			continue
		}
		after, _ := rc.Change.After.(map[string]any)
		doc, ok := after["policy_json"].(string)
		if !ok {
			resp.Error = fmt.Errorf("%s: policy_json is not known in the plan", e.addr)
			return
		}
		resp.Error = sameActions(doc, e.actions)
		return
	}
	resp.Error = fmt.Errorf("no planned change of %s", e.addr)
}

// --- a control plane that fails on demand

// flakyProxy forwards to the server, and answers 500 to every PUT of an AWS account that
// registers a role done while failDone is set: the control plane failing right after CreateRole.
type flakyProxy struct {
	URL      string
	failDone atomic.Bool
	failed   atomic.Int64
}

func newFlakyProxy(t *testing.T, target string) *flakyProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.failDone.Load() && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/aws-accounts/") {
			raw, _ := io.ReadAll(r.Body)
			var body struct {
				State string `json:"state"`
			}
			_ = json.Unmarshal(raw, &body)
			if body.State == string(client.RoleDone) {
				p.failed.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"error":{"code":"internal","message":"the database is on fire (injected by the test)"}}`))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// --- environment

// isolateAWSEnvironment keeps the developer's AWS settings out of the tests: no AWS_* variable,
// no shared config or credentials file, no instance metadata. Tests that need a variable set
// their own.
func isolateAWSEnvironment() {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			_ = os.Unsetenv(k)
		}
	}
	none := "/nonexistent/virtco-tests/aws"
	_ = os.Setenv("AWS_CONFIG_FILE", none+"/config")
	_ = os.Setenv("AWS_SHARED_CREDENTIALS_FILE", none+"/credentials")
	_ = os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}
