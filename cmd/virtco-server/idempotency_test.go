// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtasant/terraform-provider-virtco/internal/client"
	"github.com/virtasant/terraform-provider-virtco/internal/pgtest"
	"github.com/virtasant/terraform-provider-virtco/internal/servertest"
)

// TestAnswerLostToSIGKILL: a create (and a rotation) whose server is SIGKILLed right after it
// committed, so that its answer never reaches the client. The client's retry, under the same
// Idempotency-Key, reaches the restarted server and gets the lost answer: 201 and the token the
// server committed, not a "200, it exists" for a key no one holds. On SQLite and on PostgreSQL.
//
// The kill is timed by a proxy in front of the server, as a load balancer would stand there: it
// forwards the first attempt of each call, reads the server's whole answer (so the write has
// committed), SIGKILLs the server, starts it again on the same database and answers the client
// 502. The client is the real one, with its own key and retries.
func TestAnswerLostToSIGKILL(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { answerLostToSIGKILL(t, servertest.Options{}) })
	t.Run("postgres", func(t *testing.T) { answerLostToSIGKILL(t, servertest.Options{DB: pgtest.Shared(t).NewDatabase(t)}) })
}

func answerLostToSIGKILL(t *testing.T, opts servertest.Options) {
	p := servertest.Start(t, opts)
	if status, body := request(t, "PUT", p.URL+"/v1/customers/acme.com", p.OpsKey, ""); status != 201 {
		t.Fatalf("%d %s", status, body)
	}

	var (
		mu   sync.Mutex
		seen = map[string]int{}    // attempts per method and path
		lost = map[string][]byte{} // the answer the client never got, per method and path
		keys = map[string][]string{}
	)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		call := r.Method + " " + r.URL.Path
		seen[call]++
		keys[call] = append(keys[call], r.Header.Get("Idempotency-Key"))
		body, _ := io.ReadAll(r.Body)
		req, err := http.NewRequestWithContext(r.Context(), r.Method, p.URL+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			t.Error(err)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
			return
		}
		answer, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Error(err)
		}
		if seen[call] == 1 {
			lost[call] = answer
			p.Kill()
			p.Restart()
			http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(answer)
	}))
	defer proxy.Close()

	c, err := client.New(&client.Config{Address: proxy.URL, APIKey: p.OpsKey, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tokenOf := func(answer []byte) string {
		t.Helper()
		var u struct{ Token string }
		if err := json.Unmarshal(answer, &u); err != nil || !strings.HasPrefix(u.Token, "vcu_") {
			t.Fatalf("the lost answer holds no token: %s", answer)
		}
		return u.Token
	}
	checkRetried := func(call string) {
		t.Helper()
		if seen[call] != 2 || keys[call][0] == "" || keys[call][0] != keys[call][1] {
			t.Fatalf("%s: %d attempts with Idempotency-Keys %q; want 2 with one key", call, seen[call], keys[call])
		}
	}

	u, created, err := c.Users.Put(t.Context(), "acme.com", "joe", client.UserPutOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Logs())
	}
	const putJoe = "PUT /v1/customers/acme.com/users/joe"
	checkRetried(putJoe)
	if same := u.Token == tokenOf(lost[putJoe]); !created || !same {
		t.Fatalf("the retry after SIGKILL got created=%v, the committed token: %v; want 201 and that token", created, same)
	}

	rotated, err := c.Users.Rotate(t.Context(), "acme.com", "joe", client.UserRotateOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Logs())
	}
	const rotateJoe = "POST /v1/customers/acme.com/users/joe/rotate"
	checkRetried(rotateJoe)
	if rotated.Token != tokenOf(lost[rotateJoe]) || rotated.Token == u.Token {
		t.Fatal("the retried rotation did not get the token of the rotation the killed server committed")
	}

	// The server has the token the client holds, and only that one works.
	stored, err := c.Users.Get(t.Context(), "acme.com", "joe")
	if err != nil || stored.Token != rotated.Token {
		t.Fatalf("stored token differs from the one the client got: %v", err)
	}
	if status, _ := request(t, "GET", p.URL+"/v1/customers/acme.com", rotated.Token, ""); status != 200 {
		t.Fatalf("the client's token is refused: %d", status)
	}
	if status, _ := request(t, "GET", p.URL+"/v1/customers/acme.com", u.Token, ""); status != 401 {
		t.Fatalf("the token before the rotation still works: %d", status)
	}
}
