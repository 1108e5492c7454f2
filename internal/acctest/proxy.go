// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package acctest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// Proxy forwards to a control plane and answers 500 to the requests on AWS accounts that Fail
// picks: the control plane failing at a chosen step of a grant or a revocation.
type Proxy struct {
	URL    string
	fail   atomic.Pointer[[]rule]
	failed atomic.Int64
}

// rule picks AWS-account requests by method and, when state is set, the state the body registers.
type rule struct{ method, state string }

// StartProxy starts a proxy in front of target; it stops when the test ends.
func StartProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if p.picks(r, raw) {
			p.failed.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":{"code":"internal","message":"the database is on fire (injected by the test)"}}`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *Proxy) picks(r *http.Request, body []byte) bool {
	rules := p.fail.Load()
	if rules == nil || !strings.Contains(r.URL.Path, "/aws-accounts/") {
		return false
	}
	var in struct {
		State string `json:"state"`
	}
	_ = json.Unmarshal(body, &in)
	for _, f := range *rules {
		if r.Method == f.method && (f.state == "" || f.state == in.State) {
			return true
		}
	}
	return false
}

// Fail makes the proxy fail requests on AWS accounts with this method that register state (""
// for any), besides those it fails already.
func (p *Proxy) Fail(method, state string) {
	var rules []rule
	if prev := p.fail.Load(); prev != nil {
		rules = append(rules, *prev...)
	}
	rules = append(rules, rule{method, state})
	p.fail.Store(&rules)
}

// Heal stops failing requests.
func (p *Proxy) Heal() { p.fail.Store(nil) }

// Failed is how many requests the proxy failed.
func (p *Proxy) Failed() int64 { return p.failed.Load() }
