// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package server is the VIRT-CO access control plane's HTTP API: v1 under /v1, health checks, and
// the legacy protocol of apiKeyGen.py. It keeps nothing itself; state lives in a store.Store.
package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/virtasant/terraform-provider-virtco/internal/store"
)

// MaxBodyBytes is the largest request body the API reads.
const MaxBodyBytes = 1 << 20

// Config is what a Server needs besides its store. MasterToken, when set, is stored as the master
// token unless the store has one: the server checks keys against the store's master token.
type Config struct {
	OpsKey      string
	MasterToken string
	Logger      *slog.Logger // nil: discard

	// RateLimit is the requests a second each key may make, over which it gets 429; 0: no limit.
	RateLimit float64
	// TrustedProxies are the proxies whose X-Forwarded-For names the client whose failed
	// authentications are limited (ratelimit.go); none: the client is the peer's address.
	TrustedProxies []netip.Prefix
	// Verification: whether and how roles are verified (verification.go); the zero value is off.
	Verification VerificationConfig
	// Now is the clock user tokens' expiry is checked against; nil: time.Now. A test's clock.
	Now func() time.Time
	// Webhooks: where events are pushed (webhooks.go); the zero value pushes none.
	Webhooks WebhookConfig
}

// Server serves the API. Create it with New.
type Server struct {
	store       store.Store
	opsKey      string
	masterToken *masterTokenCache
	log         *slog.Logger
	mux         *http.ServeMux
	metrics     *metrics

	// refused logs the requests refused without a key, at most once a second.
	refused *sampledLog
	// pruneBatch is how many audit entries one pruning transaction deletes at most.
	pruneBatch int

	// authFailures limits failed authentications by client, keyRate each key's requests (nil:
	// no limit); ratelimit.go.
	authFailures   *buckets[netip.Prefix]
	keyRate        *buckets[string]
	trustedProxies []netip.Prefix
	// verify runs and renders the verification of roles (verification.go).
	verify *verification
	// now is Config.Now: the time a user token's expiry is checked against.
	now func() time.Time
	// webhooks pushes events (webhooks.go).
	webhooks *webhooks
}

// New returns a Server on st. The ops key must not be empty.
func New(st store.Store, cfg Config) (*Server, error) {
	if cfg.OpsKey == "" {
		return nil, errors.New("server: the ops key must be set")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler) // formats nothing, where a handler writing to io.Discard formats each line
	}
	if err := seedMasterToken(st, cfg.MasterToken); err != nil {
		return nil, err
	}
	s := &Server{store: st, opsKey: cfg.OpsKey, masterToken: newMasterTokenCache(st, MasterTokenTTL), log: cfg.Logger, mux: http.NewServeMux()}
	if s.now = cfg.Now; s.now == nil {
		s.now = time.Now
	}
	s.metrics = newMetrics(st)
	s.refused, s.pruneBatch = newSampledLog(cfg.Logger, refusalLogInterval), auditPruneBatch
	s.authFailures = newBuckets[netip.Prefix](rate.Every(AuthFailureRefill), AuthFailureBurst, MaxLimitedClients)
	s.trustedProxies = cfg.TrustedProxies
	if cfg.RateLimit > 0 {
		s.keyRate = newBuckets[string](rate.Limit(cfg.RateLimit), keyRateBurst(cfg.RateLimit), MaxLimitedClients)
	}
	s.verify = newVerification(st, cfg.Verification, cfg.Logger)
	s.metrics.registry.MustRegister(&verificationGauge{v: s.verify, errors: s.metrics.dbErrors})
	var err error
	if s.webhooks, err = newWebhooks(st, cfg.Webhooks, cfg.Logger); err != nil {
		return nil, err
	}
	s.metrics.registry.MustRegister(s.webhooks.latency, s.webhooks.outcomes, &deliveryGauge{st: st, errors: s.metrics.dbErrors})
	s.routes()
	return s, nil
}

// handler is an API endpoint: it gets the authenticated caller and returns an error to report.
type handler func(w http.ResponseWriter, r *http.Request, p principal) error

// endpoint is a handler and, for writes, the action its audit entries record.
type endpoint struct {
	h      handler
	action string
	// keyed: the write honours an Idempotency-Key (creates and rotations, whose retry after a
	// lost answer would otherwise meet the first attempt's work).
	keyed bool
}

func read(h handler) endpoint                 { return endpoint{h: h} }
func write(action string, h handler) endpoint { return endpoint{h: h, action: action} }
func keyed(action string, h handler) endpoint { return endpoint{h: h, action: action, keyed: true} }

// methods maps HTTP methods to the endpoints of one path.
type methods map[string]endpoint

func (s *Server) routes() {
	s.route("/v1/diag-accounts", methods{"GET": read(s.listDiagAccounts)})
	s.route("/v1/diag-accounts/{name}", methods{"PUT": write("diag_account.put", s.putDiagAccount)})
	s.route("/v1/master-token", methods{"GET": read(s.getMasterToken)})
	s.route("/v1/master-token/rotate", methods{"POST": keyed("master_token.rotate", s.rotateMasterToken)})
	s.route("/v1/customers", methods{"GET": read(s.listCustomers)})
	s.route("/v1/customers/{customer}", methods{"GET": read(s.getCustomer),
		"PUT": keyed("customer.put", s.putCustomer), "DELETE": write("customer.delete", s.deleteCustomer)})
	s.route("/v1/customers/{customer}/status", methods{"GET": read(s.getCustomerStatus)})
	s.route("/v1/customers/{customer}/users", methods{"GET": read(s.listUsers)})
	s.route("/v1/customers/{customer}/users/{user}", methods{"GET": read(s.getUser),
		"PUT": keyed("user.put", s.putUser), "DELETE": write("user.delete", s.deleteUser)})
	s.route("/v1/customers/{customer}/users/{user}/rotate", methods{"POST": keyed("user.rotate", s.rotateUser)})
	s.route("/v1/customers/{customer}/aws-accounts", methods{"GET": read(s.listAWSAccounts)})
	s.route("/v1/customers/{customer}/aws-accounts/{account_id}", methods{"GET": read(s.getAWSAccount),
		"PUT": keyed("aws_account.put", s.putAWSAccount), "DELETE": write("aws_account.delete", s.deleteAWSAccount)})
	s.route("/v1/customers/{customer}/aws-accounts/{account_id}/verify", methods{"POST": write("aws_account.verify", s.verifyAWSAccount)})
	s.route("/v1/audit", methods{"GET": read(s.listAudit)})
	s.route("/v1/events", methods{"GET": read(s.listEvents)})
	s.route("/v1/events/{id}/replay", methods{"POST": write("event.replay", s.replayEvent)})
	s.route("/v1/deliveries", methods{"GET": read(s.listDeliveries)})
	s.route("/internal", methods{"GET": read(s.legacy)})
	s.mux.HandleFunc("/healthz", s.healthz)
	s.mux.HandleFunc("/readyz", s.readyz)
	s.route("/metrics", methods{"GET": read(s.getMetrics)})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "not_found", "no such endpoint: %s %s (the API is under /v1)", clip(r.Method, 32), r.URL.Path))
	})
}

// route registers the endpoints of one path; other methods get a JSON 405 that lists the
// allowed ones. Every write of an authenticated key, granted or refused, leaves an audit entry:
// the store records it with the write itself, and route records the ones that never got that far.
// A replay of a keyed write's recorded answer leaves none: the first request's entry stands for
// it. Nor does a request refused at authentication: anyone can send those (refusals.go); nor one
// turned away by a rate limit, which would otherwise cost what the limit saves (ratelimit.go).
func (s *Server) route(pattern string, m methods) {
	allowed := make([]string, 0, len(m))
	for method := range m {
		allowed = append(allowed, method)
	}
	sort.Strings(allowed)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		ep, ok := m[r.Method]
		if !ok {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed",
				"%s is not allowed on %s; allowed: %s", clip(r.Method, 32), r.URL.Path, strings.Join(allowed, ", ")))
			return
		}
		p, ok := s.admit(w, r)
		if !ok {
			return
		}
		var err error
		entry := newAuditEntry(r, ep.action)
		r = r.WithContext(store.WithAudit(r.Context(), entry))
		*callerFrom(r.Context()) = p
		entry.KeyKind, entry.KeyID = p.kind.String(), p.keyID
		if p.kind == kindUser {
			entry.Actor = p.user + "@" + p.customer
		}
		if ep.keyed {
			r, err = withIdempotencyKey(r, p)
		}
		if err == nil {
			err = ep.h(w, r, p)
		}
		if err == nil && (ep.action != "" || r.URL.Path == "/internal") && len(s.webhooks.endpoints) > 0 {
			s.webhooks.poke() // the legacy protocol writes by GET
		}
		var replay *store.ReplayError
		if errors.As(err, &replay) {
			sendReplay(w, replay)
			return
		}
		var ae *apiError
		if err != nil {
			ae = s.toAPIError(r.Context(), err)
			writeError(w, ae)
		}
		s.recordRefusal(r.Context(), entry, ae)
	})
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	callerKey
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func callerFrom(ctx context.Context) *principal {
	if p, ok := ctx.Value(callerKey).(*principal); ok {
		return p
	}
	return &principal{}
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// ServeHTTP adds a request id, the limits of the target and the body, panic recovery and one
// access-log line per request. The log line names the kind of key, never the key. A request that
// proved no key and was refused, or that a rate limit turned away, is logged at most once a second
// instead (refusals.go).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	caller := &principal{}
	ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), callerKey, caller)
	r = r.WithContext(ctx)
	w.Header().Set("X-Request-Id", id)
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			s.log.ErrorContext(ctx, "panic", "value", fmt.Sprint(v), "path", r.URL.Path)
			writeError(sw, errorf(http.StatusInternalServerError, "internal", "internal error (request id %s)", id))
		}
		elapsed := time.Since(start)
		s.metrics.observe(r, sw.status, elapsed)
		method, path := clip(r.Method, 32), clip(r.URL.Path, 256)
		if (caller.kind == 0 || sw.status == http.StatusTooManyRequests) && sw.status >= 400 && sw.status < 500 {
			s.refused.Info(ctx, "refused", "id", id, "method", method, "path", path, "status", sw.status, "remote", r.RemoteAddr,
				"client", s.clientPrefix(r).String(), "key", caller.kind.String(), "key_id", caller.keyID)
			return
		}
		s.log.InfoContext(ctx, "request", "id", id, "method", method, "path", path, "status", sw.status,
			"key", caller.kind.String(), "key_id", caller.keyID, "duration", elapsed.Round(time.Microsecond))
	}()
	if ae := tooLong(r); ae != nil {
		writeError(sw, ae)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// decode reads a JSON body into v, refusing unknown fields, fields named twice or in another
// case, trailing data, bodies over the limit and bodies too slow to arrive. An empty body leaves v
// as it is when empty is allowed.
func decode(r *http.Request, v any, emptyOK bool) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if emptyOK {
			return nil
		}
		return invalid("", "the request needs a JSON body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return invalid("", "the request body is not valid JSON (at byte %d): %v", syntax.Offset, err)
		case errors.As(err, &typ):
			return invalid(typ.Field, "field %q must be %s, not %s", typ.Field, jsonType(typ.Type.Kind().String()), typ.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// encoding/json has no error type for an unknown field: its message is all it gives.
			quoted := strings.TrimPrefix(err.Error(), "json: unknown field ")
			field, _ := strconv.Unquote(quoted)
			return invalid(field, "unknown field %s in the request body", quoted)
		}
		return invalid("", "the request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return invalid("", "the request body has data after the JSON object")
	}
	if ae := strictKeys(body, v); ae != nil {
		return ae
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a number"
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.metrics.dbErrors.Inc()
		s.log.WarnContext(ctx, "not ready", "error", err)
		writeError(w, errorf(http.StatusServiceUnavailable, "unavailable", "the database does not answer"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
