// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package acctest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// SourceActions are the actions the design gives the first data sources (ARCHITECTURE.md, "What
// each data source may read"), written out here rather than taken from awsrole, so that the
// tests check the code against the design.
var SourceActions = map[string][]string{
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

// ActionsOf is the union of SourceActions' lists for sources, and any extra actions.
func ActionsOf(sources []string, extra ...string) []string {
	var out []string
	for _, s := range sources {
		out = append(out, SourceActions[s]...)
	}
	return append(out, extra...)
}

// DefaultActions are the actions of the default data sources, cloudwatch and cloudtrail.
func DefaultActions() []string { return ActionsOf([]string{"cloudwatch", "cloudtrail"}) }

// PolicyActions returns the actions of every statement of a policy, sorted.
func PolicyActions(doc string) ([]string, error) {
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

// SameActions checks that a policy grants exactly the given actions.
func SameActions(doc string, want []string) error {
	got, err := PolicyActions(doc)
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
