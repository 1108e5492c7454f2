// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsrole_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/virtasant/terraform-provider-virtco/internal/awsrole"
)

func ExampleTrustPolicy() {
	doc, err := awsrole.TrustPolicy("arn:aws:iam::111122223333:role/virtco-collector", "8c6f2a4e-1d3b-4f5a-9e7c-0b1a2c3d4e5f")
	if err != nil {
		panic(err)
	}
	fmt.Println(doc)
	// Output:
	// {
	//   "Version": "2012-10-17",
	//   "Statement": [
	//     {
	//       "Sid": "VirtcoDiagnosticsAssumeRole",
	//       "Effect": "Allow",
	//       "Principal": {
	//         "AWS": "arn:aws:iam::111122223333:role/virtco-collector"
	//       },
	//       "Action": "sts:AssumeRole",
	//       "Condition": {
	//         "StringEquals": {
	//           "sts:ExternalId": "8c6f2a4e-1d3b-4f5a-9e7c-0b1a2c3d4e5f"
	//         }
	//       }
	//     }
	//   ]
	// }
}

func ExamplePermissionsPolicy() {
	doc, err := awsrole.PermissionsPolicy([]string{"cloudtrail"}, awsrole.PermissionOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(doc)
	// Output:
	// {
	//   "Version": "2012-10-17",
	//   "Statement": [
	//     {
	//       "Sid": "VirtcoCloudTrailRead",
	//       "Effect": "Allow",
	//       "Action": [
	//         "cloudtrail:LookupEvents",
	//         "cloudtrail:DescribeTrails",
	//         "cloudtrail:GetTrail",
	//         "cloudtrail:GetTrailStatus",
	//         "cloudtrail:ListTrails",
	//         "cloudtrail:GetEventSelectors",
	//         "cloudtrail:GetInsightSelectors",
	//         "cloudtrail:ListTags"
	//       ],
	//       "Resource": "*"
	//     }
	//   ]
	// }
}

// The flow the virtco_aws_role resource follows (error handling shortened).
func ExampleManager() {
	ctx := context.Background()
	var cfg aws.Config // from the provider's aws block
	mgr := awsrole.New(cfg, awsrole.Options{})

	if acct, err := mgr.CallerAccount(ctx); err != nil || acct != "123456789012" {
		return // refuse: wrong account
	}
	trust, _ := awsrole.TrustPolicy("arn:aws:iam::111122223333:root", "customer-external-id")
	perms, _ := awsrole.PermissionsPolicy(awsrole.DefaultDataSources(), awsrole.PermissionOptions{})
	spec := awsrole.RoleSpec{Name: awsrole.DefaultRoleName, TrustPolicy: trust, PermissionsPolicy: perms}

	state, err := mgr.Create(ctx, spec)
	var partial *awsrole.PartialCreateError
	switch {
	case errors.As(err, &partial):
		// The role exists (or may): record partial.RoleName in state so
		// Terraform taints and replaces it, or mgr.Delete(ctx, partial.RoleName).
	case errors.Is(err, awsrole.ErrRoleExists):
		// Tell the user to import customer/account_id/role_name.
	case err != nil:
		return
	}
	_ = state

	// Refresh: drift is any difference from the spec.
	current, err := mgr.Read(ctx, spec.Name)
	if errors.Is(err, awsrole.ErrRoleNotFound) {
		return // remove from state: planned for re-creation
	}
	if changes, _ := awsrole.Diff(current, spec); !changes.Empty() {
		_, _ = mgr.Update(ctx, spec.Name, current, spec)
	}

	// Destroy.
	_ = mgr.Delete(ctx, spec.Name)
}
