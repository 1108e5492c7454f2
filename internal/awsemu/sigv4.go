// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// DefaultSecret is the secret access key of every plain access key the emulator was given no
// other secret for, the convention other AWS emulators share.
const DefaultSecret = "test"

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	amzDateFormat  = "20060102T150405Z"
)

// signature is what a request says about its SigV4 signature, from the Authorization header or
// a presigned URL's query.
type signature struct {
	presigned     bool
	accessKeyID   string
	date          string // the credential scope's yyyymmdd
	region        string
	service       string
	signedHeaders []string
	signature     string
	amzDate       string // X-Amz-Date
	sessionToken  string // X-Amz-Security-Token, header or query
	body          []byte // the body as received
}

func errIncompleteSignature(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "IncompleteSignature", format, args...)
}

func errSignatureDoesNotMatch() *apiError {
	return errorf(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. "+
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

func errInvalidClientTokenID() *apiError {
	return errorf(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

// parseSignature reads the request's SigV4 elements. A request with no credential at all is
// (nil, nil): identify refuses it with MissingAuthenticationToken.
func parseSignature(r *http.Request, body []byte) (*signature, *apiError) {
	q := r.URL.Query()
	s := &signature{body: body}
	var credential string
	if auth := r.Header.Get("Authorization"); auth != "" {
		alg, rest, _ := strings.Cut(auth, " ")
		if alg != sigV4Algorithm {
			return nil, errIncompleteSignature("Authorization header requires the %s algorithm, got %q.", sigV4Algorithm, alg)
		}
		var headers string
		for _, part := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				credential = v
			case "SignedHeaders":
				headers = v
			case "Signature":
				s.signature = v
			}
		}
		if credential == "" || headers == "" || s.signature == "" {
			return nil, errIncompleteSignature("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
		}
		s.signedHeaders = strings.Split(headers, ";")
		s.amzDate = r.Header.Get("X-Amz-Date")
		s.sessionToken = r.Header.Get("X-Amz-Security-Token")
	} else if credential = q.Get("X-Amz-Credential"); credential != "" {
		s.presigned = true
		s.signature = q.Get("X-Amz-Signature")
		s.signedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
		s.amzDate = q.Get("X-Amz-Date")
		s.sessionToken = q.Get("X-Amz-Security-Token")
		if q.Get("X-Amz-Algorithm") != sigV4Algorithm || s.signature == "" || q.Get("X-Amz-SignedHeaders") == "" {
			return nil, errIncompleteSignature("A presigned URL requires X-Amz-Algorithm=%s, X-Amz-SignedHeaders and X-Amz-Signature.", sigV4Algorithm)
		}
	} else {
		return nil, nil
	}
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[0] == "" || parts[4] != "aws4_request" {
		return nil, errIncompleteSignature("Credential %q is not ACCESSKEY/DATE/REGION/SERVICE/aws4_request.", credential)
	}
	s.accessKeyID, s.date, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	if s.amzDate == "" {
		return nil, errIncompleteSignature("The request has no X-Amz-Date: the emulator cannot recompute its signature without it.")
	}
	return s, nil
}

// verify recomputes the signature with the AWS SDK's own signer over the request as received:
// the headers the signature lists, the body's hash, the time it was signed at and the
// credentials the emulator holds for the key, then compares in constant time.
func (s *signature) verify(r *http.Request, secret, sessionToken string) *apiError {
	signedAt, err := time.Parse(amzDateFormat, s.amzDate)
	if err != nil || signedAt.Format("20060102") != s.date {
		return errSignatureDoesNotMatch()
	}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	q := u.Query()
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), http.NoBody)
	if err != nil {
		return errSignatureDoesNotMatch()
	}
	req.Host = r.Host
	for _, h := range s.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			req.ContentLength = r.ContentLength
		default:
			if v, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
				req.Header[http.CanonicalHeaderKey(h)] = v
			}
		}
	}
	sum := sha256.Sum256(s.body)
	creds := aws.Credentials{AccessKeyID: s.accessKeyID, SecretAccessKey: secret, SessionToken: sessionToken}
	signer := v4.NewSigner()
	var got string
	if s.presigned {
		signed, _, err := signer.PresignHTTP(r.Context(), creds, req, hex.EncodeToString(sum[:]), s.service, s.region, signedAt)
		if err != nil {
			return errSignatureDoesNotMatch()
		}
		pu, err := url.Parse(signed)
		if err != nil {
			return errSignatureDoesNotMatch()
		}
		got = pu.Query().Get("X-Amz-Signature")
	} else {
		if err := signer.SignHTTP(r.Context(), creds, req, hex.EncodeToString(sum[:]), s.service, s.region, signedAt); err != nil {
			return errSignatureDoesNotMatch()
		}
		_, got, _ = strings.Cut(req.Header.Get("Authorization"), "Signature=")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.signature)) != 1 {
		return errSignatureDoesNotMatch()
	}
	return nil
}
