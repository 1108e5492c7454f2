// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
)

// post sends a raw Query-protocol call, as the SDK or the AWS CLI would, signed with the
// emulator's default secret.
func post(t *testing.T, srv *awsemu.Server, accessKeyID string, form url.Values) (int, string) {
	t.Helper()
	req := signedRequest(t, srv, accessKeyID, awsemu.DefaultSecret, "", form)
	return send(t, req)
}

// signedRequest builds a Query-protocol call signed by the SDK's signer; accessKeyID "" leaves
// it unsigned.
func signedRequest(t *testing.T, srv *awsemu.Server, accessKeyID, secret, token string, form url.Values) *http.Request {
	t.Helper()
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if accessKeyID != "" {
		svc := "iam"
		if form.Get("Version") == "2011-06-15" {
			svc = "sts"
		}
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secret, SessionToken: token}
		if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), svc, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestWireShapes checks the XML envelopes byte-for-byte where it matters:
// element names, namespaces, the error envelope and status codes.
func TestWireShapes(t *testing.T) {
	srv := awsemu.NewServer(t, awsemu.Options{})
	trust := trustPolicy("arn:aws:iam::"+diagAcct+":root", "e")
	status, body := post(t, srv, customerAcct, url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"r"}, "AssumeRolePolicyDocument": {trust}})
	if status != 200 {
		t.Fatalf("CreateRole: %d %s", status, body)
	}
	status, body = post(t, srv, customerAcct, url.Values{"Action": {"GetRole"}, "Version": {"2010-05-08"}, "RoleName": {"r"}})
	var getRole struct {
		XMLName xml.Name `xml:"https://iam.amazonaws.com/doc/2010-05-08/ GetRoleResponse"`
		Result  struct {
			Role struct {
				RoleName                 string
				AssumeRolePolicyDocument string
				MaxSessionDuration       int
			}
		} `xml:"GetRoleResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &getRole); err != nil || status != 200 {
		t.Fatalf("GetRole: %d %v\n%s", status, err, body)
	}
	if getRole.Result.Role.RoleName != "r" || getRole.Result.Role.MaxSessionDuration != 3600 || len(getRole.RequestID) != 36 ||
		!strings.HasPrefix(getRole.Result.Role.AssumeRolePolicyDocument, "%7B%22") {
		t.Errorf("GetRole body:\n%s", body)
	}

	status, body = post(t, srv, customerAcct, url.Values{"Action": {"DeleteRole"}, "Version": {"2010-05-08"}, "RoleName": {"missing"}})
	var errResp struct {
		XMLName xml.Name `xml:"https://iam.amazonaws.com/doc/2010-05-08/ ErrorResponse"`
		Error   struct {
			Type, Code, Message string
		}
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &errResp); err != nil {
		t.Fatalf("error body: %v\n%s", err, body)
	}
	if status != 404 || errResp.Error.Type != "Sender" || errResp.Error.Code != "NoSuchEntity" ||
		errResp.Error.Message != "The role with name missing cannot be found." || errResp.RequestID == "" {
		t.Errorf("DeleteRole of a missing role: %d\n%s", status, body)
	}

	status, body = post(t, srv, customerAcct, url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
	if status != 200 || !strings.Contains(body, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`) ||
		!strings.Contains(body, "<Account>"+customerAcct+"</Account>") {
		t.Errorf("GetCallerIdentity: %d\n%s", status, body)
	}
	status, body = post(t, srv, diagAcct, url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {"arn:aws:iam::" + customerAcct + ":role/r"}, "RoleSessionName": {"s1"}})
	if status != 403 || !strings.Contains(body, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`) || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Errorf("AssumeRole without external id: %d\n%s", status, body)
	}

	for _, tc := range []struct {
		key    string
		form   url.Values
		status int
		code   string
	}{
		{"", url.Values{"Action": {"ListRoles"}, "Version": {"2010-05-08"}}, 403, "MissingAuthenticationToken"},
		{customerAcct, url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}}, 400, "InvalidAction"},
		{customerAcct, url.Values{"Action": {"ListRoles"}, "Version": {"2099-01-01"}}, 400, "NoSuchVersion"},
		{customerAcct, url.Values{"Version": {"2010-05-08"}}, 400, "MissingAction"},
		{customerAcct, url.Values{"Action": {"GetRole"}, "Version": {"2010-05-08"}}, 400, "ValidationError"},
		{customerAcct, url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"r"}, "AssumeRolePolicyDocument": {trust}}, 409, "EntityAlreadyExists"},
		{customerAcct, url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"x"}, "AssumeRolePolicyDocument": {"{"}}, 400, "MalformedPolicyDocument"},
	} {
		status, body := post(t, srv, tc.key, tc.form)
		if status != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
			t.Errorf("%v: want %d %s, got %d\n%s", tc.form, tc.status, tc.code, status, body)
		}
	}

	// Throttling is a 400 with code Throttling, as IAM sends it.
	srv.Emulator.SetFaults(awsemu.Faults{ThrottleRate: 1})
	status, body = post(t, srv, customerAcct, url.Values{"Action": {"ListRoles"}, "Version": {"2010-05-08"}})
	if status != 400 || !strings.Contains(body, "<Code>Throttling</Code>") || !strings.Contains(body, "<Message>Rate exceeded</Message>") {
		t.Errorf("throttled: %d\n%s", status, body)
	}
}

// TestAdminAPI exercises the JSON endpoints scripts use.
func TestAdminAPI(t *testing.T) {
	srv := awsemu.NewServer(t, awsemu.Options{})
	c, _ := clients(srv, customerAcct)
	createRole(t, c, "r")

	get := func(path string, v any) int {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if v != nil {
			if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
		}
		return resp.StatusCode
	}
	send := func(method, path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	var calls awsemu.CallStats
	if get("/_emu/calls", &calls) != 200 || calls.ByAction["iam:CreateRole"] != 1 || calls.ByAccount[customerAcct] != 1 {
		t.Errorf("calls = %+v", calls)
	}
	var roles []awsemu.RoleSnapshot
	if get("/_emu/roles?account="+customerAcct, &roles) != 200 || len(roles) != 1 || roles[0].Name != "r" {
		t.Errorf("roles = %+v", roles)
	}
	var role awsemu.RoleSnapshot
	if get("/_emu/roles/r?account="+customerAcct, &role) != 200 || role.ARN != "arn:aws:iam::"+customerAcct+":role/r" {
		t.Errorf("role = %+v", role)
	}
	if s := get("/_emu/roles/r", nil); s != 404 {
		t.Errorf("role in the default account: %d", s)
	}
	if s := send(http.MethodPost, "/_emu/faults", `{"throttle_rate": 2}`); s != 400 {
		t.Errorf("bad faults: %d", s)
	}
	if s := send(http.MethodPost, "/_emu/faults", `{"invisible_reads": 3, "fail_actions": {"GetRole": 1}}`); s != 200 {
		t.Errorf("set faults: %d", s)
	}
	var f awsemu.Faults
	if get("/_emu/faults", &f); f.InvisibleReads != 3 || f.FailActions["GetRole"] != 1 {
		t.Errorf("faults = %+v", f)
	}
	if s := send(http.MethodDelete, "/_emu/calls", ""); s != 204 || srv.Emulator.Calls().Total != 0 {
		t.Errorf("reset calls: %d", s)
	}
	if s := send(http.MethodPost, "/_emu/reset", ""); s != 204 || len(srv.Emulator.Roles(customerAcct)) != 0 {
		t.Errorf("reset: %d", s)
	}
	if s := get("/_emu/nope", nil); s != 404 {
		t.Errorf("unknown endpoint: %d", s)
	}
	var health map[string]string
	if get("/_emu/healthz", &health) != 200 || health["status"] != "ok" {
		t.Errorf("healthz = %v", health)
	}
}
