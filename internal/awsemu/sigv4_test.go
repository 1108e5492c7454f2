// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/virtasant/terraform-provider-virtco/internal/awsemu"
	"github.com/virtasant/terraform-provider-virtco/internal/awsemu/awsemutest"
)

var callerIdentity = url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}

// wantStatus sends req and checks the status and AWS error code it gets ("" for a success).
func wantStatus(t *testing.T, req *http.Request, status int, code string) {
	t.Helper()
	got, body := send(t, req)
	if got != status || (code != "" && !strings.Contains(body, "<Code>"+code+"</Code>")) {
		t.Errorf("got %d, want %d %s:\n%s", got, status, code, body)
	}
}

// TestSignatureVerified: the emulator recomputes each request's SigV4 signature with the secret
// it holds for the key, as AWS does.
func TestSignatureVerified(t *testing.T) {
	const configured = "555555555555"
	srv := awsemu.NewServer(t, awsemu.Options{Secrets: map[string]string{configured: "s3cr3t"}})

	t.Run("the SDK with the default secret", func(t *testing.T) {
		checkIdentity(t, sts.NewFromConfig(awsemutest.Config(srv.URL, customerAcct)), customerAcct, "arn:aws:iam::"+customerAcct+":user/emulator")
	})
	t.Run("a wrong secret", func(t *testing.T) {
		_, err := sts.NewFromConfig(awsemutest.ConfigWithSecret(srv.URL, customerAcct, "not-the-secret")).
			GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		wantCode(t, err, "SignatureDoesNotMatch")
	})
	t.Run("a configured secret", func(t *testing.T) {
		checkIdentity(t, sts.NewFromConfig(awsemutest.ConfigWithSecret(srv.URL, configured, "s3cr3t")), configured, "arn:aws:iam::"+configured+":user/emulator")
		_, err := sts.NewFromConfig(awsemutest.Config(srv.URL, configured)).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		wantCode(t, err, "SignatureDoesNotMatch")
	})
	t.Run("a body altered after signing", func(t *testing.T) {
		req := signedRequest(t, srv, customerAcct, awsemu.DefaultSecret, "", url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"},
			"RoleName": {"r"}, "AssumeRolePolicyDocument": {trustPolicy("arn:aws:iam::"+diagAcct+":root", "e")}})
		body, _ := io.ReadAll(req.Body)
		altered := strings.Replace(string(body), "RoleName=r", "RoleName=q", 1)
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader(altered)), int64(len(altered))
		wantStatus(t, req, http.StatusForbidden, "SignatureDoesNotMatch")
		if _, ok := srv.Emulator.Role(customerAcct, "q"); ok {
			t.Error("the altered request created its role")
		}
	})
	t.Run("a signed header altered", func(t *testing.T) {
		req := signedRequest(t, srv, customerAcct, awsemu.DefaultSecret, "", callerIdentity)
		signedAt, err := time.Parse("20060102T150405Z", req.Header.Get("X-Amz-Date"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Date", signedAt.Add(time.Second).Format("20060102T150405Z"))
		wantStatus(t, req, http.StatusForbidden, "SignatureDoesNotMatch")
	})
	t.Run("no credentials", func(t *testing.T) {
		wantStatus(t, signedRequest(t, srv, "", "", "", callerIdentity), http.StatusForbidden, "MissingAuthenticationToken")
	})
	t.Run("an unknown temporary key", func(t *testing.T) {
		wantStatus(t, signedRequest(t, srv, "ASIAAAAAAAAAAAAAAAAA", "s", "t", callerIdentity), http.StatusForbidden, "InvalidClientTokenId")
	})
	t.Run("a session token with a plain key", func(t *testing.T) {
		wantStatus(t, signedRequest(t, srv, customerAcct, awsemu.DefaultSecret, "t", callerIdentity), http.StatusForbidden, "InvalidClientTokenId")
	})
	t.Run("no signature", func(t *testing.T) {
		req := signedRequest(t, srv, "", "", "", callerIdentity)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+customerAcct+"/20250101/us-east-1/sts/aws4_request")
		wantStatus(t, req, http.StatusBadRequest, "IncompleteSignature")
	})
	t.Run("a presigned URL", func(t *testing.T) {
		signed := presign(t, srv, customerAcct, awsemu.DefaultSecret)
		req, _ := http.NewRequest(http.MethodGet, signed, nil)
		wantStatus(t, req, http.StatusOK, "")
		req, _ = http.NewRequest(http.MethodGet, strings.Replace(signed, "GetCallerIdentity", "GetAccessKeyInfo", 1), nil)
		wantStatus(t, req, http.StatusForbidden, "SignatureDoesNotMatch")
		req, _ = http.NewRequest(http.MethodGet, presign(t, srv, customerAcct, "wrong"), nil)
		wantStatus(t, req, http.StatusForbidden, "SignatureDoesNotMatch")
	})
}

func presign(t *testing.T, srv *awsemu.Server, accessKeyID, secret string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?"+callerIdentity.Encode(), nil)
	sum := sha256.Sum256(nil)
	signed, _, err := v4.NewSigner().PresignHTTP(t.Context(), aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return signed
}
