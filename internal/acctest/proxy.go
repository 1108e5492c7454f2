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
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards to a control plane and answers 500 to the requests on AWS accounts that Fail
// picks: the control plane failing at a chosen step of a grant or a revocation. With LoseAnswers
// it also loses the answer to the first attempt of every request that carries an
// Idempotency-Key (every create and rotation): it forwards the request, lets the server commit
// it, and answers 502, as a load balancer does when the upstream's answer is lost.
type Proxy struct {
	URL    string
	fail   atomic.Pointer[[]rule]
	failed atomic.Int64
	lose   atomic.Bool
	always atomic.Bool // lose every answer of a keyed request, not only the first
	mu     sync.Mutex
	seen   map[string]bool // Idempotency-Keys whose first answer was lost
	lost   atomic.Int64
	// requests counts the requests forwarded, by method and path ("GET /v1/customers").
	requests map[string]int
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
	p := &Proxy{seen: map[string]bool{}, requests: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests[r.Method+" "+r.URL.Path]++
		p.mu.Unlock()
		raw, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if p.losesAnswer(r) {
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			p.lost.Add(1)
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
			return
		}
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

// losesAnswer tells whether this is the first attempt of a keyed request while LoseAnswers is on.
func (p *Proxy) losesAnswer(r *http.Request) bool {
	key := r.Header.Get("Idempotency-Key")
	if !p.lose.Load() || key == "" {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen[key] && !p.always.Load() {
		return false
	}
	p.seen[key] = true
	return true
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

// Heal stops failing requests and losing answers.
func (p *Proxy) Heal() {
	p.fail.Store(nil)
	p.lose.Store(false)
	p.always.Store(false)
}

// LoseAnswers makes the proxy lose the answer to the first attempt of every keyed request.
func (p *Proxy) LoseAnswers() { p.lose.Store(true) }

// LoseEveryAnswer makes the proxy lose the answer to every attempt of every keyed request, so
// that the client's retries run out.
func (p *Proxy) LoseEveryAnswer() {
	p.always.Store(true)
	p.lose.Store(true)
}

// Lost is how many answers the proxy lost.
func (p *Proxy) Lost() int64 { return p.lost.Load() }

// Failed is how many requests the proxy failed.
func (p *Proxy) Failed() int64 { return p.failed.Load() }

// Requests is how many requests the proxy has had since the last call, by method and path
// ("GET /v1/customers/acme.com/users").
func (p *Proxy) Requests() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	counts := p.requests
	p.requests = map[string]int{}
	return counts
}
