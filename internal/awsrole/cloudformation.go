// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// CloudFormationLogicalID is the logical id of the role in the template.
const CloudFormationLogicalID = "VirtcoDiagnosticsRole"

// CloudFormationTemplate returns a CloudFormation template (JSON, which
// CloudFormation reads as well as YAML) that creates the same role Create
// does, for people who create it by hand: an AWS::IAM::Role with RoleName,
// Path, Description, MaxSessionDuration, PermissionsBoundary (when set),
// AssumeRolePolicyDocument, one inline policy under Policies, and Tags
// (sorted by key), plus an Output "RoleArn". The policy documents are
// embedded as JSON objects, semantically identical to spec's.
//
// Because the role has a fixed name, deploying it needs
// --capabilities CAPABILITY_NAMED_IAM. The output is deterministic.
func CloudFormationTemplate(spec RoleSpec) (string, error) {
	if spec.Name == "" {
		spec.Name = DefaultRoleName
	}
	if err := spec.Validate(); err != nil {
		return "", fmt.Errorf("CloudFormation template: %w", err)
	}
	trust, err := rawPolicy(spec.TrustPolicy)
	if err != nil {
		return "", fmt.Errorf("CloudFormation template: trust policy: %w", err)
	}
	perms, err := rawPolicy(spec.PermissionsPolicy)
	if err != nil {
		return "", fmt.Errorf("CloudFormation template: permissions policy: %w", err)
	}
	type cfnTag struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	}
	type cfnPolicy struct {
		PolicyName     string          `json:"PolicyName"`
		PolicyDocument json.RawMessage `json:"PolicyDocument"`
	}
	type roleProps struct {
		RoleName                 string          `json:"RoleName"`
		Path                     string          `json:"Path"`
		Description              string          `json:"Description,omitempty"`
		MaxSessionDuration       int32           `json:"MaxSessionDuration"`
		PermissionsBoundary      string          `json:"PermissionsBoundary,omitempty"`
		AssumeRolePolicyDocument json.RawMessage `json:"AssumeRolePolicyDocument"`
		Policies                 []cfnPolicy     `json:"Policies"`
		Tags                     []cfnTag        `json:"Tags,omitempty"`
	}
	type resource struct {
		Type       string    `json:"Type"`
		Properties roleProps `json:"Properties"`
	}
	type output struct {
		Description string         `json:"Description"`
		Value       map[string]any `json:"Value"`
	}
	type template struct {
		AWSTemplateFormatVersion string              `json:"AWSTemplateFormatVersion"`
		Description              string              `json:"Description"`
		Resources                map[string]resource `json:"Resources"`
		Outputs                  map[string]output   `json:"Outputs"`
	}
	props := roleProps{
		RoleName:                 spec.Name,
		Path:                     spec.path(),
		Description:              spec.Description,
		MaxSessionDuration:       spec.maxSession(),
		PermissionsBoundary:      spec.PermissionsBoundary,
		AssumeRolePolicyDocument: trust,
		Policies:                 []cfnPolicy{{PolicyName: spec.policyName(), PolicyDocument: perms}},
	}
	for _, k := range slices.Sorted(maps.Keys(spec.Tags)) {
		props.Tags = append(props.Tags, cfnTag{Key: k, Value: spec.Tags[k]})
	}
	return marshalPolicy(template{
		AWSTemplateFormatVersion: "2010-09-09",
		Description: "VIRT-CO diagnostics: read-only cross-account IAM role, assumable only by the " +
			"customer's VIRT-CO diagnostic account with the customer's external id",
		Resources: map[string]resource{CloudFormationLogicalID: {Type: "AWS::IAM::Role", Properties: props}},
		Outputs: map[string]output{"RoleArn": {
			Description: "ARN of the role, to register with VIRT-CO",
			Value:       map[string]any{"Fn::GetAtt": []string{CloudFormationLogicalID, "Arn"}},
		}},
	})
}

// rawPolicy checks that doc is a JSON policy and returns it as raw JSON to
// embed.
func rawPolicy(doc string) (json.RawMessage, error) {
	d, err := DecodePolicyDocument(doc)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(d), &v); err != nil {
		return nil, err
	}
	return json.RawMessage(d), nil
}
