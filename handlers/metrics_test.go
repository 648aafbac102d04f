package handlers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"talkio-gateway/auth"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// samples parses a Prometheus text exposition into series → value, the
// series written as exposed (labels in name order), e.g.
// `gateway_logins_total{outcome="success"}`.
func samples(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("exposition line without a value: %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("exposition line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// wantSamples checks the named series' values; a missing series counts as
// absent, not as 0, so a mistyped label shows.
func wantSamples(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("no series %s", k)
		case g != v:
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
}

var routeLabel = regexp.MustCompile(`route="([^"]*)"`)

func TestMetricsCountRequestsAndLogins(t *testing.T) {
	t.Parallel()
	m := NewMetrics()
	e := newEnv(t, envConfig{
		options:   func(o *Options) { o.Metrics, o.ServeMetrics = m, true },
		provision: func(o *provision.Options) { o.AllowedGroups = []string{"teachers"} },
	})

	// A real login (Eleanor is a teacher) and a refused one (Jonas is not).
	teacher := e.browser("eleanor")
	teacher.signIn()
	if r := e.browser("jonas").mustVisit("/login"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("pupil's login: got %d, want 403", r.StatusCode)
	}
	// A callback nobody started, and a provider's refusal of a started one.
	stranger := e.browser("jonas")
	if r := stranger.get("/auth/callback?code=c0de-777&state=st4te-777"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("callback without an attempt: got %d, want 400", r.StatusCode)
	}
	stranger.get("/login")
	if r := stranger.get("/auth/callback?error=access_denied&state=x"); r.StatusCode != http.StatusForbidden {
		t.Errorf("access_denied: got %d, want 403", r.StatusCode)
	}

	// Raw paths and queries that must not become labels.
	for _, target := range []string{"/open?path=app%2Fchat%3Ft%3Dsecret-12345", "/open"} {
		if r := teacher.get(target); r.StatusCode != http.StatusFound {
			t.Fatalf("%s: got %d", target, r.StatusCode)
		}
	}
	for i := range 20 {
		if r := teacher.get(fmt.Sprintf("/no/such/user-%d", 98760+i)); r.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown path: got %d", r.StatusCode)
		}
	}
	if r := teacher.get("/static/x-424242.css"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown static file: got %d", r.StatusCode)
	}
	if r, err := teacher.do("BREW", "/open", nil, nil); err != nil || r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("BREW /open: %v %v", r, err)
	}
	teacher.get("/healthz")

	r := teacher.get("/metrics")
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	got := samples(t, r.body)
	wantSamples(t, got, map[string]float64{
		`gateway_logins_total{outcome="success"}`:                                       1,
		`gateway_logins_total{outcome="refused_group"}`:                                 1,
		`gateway_logins_total{outcome="no_login_attempt"}`:                              1,
		`gateway_logins_total{outcome="provider_error"}`:                                1,
		`gateway_logins_total{outcome="verification_failure"}`:                          0,
		`gateway_http_requests_total{method="GET",route="/open",status="302"}`:          2,
		`gateway_http_requests_total{method="GET",route="unmatched",status="404"}`:      20,
		`gateway_http_requests_total{method="GET",route="/static/:name",status="404"}`:  1,
		`gateway_http_requests_total{method="other",route="/open",status="405"}`:        1,
		`gateway_http_requests_total{method="GET",route="/auth/callback",status="400"}`: 1,
		`gateway_http_requests_total{method="GET",route="/healthz",status="200"}`:       1,
		`gateway_http_request_duration_seconds_count{method="GET",route="/open"}`:       2,
	})
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}

	// Bounded: route labels are registered templates or "unmatched"; nothing
	// from a path, a query or an identity shows.
	known := map[string]bool{"unmatched": true}
	for _, rt := range e.echo.Routes() {
		known[rt.Path] = true
	}
	for _, mm := range routeLabel.FindAllStringSubmatch(r.body, -1) {
		if !known[mm[1]] {
			t.Errorf("route label %q is not a route template", mm[1])
		}
	}
	for _, raw := range []string{"secret-12345", "user-9876", "x-424242", "c0de-777", "st4te-777", "demo-eleanor", "demo-jonas", "BREW", "app/chat"} {
		if strings.Contains(r.body, raw) {
			t.Errorf("metrics hold %q", raw)
		}
	}
	series := 0
	for k := range got {
		if strings.HasPrefix(k, "gateway_http_requests_total{") {
			series++
		}
	}
	if series > 12 {
		t.Errorf("%d request series for 11 kinds of request", series)
	}

	// Successful probes are logged at debug, so they do not drown the log.
	for _, l := range e.logLines() {
		if strings.Contains(l, "route=/healthz") && !strings.Contains(l, "level=DEBUG") {
			t.Errorf("healthz log line not at debug: %s", l)
		}
	}
}

func TestMetricsElsewhereOrOff(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts func(*Options)
	}{
		{"elsewhere (the default)", func(o *Options) { o.Metrics = NewMetrics() }},
		{"off", func(o *Options) { o.Metrics = nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{options: tt.opts})
			if r := e.browser("jonas").get("/metrics"); r.StatusCode != http.StatusNotFound {
				t.Errorf("/metrics on the main listener: got %d, want 404", r.StatusCode)
			}
		})
	}
}

// The metrics' endpoint constants are the client's templates, as the
// simulator names them too.
func TestMetricsEndpointNames(t *testing.T) {
	t.Parallel()
	if endpointCreateUser != talkiotest.EndpointCreateUser || endpointUserToken != talkiotest.EndpointUserToken {
		t.Errorf("endpoint names %q, %q differ from the simulator's", endpointCreateUser, endpointUserToken)
	}
}

// TestMetricsObservePartnerAPI drives a real client against the simulator,
// with faults, and reads what Observe made of each attempt.
func TestMetricsObservePartnerAPI(t *testing.T) {
	t.Parallel()
	const key = "metrics-test-api-key"
	sim := talkiotest.NewServer(talkiotest.Options{Provider: testProvider, APIKey: key,
		Organizations: []talkiotest.Organization{{Slug: testOrg}}})
	t.Cleanup(sim.Close)
	m := NewMetrics()
	c, err := talkio.NewClient(sim.URL, testProvider, key, talkio.WithOrganization(testOrg),
		talkio.WithCallObserver(m.Observe),
		talkio.WithRetryPolicy(talkio.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	if _, err := c.GetUser(ctx, "nobody"); !errors.Is(err, talkio.ErrNotFound) {
		t.Fatalf("GetUser: %v", err)
	}
	_, err = c.CreateUser(ctx, &talkio.CreateUserRequest{ID: "u1", UserName: "U One", UserType: talkio.UserTypeMember})
	must(err)
	if _, err := c.CreateUser(ctx, &talkio.CreateUserRequest{ID: "u1", UserName: "U One", UserType: talkio.UserTypeMember}); !errors.Is(err, talkio.ErrConflict) {
		t.Fatalf("second CreateUser: %v", err)
	}
	_, err = c.UserToken(ctx, "u1")
	must(err)
	sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: http.StatusServiceUnavailable, FailFirst: 1})
	_, err = c.UserToken(ctx, "u1") // one 503, then a token
	must(err)
	sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
	if _, err := c.UserToken(ctx, "u1"); !errors.Is(err, talkio.ErrRateLimited) {
		t.Fatalf("rate-limited UserToken: %v", err)
	}
	sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{})
	sim.Inject(talkiotest.EndpointGetUser, talkiotest.Fault{Status: http.StatusUnauthorized, FailFirst: 1})
	if _, err := c.GetUser(ctx, "u1"); !errors.Is(err, talkio.ErrUnauthorized) {
		t.Fatalf("GetUser with a refused key: %v", err)
	}
	sim.Inject(talkiotest.EndpointGetUser, talkiotest.Fault{DropConnection: true})
	if _, err := c.GetUser(ctx, "u1"); err == nil {
		t.Fatal("GetUser over dropped connections succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.GetSettings(cancelled, "u1"); err == nil {
		t.Fatal("GetSettings with a cancelled context succeeded")
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	got := samples(t, rec.Body.String())
	wantSamples(t, got, map[string]float64{
		`gateway_talkio_api_calls_total{endpoint="GET /users/{id}",outcome="not_found"}`:          1,
		`gateway_talkio_api_calls_total{endpoint="GET /users/{id}",outcome="client_error"}`:       1,
		`gateway_talkio_api_calls_total{endpoint="GET /users/{id}",outcome="transport_error"}`:    3,
		`gateway_talkio_api_calls_total{endpoint="POST /users",outcome="ok"}`:                     1,
		`gateway_talkio_api_calls_total{endpoint="POST /users",outcome="conflict"}`:               1,
		`gateway_talkio_api_calls_total{endpoint="GET /users/{id}/token",outcome="ok"}`:           2,
		`gateway_talkio_api_calls_total{endpoint="GET /users/{id}/token",outcome="server_error"}`: 1,
		`gateway_talkio_api_calls_total{endpoint="GET /users/{id}/token",outcome="rate_limited"}`: 3,
		`gateway_talkio_api_calls_total{endpoint="GET /users/{id}/settings",outcome="canceled"}`:  1,
		`gateway_talkio_api_retries_total{endpoint="GET /users/{id}/token"}`:                      3,
		`gateway_talkio_api_retries_total{endpoint="GET /users/{id}"}`:                            2,
		`gateway_talkio_api_call_duration_seconds_count{endpoint="GET /users/{id}/token"}`:        6,
		`gateway_talkio_users_created_total`:                                                      1,
		`gateway_talkio_tokens_issued_total`:                                                      2,
	})
	if strings.Contains(rec.Body.String(), "u1") || strings.Contains(rec.Body.String(), key) {
		t.Error("metrics hold a user id or the API key")
	}
}

func TestCallOutcome(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, tt := range []struct {
		call talkio.Call
		want string
	}{
		{talkio.Call{StatusCode: 200}, callOK},
		{talkio.Call{StatusCode: 204}, callOK},
		{talkio.Call{StatusCode: 200, Err: boom}, callInvalidResponse}, // undecodable body
		{talkio.Call{StatusCode: 302, Err: boom}, callInvalidResponse},
		{talkio.Call{StatusCode: 400, Err: boom}, callClientError},
		{talkio.Call{StatusCode: 401, Err: boom}, callClientError},
		{talkio.Call{StatusCode: 404, Err: boom}, callNotFound},
		{talkio.Call{StatusCode: 409, Err: boom}, callConflict},
		{talkio.Call{StatusCode: 429, Err: boom}, callRateLimited},
		{talkio.Call{StatusCode: 500, Err: boom}, callServerError},
		{talkio.Call{StatusCode: 503, Err: boom}, callServerError},
		{talkio.Call{Err: boom}, callTransportError},
		{talkio.Call{Err: fmt.Errorf("x: %w", context.DeadlineExceeded)}, callTransportError},
		{talkio.Call{Err: fmt.Errorf("x: %w", context.Canceled)}, callCanceled},
	} {
		if got := callOutcome(tt.call); got != tt.want {
			t.Errorf("callOutcome(%d, %v) = %q, want %q", tt.call.StatusCode, tt.call.Err, got, tt.want)
		}
	}
}

func TestLoginOutcome(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{nil, loginSuccess},
		{provision.ErrNotAllowed, loginRefusedGroup},
		{provision.ErrNoOrganization, loginRefusedOrganization},
		{fmt.Errorf("claim: %w", provision.ErrAccountExpired), loginExpired},
		{fmt.Errorf("%w (Talkio answered 403)", provision.ErrAccountExpired), loginExpired},
		{provision.ErrNotProvisioned, loginNotProvisioned},
		{&talkio.Error{StatusCode: 429}, loginUpstreamError},
		{&auth.ProviderError{Code: "access_denied"}, loginProviderError},
		{withAction(auth.ErrProviderUnavailable, "Try again", "/login"), loginProviderUnavailable},
		{withAction(auth.ErrNoLoginAttempt, "Sign in again", "/login"), loginNoLoginAttempt},
		{auth.ErrInvalidState, loginVerificationFailure},
		{fmt.Errorf("exchange: %w", auth.ErrVerification), loginVerificationFailure},
		{auth.ErrInvalidUserID, loginInvalidIdentity},
		{auth.ErrInvalidClaim, loginInvalidIdentity},
		{auth.ErrGroupOverage, loginInvalidIdentity},
		{withAction(fmt.Errorf("create user: %w", &talkio.Error{StatusCode: 500}), "Try again", "/login"), loginUpstreamError},
		{fmt.Errorf("look up user: %w", talkio.ErrUnavailable), loginUpstreamError},
		{errors.New("save session: boom"), loginOther},
	} {
		if got := loginOutcome(tt.err); got != tt.want {
			t.Errorf("loginOutcome(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestMethodLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"GET": "GET", "POST": "POST", "HEAD": "HEAD", "get": "other", "BREW": "other", "": "other"} {
		if got := methodLabel(in); got != want {
			t.Errorf("methodLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// A nil *Metrics is a valid "no metrics".
func TestNilMetrics(t *testing.T) {
	t.Parallel()
	var m *Metrics
	m.Observe(context.Background(), talkio.Call{Endpoint: "GET /users/{id}", StatusCode: 200})
	m.observeRequest("/open", "GET", 302, time.Millisecond)
	m.login(nil)
}

// Recording a request allocates nothing: it runs on every request, /open included.
func TestObserveRequestAllocs(t *testing.T) {
	m := NewMetrics()
	m.observeRequest("/open", "GET", 302, time.Millisecond)
	if n := testing.AllocsPerRun(100, func() { m.observeRequest("/open", "GET", 302, time.Millisecond) }); n != 0 {
		t.Errorf("observeRequest: %v allocations, want 0", n)
	}
	if statusLabel(302) != "302" || statusLabel(99) != "99" || statusLabel(600) != "600" {
		t.Error("statusLabel")
	}
}
