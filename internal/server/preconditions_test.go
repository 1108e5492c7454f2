// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package server

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

func TestParseIfMatch(t *testing.T) {
	for _, c := range []struct {
		header  []string
		present bool
		any     bool
		strong  []string
	}{
		{nil, false, false, nil},
		{[]string{`*`}, true, true, nil},
		{[]string{`"34"`}, true, false, []string{"34"}},
		{[]string{`"1", "34"`}, true, false, []string{"1", "34"}},
		{[]string{`"1"`, `"u7"`}, true, false, []string{"1", "u7"}},
		{[]string{`W/"34"`}, true, false, nil},
		{[]string{`W/"34", "35"`}, true, false, []string{"35"}},
		{[]string{`34`}, true, false, nil},
		{[]string{``}, true, false, nil},
		{[]string{`"a,b"`}, true, false, []string{"a,b"}},
		{[]string{`"a b"`}, true, false, nil},
	} {
		m := parseIfMatch(c.header)
		if m.present != c.present || m.any != c.any || !slices.Equal(m.strong, c.strong) {
			t.Errorf("%q: %+v, want present %v any %v strong %q", c.header, m, c.present, c.any, c.strong)
		}
	}
}

// FuzzIfMatch: any header parses without a panic, and a list of strong tags written out reads
// back as those tags, in order, whatever weak tags and white space stand between them.
func FuzzIfMatch(f *testing.F) {
	f.Add(`"1", W/"2", "u3"`, uint8(3))
	f.Add(`*`, uint8(0))
	f.Add(`"a,"b"`, uint8(1))
	f.Fuzz(func(t *testing.T, header string, n uint8) {
		m := parseIfMatch([]string{header})
		for _, tag := range m.strong {
			if !validOpaque(tag) {
				t.Fatalf("%q gave the tag %q", header, tag)
			}
		}
		var want []string
		var b strings.Builder
		for i := range int(n % 8) {
			tag := fmt.Sprintf("v%d", i)
			want = append(want, tag)
			fmt.Fprintf(&b, ` W/"w%d" , "%s",`, i, tag)
		}
		if got := parseIfMatch([]string{b.String()}); !slices.Equal(got.strong, want) || got.any {
			t.Fatalf("%q read back as %q, want %q", b.String(), got.strong, want)
		}
	})
}

// Every customer-scoped write honours its preconditions: a stale tag, a weak one, one of another
// kind of object, or If-None-Match: * on an object that exists answers 412 and changes nothing;
// a list matches when any entry does.
func TestPreconditionsOnEveryWrite(t *testing.T) {
	e := newEnv(t)
	e.seed()
	const user, account = "/v1/customers/acme.com/users/joe", "/v1/customers/acme.com/aws-accounts/123456789012"
	e.must(201, "PUT", account, e.ops, map[string]any{"state": "in-progress"})
	// Each object is written once more, so that its first tag is stale.
	e.must(200, "POST", user+"/rotate", e.ops, nil)
	e.must(200, "PUT", account, e.ops, map[string]any{"state": "purge"})
	e.must(200, "PUT", "/v1/customers/acme.com", e.ops, map[string]any{"diag_account": "Diag9"})

	writes := []struct {
		method, path string
		body         any
		tag          func() string // the object's current entity tag
		otherKind    string        // the current version written as another kind's tag
	}{
		{"PUT", user, nil, e.tagOf(user), "a"},
		{"POST", user + "/rotate", nil, e.tagOf(user), ""},
		{"DELETE", user, nil, e.tagOf(user), "a"},
		{"PUT", account, map[string]any{"state": "in-progress"}, e.tagOf(account), "u"},
		{"DELETE", account, nil, e.tagOf(account), ""},
		{"PUT", "/v1/customers/acme.com", map[string]any{"diag_account": "Diag3"}, e.tagOf("/v1/customers/acme.com"), "u"},
		{"DELETE", "/v1/customers/acme.com", nil, e.tagOf("/v1/customers/acme.com"), "a"},
	}
	for _, w := range writes {
		current := w.tag()
		version := strings.TrimLeft(strings.Trim(current, `"`), "ua")
		n, _ := strconv.ParseInt(version, 10, 64)
		stale := fmt.Sprintf(`"%s%d"`, strings.TrimRight(strings.Trim(current, `"`), "0123456789"), n-1)
		refused := [][]string{
			{"If-Match", stale},
			{"If-Match", "W/" + current},
			{"If-Match", fmt.Sprintf(`"%s%s"`, w.otherKind, version)},
			{"If-Match", `"999", ` + stale},
			{"If-Match", "garbage"},
		}
		if w.method == "PUT" {
			refused = append(refused, []string{"If-None-Match", "*"})
		}
		for _, h := range refused {
			before := e.snapshot()
			r := e.must(412, w.method, w.path, e.ops, w.body, h...)
			if r.errorCode() != "precondition_failed" {
				t.Fatalf("%s %s %v: %s", w.method, w.path, h, r.body)
			}
			if after := e.snapshot(); after != before {
				t.Fatalf("%s %s %v refused, yet the store changed:\n%s\n%s", w.method, w.path, h, before, after)
			}
		}
	}

	// A list matches when any entry does; the writes then go through, the deletes last.
	for _, w := range writes {
		want := map[string]int{"PUT": 200, "POST": 200, "DELETE": 204}[w.method]
		e.must(want, w.method, w.path, e.ops, w.body, "If-Match", `W/"7", "999", `+w.tag())
	}
	e.must(404, "GET", "/v1/customers/acme.com", e.ops, nil)
}

// If-None-Match: * creates a user or an AWS account that does not exist yet, and If-Match: *
// writes only one that does.
func TestCreateOnlyAndUpdateOnly(t *testing.T) {
	e := newEnv(t)
	e.seed()
	const user, account = "/v1/customers/acme.com/users/eve", "/v1/customers/acme.com/aws-accounts/123456789012"
	e.must(412, "PUT", user, e.ops, nil, "If-Match", "*")
	e.must(412, "PUT", account, e.ops, map[string]any{"state": "in-progress"}, "If-Match", "*")
	e.must(404, "GET", user, e.ops, nil)
	e.must(404, "GET", account, e.ops, nil)
	userTag := e.must(201, "PUT", user, e.ops, nil, "If-None-Match", "*").header.Get("ETag")
	if !regexp.MustCompile(`^"u[1-9][0-9]*"$`).MatchString(userTag) {
		t.Fatalf("a new user's ETag: %q", userTag)
	}
	accountTag := e.must(201, "PUT", account, e.ops, map[string]any{"state": "in-progress"}, "If-None-Match", "*").header.Get("ETag")
	if !regexp.MustCompile(`^"a[1-9][0-9]*"$`).MatchString(accountTag) {
		t.Fatalf("a new account's ETag: %q", accountTag)
	}
	if tag := e.must(200, "PUT", account, e.ops, map[string]any{"state": "purge"}, "If-Match", "*").header.Get("ETag"); tag == accountTag {
		t.Fatalf("an updated account kept its ETag %q", tag)
	}

	// Removed and provisioned again, eve is another user, whom her first ETag does not match.
	e.must(204, "DELETE", user, e.ops, nil, "If-Match", userTag)
	e.must(201, "PUT", user, e.ops, nil)
	e.must(412, "DELETE", user, e.ops, nil, "If-Match", userTag)
}

// Two rotations of one user at the same moment: exactly one wins, and the other is told so
// (409) rather than handed a token that no longer works.
func TestConcurrentRotations(t *testing.T) {
	e := &env{t: t, ops: NewOpsKey(), master: NewMasterToken()}
	// Both rotations read the user before either writes: the moment a race would need.
	read := &barrier{n: 2}
	e.wrap = func(st store.Store) store.Store { return readTogether{st, read} }
	e.url, e.store = e.serve(testDB(t), nil)
	e.seed()
	const path = "/v1/customers/acme.com/users/joe"
	read.arm()

	answers := make(chan response, 2)
	for range 2 {
		go func() { answers <- e.call("POST", path+"/rotate", e.ops, nil) }()
	}
	byStatus := map[int][]response{}
	for range 2 {
		r := <-answers
		byStatus[r.status] = append(byStatus[r.status], r)
	}
	if len(byStatus[200]) != 1 || len(byStatus[409]) != 1 || byStatus[409][0].errorCode() != "conflict" {
		t.Fatalf("answers: %v", byStatus)
	}
	var won struct{ Token string }
	byStatus[200][0].decode(t, &won)
	stored, err := e.store.GetUser(t.Context(), "acme.com", "joe")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Token != won.Token {
		t.Fatal("the token the winner was given is not the one stored")
	}
	e.must(200, "GET", "/v1/customers/acme.com", won.Token, nil)
}

// tagOf reads the ETag of the object at path when called.
func (e *env) tagOf(path string) func() string {
	return func() string { return e.must(200, "GET", path, e.ops, nil).header.Get("ETag") }
}

// barrier, once armed, holds its first n callers until all n have come.
type barrier struct {
	n       int
	mu      sync.Mutex
	armed   bool
	waiting int
	release chan struct{}
}

func (b *barrier) arm() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed, b.release = true, make(chan struct{})
}

func (b *barrier) wait() {
	b.mu.Lock()
	if !b.armed {
		b.mu.Unlock()
		return
	}
	b.waiting++
	release := b.release
	if b.waiting == b.n {
		b.armed = false
		close(release)
	}
	b.mu.Unlock()
	<-release
}

// readTogether is a store whose reads of a user meet at a barrier.
type readTogether struct {
	store.Store
	b *barrier
}

func (s readTogether) GetUser(ctx context.Context, customer, name string) (store.User, error) {
	u, err := s.Store.GetUser(ctx, customer, name)
	s.b.wait()
	return u, err
}
