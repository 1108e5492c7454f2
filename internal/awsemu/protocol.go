// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package awsemu

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// XML namespaces of the two services; the SDK does not check them, but the
// AWS CLI and other clients see exactly what the real services send.
const (
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

	iamVersion = "2010-05-08"
	stsVersion = "2011-06-15"
)

// apiError is an AWS error as the Query protocol reports it. The status code
// matters: the SDK decides retryability from the code *and* the status (5xx is
// always retried), so each constructor below uses the status the real service
// sends for that code.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// faultType is "Sender" for client errors and "Receiver" for server errors,
// as in real IAM and STS error bodies.
func (e *apiError) faultType() string {
	if e.status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func errNoSuchEntity(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, "NoSuchEntity", format, args...)
}

func errEntityAlreadyExists(format string, args ...any) *apiError {
	return errorf(http.StatusConflict, "EntityAlreadyExists", format, args...)
}

func errDeleteConflict(format string, args ...any) *apiError {
	return errorf(http.StatusConflict, "DeleteConflict", format, args...)
}

func errLimitExceeded(format string, args ...any) *apiError {
	return errorf(http.StatusConflict, "LimitExceeded", format, args...)
}

func errMalformedPolicy(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "MalformedPolicyDocument", format, args...)
}

func errInvalidInput(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "InvalidInput", format, args...)
}

func errValidation(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "ValidationError", format, args...)
}

func errAccessDenied(format string, args ...any) *apiError {
	return errorf(http.StatusForbidden, "AccessDenied", format, args...)
}

// memberList renders a Query-protocol list: <Name><member>..</member></Name>.
// It is a struct rather than an `xml:"Name>member"` tag so that an empty list
// is still sent as an empty element, as the real services do.
type memberList[T any] struct {
	Member []T `xml:"member"`
}

func members[T any](items []T) memberList[T] { return memberList[T]{Member: items} }

// emptyResult is used by operations whose real response carries an empty
// <XResult/> element (UpdateRole, for example).
type emptyResult struct{}

// writeResult writes <ActionResponse><ActionResult>result</ActionResult>
// <ResponseMetadata><RequestId/></ResponseMetadata></ActionResponse>. A nil
// result leaves the Result element out, which is what IAM sends for
// operations without output (DeleteRole, PutRolePolicy, ...).
func writeResult(w http.ResponseWriter, ns, action, requestID string, result any) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "<%sResponse xmlns=\"%s\">\n", action, ns)
	if result != nil {
		enc := xml.NewEncoder(&buf)
		enc.Indent("  ", "  ")
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			// Only a programming error (an unencodable type) gets here.
			writeError(w, ns, requestID, errorf(http.StatusInternalServerError, "InternalFailure", "emulator could not encode %s result: %v", action, err))
			return
		}
		buf.WriteString("\n")
	}
	fmt.Fprintf(&buf, "  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n</%sResponse>\n", requestID, action)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// writeError writes the Query-protocol error envelope. The SDK reads Code,
// Message and RequestId from it and maps Code to a modelled exception type.
func writeError(w http.ResponseWriter, ns, requestID string, e *apiError) {
	type errorBody struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type errorResponse struct {
		XMLName   xml.Name  `xml:"ErrorResponse"`
		Xmlns     string    `xml:"xmlns,attr"`
		Error     errorBody `xml:"Error"`
		RequestID string    `xml:"RequestId"`
	}
	body, _ := xml.MarshalIndent(errorResponse{
		Xmlns:     ns,
		Error:     errorBody{Type: e.faultType(), Code: e.code, Message: e.message},
		RequestID: requestID,
	}, "", "  ")
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.WriteHeader(e.status)
	_, _ = w.Write(append(body, '\n'))
}

// newRequestID returns a UUID-shaped request id like the ones AWS sends.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// isoTime formats a timestamp the way IAM and STS do (ISO 8601, UTC, seconds).
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// encodePolicy URL-encodes a policy document the way IAM returns it in
// GetRole, GetRolePolicy and friends. Spaces become %20, never '+', so that
// both url.QueryUnescape and url.PathUnescape give back the original text.
func encodePolicy(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// params wraps the decoded form of one request with the Query protocol's
// conventions for optional values and lists.
type params struct{ url.Values }

// str returns the parameter and whether it was present at all (an empty value
// is present: the SDK sends "Description=" for an empty string).
func (p params) str(name string) (string, bool) {
	v, ok := p.Values[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

func (p params) get(name string) string { v, _ := p.str(name); return v }

// required returns the parameter or the ValidationError IAM sends for a
// missing one. field is the lowerCamel name AWS uses in the message.
func (p params) required(name string) (string, *apiError) {
	v, ok := p.str(name)
	if !ok {
		return "", errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(name))
	}
	return v, nil
}

// integer parses an optional integer parameter.
func (p params) integer(name string) (int, bool, *apiError) {
	v, ok := p.str(name)
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false, errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be a number", v, lowerFirst(name))
	}
	return n, true, nil
}

// list returns the values of a Query list, Name.member.1, Name.member.2, ...
// in index order. A bare "Name=" (how the SDK sends an empty list) yields an
// empty, non-nil slice; an absent list yields nil.
func (p params) list(name string) []string {
	prefix := name + ".member."
	type item struct {
		i int
		v string
	}
	var items []item
	for k, v := range p.Values {
		if !strings.HasPrefix(k, prefix) || len(v) == 0 {
			continue
		}
		i, err := strconv.Atoi(k[len(prefix):])
		if err != nil {
			continue
		}
		items = append(items, item{i, v[0]})
	}
	if items == nil {
		if _, ok := p.Values[name]; ok {
			return []string{}
		}
		return nil
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]string, len(items))
	for j, it := range items {
		out[j] = it.v
	}
	return out
}

// tags returns Name.member.N.Key / Name.member.N.Value pairs in index order.
func (p params) tags(name string) []Tag {
	prefix := name + ".member."
	byIndex := map[int]*Tag{}
	for k, v := range p.Values {
		if !strings.HasPrefix(k, prefix) || len(v) == 0 {
			continue
		}
		idx, field, ok := strings.Cut(k[len(prefix):], ".")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(idx)
		if err != nil {
			continue
		}
		t := byIndex[i]
		if t == nil {
			t = &Tag{}
			byIndex[i] = t
		}
		switch field {
		case "Key":
			t.Key = v[0]
		case "Value":
			t.Value = v[0]
		}
	}
	idx := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]Tag, 0, len(idx))
	for _, i := range idx {
		out = append(out, *byIndex[i])
	}
	return out
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
