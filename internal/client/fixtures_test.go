// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"encoding/json"
	"strings"
	"time"
)

// Responses as the server sends them (raw JSON, checked against api/openapi.yaml by the contract
// test) and the values the client must decode them to.

var (
	t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	t1 = time.Date(2024, 5, 6, 8, 8, 9, 0, time.UTC)

	testToken = "vcu_Zm9vYmFyYmF6cXV4cXV1eHF1dXpxdXV6cXV1eg_-12"

	diagJSON = `{"name":"Diag3","account_id":"111122223333","principal_arn":"arn:aws:iam::111122223333:role/virtco-collector",` +
		`"region":"us-east-1","status":"ready-for-use","created_at":"2024-05-06T07:08:09Z","updated_at":"2024-05-06T08:08:09Z"}`
	wantDiag = DiagAccount{
		Name: "Diag3", AccountID: "111122223333", PrincipalARN: "arn:aws:iam::111122223333:role/virtco-collector",
		Region: "us-east-1", Status: DiagAccountReadyForUse, CreatedAt: t0, UpdatedAt: t1,
	}

	masterTokenJSON = `{"master_token":"vcm_0123456789abcdefghijklmnop"}`

	customerSummaryJSON = `{"name":"acme.com","diag_account":"Diag3","diag_account_status":"ready-for-use","role_status":"done"}`
	wantCustomerSummary = CustomerSummary{Name: "acme.com", DiagAccount: "Diag3", DiagAccountStatus: DiagnosticsAccountReady, RoleStatus: RoleDone}

	verificationJSON = `{"state":"verified","checked_at":"2024-05-06T08:08:09Z","message":"the platform assumed the role",` +
		`"assumed_role_arn":"arn:aws:sts::123456789012:assumed-role/virtco-diagnostics-readonly/virtco-verify-acme.com"}`
	wantVerification = Verification{State: Verified, CheckedAt: &t1, Message: "the platform assumed the role",
		AssumedRoleARN: "arn:aws:sts::123456789012:assumed-role/virtco-diagnostics-readonly/virtco-verify-acme.com"}
	pendingJSON      = `{"state":"pending","message":"","assumed_role_arn":""}`
	wantPending      = Verification{State: VerificationPending}
	accountStateJSON = `{"account_id":"123456789012","role_arn":"arn:aws:iam::123456789012:role/virtco-diagnostics-readonly","state":"done",` +
		`"verification":` + verificationJSON + `}`
	wantAccountState = AccountState{AccountID: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/virtco-diagnostics-readonly", State: RoleDone,
		Verification: wantVerification}

	customerETag   = `"c0ffee-3"`
	userETag       = `"u7"`
	awsAccountETag = `"a4"`
	customerJSON   = `{"name":"acme.com","diag_account":"Diag3","diag_account_id":"111122223333",` +
		`"diag_account_principal_arn":"arn:aws:iam::111122223333:role/virtco-collector","diag_account_status":"ready-for-use",` +
		`"external_id":"0b0e7bd4-8d2e-4f6c-9a51-6e0c2a1f2b3c","aws_region":"us-east-1","regions":["us-east-1","eu-west-1"],` +
		`"auto_run_finders":true,"role_status":"done","accounts":[` + accountStateJSON + `],"users":["joe"],` +
		`"created_at":"2024-05-06T07:08:09Z","updated_at":"2024-05-06T08:08:09Z"}`
	wantCustomer = Customer{
		Name: "acme.com", DiagAccount: "Diag3", DiagAccountID: "111122223333",
		DiagAccountPrincipalARN: "arn:aws:iam::111122223333:role/virtco-collector", DiagAccountStatus: DiagnosticsAccountReady,
		ExternalID: "0b0e7bd4-8d2e-4f6c-9a51-6e0c2a1f2b3c", AWSRegion: "us-east-1", Regions: []string{"us-east-1", "eu-west-1"},
		AutoRunFinders: true, RoleStatus: RoleDone, Accounts: []AccountState{wantAccountState}, Users: []string{"joe"},
		CreatedAt: t0, UpdatedAt: t1, ETag: customerETag,
	}

	customerStatusJSON = `{"name":"acme.com","diag_account":"Diag3","diag_account_id":"111122223333",` +
		`"diag_account_status":"ready-for-use","role_status":"done","accounts":[` + accountStateJSON + `]}`
	wantCustomerStatus = CustomerStatus{
		Name: "acme.com", DiagAccount: "Diag3", DiagAccountID: "111122223333", DiagAccountStatus: DiagnosticsAccountReady,
		RoleStatus: RoleDone, Accounts: []AccountState{wantAccountState},
	}

	userJSON = `{"name":"joe","customer":"acme.com","key_id":"ab12cd34ef","key_name":"joe@acme.com-API-Key",` +
		`"token":"` + testToken + `","created_at":"2024-05-06T07:08:09Z","updated_at":"2024-05-06T08:08:09Z"}`
	wantUser = User{
		Name: "joe", Customer: "acme.com", KeyID: "ab12cd34ef", KeyName: "joe@acme.com-API-Key", Token: testToken,
		CreatedAt: t0, UpdatedAt: t1,
	}

	expiringUserJSON = strings.TrimSuffix(userJSON, "}") + `,"expires_at":"2030-01-31T18:00:00Z"}`
	wantExpiringUser = func() User {
		u, at := wantUser, time.Date(2030, 1, 31, 18, 0, 0, 0, time.UTC)
		u.ExpiresAt = &at
		return u
	}()

	awsAccountJSON = `{"customer":"acme.com","account_id":"123456789012","role_arn":"arn:aws:iam::123456789012:role/virtco-diagnostics-readonly",` +
		`"regions":["us-east-1"],"state":"done","created_at":"2024-05-06T07:08:09Z","updated_at":"2024-05-06T08:08:09Z",` +
		`"verification":` + pendingJSON + `}`
	wantAWSAccount = AWSAccount{
		Customer: "acme.com", AccountID: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/virtco-diagnostics-readonly",
		Regions: []string{"us-east-1"}, State: RoleDone, CreatedAt: t0, UpdatedAt: t1, Verification: wantPending,
	}
	expiredVerificationJSON = `{"state":"expired","checked_at":"2030-01-31T18:00:01Z","message":"the role's access expired",` +
		`"assumed_role_arn":""}`
	expiredAccountJSON = strings.TrimSuffix(strings.Replace(awsAccountJSON, pendingJSON, expiredVerificationJSON, 1), "}") +
		`,"expires_at":"2030-01-31T18:00:00Z"}`
	wantExpiredAccount = func() AWSAccount {
		a, at, checked := wantAWSAccount, time.Date(2030, 1, 31, 18, 0, 0, 0, time.UTC), time.Date(2030, 1, 31, 18, 0, 1, 0, time.UTC)
		a.ExpiresAt = &at
		a.Verification = Verification{State: VerificationExpired, CheckedAt: &checked, Message: "the role's access expired"}
		return a
	}()
	verifiedAccountJSON = strings.Replace(awsAccountJSON, pendingJSON, verificationJSON, 1)
	wantVerifiedAccount = func() AWSAccount { a := wantAWSAccount; a.Verification = wantVerification; return a }()

	auditEntryJSON = `{"id":8,"at":"2024-05-06T07:08:09Z","key_kind":"user","key_id":"ab12cd34ef","actor":"joe@acme.com",` +
		`"action":"aws_account.put","request":"PUT /v1/customers/acme.com/aws-accounts/123456789012","customer":"acme.com",` +
		`"target":"acme.com/123456789012","outcome":"ok","detail":""}`
	wantAuditEntry = AuditEntry{ID: 8, At: t0, KeyKind: "user", KeyID: "ab12cd34ef", Actor: "joe@acme.com",
		Action: "aws_account.put", Request: "PUT /v1/customers/acme.com/aws-accounts/123456789012", Customer: "acme.com",
		Target: "acme.com/123456789012", Outcome: "ok"}

	eventJSON = `{"id":42,"type":"user.provisioned","at":"2024-05-06T07:08:09Z","customer":"acme.com",` +
		`"payload":{"customer":"acme.com","user":"joe"}}`
	wantEvent = Event{ID: 42, Type: "user.provisioned", At: t0, Customer: "acme.com",
		Payload: json.RawMessage(`{"customer":"acme.com","user":"joe"}`)}
)

// withETag is u as an answer with that ETag header reads.
func withETag(u User, etag string) *User {
	u.ETag = etag
	return &u
}

// withAccountETag is a as an answer with that ETag header reads.
func withAccountETag(a AWSAccount, etag string) *AWSAccount {
	a.ETag = etag
	return &a
}
