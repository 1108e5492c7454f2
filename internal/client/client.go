// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

// Package client is the typed Go client of the VIRT-CO access control plane's v1 HTTP API, the
// contract in api/openapi.yaml. It is what the Terraform provider talks to the platform with.
//
// It follows the shape of HashiCorp's go-tfe: a Config, New, and one service per resource on the
// Client (c.Customers.Get, c.Users.Put, ...). Every call sends the API key and retries what is
// safe to retry: 429, 503 and connections that could not be made always; other 5xx, timeouts and
// lost connections for GET, PUT and DELETE, and for every call that carries an Idempotency-Key.
// Every create and rotation carries one (Customers.Put, Users.Put, AWSAccounts.Put,
// Users.Rotate), the same on each retry of the call, so that a retry after a lost answer gets the
// first attempt's answer from the server rather than running again. Errors work with errors.Is
// (ErrNotFound, ErrConflict, ...) and errors.As (*APIError). No error message or log line ever
// carries the API key or a token.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRetries   = 5
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 30 * time.Second
	DefaultUserAgent    = "virtco-go-client"
)

// NoRetries, as Config.MaxRetries, turns retries off (zero means DefaultMaxRetries).
const NoRetries = -1

// maxResponseBytes bounds what is read of any response, so that a misbehaving server or proxy
// cannot make the caller buffer without limit. The largest real answer is a few KiB.
const maxResponseBytes = 4 << 20

// Logger receives one entry per HTTP attempt. Fields are method, path, attempt, duration and
// then status or error, plus retry_in when the request will be retried. They never hold the API
// key or a token, so a Logger may write them anywhere.
type Logger func(ctx context.Context, msg string, fields map[string]any)

// Config configures a Client. Only Address and APIKey are required; a zero value elsewhere takes
// the default.
type Config struct {
	// Address is the base URL of the control plane, e.g. http://127.0.0.1:8080. It may carry a path
	// prefix (a reverse proxy's), but no credentials, query or fragment.
	Address string
	// APIKey is sent as x-api-key on every request: the ops key, the master token or a user token.
	APIKey string
	// HTTPClient carries the requests; nil means a client of its own with Go's default transport
	// settings. The Client never follows redirects, whatever this client says, so that the key
	// is never sent to another server.
	HTTPClient *http.Client
	// Timeout bounds each attempt (default 30s); the caller's context bounds the whole call,
	// retries included.
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt is retried (default 5; NoRetries for none).
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the wait between attempts (defaults 500ms and 30s).
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// UserAgent, e.g. "terraform-provider-virtco/1.2.3" (default "virtco-go-client").
	UserAgent string
	// Logger, when set, is told of every attempt.
	Logger Logger
}

// Client talks to one control plane with one API key. It is safe for concurrent use.
type Client struct {
	DiagAccounts DiagAccounts
	Customers    Customers
	Users        Users
	AWSAccounts  AWSAccounts
	Audit        Audit
	Events       Events

	address    string // base URL without a trailing slash
	apiKey     string
	httpClient *http.Client
	timeout    time.Duration
	maxRetries int
	waitMin    time.Duration
	waitMax    time.Duration
	userAgent  string
	logger     Logger

	// Seams for tests, so that retries can be observed without sleeping.
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func(n int64) int64 // uniform in [0, n)
}

// New checks cfg and returns a Client. The errors are *ConfigError, which name the setting that
// is wrong (see ErrInvalidAddress, ErrInvalidAPIKey).
func New(cfg *Config) (*Client, error) {
	if cfg == nil {
		return nil, configErrorf("", "no configuration given")
	}
	address, err := checkAddress(cfg.Address, cfg.APIKey)
	if err != nil {
		return nil, err
	}
	if cfg.APIKey == "" {
		return nil, configErrorf("APIKey", "the API key is empty")
	}
	if strings.TrimSpace(cfg.APIKey) != cfg.APIKey || strings.ContainsFunc(cfg.APIKey, isControl) {
		// Most often a key file's trailing newline; net/http would refuse the header anyway, less clearly.
		return nil, configErrorf("APIKey", "the API key contains white space or control characters (a trailing newline from a key file?)")
	}
	if strings.ContainsFunc(cfg.UserAgent, isControl) {
		return nil, configErrorf("UserAgent", "the user agent contains control characters")
	}
	c := &Client{
		address:    address,
		apiKey:     cfg.APIKey,
		timeout:    orDefault(cfg.Timeout, DefaultTimeout),
		maxRetries: cfg.MaxRetries,
		waitMin:    orDefault(cfg.RetryWaitMin, DefaultRetryWaitMin),
		waitMax:    orDefault(cfg.RetryWaitMax, DefaultRetryWaitMax),
		userAgent:  cfg.UserAgent,
		logger:     cfg.Logger,
		sleep:      sleepContext,
		jitter:     rand.Int64N,
	}
	switch {
	case cfg.Timeout < 0:
		return nil, configErrorf("Timeout", "the timeout must not be negative, got %s", cfg.Timeout)
	case cfg.RetryWaitMin < 0:
		return nil, configErrorf("RetryWaitMin", "retry waits must not be negative")
	case cfg.RetryWaitMax < 0:
		return nil, configErrorf("RetryWaitMax", "retry waits must not be negative")
	case c.waitMin > c.waitMax:
		return nil, configErrorf("RetryWaitMin", "the minimum retry wait (%s) is longer than the maximum (%s)", c.waitMin, c.waitMax)
	}
	if c.maxRetries == 0 {
		c.maxRetries = DefaultMaxRetries
	} else if c.maxRetries < 0 {
		c.maxRetries = 0
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	c.httpClient = noRedirects(cfg.HTTPClient)

	c.DiagAccounts = &diagAccounts{c}
	c.Customers = &customers{c}
	c.Users = &users{c}
	c.AWSAccounts = &awsAccounts{c}
	c.Audit = &audit{c}
	c.Events = &events{c}
	return c, nil
}

// Address is the base URL the Client sends to.
func (c *Client) Address() string { return c.address }

func checkAddress(address, apiKey string) (string, error) {
	bad := func(why string) error {
		return configErrorf("Address", "the address %q %s; want an absolute http or https URL such as http://127.0.0.1:8080",
			redact(address, apiKey), why)
	}
	if address == "" {
		return "", configErrorf("Address", "the address is empty; want an absolute http or https URL such as http://127.0.0.1:8080")
	}
	if lower := strings.ToLower(address); !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return "", bad("does not start with http:// or https://")
	}
	u, err := url.Parse(address)
	switch {
	case err != nil:
		return "", bad("is not a URL")
	case u.Host == "":
		return "", bad("has no host")
	case u.User != nil:
		return "", bad("carries credentials; give the key as the API key instead")
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(address, "?") || strings.HasSuffix(address, "#"):
		return "", bad("has a query or fragment")
	}
	return strings.TrimRight(address, "/"), nil
}

// idleConnsPerHost is how many connections to the server the client keeps open between requests.
const idleConnsPerHost = 64

// NewTransport is the transport a Client uses when Config.HTTPClient is nil: Go's default, keeping
// enough idle connections for Terraform's parallelism. A caller that wraps the transport starts
// from this one.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// net/http keeps 2 idle connections per host, and Terraform runs 10 operations at once (more
	// with -parallelism): the others would each open a new connection per request.
	t.MaxIdleConnsPerHost = idleConnsPerHost
	return t
}

// noRedirects returns a copy of hc (or a new client) that hands redirects back instead of following
// them: net/http would forward the x-api-key header to whatever host a redirect names.
func noRedirects(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	} else {
		c.Transport = NewTransport()
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// requestOptions are the per-call extras of do.
type requestOptions struct {
	query  url.Values
	header http.Header
}

// response is the status and headers of an answer; the body goes to do's out.
type response struct {
	status int
	header http.Header
}

// retryClass says when a failed attempt may be tried again.
type retryClass int

const (
	noRetry         retryClass = iota
	retryIdempotent            // the server may have acted: only a request that is safe to repeat
	retryAlways                // the server certainly did not act
)

// do sends one API call: in (if not nil) as the JSON body, out (if not nil) decoded from a 2xx
// answer. path must be escaped already (see pathOf).
//
// Retries. 429 and 503 say the server turned the request away, and a failed dial means it never
// left this machine, so those are retried for every call. A 500, 502 or 504, a timeout, or a
// connection lost after the request was written may come after the server acted, so those are
// retried only for calls that are safe to repeat: those with an Idempotency-Key header, whose
// retry the server answers with the first attempt's recorded answer (the same status, and for a
// user the same token) instead of running it again, and GET, PUT and DELETE, which are idempotent
// in this API. Without a key, POST .../rotate would not be: a retry could rotate twice and lose
// the token the caller never saw; and a PUT would say 200 instead of 201, a create-only PUT
// (If-None-Match: *) 412, for the object its own first attempt created. Every create and rotation
// of this client carries a key, so only a DELETE whose first attempt took effect still answers
// differently (404). (net/http itself resends a request on a stale keep-alive connection only
// when nothing of it was written.)
//
// Waits grow exponentially with full jitter between RetryWaitMin and RetryWaitMax; a Retry-After
// on 429 or 503 is used instead, capped at RetryWaitMax. When the next wait would pass the
// context's deadline, do gives up at once with the last error rather than fail later with a
// bare "deadline exceeded".
func (c *Client) do(ctx context.Context, method, path string, in, out any, opts *requestOptions) (*response, error) {
	if opts == nil {
		opts = &requestOptions{}
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, fmt.Errorf("%s %s: encoding the request: %w", method, path, err)
		}
	}
	target := c.address + path
	if len(opts.query) > 0 {
		target += "?" + opts.query.Encode()
	}

	// acted is whether an attempt may have reached the server and been acted on: anything but a
	// connection that could not be made or an answer that turned the request away.
	acted := false
	for attempt := 1; ; attempt++ {
		start := time.Now()
		res, class, err := c.send(ctx, method, path, target, body, opts.header, out)
		if err != nil && class != retryAlways {
			acted = true
		}
		fields := map[string]any{
			"method":   method,
			"path":     path,
			"attempt":  attempt,
			"duration": time.Since(start).Round(time.Microsecond).String(),
		}
		if res != nil {
			fields["status"] = res.status
		}
		if err == nil {
			c.log(ctx, fields)
			return res, nil
		}
		fields["error"] = err.Error()
		if ctx.Err() != nil {
			c.log(ctx, fields)
			return nil, settled(fmt.Errorf("%s %s: %w", method, path, context.Cause(ctx)), acted)
		}
		if class == noRetry || (class == retryIdempotent && !safeToRepeat(method, opts.header)) {
			c.log(ctx, fields)
			return nil, settled(err, acted)
		}
		if attempt > c.maxRetries {
			c.log(ctx, fields)
			if attempt == 1 {
				return nil, settled(err, acted)
			}
			return nil, settled(fmt.Errorf("%w (gave up after %d attempts)", err, attempt), acted)
		}
		wait := c.backoff(attempt, res)
		if deadline, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(deadline) {
			c.log(ctx, fields)
			return nil, settled(fmt.Errorf("%w (not retried after %d attempts: the next, in %s, would pass the deadline)", err, attempt, wait), acted)
		}
		fields["retry_in"] = wait.String()
		c.log(ctx, fields)
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, settled(fmt.Errorf("%w; stopped retrying: %w", err, serr), acted)
		}
	}
}

// send makes one attempt. A non-nil error comes with the retry class of the failure and, when
// there was an answer, its response.
func (c *Client) send(ctx context.Context, method, path, target string, body []byte, header http.Header, out any) (*response, retryClass, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body) // a fresh reader per attempt; it also gives the request a GetBody
	}
	req, err := http.NewRequestWithContext(actx, method, target, rd)
	if err != nil {
		return nil, noRetry, fmt.Errorf("%s %s: %w", method, path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("x-api-key", c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	// net/http itself resends a request that carries an Idempotency-Key after a connection it
	// reused fails, so a dial error may follow an attempt that was written and acted on: only a
	// request that was never written is known not to have reached the server.
	var written atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { written.Store(true) },
	}))
	resp, err := c.httpClient.Do(req)
	if err != nil {
		class := retryIdempotent
		if isDialError(err) && !written.Load() {
			class = retryAlways
		}
		err = unwrapURLError(err)
		if ctx.Err() == nil && actx.Err() != nil {
			err = fmt.Errorf("no answer within %s: %w", c.timeout, err)
		}
		return nil, class, &connError{method: method, path: path, address: c.address, err: err}
	}
	defer resp.Body.Close()
	res := &response{status: resp.StatusCode, header: resp.Header}

	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return res, retryIdempotent, fmt.Errorf("%s %s: reading the response from %s: %w", method, path, c.address, unwrapURLError(err))
	}
	if len(data) > maxResponseBytes {
		return res, noRetry, fmt.Errorf("%s %s: the response (status %d) is larger than %d bytes", method, path, resp.StatusCode, maxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return res, statusRetryClass(resp.StatusCode), c.apiError(method, path, resp, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return res, noRetry, fmt.Errorf("%s %s: decoding the response (status %d): %w", method, path, resp.StatusCode, err)
		}
	}
	return res, noRetry, nil
}

func statusRetryClass(status int) retryClass {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return retryAlways
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return retryIdempotent
	}
	return noRetry
}

// safeToRepeat tells a request that may be sent again after it may have reached the server.
func safeToRepeat(method string, header http.Header) bool {
	if header.Get(idempotencyHeader) != "" {
		return true
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// backoff is the wait before the attempt after the given one.
func (c *Client) backoff(attempt int, res *response) time.Duration {
	if res != nil && (res.status == http.StatusTooManyRequests || res.status == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(res.header.Get("Retry-After"), time.Now()); ok {
			return min(d, c.waitMax)
		}
	}
	ceiling := c.waitMax
	if shift := attempt - 1; shift < 32 {
		if d := c.waitMin << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return c.waitMin + time.Duration(c.jitter(int64(ceiling-c.waitMin)+1))
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		const maxSecs = uint64(1<<63-1) / uint64(time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

func (c *Client) log(ctx context.Context, fields map[string]any) {
	if c.logger == nil {
		return
	}
	if e, ok := fields["error"].(string); ok {
		fields["error"] = c.redact(e) // belt and braces: no error text should hold a secret anyway
	}
	c.logger(ctx, "virtco API request", fields)
}

// segment is a name that goes into a URL path; what says what it names, for errors.
type segment struct{ what, value string }

// pathOf fills format's %s verbs with escaped segments. Names that would change the path's
// meaning ("", ".", "..") are refused here rather than sent to a different endpoint; the server
// refuses anything else that is not a valid name, with a better message than the client could give.
func pathOf(format string, segs ...segment) (string, error) {
	args := make([]any, len(segs))
	for i, s := range segs {
		switch s.value {
		case "":
			return "", fmt.Errorf("%w: the %s is empty", ErrInvalidArgument, s.what)
		case ".", "..":
			return "", fmt.Errorf("%w: %q is not a valid %s", ErrInvalidArgument, s.value, s.what)
		}
		args[i] = url.PathEscape(s.value)
	}
	return fmt.Sprintf(format, args...), nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// Bool returns a pointer to b, for optional fields such as CustomerPutOptions.AutoRunFinders.
func Bool(b bool) *bool { return &b }
