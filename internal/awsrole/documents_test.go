// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The expected actions are typed out from ARCHITECTURE.md, "What each data
// source may read", not taken from the code under test, so that a change of
// the table in the code alone fails here.
var designActions = map[string][]string{
	"cloudwatch": {
		"cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics",
		"cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmsForMetric", "cloudwatch:DescribeAlarmHistory",
		"cloudwatch:DescribeAnomalyDetectors", "cloudwatch:ListDashboards", "cloudwatch:GetDashboard",
		"cloudwatch:ListTagsForResource",
	},
	"cloudtrail": {
		"cloudtrail:LookupEvents", "cloudtrail:DescribeTrails", "cloudtrail:GetTrail", "cloudtrail:GetTrailStatus",
		"cloudtrail:ListTrails", "cloudtrail:GetEventSelectors", "cloudtrail:GetInsightSelectors", "cloudtrail:ListTags",
	},
	"logs": {
		"logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:DescribeMetricFilters", "logs:GetLogEvents",
		"logs:FilterLogEvents", "logs:StartQuery", "logs:StopQuery", "logs:GetQueryResults",
	},
	"cost_explorer": {
		"ce:GetCostAndUsage", "ce:GetCostAndUsageWithResources", "ce:GetCostForecast", "ce:GetUsageForecast",
		"ce:GetDimensionValues", "ce:GetTags", "ce:GetReservationUtilization", "ce:GetSavingsPlansUtilization",
		"ce:GetRightsizingRecommendation",
	},
	"cur": {
		"cur:DescribeReportDefinitions", "bcm-data-exports:GetExport", "bcm-data-exports:ListExports",
		"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation",
	},
	"inventory": {
		"ec2:Describe*", "elasticloadbalancing:Describe*", "autoscaling:Describe*", "rds:Describe*",
		"tag:GetResources", "tag:GetTagKeys", "tag:GetTagValues",
	},
}

// stmt is a statement as a test reads it back from JSON.
type stmt struct {
	Sid       string
	Effect    string
	Principal any
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

func parseDoc(t *testing.T, doc string) (version string, stmts []stmt) {
	t.Helper()
	var d struct {
		Version   string
		Statement []stmt
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("policy does not parse: %v\n%s", err, doc)
	}
	return d.Version, d.Statement
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = e.(string)
		}
		return out
	}
	return nil
}

func sorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// allActions returns every action of a policy and checks that every
// statement is a plain Allow.
func allActions(t *testing.T, doc string) []string {
	t.Helper()
	v, stmts := parseDoc(t, doc)
	if v != "2012-10-17" {
		t.Errorf("Version = %q", v)
	}
	var out []string
	for _, s := range stmts {
		if s.Effect != "Allow" || s.Principal != nil || s.Condition != nil {
			t.Errorf("statement %s: unexpected effect/principal/condition: %+v", s.Sid, s)
		}
		out = append(out, strs(s.Action)...)
	}
	return out
}

func TestDefaultPermissionsHoldExactlyDesignActions(t *testing.T) {
	if got, want := DefaultDataSources(), []string{"cloudwatch", "cloudtrail"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("DefaultDataSources() = %v, want %v", got, want)
	}
	doc, err := PermissionsPolicy(DefaultDataSources(), PermissionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]string{}, designActions["cloudwatch"]...), designActions["cloudtrail"]...)
	if got := allActions(t, doc); !reflect.DeepEqual(sorted(got), sorted(want)) {
		t.Errorf("default actions:\n got %v\nwant %v", sorted(got), sorted(want))
	}
	_, stmts := parseDoc(t, doc)
	if len(stmts) != 2 || stmts[0].Sid != "VirtcoCloudWatchRead" || stmts[1].Sid != "VirtcoCloudTrailRead" {
		t.Errorf("statements: %+v", stmts)
	}
	for _, s := range stmts {
		if s.Resource != "*" {
			t.Errorf("%s: Resource = %v", s.Sid, s.Resource)
		}
		for _, a := range strs(s.Action) {
			if strings.ContainsAny(a, "*?") {
				t.Errorf("%s: wildcard action %q in a default source", s.Sid, a)
			}
		}
	}
}

func TestEachSourceHoldsExactlyDesignActions(t *testing.T) {
	if got, want := DataSources(), []string{"cloudwatch", "cloudtrail", "logs", "cost_explorer", "cur", "inventory"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("DataSources() = %v, want %v", got, want)
	}
	for _, src := range DataSources() {
		opts := PermissionOptions{}
		if src == "cur" {
			opts.CURBucket = "acme-cur-reports"
		}
		doc, err := PermissionsPolicy([]string{src}, opts)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got, want := allActions(t, doc), designActions[src]; !reflect.DeepEqual(sorted(got), sorted(want)) {
			t.Errorf("%s: actions\n got %v\nwant %v", src, sorted(got), sorted(want))
		}
		acts, err := Actions(src)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sorted(acts), sorted(designActions[src])) {
			t.Errorf("Actions(%s) = %v", src, acts)
		}
		for _, a := range acts {
			if a == "logs:Unmask" || strings.HasPrefix(a, "cloudwatch:Get*") || a == "cloudtrail:StartQuery" || a == "cloudtrail:GenerateQuery" {
				t.Errorf("%s grants %s", src, a)
			}
		}
	}
	if _, err := Actions("s3"); err == nil {
		t.Error("Actions(s3): no error")
	}
}

func TestCURStatementsAreConfinedToTheBucket(t *testing.T) {
	doc, err := PermissionsPolicy([]string{"cur"}, PermissionOptions{CURBucket: "acme-cur"})
	if err != nil {
		t.Fatal(err)
	}
	_, stmts := parseDoc(t, doc)
	res := map[string][]string{}
	for _, s := range stmts {
		for _, a := range strs(s.Action) {
			res[a] = strs(s.Resource)
		}
	}
	want := map[string][]string{
		"cur:DescribeReportDefinitions": {"*"},
		"bcm-data-exports:GetExport":    {"*"},
		"bcm-data-exports:ListExports":  {"*"},
		"s3:GetObject":                  {"arn:aws:s3:::acme-cur/*"},
		"s3:ListBucket":                 {"arn:aws:s3:::acme-cur"},
		"s3:GetBucketLocation":          {"arn:aws:s3:::acme-cur"},
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("resources per action:\n got %v\nwant %v", res, want)
	}
}

func TestPermissionsPolicyRefuses(t *testing.T) {
	cases := []struct {
		name    string
		sources []string
		opts    PermissionOptions
		want    []string // substrings of the error
	}{
		{"empty", nil, PermissionOptions{}, []string{"at least one", `"cloudwatch"`}},
		{"unknown", []string{"cloudwatch", "s3"}, PermissionOptions{}, []string{`unknown data source "s3"`, `"cloudwatch", "cloudtrail", "logs", "cost_explorer", "cur", "inventory"`}},
		{"case matters", []string{"CloudWatch"}, PermissionOptions{}, []string{`unknown data source "CloudWatch"`}},
		{"duplicate", []string{"cloudwatch", "cloudtrail", "cloudwatch"}, PermissionOptions{}, []string{`"cloudwatch" is listed more than once`}},
		{"cur without bucket", []string{"cur"}, PermissionOptions{}, []string{"cur_bucket"}},
		{"bucket without cur", []string{"cloudwatch"}, PermissionOptions{CURBucket: "acme-cur"}, []string{"not selected"}},
		{"bucket ARN", []string{"cur"}, PermissionOptions{CURBucket: "arn:aws:s3:::acme"}, []string{"not its ARN"}},
		{"bucket upper case", []string{"cur"}, PermissionOptions{CURBucket: "Acme-Cur"}, []string{"lower-case"}},
		{"bucket wildcard", []string{"cur"}, PermissionOptions{CURBucket: "acme-*"}, []string{"invalid S3 bucket name"}},
		{"bucket too short", []string{"cur"}, PermissionOptions{CURBucket: "ab"}, []string{"3 to 63"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := PermissionsPolicy(c.sources, c.opts)
			if err == nil {
				t.Fatalf("no error; policy:\n%s", doc)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateS3BucketName(t *testing.T) {
	good := []string{"abc", "acme-cur-reports", "acme.cur.reports", "a1b", strings.Repeat("a", 63), "my-bucket-2024"}
	bad := []string{"", "ab", strings.Repeat("a", 64), "-acme", "acme-", ".acme", "acme.", "ac..me", "192.168.5.4",
		"xn--acme", "sthree-acme", "amzn-s3-demo-bucket", "acme-s3alias", "acme--ol-s3", "acme.mrap", "acme--x-s3",
		"acme--table-s3", "ac_me", "ac me", "ACME", "arn:aws:s3:::acme", "acme/*"}
	for _, n := range good {
		if err := ValidateS3BucketName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range bad {
		if err := ValidateS3BucketName(n); err == nil {
			t.Errorf("%q: accepted", n)
		}
	}
}

func TestPermissionsPolicyIsDeterministic(t *testing.T) {
	a, err := PermissionsPolicy([]string{"inventory", "cloudtrail", "cur", "cloudwatch"}, PermissionOptions{CURBucket: "b-u-c"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := PermissionsPolicy([]string{"cloudwatch", "cur", "cloudtrail", "inventory"}, PermissionOptions{CURBucket: "b-u-c"})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("order of sources changes the policy:\n%s\n%s", a, b)
	}
	_, stmts := parseDoc(t, a)
	var sids []string
	for _, s := range stmts {
		sids = append(sids, s.Sid)
	}
	want := []string{"VirtcoCloudWatchRead", "VirtcoCloudTrailRead", "VirtcoCURRead", "VirtcoCURBucketObjectsRead", "VirtcoCURBucketRead", "VirtcoInventoryRead"}
	if !reflect.DeepEqual(sids, want) {
		t.Errorf("sids = %v, want %v", sids, want)
	}
	for i := 0; i < 20; i++ {
		c, _ := PermissionsPolicy([]string{"inventory", "cloudtrail", "cur", "cloudwatch"}, PermissionOptions{CURBucket: "b-u-c"})
		if c != a {
			t.Fatal("output differs between calls")
		}
	}
	// All six sources stay well within IAM's 10240-character inline quota.
	all, err := PermissionsPolicy(DataSources(), PermissionOptions{CURBucket: "acme-cur"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Join(strings.Fields(all), "")); n > 10240 {
		t.Errorf("policy of all sources has %d characters", n)
	}
}

func TestSourcesFromPolicy(t *testing.T) {
	for _, c := range []struct {
		sources []string
		bucket  string
	}{
		{[]string{"cloudwatch", "cloudtrail"}, ""},
		{[]string{"cloudtrail"}, ""},
		{[]string{"cloudwatch", "logs", "cur", "inventory"}, "acme-cur"},
	} {
		doc, err := PermissionsPolicy(c.sources, PermissionOptions{CURBucket: c.bucket})
		if err != nil {
			t.Fatal(err)
		}
		got, opts, err := SourcesFromPolicy(doc)
		if err != nil || !reflect.DeepEqual(got, c.sources) || opts.CURBucket != c.bucket {
			t.Errorf("SourcesFromPolicy(%v) = %v, %+v, %v", c.sources, got, opts, err)
		}
	}
	edited := strings.Replace(mustPolicy(t, DefaultDataSources()), `"cloudtrail:ListTags"`, `"cloudtrail:ListTags", "iam:PassRole"`, 1)
	if _, _, err := SourcesFromPolicy(edited); err == nil {
		t.Error("an edited policy was accepted")
	}
	if _, _, err := SourcesFromPolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`); err == nil {
		t.Error("a foreign policy was accepted")
	}
}

func mustPolicy(t *testing.T, sources []string) string {
	t.Helper()
	doc, err := PermissionsPolicy(sources, PermissionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestTrustPolicy(t *testing.T) {
	const ext = "5f0c3a8e-2b1d-4c7e-9a6f-1e2d3c4b5a69"
	for _, c := range []struct{ principal, want string }{
		{"arn:aws:iam::111122223333:role/virtco-collector", "arn:aws:iam::111122223333:role/virtco-collector"},
		{"arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root"},
		{"111122223333", "arn:aws:iam::111122223333:root"},
	} {
		doc, err := TrustPolicy(c.principal, ext)
		if err != nil {
			t.Fatalf("%s: %v", c.principal, err)
		}
		v, stmts := parseDoc(t, doc)
		if v != "2012-10-17" || len(stmts) != 1 {
			t.Fatalf("%s", doc)
		}
		s := stmts[0]
		want := stmt{
			Sid: "VirtcoDiagnosticsAssumeRole", Effect: "Allow",
			Principal: map[string]any{"AWS": c.want}, Action: "sts:AssumeRole",
			Condition: map[string]map[string]any{"StringEquals": {"sts:ExternalId": ext}},
		}
		if !reflect.DeepEqual(s, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.principal, s, want)
		}
		if err := CheckTrustPolicy(doc); err != nil {
			t.Errorf("CheckTrustPolicy: %v", err)
		}
		p, e, err := TrustPolicyParams(doc)
		if err != nil || p != c.want || e != ext {
			t.Errorf("TrustPolicyParams = %q, %q, %v", p, e, err)
		}
		again, _ := TrustPolicy(c.principal, ext)
		if again != doc {
			t.Error("TrustPolicy is not deterministic")
		}
	}
}

func TestTrustPolicyRefuses(t *testing.T) {
	const ext = "5f0c3a8e-2b1d-4c7e-9a6f-1e2d3c4b5a69"
	cases := []struct {
		name, principal, ext, want string
	}{
		{"empty principal", "", ext, "empty"},
		{"star", "*", ext, "wildcard"},
		{"arn wildcard", "arn:aws:iam::*:root", ext, "wildcard"},
		{"role wildcard", "arn:aws:iam::111122223333:role/*", ext, "wildcard"},
		{"question mark", "arn:aws:iam::11112222333?:root", ext, "wildcard"},
		{"not an arn", "virtco", ext, "not an account id"},
		{"short account", "11112222333", ext, "not an account id"},
		{"service", "arn:aws:iam::111122223333:policy/x", ext, "not an account id"},
		{"assumed role", "arn:aws:sts::111122223333:assumed-role/r/s", ext, "not an account id"},
		{"empty external id", "111122223333", "", "external id is empty"},
		{"short external id", "111122223333", "x", "2 to 1224"},
		{"bad external id", "111122223333", "a b", "may only contain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := TrustPolicy(c.principal, c.ext)
			if err == nil {
				t.Fatalf("no error:\n%s", doc)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestCheckTrustPolicy(t *testing.T) {
	bad := map[string]string{
		"wildcard principal":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}`,
		"wildcard AWS":        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","*"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}`,
		"no external id":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`,
		"StringLike ext id":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:ExternalId":"*"}}}]}`,
		"service principal":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}`,
		"NotPrincipal":        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}`,
		"other action":        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}`,
		"second open stmt":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}},{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole"}]}`,
		"no statement":        `{"Version":"2012-10-17","Statement":[]}`,
		"not json":            `{"Version":`,
		"empty ext id in doc": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":""}}}]}`,
	}
	for name, doc := range bad {
		if err := CheckTrustPolicy(doc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A Deny statement on top is fine; so is IAM's rewritten form.
	ok := `{"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}},"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"}},{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:SecureTransport":"false"}}}],"Version":"2012-10-17"}`
	if err := CheckTrustPolicy(ok); err != nil {
		t.Errorf("valid policy refused: %v", err)
	}
}

func TestCloudFormationTemplate(t *testing.T) {
	trust, err := TrustPolicy("arn:aws:iam::111122223333:role/virtco-collector", "ext-12345")
	if err != nil {
		t.Fatal(err)
	}
	perms, err := PermissionsPolicy([]string{"cloudwatch", "cloudtrail", "cur"}, PermissionOptions{CURBucket: "acme-cur"})
	if err != nil {
		t.Fatal(err)
	}
	spec := RoleSpec{
		Name: "virtco-diagnostics-readonly", Path: "/virtco/", Description: "VIRT-CO diagnostics",
		MaxSessionDuration: 7200, PermissionsBoundary: "arn:aws:iam::aws:policy/ReadOnlyAccess",
		Tags:        map[string]string{"owner": "ops", "Customer": "acme.com"},
		TrustPolicy: trust, PermissionsPolicy: perms,
	}
	tpl, err := CloudFormationTemplate(spec)
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		AWSTemplateFormatVersion string
		Description              string
		Resources                map[string]struct {
			Type       string
			Properties struct {
				RoleName                 string
				Path                     string
				Description              string
				MaxSessionDuration       int
				PermissionsBoundary      string
				AssumeRolePolicyDocument json.RawMessage
				Policies                 []struct {
					PolicyName     string
					PolicyDocument json.RawMessage
				}
				Tags []struct{ Key, Value string }
			}
		}
		Outputs map[string]struct {
			Description string
			Value       map[string][]string
		}
	}
	dec := json.NewDecoder(strings.NewReader(tpl))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&parsed); err != nil {
		t.Fatalf("template does not parse: %v\n%s", err, tpl)
	}
	if parsed.AWSTemplateFormatVersion != "2010-09-09" || len(parsed.Resources) != 1 {
		t.Fatalf("template: %s", tpl)
	}
	r, ok := parsed.Resources["VirtcoDiagnosticsRole"]
	if !ok || r.Type != "AWS::IAM::Role" {
		t.Fatalf("no AWS::IAM::Role: %s", tpl)
	}
	p := r.Properties
	if p.RoleName != spec.Name || p.Path != "/virtco/" || p.Description != spec.Description || p.MaxSessionDuration != 7200 || p.PermissionsBoundary != spec.PermissionsBoundary {
		t.Errorf("properties: %+v", p)
	}
	if eq, err := PoliciesEqual(string(p.AssumeRolePolicyDocument), trust); err != nil || !eq {
		t.Errorf("trust policy differs (%v):\n%s", err, p.AssumeRolePolicyDocument)
	}
	if len(p.Policies) != 1 || p.Policies[0].PolicyName != DefaultInlinePolicyName {
		t.Fatalf("policies: %+v", p.Policies)
	}
	if eq, err := PoliciesEqual(string(p.Policies[0].PolicyDocument), perms); err != nil || !eq {
		t.Errorf("permissions policy differs (%v)", err)
	}
	if got := allActions(t, string(p.Policies[0].PolicyDocument)); !reflect.DeepEqual(sorted(got), sorted(append(append(append([]string{}, designActions["cloudwatch"]...), designActions["cloudtrail"]...), designActions["cur"]...))) {
		t.Errorf("actions: %v", got)
	}
	wantTags := []struct{ Key, Value string }{{"Customer", "acme.com"}, {"owner", "ops"}}
	if !reflect.DeepEqual(p.Tags, wantTags) {
		t.Errorf("tags = %v", p.Tags)
	}
	if got := parsed.Outputs["RoleArn"].Value["Fn::GetAtt"]; !reflect.DeepEqual(got, []string{"VirtcoDiagnosticsRole", "Arn"}) {
		t.Errorf("output = %v", parsed.Outputs)
	}
	again, _ := CloudFormationTemplate(spec)
	if again != tpl {
		t.Error("template is not deterministic")
	}

	// Minimal spec: defaults filled in, optional properties left out.
	tpl, err = CloudFormationTemplate(RoleSpec{TrustPolicy: trust, PermissionsPolicy: perms})
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"PermissionsBoundary", `"Tags"`, `"Description": ""`} {
		if strings.Contains(tpl, absent) {
			t.Errorf("minimal template contains %s", absent)
		}
	}
	for _, present := range []string{`"RoleName": "virtco-diagnostics-readonly"`, `"Path": "/"`, `"MaxSessionDuration": 3600`} {
		if !strings.Contains(tpl, present) {
			t.Errorf("minimal template lacks %s", present)
		}
	}

	// The template refuses what Create refuses.
	if _, err := CloudFormationTemplate(RoleSpec{Name: "x", TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, PermissionsPolicy: perms}); err == nil {
		t.Error("wildcard trust accepted")
	}
}

func TestRoleSpecValidate(t *testing.T) {
	trust, _ := TrustPolicy("111122223333", "ext-12345")
	perms, _ := PermissionsPolicy(DefaultDataSources(), PermissionOptions{})
	good := RoleSpec{Name: "virtco-diagnostics-readonly", TrustPolicy: trust, PermissionsPolicy: perms}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*RoleSpec){
		"name empty":     func(s *RoleSpec) { s.Name = "" },
		"name bad":       func(s *RoleSpec) { s.Name = "a/b" },
		"name long":      func(s *RoleSpec) { s.Name = strings.Repeat("a", 65) },
		"path":           func(s *RoleSpec) { s.Path = "virtco" },
		"path no slash":  func(s *RoleSpec) { s.Path = "/virtco" },
		"session short":  func(s *RoleSpec) { s.MaxSessionDuration = 900 },
		"session long":   func(s *RoleSpec) { s.MaxSessionDuration = 43201 },
		"boundary":       func(s *RoleSpec) { s.PermissionsBoundary = "ReadOnlyAccess" },
		"tags too many":  func(s *RoleSpec) { s.Tags = manyTags(51) },
		"tag aws:":       func(s *RoleSpec) { s.Tags = map[string]string{"aws:x": "y"} },
		"tag case dup":   func(s *RoleSpec) { s.Tags = map[string]string{"Env": "a", "env": "b"} },
		"tag bad char":   func(s *RoleSpec) { s.Tags = map[string]string{"a*": "b"} },
		"trust empty":    func(s *RoleSpec) { s.TrustPolicy = "" },
		"perms empty":    func(s *RoleSpec) { s.PermissionsPolicy = " " },
		"perms not json": func(s *RoleSpec) { s.PermissionsPolicy = "{" },
		"policy name":    func(s *RoleSpec) { s.InlinePolicyName = "a b" },
		"description":    func(s *RoleSpec) { s.Description = strings.Repeat("d", 1001) },
		"trust no ext id": func(s *RoleSpec) {
			s.TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`
		},
		"perms no statement": func(s *RoleSpec) {
			s.PermissionsPolicy = `{"Version":"2012-10-17","Statement":[]}`
		},
	} {
		s := good
		mod(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	s := good
	s.Tags = manyTags(50)
	s.MaxSessionDuration = 43200
	s.Path = "/a/b/"
	s.PermissionsBoundary = "arn:aws:iam::123456789012:policy/boundaries/virtco"
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
}

func manyTags(n int) map[string]string {
	m := map[string]string{}
	for i := 0; i < n; i++ {
		m["k"+strings.Repeat("x", i)] = "v"
	}
	return m
}
