// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package client

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
)

// apiCall is one client method call, what it must send and what it gets back. The table covers
// every method; the unit test checks the wire format against it and the contract test checks the
// same exchanges against api/openapi.yaml.
type apiCall struct {
	name      string
	operation string // the spec's operationId

	method, path, query string            // what must be sent (path escaped)
	header              map[string]string // extra request headers that must be sent
	body                string            // JSON body that must be sent; "" for none
	// keyed: the call must carry an Idempotency-Key, a new random one unless header names it.
	keyed bool

	status     int
	respHeader map[string]string
	resp       string // "" for no body

	call func(ctx context.Context, c *Client) (any, error)
	want any
}

// put is what a Put returns.
type put[T any] struct {
	V       T
	Created bool
}

// bodyWithETag is a body of one object with its etag in it, as a list gives it.
func bodyWithETag(body, etag string) string {
	quoted, _ := json.Marshal(etag)
	return strings.TrimSuffix(body, "}") + `,"etag":` + string(quoted) + `}`
}

func withUserKeys(c Customer, users ...apiv1.User) *Customer {
	c.UserKeys = users
	return &c
}

func putResult[T any](v T, created bool, err error) (any, error) { return put[T]{v, created}, err }

func apiCalls() []apiCall {
	return []apiCall{
		{
			name: "DiagAccounts.List", operation: "listDiagAccounts",
			method: "GET", path: "/v1/diag-accounts", query: "status=ready-for-use",
			status: 200, resp: `{"diag_accounts":[` + diagJSON + `]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.DiagAccounts.List(ctx, ListDiagAccountsOptions{Status: DiagAccountReadyForUse})
			},
			want: []DiagAccount{wantDiag},
		},
		{
			name: "DiagAccounts.Put", operation: "putDiagAccount",
			method: "PUT", path: "/v1/diag-accounts/Diag3",
			body:   `{"account_id":"111122223333","region":"us-east-1","status":"ready-for-use","principal_arn":"arn:aws:iam::111122223333:role/virtco-collector"}`,
			status: 201, resp: diagJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return putResult(c.DiagAccounts.Put(ctx, "Diag3", DiagAccountPutOptions{
					AccountID: "111122223333", Region: "us-east-1", Status: DiagAccountReadyForUse,
					PrincipalARN: "arn:aws:iam::111122223333:role/virtco-collector",
				}))
			},
			want: put[*DiagAccount]{&wantDiag, true},
		},
		{
			name: "MasterToken", operation: "getMasterToken",
			method: "GET", path: "/v1/master-token",
			status: 200, resp: masterTokenJSON,
			call: func(ctx context.Context, c *Client) (any, error) { return c.MasterToken(ctx) },
			want: "vcm_0123456789abcdefghijklmnop",
		},
		{
			name: "MasterTokenRotate", operation: "rotateMasterToken", keyed: true,
			method: "POST", path: "/v1/master-token/rotate",
			status: 200, resp: masterTokenJSON,
			call: func(ctx context.Context, c *Client) (any, error) { return c.MasterTokenRotate(ctx) },
			want: "vcm_0123456789abcdefghijklmnop",
		},
		{
			name: "Customers.List", operation: "listCustomers",
			method: "GET", path: "/v1/customers",
			status: 200, resp: `{"customers":[` + customerSummaryJSON + `]}`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.Customers.List(ctx) },
			want: []CustomerSummary{wantCustomerSummary},
		},
		{
			name: "Customers.Get", operation: "getCustomer",
			method: "GET", path: "/v1/customers/acme.com",
			status: 200, respHeader: map[string]string{"ETag": customerETag}, resp: customerJSON,
			call: func(ctx context.Context, c *Client) (any, error) { return c.Customers.Get(ctx, "acme.com") },
			want: &wantCustomer,
		},
		{
			name: "Customers.GetMany", operation: "listCustomers",
			method: "GET", path: "/v1/customers", query: "name=acme.com&name=gone.com",
			status: 200, resp: `{"customers":[` + bodyWithETag(customerJSON, customerETag) + `]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Customers.GetMany(ctx, []string{"acme.com", "gone.com"}, CustomerGetManyOptions{})
			},
			want: map[string]*Customer{"acme.com": &wantCustomer},
		},
		{
			name: "Customers.GetMany with user keys", operation: "listCustomers",
			method: "GET", path: "/v1/customers", query: "include=user_keys&name=acme.com",
			status: 200, resp: `{"customers":[` + strings.TrimSuffix(bodyWithETag(customerJSON, customerETag), "}") +
				`,"user_keys":[` + bodyWithETag(userJSON, userETag) + `]}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Customers.GetMany(ctx, []string{"acme.com"}, CustomerGetManyOptions{UserKeys: true})
			},
			want: map[string]*Customer{"acme.com": withUserKeys(wantCustomer, apiv1.User(*withETag(wantUser, userETag)))},
		},
		{
			name: "Customers.Put update", operation: "putCustomer", keyed: true,
			method: "PUT", path: "/v1/customers/acme.com", header: map[string]string{"If-Match": `"c0ffee-2"`, "Idempotency-Key": "caller's own key"},
			body:   `{"diag_account":"Diag3","aws_region":"us-east-1","regions":["us-east-1","eu-west-1"],"auto_run_finders":false}`,
			status: 200, respHeader: map[string]string{"ETag": customerETag}, resp: customerJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return putResult(c.Customers.Put(ctx, "acme.com", CustomerPutOptions{
					DiagAccount: "Diag3", AWSRegion: "us-east-1", Regions: []string{"us-east-1", "eu-west-1"},
					AutoRunFinders: Bool(false), IfMatch: `"c0ffee-2"`, IdempotencyKey: "caller's own key",
				}))
			},
			want: put[*Customer]{&wantCustomer, false},
		},
		{
			name: "Customers.Put create", operation: "putCustomer", keyed: true,
			method: "PUT", path: "/v1/customers/acme.com", header: map[string]string{"If-None-Match": "*"},
			body:   `{}`,
			status: 201, respHeader: map[string]string{"ETag": customerETag}, resp: customerJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return putResult(c.Customers.Put(ctx, "acme.com", CustomerPutOptions{IfNoneMatch: "*"}))
			},
			want: put[*Customer]{&wantCustomer, true},
		},
		{
			name: "Customers.Delete", operation: "deleteCustomer",
			method: "DELETE", path: "/v1/customers/acme.com", header: map[string]string{"If-Match": customerETag},
			status: 204,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.Customers.Delete(ctx, "acme.com", CustomerDeleteOptions{IfMatch: customerETag})
			},
		},
		{
			name: "Customers.Status", operation: "getCustomerStatus",
			method: "GET", path: "/v1/customers/acme.com/status",
			status: 200, resp: customerStatusJSON,
			call: func(ctx context.Context, c *Client) (any, error) { return c.Customers.Status(ctx, "acme.com") },
			want: &wantCustomerStatus,
		},
		{
			name: "Users.List", operation: "listUsers",
			method: "GET", path: "/v1/customers/acme.com/users",
			status: 200, resp: `{"users":[` + bodyWithETag(userJSON, userETag) + `]}`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.Users.List(ctx, "acme.com") },
			want: []User{*withETag(wantUser, userETag)},
		},
		{
			name: "Users.Get", operation: "getUser",
			method: "GET", path: "/v1/customers/acme.com/users/joe",
			status: 200, respHeader: map[string]string{"ETag": userETag}, resp: userJSON,
			call: func(ctx context.Context, c *Client) (any, error) { return c.Users.Get(ctx, "acme.com", "joe") },
			want: withETag(wantUser, userETag),
		},
		{
			name: "Users.Put", operation: "putUser", keyed: true,
			method: "PUT", path: "/v1/customers/acme.com/users/joe",
			header: map[string]string{"If-None-Match": "*"},
			status: 201, respHeader: map[string]string{"ETag": userETag}, resp: userJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return putResult(c.Users.Put(ctx, "acme.com", "joe", UserPutOptions{IfNoneMatch: "*"}))
			},
			want: put[*User]{withETag(wantUser, userETag), true},
		},
		{
			name: "Users.Put with an expiry", operation: "putUser", keyed: true,
			method: "PUT", path: "/v1/customers/acme.com/users/joe", header: map[string]string{"If-Match": userETag},
			body:   `{"expires_at":"2030-01-31T18:00:00Z"}`,
			status: 200, respHeader: map[string]string{"ETag": `"u8"`}, resp: expiringUserJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				at := time.Date(2030, 1, 31, 19, 0, 0, 0, time.FixedZone("CET", 3600))
				return putResult(c.Users.Put(ctx, "acme.com", "joe", UserPutOptions{IfMatch: userETag, ExpiresAt: &at}))
			},
			want: put[*User]{withETag(wantExpiringUser, `"u8"`), false},
		},
		{
			name: "Users.Delete", operation: "deleteUser",
			method: "DELETE", path: "/v1/customers/acme.com/users/joe", header: map[string]string{"If-Match": userETag},
			status: 204,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.Users.Delete(ctx, "acme.com", "joe", UserDeleteOptions{IfMatch: userETag})
			},
		},
		{
			name: "Users.Rotate", operation: "rotateUser", keyed: true,
			method: "POST", path: "/v1/customers/acme.com/users/joe/rotate", header: map[string]string{"If-Match": userETag},
			status: 200, respHeader: map[string]string{"ETag": `"u8"`}, resp: userJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Users.Rotate(ctx, "acme.com", "joe", UserRotateOptions{IfMatch: userETag})
			},
			want: withETag(wantUser, `"u8"`),
		},
		{
			name: "AWSAccounts.List", operation: "listAWSAccounts",
			method: "GET", path: "/v1/customers/acme.com/aws-accounts",
			status: 200, resp: `{"aws_accounts":[` + awsAccountJSON + `]}`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.AWSAccounts.List(ctx, "acme.com") },
			want: []AWSAccount{wantAWSAccount},
		},
		{
			name: "AWSAccounts.Get", operation: "getAWSAccount",
			method: "GET", path: "/v1/customers/acme.com/aws-accounts/123456789012",
			status: 200, respHeader: map[string]string{"ETag": awsAccountETag}, resp: awsAccountJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AWSAccounts.Get(ctx, "acme.com", "123456789012")
			},
			want: withAccountETag(wantAWSAccount, awsAccountETag),
		},
		{
			name: "AWSAccounts.Put", operation: "putAWSAccount", keyed: true,
			method: "PUT", path: "/v1/customers/acme.com/aws-accounts/123456789012",
			body:   `{"role_arn":"arn:aws:iam::123456789012:role/virtco-diagnostics-readonly","regions":["us-east-1"],"state":"done"}`,
			header: map[string]string{"If-Match": awsAccountETag},
			status: 200, respHeader: map[string]string{"ETag": `"a5"`}, resp: awsAccountJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return putResult(c.AWSAccounts.Put(ctx, "acme.com", "123456789012", AWSAccountPutOptions{
					RoleARN: "arn:aws:iam::123456789012:role/virtco-diagnostics-readonly", Regions: []string{"us-east-1"}, State: RoleDone,
					IfMatch: awsAccountETag,
				}))
			},
			want: put[*AWSAccount]{withAccountETag(wantAWSAccount, `"a5"`), false},
		},
		{
			name: "AWSAccounts.Put with an expiry", operation: "putAWSAccount", keyed: true,
			method: "PUT", path: "/v1/customers/acme.com/aws-accounts/123456789012",
			body: `{"role_arn":"arn:aws:iam::123456789012:role/virtco-diagnostics-readonly","state":"done",` +
				`"expires_at":"2030-01-31T18:00:00Z"}`,
			status: 200, respHeader: map[string]string{"ETag": `"a5"`}, resp: expiredAccountJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				at := time.Date(2030, 1, 31, 19, 0, 0, 0, time.FixedZone("CET", 3600))
				return putResult(c.AWSAccounts.Put(ctx, "acme.com", "123456789012", AWSAccountPutOptions{
					RoleARN: "arn:aws:iam::123456789012:role/virtco-diagnostics-readonly", State: RoleDone, ExpiresAt: &at,
				}))
			},
			want: put[*AWSAccount]{withAccountETag(wantExpiredAccount, `"a5"`), false},
		},
		{
			name: "AWSAccounts.Delete", operation: "deleteAWSAccount",
			method: "DELETE", path: "/v1/customers/acme.com/aws-accounts/123456789012", header: map[string]string{"If-Match": awsAccountETag},
			status: 204,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AWSAccounts.Delete(ctx, "acme.com", "123456789012", AWSAccountDeleteOptions{IfMatch: awsAccountETag})
			},
		},
		{
			name: "AWSAccounts.Verify", operation: "verifyAWSAccount",
			method: "POST", path: "/v1/customers/acme.com/aws-accounts/123456789012/verify",
			status: 200, respHeader: map[string]string{"ETag": awsAccountETag}, resp: verifiedAccountJSON,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AWSAccounts.Verify(ctx, "acme.com", "123456789012")
			},
			want: withAccountETag(wantVerifiedAccount, awsAccountETag),
		},
		{
			name: "Audit.List", operation: "listAudit",
			method: "GET", path: "/v1/audit", query: "after_id=7&customer=acme.com&limit=2&since=2024-05-06T07%3A08%3A09Z&until=2024-05-06T08%3A08%3A09Z",
			status: 200, resp: `{"entries":[` + auditEntryJSON + `],"next_after_id":8}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Audit.List(ctx, AuditListOptions{Customer: "acme.com", Since: t0, Until: t1, AfterID: 7, Limit: 2})
			},
			want: &AuditPage{Entries: []AuditEntry{wantAuditEntry}, NextAfterID: 8},
		},
		{
			name: "Events.List", operation: "listEvents",
			method: "GET", path: "/v1/events", query: "after=41&limit=2",
			status: 200, resp: `{"events":[` + eventJSON + `],"next_after":42,"more":true}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Events.List(ctx, EventListOptions{After: 41, Limit: 2})
			},
			want: &EventPage{Events: []Event{wantEvent}, NextAfter: 42, More: true},
		},
		{
			name: "Events.Replay", operation: "replayEvent",
			method: "POST", path: "/v1/events/42/replay",
			status: 200, resp: `{"id":42,"replayed":2}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Events.Replay(ctx, 42)
			},
			want: 2,
		},
		{
			name: "Events.FailedDeliveries", operation: "listDeliveries",
			method: "GET", path: "/v1/deliveries", query: "limit=2&state=failed",
			status: 200, resp: `{"deliveries":[{"event_id":42,"event_type":"user.provisioned","customer":"acme.com",` +
				`"endpoint":"0a1b","attempts":9,"last_error":"the endpoint answered 500","failed_at":"2024-05-06T07:08:09Z"}],"more":true}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Events.FailedDeliveries(ctx, 2)
			},
			want: &DeliveryPage{Deliveries: []FailedDelivery{{EventID: 42, EventType: "user.provisioned", Customer: "acme.com",
				Endpoint: "0a1b", Attempts: 9, LastError: "the endpoint answered 500", FailedAt: t0}}, More: true},
		},
		{
			name: "Health", operation: "healthz",
			method: "GET", path: "/healthz",
			status: 200, resp: `{"status":"ok"}`,
			call: func(ctx context.Context, c *Client) (any, error) { return nil, c.Health(ctx) },
		},
		{
			name: "Ready", operation: "readyz",
			method: "GET", path: "/readyz",
			status: 200, resp: `{"status":"ready"}`,
			call: func(ctx context.Context, c *Client) (any, error) { return nil, c.Ready(ctx) },
		},
	}
}

// writeResponse answers as the call says.
func (a *apiCall) writeResponse(w http.ResponseWriter) {
	for k, v := range a.respHeader {
		w.Header().Set(k, v)
	}
	if a.resp != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.resp))
}
