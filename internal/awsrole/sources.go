// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"fmt"
	"net"
	"strings"
)

// Data source names, the values of the resource's data_sources argument.
const (
	SourceCloudWatch   = "cloudwatch"
	SourceCloudTrail   = "cloudtrail"
	SourceLogs         = "logs"
	SourceCostExplorer = "cost_explorer"
	SourceCUR          = "cur"
	SourceInventory    = "inventory"
)

// PolicyVersion is the policy language version of every document built here.
const PolicyVersion = "2012-10-17"

// dataSource is one entry of the table of what each data source may read
// (ARCHITECTURE.md, "What each data source may read"): the statement a source
// adds to the permissions policy.
type dataSource struct {
	name    string
	sid     string
	actions []string // Resource "*"
}

// dataSources is that table (ARCHITECTURE.md, "What each data source may
// read"), in its order. Every action is one AWS classes as Read or List; the
// default sources spell their actions out (cloudwatch:Get* would also grant
// GetSpaceCredentials, and CloudTrail Lake's StartQuery and GenerateQuery are
// Write). The inventory source keeps the Describe* wildcards the table lists:
// every Describe action of those services is a read.
var dataSources = []dataSource{
	{SourceCloudWatch, "VirtcoCloudWatchRead", []string{
		"cloudwatch:GetMetricData",
		"cloudwatch:GetMetricStatistics",
		"cloudwatch:ListMetrics",
		"cloudwatch:DescribeAlarms",
		"cloudwatch:DescribeAlarmsForMetric",
		"cloudwatch:DescribeAlarmHistory",
		"cloudwatch:DescribeAnomalyDetectors",
		"cloudwatch:ListDashboards",
		"cloudwatch:GetDashboard",
		"cloudwatch:ListTagsForResource",
	}},
	{SourceCloudTrail, "VirtcoCloudTrailRead", []string{
		"cloudtrail:LookupEvents",
		"cloudtrail:DescribeTrails",
		"cloudtrail:GetTrail",
		"cloudtrail:GetTrailStatus",
		"cloudtrail:ListTrails",
		"cloudtrail:GetEventSelectors",
		"cloudtrail:GetInsightSelectors",
		"cloudtrail:ListTags",
	}},
	{SourceLogs, "VirtcoLogsRead", []string{
		"logs:DescribeLogGroups",
		"logs:DescribeLogStreams",
		"logs:DescribeMetricFilters",
		"logs:GetLogEvents",
		"logs:FilterLogEvents",
		"logs:StartQuery",
		"logs:StopQuery",
		"logs:GetQueryResults",
	}},
	{SourceCostExplorer, "VirtcoCostExplorerRead", []string{
		"ce:GetCostAndUsage",
		"ce:GetCostAndUsageWithResources",
		"ce:GetCostForecast",
		"ce:GetUsageForecast",
		"ce:GetDimensionValues",
		"ce:GetTags",
		"ce:GetReservationUtilization",
		"ce:GetSavingsPlansUtilization",
		"ce:GetRightsizingRecommendation",
	}},
	{SourceCUR, "VirtcoCURRead", []string{
		"cur:DescribeReportDefinitions",
		"bcm-data-exports:GetExport",
		"bcm-data-exports:ListExports",
	}},
	{SourceInventory, "VirtcoInventoryRead", []string{
		"ec2:Describe*",
		"elasticloadbalancing:Describe*",
		"autoscaling:Describe*",
		"rds:Describe*",
		"tag:GetResources",
		"tag:GetTagKeys",
		"tag:GetTagValues",
	}},
}

// The cur source's statements on the report bucket (and nothing else).
const (
	curObjectsSid = "VirtcoCURBucketObjectsRead"
	curBucketSid  = "VirtcoCURBucketRead"
)

var (
	curObjectActions = []string{"s3:GetObject"}
	curBucketActions = []string{"s3:ListBucket", "s3:GetBucketLocation"}
)

// DataSources returns the names of all data sources, in the order of the
// table in ARCHITECTURE.md, "What each data source may read" (which is also
// the order of their statements).
func DataSources() []string {
	out := make([]string, len(dataSources))
	for i, ds := range dataSources {
		out[i] = ds.name
	}
	return out
}

// DefaultDataSources returns the sources used when none are given:
// cloudwatch and cloudtrail, the two the diagnostic reads. It is a function
// (not a variable) so that no caller can change the default for everyone.
func DefaultDataSources() []string {
	return []string{SourceCloudWatch, SourceCloudTrail}
}

// Actions returns every IAM action a data source grants, in policy order;
// for cur that includes the S3 actions on the report bucket.
func Actions(source string) ([]string, error) {
	ds, ok := lookupSource(source)
	if !ok {
		return nil, unknownSourceError(source)
	}
	out := append([]string(nil), ds.actions...)
	if source == SourceCUR {
		out = append(out, curObjectActions...)
		out = append(out, curBucketActions...)
	}
	return out, nil
}

func lookupSource(name string) (dataSource, bool) {
	for _, ds := range dataSources {
		if ds.name == name {
			return ds, true
		}
	}
	return dataSource{}, false
}

func unknownSourceError(name string) error {
	return fmt.Errorf("unknown data source %q: known data sources are %s", name, strings.Join(quoteAll(DataSources()), ", "))
}

func quoteAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// PermissionOptions are the settings some data sources need.
type PermissionOptions struct {
	// CURBucket is the S3 bucket holding the Cost and Usage Report (a bucket
	// name, not an ARN). Required by, and only allowed with, the cur source.
	CURBucket string
}

// ValidateDataSources checks a list of data source names: at least one,
// each known, none twice. The error names the known sources.
func ValidateDataSources(sources []string) error {
	if len(sources) == 0 {
		return fmt.Errorf("at least one data source is required: known data sources are %s", strings.Join(quoteAll(DataSources()), ", "))
	}
	seen := map[string]bool{}
	for _, s := range sources {
		if _, ok := lookupSource(s); !ok {
			return unknownSourceError(s)
		}
		if seen[s] {
			return fmt.Errorf("data source %q is listed more than once", s)
		}
		seen[s] = true
	}
	return nil
}

// PermissionsPolicy returns the role's inline permissions policy for the
// given data sources: one Allow statement per source (Sid
// "Virtco<Source>Read") on Resource "*", except that cur adds two more
// statements confined to the report bucket: s3:GetObject on
// arn:aws:s3:::<bucket>/* and s3:ListBucket, s3:GetBucketLocation on
// arn:aws:s3:::<bucket>.
//
// The output is deterministic: statements follow the order of DataSources()
// whatever the order of sources, so a set of sources always yields the same
// document. Unknown or repeated sources, an empty list, cur without
// opts.CURBucket, an invalid bucket name and a CURBucket without cur are
// errors.
func PermissionsPolicy(sources []string, opts PermissionOptions) (string, error) {
	if err := ValidateDataSources(sources); err != nil {
		return "", err
	}
	selected := map[string]bool{}
	for _, s := range sources {
		selected[s] = true
	}
	if selected[SourceCUR] {
		if opts.CURBucket == "" {
			return "", fmt.Errorf("the %q data source needs the name of the S3 bucket holding the Cost and Usage Report (cur_bucket)", SourceCUR)
		}
		if err := ValidateS3BucketName(opts.CURBucket); err != nil {
			return "", err
		}
	} else if opts.CURBucket != "" {
		return "", fmt.Errorf("a CUR bucket (cur_bucket) is set but the %q data source is not selected", SourceCUR)
	}

	doc := policyDocument{Version: PolicyVersion}
	for _, ds := range dataSources {
		if !selected[ds.name] {
			continue
		}
		doc.Statement = append(doc.Statement, policyStatement{
			Sid: ds.sid, Effect: "Allow", Action: ds.actions, Resource: "*",
		})
		if ds.name == SourceCUR {
			bucketARN := "arn:aws:s3:::" + opts.CURBucket
			doc.Statement = append(doc.Statement,
				policyStatement{Sid: curObjectsSid, Effect: "Allow", Action: curObjectActions, Resource: bucketARN + "/*"},
				policyStatement{Sid: curBucketSid, Effect: "Allow", Action: curBucketActions, Resource: bucketARN},
			)
		}
	}
	return marshalPolicy(doc)
}

// SourcesFromPolicy works out which data sources (and CUR bucket) a
// permissions policy was built from, for import: it reads the statement ids
// this package writes and then checks that PermissionsPolicy of the result is
// semantically the given document. A policy edited by hand, or not made by
// this package, is an error.
func SourcesFromPolicy(doc string) ([]string, PermissionOptions, error) {
	p, err := parsePolicy(doc)
	if err != nil {
		return nil, PermissionOptions{}, err
	}
	var opts PermissionOptions
	found := map[string]bool{}
	for _, st := range p.Statements {
		if st.Sid == curObjectsSid && len(st.Resource) == 1 {
			opts.CURBucket = strings.TrimSuffix(strings.TrimPrefix(st.Resource[0], "arn:aws:s3:::"), "/*")
			continue
		}
		for _, ds := range dataSources {
			if st.Sid == ds.sid {
				found[ds.name] = true
			}
		}
	}
	var sources []string
	for _, ds := range dataSources {
		if found[ds.name] {
			sources = append(sources, ds.name)
		}
	}
	want, err := PermissionsPolicy(sources, opts)
	if err != nil {
		return nil, PermissionOptions{}, fmt.Errorf("the policy is not one this provider builds: %w", err)
	}
	eq, err := PoliciesEqual(want, doc)
	if err != nil {
		return nil, PermissionOptions{}, err
	}
	if !eq {
		return nil, PermissionOptions{}, fmt.Errorf("the policy is not one this provider builds for data sources %s (it was changed or written by hand)", strings.Join(quoteAll(sources), ", "))
	}
	return sources, opts, nil
}

var (
	bucketNameRE = compileLater(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// Prefixes and suffixes S3 reserves for other kinds of bucket.
	bucketReservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	bucketReservedSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// ValidateS3BucketName checks a general purpose bucket name against S3's
// naming rules: 3-63 characters of lower-case letters, digits, dots and
// hyphens, beginning and ending with a letter or digit, no two adjacent
// dots, not shaped like an IP address, and none of the prefixes and suffixes
// S3 reserves. The error says which rule is broken.
func ValidateS3BucketName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("invalid S3 bucket name %q: %s", name, why)
	}
	switch {
	case len(name) < 3 || len(name) > 63:
		return bad("must be 3 to 63 characters long")
	case strings.HasPrefix(name, "arn:"):
		return bad("give the bucket name, not its ARN")
	case !bucketNameRE().MatchString(name):
		return bad("only lower-case letters, digits, dots and hyphens are allowed, and it must begin and end with a letter or digit")
	case strings.Contains(name, ".."):
		return bad("must not contain two adjacent dots")
	case net.ParseIP(name) != nil:
		return bad("must not be formatted as an IP address")
	}
	for _, p := range bucketReservedPrefixes {
		if strings.HasPrefix(name, p) {
			return bad(fmt.Sprintf("the prefix %q is reserved", p))
		}
	}
	for _, s := range bucketReservedSuffixes {
		if strings.HasSuffix(name, s) {
			return bad(fmt.Sprintf("the suffix %q is reserved", s))
		}
	}
	return nil
}

// policyDocument and policyStatement are the documents this package writes;
// field order is output order.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal,omitempty"`
	Action    any                          `json:"Action"`
	Resource  any                          `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}
