// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// decodeBody runs decode on body as a request's, into v.
func decodeBody(body []byte, v any) error {
	return decode(httptest.NewRequest("PUT", "/v1/customers/acme.com", bytes.NewReader(body)), v, true)
}

// refusedAs fails unless err is a 400 of decode that says what is wrong with field.
func refusedAs(t *testing.T, body []byte, err error, field, says string) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) || ae.status != http.StatusBadRequest || ae.field != field || !strings.Contains(ae.message, says) {
		t.Fatalf("%q: got %v, want a 400 about %q that says %q", body, err, field, says)
	}
}

// FuzzDecode: the strict decoder of request bodies never panics; what it accepts means one thing,
// which it reads back the same once re-encoded; and a key named twice, or in another case than
// the field it would fill, is refused whatever else the body holds.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"diag_account":"Diag3","regions":["us-east-1"],"auto_run_finders":true}`))
	f.Add([]byte(`{"a":{"b":1,"b":2}}`))
	f.Add([]byte(`{"Regions":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		// The request bodies are small; large inputs only slow the fuzzer's minimization, which
		// then outlasts a CI run's -fuzztime (golang/go#48820).
		if len(body) > 1024 {
			return
		}
		// A customer's input: fields known, so that their case matters.
		var in customerInput
		if err := decodeBody(body, &in); err == nil {
			again, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var back customerInput
			if err := decodeBody(again, &back); err != nil || !reflect.DeepEqual(back, in) {
				t.Fatalf("%q was read as %s, which reads back as %+v (%v)", body, again, back, err)
			}
			// Every field of the input, named in capitals besides its own name: encoding/json
			// would take either.
			dup := append([]byte(`{"DIAG_ACCOUNT":null,`), again[1:]...)
			refusedAs(t, dup, decodeBody(dup, &customerInput{}), "DIAG_ACCOUNT", "case-sensitive")
		}

		// Any object: no fields known, so that only repeated keys are refused.
		var m map[string]any
		if err := decodeBody(body, &m); err != nil || len(m) == 0 {
			return
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := decodeBody(again, &back); err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("%q was read as %s, which reads back as %v (%v)", body, again, back, err)
		}
		for k, v := range m {
			first, _ := json.Marshal(k)
			value, _ := json.Marshal(v)
			dup := append(append(append([]byte("{"), first...), ':'), value...)
			dup = append(append(dup, ','), again[1:]...)
			refusedAs(t, dup, decodeBody(dup, &map[string]any{}), k, "more than once")
			// The same key twice one object down.
			nested := []byte(`{"x":` + string(dup) + `}`)
			refusedAs(t, nested, decodeBody(nested, &map[string]any{}), k, "more than once")
			break
		}
	})
}

// FuzzLegacyQuery: whatever query the legacy protocol is sent, with the ops key, the server
// answers JSON, with a status the spec documents and never 500; a refusal of the argument names
// customer, its only argument; and a provision that succeeds provisions the user and customer
// the argument names.
func FuzzLegacyQuery(f *testing.F) {
	f.Add("target=provision&customer=joe@acme.com")
	f.Add("target=ctok&customer=acme.com")
	f.Add("target=provision&customer=@acme.com:")
	st, err := store.Open(f.Context(), filepath.Join(f.TempDir(), "virtco.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	ops := NewOpsKey()
	srv, err := New(st, Config{OpsKey: ops, MasterToken: NewMasterToken()})
	if err != nil {
		f.Fatal(err)
	}
	ctx := f.Context()
	if _, _, err := st.PutDiagAccount(store.WithAudit(ctx, &store.AuditEntry{KeyKind: "config"}),
		store.DiagAccount{Name: "Diag3", AccountID: "111122223333", Region: store.DefaultAWSRegion, Status: store.DiagReady}); err != nil {
		f.Fatal(err)
	}
	documented := map[int]bool{200: true, 400: true, 404: true, 409: true, 414: true, 422: true}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/internal", nil)
		r.URL.RawQuery, r.RequestURI = query, "/internal?"+query
		r.Header.Set("x-api-key", ops)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		body := w.Body.Bytes()
		if !documented[w.Code] || !json.Valid(body) {
			t.Fatalf("?%s: %d %s", query, w.Code, body)
		}
		var e struct{ Error *struct{ Field string } }
		_ = json.Unmarshal(body, &e)
		if w.Code == 400 && (e.Error == nil || e.Error.Field != "customer") {
			t.Fatalf("?%s: a 400 not about customer: %s", query, body)
		}
		q, _ := url.ParseQuery(query)
		if w.Code != 200 || q.Get("target") != "provision" {
			return
		}
		var got struct {
			KeyName string `json:"key_name"`
		}
		spec, _, _ := strings.Cut(q.Get("customer"), ":")
		if err := json.Unmarshal(body, &got); err != nil || got.KeyName != spec+"-API-Key" {
			t.Fatalf("?%s provisioned %s", query, body)
		}
		user, customer, _ := strings.Cut(spec, "@")
		if _, err := st.GetUser(ctx, customer, user); err != nil {
			t.Fatalf("?%s: %s, but %s@%s is not in the store: %v", query, body, user, customer, err)
		}
	})
}
