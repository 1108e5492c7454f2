// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package awsconfig turns the AWS settings of the provider's aws block into an
// aws-sdk-go-v2 configuration, with the IAM and STS clients the provider uses
// and the account its credentials reach. It has no Terraform types: the
// provider resolves its block into a Settings, calls Load, and turns Load's
// typed errors into diagnostics that name the setting at fault.
//
// # Why it is built as it is
//
//   - The SDK's default chain comes first and the settings win over it
//     (config.LoadDefaultConfig with options), as in the AWS provider: what
//     works for the AWS CLI (AWS_PROFILE, shared files, SSO, web identity,
//     container and instance roles, AWS_ENDPOINT_URL_IAM) works here too.
//   - Shared config and credentials files given in the settings must be
//     readable: the SDK silently skips a missing one, so a typo in a path
//     would otherwise surface as a missing profile or, worse, as other
//     credentials being used.
//   - Load retrieves the credentials before it returns: a missing or refused
//     credential is reported as such now, rather than as an obscure signing
//     error from the first IAM call.
//   - With an assume role, the base credentials are retrieved first (the
//     SDK's credentials cache keeps them, so the STS call reuses them), then
//     the assumed role's. A failure of the second step is an AssumeRoleError,
//     of the first a NoCredentialsError: the step tells them apart, never the
//     text of an SDK error, which the SDK is free to change.
//   - Config.Assume derives, from a loaded configuration, one whose
//     credentials are another role's, assumed with the first's: the provider
//     reaches each account of an organization through a role of its own
//     (virtco_aws_role's assume_role) with one base configuration. Its
//     credentials are an aws.CredentialsCache of the SDK's stscreds provider,
//     safe for concurrent use and assumed again only near their expiry; the
//     account is the one AssumeRole answered, so CallerAccount costs no
//     GetCallerIdentity.
//   - Retries: IAM throttles readily, so a call is tried 11 times
//     (DefaultMaxRetries retries) unless Settings.MaxRetries or
//     AWS_MAX_ATTEMPTS says otherwise, in that order. The resulting
//     aws.Config has RetryMaxAttempts 0, because the service clients would
//     otherwise wrap the retryer with AWS_MAX_ATTEMPTS again and undo
//     MaxRetries. The retryer is the SDK's standard one (same retryable
//     errors, exponential backoff) without its client-side retry quota
//     (ratelimit.None): the quota is shared by every call of a client, so a
//     burst of throttling while many roles are planned at once would use it up
//     and turn into failures; the backoff alone is enough.
//   - The region defaults to DefaultRegion when neither the settings nor the
//     SDK's chain give one: IAM is global, the region only picks the STS
//     endpoint (and the partition), so a configuration without a region
//     should still work.
//   - The assume-role session name defaults to DefaultSessionName, so that
//     CloudTrail shows which tool acted.
//
// # Errors
//
// Load's errors are *ProfileNotFoundError, *FileError (FileErrors returns
// all of them when several files are unreadable), *NoCredentialsError,
// *AssumeRoleError and *LoadError (Assume's are *AssumeRoleError); test them
// with errors.As. Each keeps the
// SDK's error (Err, also through Unwrap) for the message.
package awsconfig
