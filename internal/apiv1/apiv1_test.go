// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package apiv1_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/virtasant/terraform-provider-virtco/internal/apiv1"
	"github.com/virtasant/terraform-provider-virtco/internal/openapitest"
)

// The contract tests of the server and of the client see only the bodies their requests happen
// to carry; this holds every type to its schema whole, so that a property added to the spec and
// forgotten here, or the other way round, fails even before a test sends it.

type spec map[string]*openapi3.Operation

func (s spec) answer(operation string, status int) *openapi3.Response {
	return s[operation].Responses.Status(status).Value
}

func (s spec) body(operation string, status int) *openapi3.Schema {
	return s.answer(operation, status).Content.Get("application/json").Schema.Value
}

func (s spec) request(operation string) *openapi3.Schema {
	return s[operation].RequestBody.Value.Content.Get("application/json").Schema.Value
}

func TestBodiesMatchTheSpec(t *testing.T) {
	s := spec(openapitest.Load(t).Operations())
	for _, c := range []struct {
		body   any
		schema *openapi3.Schema
	}{
		{apiv1.CustomerList{}, s.body("listCustomers", 200)},
		{apiv1.CustomerRecords{}, s.body("listCustomers", 200)},
		{apiv1.Customer{}, s.body("getCustomer", 200)},
		{apiv1.CustomerStatus{}, s.body("getCustomerStatus", 200)},
		{apiv1.UserList{}, s.body("listUsers", 200)},
		{apiv1.User{}, s.body("getUser", 200)},
		{apiv1.MasterToken{}, s.body("getMasterToken", 200)},
		{apiv1.AWSAccountList{}, s.body("listAWSAccounts", 200)},
		{apiv1.AWSAccount{}, s.body("getAWSAccount", 200)},
		{apiv1.AWSAccountInput{}, s.request("putAWSAccount")},
		{apiv1.DiagAccountList{}, s.body("listDiagAccounts", 200)},
		{apiv1.DiagAccount{}, s.body("putDiagAccount", 200)},
		{apiv1.DiagAccountInput{}, s.request("putDiagAccount")},
		{apiv1.AuditPage{}, s.body("listAudit", 200)},
		{apiv1.ErrorBody{}, s.body("getCustomer", 404)},
	} {
		typ := reflect.TypeOf(c.body)
		t.Run(typ.Name(), func(t *testing.T) { match(t, typ.Name(), typ, c.schema) })
	}
	if s.answer("getCustomer", 200).Headers["ETag"] == nil {
		t.Error("Customer.ETag stands for the ETag header, which the spec no longer gives a customer")
	}
}

var timeType = reflect.TypeFor[time.Time]()

// match holds typ to schema: a struct has exactly the schema's properties, and omits when empty
// exactly the ones that are not required (a required one must always be written, an optional one
// must not be sent empty).
func match(t *testing.T, at string, typ reflect.Type, schema *openapi3.Schema) {
	t.Helper()
	if len(schema.AllOf) == 1 && schema.Type == nil {
		schema = schema.AllOf[0].Value
	}
	if typ.Kind() == reflect.Pointer { // an optional value: the pointer tells absent from zero
		typ = typ.Elem()
	}
	if len(schema.OneOf) > 0 { // one body of several shapes: the Go type names its schema
		i := slices.IndexFunc(schema.OneOf, func(r *openapi3.SchemaRef) bool {
			return strings.HasSuffix(r.Ref, "/"+typ.Name())
		})
		if i < 0 {
			t.Errorf("%s: a Go %s, which is none of the schemas of the oneOf", at, typ)
			return
		}
		schema = schema.OneOf[i].Value
	}
	want := map[reflect.Kind]string{reflect.Struct: "object", reflect.Slice: "array", reflect.String: "string",
		reflect.Bool: "boolean", reflect.Int64: "integer"}[typ.Kind()]
	if typ == timeType {
		want = "string"
		if schema.Format != "date-time" {
			t.Errorf("%s: a time.Time for a string of format %q", at, schema.Format)
		}
	}
	if !schema.Type.Is(want) {
		t.Errorf("%s: a Go %s for a schema of type %v", at, typ, schema.Type)
		return
	}
	switch {
	case typ.Kind() == reflect.Slice:
		match(t, at+"[]", typ.Elem(), schema.Items.Value)
	case typ.Kind() == reflect.Struct && typ != timeType:
		seen := map[string]bool{}
		for f := range typ.Fields() {
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			seen[name] = true
			prop := schema.Properties[name]
			if prop == nil {
				t.Errorf("%s.%s: %q is not a property of the schema", at, f.Name, name)
				continue
			}
			if omit := slices.Contains(strings.Split(opts, ","), "omitempty"); omit == slices.Contains(schema.Required, name) {
				t.Errorf("%s.%s: omitempty is %v, but the schema's required is %v", at, f.Name, omit, schema.Required)
			}
			match(t, at+"."+f.Name, f.Type, prop.Value)
		}
		for name := range schema.Properties {
			if !seen[name] {
				t.Errorf("%s: no field for the schema's property %q", at, name)
			}
		}
	}
}

func TestEnumsMatchTheSpec(t *testing.T) {
	s := spec(openapitest.Load(t).Operations())
	customer, diag := s.body("getCustomer", 200).Properties, s.body("putDiagAccount", 200).Properties
	for _, c := range []struct {
		name   string
		values []string
		schema *openapi3.Schema
	}{
		{"RoleStatus", strs(apiv1.RolePending, apiv1.RoleInProgress, apiv1.RoleDone, apiv1.RolePurge), customer["role_status"].Value},
		{"DiagAccountAvailability", strs(apiv1.DiagnosticsAccountUnavailable, apiv1.DiagnosticsAccountReady),
			customer["diag_account_status"].Value},
		{"DiagAccountStatus", strs(apiv1.DiagAccountReadyForUse, apiv1.DiagAccountProvisioning, apiv1.DiagAccountUnavailable),
			diag["status"].Value},
		{"VerificationState", strs(apiv1.VerificationPending, apiv1.Verified, apiv1.VerificationFailed, apiv1.VerificationUnavailable, apiv1.VerificationExpired),
			s.body("getAWSAccount", 200).Properties["verification"].Value.Properties["state"].Value},
	} {
		var enum []string
		for _, v := range c.schema.Enum {
			enum = append(enum, v.(string))
		}
		slices.Sort(enum)
		if slices.Sort(c.values); !slices.Equal(c.values, enum) {
			t.Errorf("%s: the constants are %q, the spec's enum is %q", c.name, c.values, enum)
		}
	}
}

func strs[S ~string](values ...S) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
