package talkio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

const (
	// DefaultUserAgent is sent when WithUserAgent is not used.
	DefaultUserAgent = "talkio-gateway"

	apiBasePath = "/api/partner/v3/organizations/"

	// maxErrorBody bounds how much of an error response is read for its message.
	maxErrorBody = 64 << 10
	// maxDrain bounds how much unread body is discarded before closing. Draining lets the transport
	// reuse the connection; beyond this it is cheaper to drop the connection than to keep reading.
	maxDrain = 64 << 10
)

// maxResponseBody bounds how much of a successful response is read, so a misbehaving server cannot
// make the client allocate without limit. Conversation pages are the largest documented payloads.
// A variable only so that tests can lower it.
var maxResponseBody int64 = 32 << 20

// RetryPolicy controls how idempotent calls (GET, PUT, DELETE) are retried on 429, 502, 503, 504 and
// connection errors. POST is never retried. Zero fields take their defaults.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included. Default 3; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt; it doubles per attempt and is jittered.
	// Default 100ms.
	BaseDelay time.Duration
	// MaxDelay caps the exponential backoff. Default 2s.
	MaxDelay time.Duration
	// MaxRetryAfter caps how long a server's Retry-After is honoured. Default 30s.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is the policy used when WithRetryPolicy is not given.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second, MaxRetryAfter: 30 * time.Second}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetryPolicy.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetryPolicy.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryPolicy.MaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultRetryPolicy.MaxRetryAfter
	}
	return p
}

// Call describes one HTTP attempt, for metrics and logs. It never holds a raw id, a header or a body.
type Call struct {
	// Endpoint is the method and path template, e.g. "GET /users/{id}/token".
	Endpoint string
	// Method is the HTTP method.
	Method string
	// StatusCode is the response status, 0 when no response arrived.
	StatusCode int
	// Err is the attempt's error, nil on success.
	Err error
	// Duration is the attempt's wall time, reading the response included.
	Duration time.Duration
	// Attempt is 1 for the first try, 2 for the first retry, and so on.
	Attempt int
}

// Option configures a Client.
type Option func(*Client)

// WithOrganization sets the organization slug used in every path. A client without one can still be
// created; its calls fail validation until ForOrganization gives it one.
func WithOrganization(slug string) Option { return func(c *Client) { c.org = slug } }

// WithHTTPClient sets the HTTP client. nil keeps the default, which has a tuned transport and follows
// no redirects. A client given here should not follow redirects to other hosts either: x-api-key and
// x-provider would go along.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.client = hc
		}
	}
}

// DefaultTimeout bounds each HTTP attempt when WithTimeout does not: a backstop for callers whose
// context has no deadline (e.g. the CLI).
const DefaultTimeout = 60 * time.Second

// WithTimeout bounds each HTTP attempt (connection, request, response body) to d; the default is
// DefaultTimeout, and d ≤ 0 leaves attempts to the caller's context and the HTTP client's own Timeout.
// Retries get their own attempt, and no attempt outlives the caller's context either. A client given
// with WithHTTPClient is copied (without its Timeout, which the attempt's deadline replaces), not changed.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// CloseIdleConnections closes the client's idle keep-alive connections to the API. A server shutting
// down waits for connections it has accepted but not yet read a request on; the gateway calls this
// before shutting down a listener that also serves the API (demo mode).
func (c *Client) CloseIdleConnections() { c.client.CloseIdleConnections() }

// WithUserAgent sets the User-Agent header. An empty string keeps DefaultUserAgent.
func WithUserAgent(ua string) Option {
	return func(c *Client) {
		if ua != "" {
			c.userAgent = []string{ua}
		}
	}
}

// WithRetryPolicy sets the retry policy; zero fields take their defaults.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *Client) { c.retry = p.withDefaults() } }

// WithCallObserver registers f, called once per HTTP attempt after it finished (retries included),
// synchronously on the calling goroutine. f must be safe for concurrent use.
func WithCallObserver(f func(ctx context.Context, c Call)) Option {
	return func(c *Client) { c.observer = f }
}

// credentials returns the header values of x-provider and x-api-key. It is a func, not a struct, because
// fmt prints a func field as an address under every verb, so no %v, %s or %#v of a Client shows the key.
type credentials func() (provider, apiKey []string)

// Client calls the Talkio Partner API v3 for one organization. It is safe for concurrent use.
type Client struct {
	base      *url.URL // API origin, with an optional path prefix and no trailing slash
	creds     credentials
	org       string
	client    *http.Client
	userAgent []string
	retry     RetryPolicy
	observer  func(context.Context, Call)
	timeout   time.Duration

	// Seams for tests: the retry wait, the clock used against deadlines, and the jitter source.
	sleep  func(ctx context.Context, d time.Duration) error
	now    func() time.Time
	jitter func(n int64) int64
}

// NewClient returns a client for the Partner API at baseURL, the API origin such as
// "https://api.talkio.ai"; the client appends /api/partner/v3/organizations/{org} itself.
// provider and apiKey are sent as x-provider and x-api-key on every request and appear nowhere else.
func NewClient(baseURL, provider, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	switch {
	case err != nil:
		return nil, &ValidationError{Field: "baseURL", Problem: "is not a URL"}
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, &ValidationError{Field: "baseURL", Problem: "must be an http or https URL"}
	case u.Host == "":
		return nil, &ValidationError{Field: "baseURL", Problem: "has no host"}
	case u.User != nil:
		return nil, &ValidationError{Field: "baseURL", Problem: "must not contain credentials"}
	case u.RawQuery != "" || u.Fragment != "":
		return nil, &ValidationError{Field: "baseURL", Problem: "must not have a query or fragment"}
	case strings.TrimSpace(provider) == "":
		return nil, &ValidationError{Field: "provider", Problem: "is required"}
	case strings.TrimSpace(apiKey) == "":
		return nil, &ValidationError{Field: "apiKey", Problem: "is required"}
	}
	u.RawPath = strings.TrimRight(u.EscapedPath(), "/")
	u.Path, _ = url.PathUnescape(u.RawPath) // cannot fail: EscapedPath is valid
	c := &Client{
		base:      u,
		creds:     newCredentials(provider, apiKey),
		userAgent: []string{DefaultUserAgent},
		retry:     DefaultRetryPolicy,
		timeout:   DefaultTimeout,
		sleep:     sleepContext,
		now:       time.Now,
		jitter:    rand.Int64N,
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.client == nil {
		c.client = newDefaultHTTPClient()
	}
	if c.timeout > 0 && c.client.Timeout != 0 {
		// The attempt's own deadline replaces http.Client.Timeout (see attempt), which would also clone
		// the request and wrap the response body on every call.
		hc := *c.client
		hc.Timeout = 0
		c.client = &hc
	}
	return c, nil
}

func newCredentials(provider, apiKey string) credentials {
	p, k := []string{provider}, []string{apiKey}
	return func() ([]string, []string) { return p, k }
}

// newDefaultHTTPClient returns a client whose transport keeps enough idle connections for a busy
// gateway (the default transport keeps 2 per host) and bounds every phase of a call.
func newDefaultHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   100,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		// The API documents no redirects, and Go would forward x-api-key to wherever one points (it
		// strips only standard credential headers): a redirect is returned as an *Error instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ForOrganization returns a copy of c that calls organization slug. The copy shares the transport,
// credentials, retry policy and observer.
func (c *Client) ForOrganization(slug string) *Client {
	cc := *c
	cc.org = slug
	return &cc
}

// Organization returns the organization slug the client calls.
func (c *Client) Organization() string { return c.org }

// String describes the client without its credentials.
func (c *Client) String() string {
	if c == nil {
		return "talkio.Client(nil)"
	}
	return fmt.Sprintf("talkio.Client{BaseURL: %q, Organization: %q}", c.base.String(), c.org)
}

// GoString is String, so that %#v does not print the credentials either.
func (c *Client) GoString() string { return c.String() }

// request is an HTTP request in the making: the endpoint template goes to observers and errors,
// the body is kept as bytes so a retry can send it again.
type request struct {
	ctx      context.Context
	method   string
	endpoint string // "GET /users/{id}"
	url      string
	body     []byte
}

// newRequest builds a request for path template tmpl, e.g. "/users/{id}/token", whose {…} placeholders
// are replaced in order by args, each escaped as one path segment. query and body may be nil; a non-nil
// body is sent as JSON.
func (c *Client) newRequest(ctx context.Context, method, tmpl string, args []string, query url.Values, body any) (*request, error) {
	if ctx == nil {
		return nil, errors.New("talkio: nil context")
	}
	if err := checkSegment("organization", c.org); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.Grow(len(c.base.RawPath) + len(apiBasePath) + len(c.org) + len(tmpl) + 16)
	b.WriteString(c.base.RawPath)
	b.WriteString(apiBasePath)
	b.WriteString(url.PathEscape(c.org))
	rest := tmpl
	for len(rest) > 0 {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 || len(args) == 0 {
			return nil, fmt.Errorf("talkio: bad path template %q", tmpl) // a bug in this package
		}
		b.WriteString(rest[:i])
		b.WriteString(url.PathEscape(args[0]))
		args, rest = args[1:], rest[i+j+1:]
	}
	u := *c.base
	u.RawPath = b.String()
	// Path holds the decoded form; with RawPath a valid encoding of it, the transport sends RawPath as
	// is, so an escaped "/" inside an id stays %2F on the wire.
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = query.Encode()
	r := &request{ctx: ctx, method: method, endpoint: method + " " + tmpl, url: u.String()}
	if body != nil {
		var err error
		if r.body, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("talkio: %s: encode request: %w", r.endpoint, err)
		}
	}
	return r, nil
}

// do sends r, retrying idempotent requests per the policy, and decodes a successful JSON response
// into v (when v is non-nil and the body is not empty).
func (c *Client) do(r *request, v any) error {
	policy := c.retry
	for attempt := 1; ; attempt++ {
		start := time.Now()
		res := c.attempt(r, v)
		if c.observer != nil {
			c.observer(r.ctx, Call{Endpoint: r.endpoint, Method: r.method, StatusCode: res.status,
				Err: res.err, Duration: time.Since(start), Attempt: attempt})
		}
		if res.err == nil {
			return nil
		}
		if !res.retry || r.method == http.MethodPost || attempt >= policy.MaxAttempts {
			return res.err
		}
		wait := c.backoff(attempt, res.retryAfter)
		if deadline, ok := r.ctx.Deadline(); ok && c.now().Add(wait).After(deadline) {
			return res.err // waiting would outlive the caller; fail now with what we know
		}
		if c.sleep(r.ctx, wait) != nil {
			return res.err
		}
	}
}

type attemptResult struct {
	status     int
	err        error
	retry      bool
	retryAfter time.Duration
}

func (c *Client) attempt(r *request, v any) attemptResult {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	ctx := r.ctx
	if c.timeout > 0 {
		// One deadline context per attempt, body read included; none when the caller's deadline comes
		// first anyway. Cancelled after drainAndClose (deferred below it, so it runs after).
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > c.timeout {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.timeout)
			defer cancel()
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return attemptResult{err: fmt.Errorf("talkio: %s: %w", r.endpoint, err)}
	}
	provider, apiKey := c.creds()
	req.Header = http.Header{
		"X-Provider": provider,
		"X-Api-Key":  apiKey,
		"User-Agent": c.userAgent,
		"Accept":     jsonType,
	}
	if r.body != nil {
		req.Header["Content-Type"] = jsonType
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return c.transportError(r, err)
	}
	defer drainAndClose(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := c.responseError(r, resp)
		wait := parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
		var te *Error
		if errors.As(e, &te) {
			te.RetryAfter = wait
		}
		return attemptResult{status: resp.StatusCode, err: e, retry: retryableStatus(resp.StatusCode), retryAfter: wait}
	}
	if v == nil {
		return attemptResult{status: resp.StatusCode}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		res := c.transportError(r, err)
		res.status = resp.StatusCode
		return res
	}
	if int64(len(data)) > maxResponseBody {
		return attemptResult{status: resp.StatusCode,
			err: fmt.Errorf("talkio: %s: response body exceeds %d bytes", r.endpoint, maxResponseBody)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return attemptResult{status: resp.StatusCode}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return attemptResult{status: resp.StatusCode, err: fmt.Errorf("talkio: %s: decode response: %w", r.endpoint, err)}
	}
	return attemptResult{status: resp.StatusCode}
}

var jsonType = []string{"application/json"}

// transportError wraps an error that left no usable response. url.Error is unwrapped because its
// message repeats the full URL, raw ids included; the endpoint template says where it happened.
func (c *Client) transportError(r *request, err error) attemptResult {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctxErr := r.ctx.Err(); ctxErr != nil {
		// The caller gave up (or its deadline passed): a retry cannot help.
		return attemptResult{err: &Error{Endpoint: r.endpoint, Message: ctxErr.Error(), cause: ctxErr}}
	}
	return attemptResult{err: &Error{Endpoint: r.endpoint, Message: c.redact(err.Error()), cause: err}, retry: true}
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff returns the wait before attempt+1: the server's Retry-After when it gave one (capped), else
// an exponential delay with equal jitter, so that many clients retrying at once spread out.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	p := c.retry
	if retryAfter > 0 {
		return min(retryAfter, p.MaxRetryAfter)
	}
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := int64(d / 2)
	return time.Duration(half + c.jitter(half+1))
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date. 0 means absent or unusable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // avoids overflow; the policy caps it further
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// sleepContext waits d or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// drainAndClose discards a bounded rest of body so the connection can be reused, then closes it.
func drainAndClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, maxDrain)
	_ = body.Close()
}

// addOptions encodes an options struct into query values. Fields are read from `url:"name[,omitempty]"`
// tags; embedded structs are flattened; strings and ints are supported. A nil pointer adds nothing.
func addOptions(q url.Values, opts any) url.Values {
	if q == nil {
		q = url.Values{}
	}
	v := reflect.ValueOf(opts)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return q
		}
		v = v.Elem()
	}
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if f.Anonymous && fv.Kind() == reflect.Struct {
			addOptions(q, fv.Interface())
			continue
		}
		tag := f.Tag.Get("url")
		if tag == "" || tag == "-" {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		if flags == "omitempty" && fv.IsZero() {
			continue
		}
		switch fv.Kind() {
		case reflect.String:
			q.Set(name, fv.String())
		case reflect.Int:
			q.Set(name, strconv.FormatInt(fv.Int(), 10))
		default:
			panic("talkio: addOptions: unsupported field kind " + fv.Kind().String()) // a bug in this package
		}
	}
	return q
}

// Ptr returns a pointer to v, for the optional fields of update requests.
func Ptr[T any](v T) *T { return &v }
