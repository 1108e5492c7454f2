// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package awsrole is the VIRT-CO platform's read-only cross-account IAM role:
// its policy documents and its lifecycle in the customer's AWS account, with
// aws-sdk-go-v2. The Terraform resource virtco_aws_role and the data source
// virtco_aws_role_policy are built on it; it has no Terraform types and no
// global state.
//
// # Why the role looks as it does
//
// The platform's diagnostic account reads the customer's CloudWatch and
// CloudTrail data from outside the customer's account, so the customer's
// account holds a role that the diagnostic account may assume. Two rules
// shape it:
//
//   - Least privilege. The role has exactly one inline policy, built from
//     the data sources asked for (PermissionsPolicy), and each source adds
//     only actions AWS classes as Read or List, spelled out: no Get*-style
//     wildcards for the default sources (cloudwatch:Get* would include
//     GetSpaceCredentials, which hands out credentials). Nothing else is
//     attached; Read reports anything attached outside Terraform (someone
//     attaching AdministratorAccess) as drift, and Update removes it.
//   - The confused-deputy problem. The diagnostic account assumes roles in
//     many customers' accounts. Without a secret per customer, anyone who
//     can make the platform act on their behalf could point it at another
//     customer's role ARN (ARNs are guessable). So the trust policy names
//     only the customer's diagnostic account (never a wildcard) and requires
//     sts:ExternalId to equal the customer's external id, which the platform
//     mints once per customer and always sends for that customer only
//     (TrustPolicy, CheckTrustPolicy).
//
// # Documents
//
// TrustPolicy, PermissionsPolicy and CloudFormationTemplate build the
// documents deterministically (same input, same bytes). PoliciesEqual
// compares policies semantically (IAM reorders and rewrites them), and
// DecodePolicyDocument undoes the URL-encoding IAM returns them in.
//
// # Lifecycle
//
// A Manager wraps IAM and STS clients: Create (which copes with IAM's slow
// propagation and eventual consistency, as the AWS provider does), Read,
// Update (puts every drift right), Delete (empties the role first, and
// treats a missing role as deleted). Throttling and 5xx are left to the
// SDK's retryer; this package only waits for the two conditions IAM
// documents as transient (an invalid principal right after that principal
// was created, and NoSuchEntity right after CreateRole).
package awsrole
