package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"talkio-gateway/auth"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

// Metric names share the "gateway_" namespace. Every label value comes from
// a fixed set (route templates, endpoint templates, outcome words, methods,
// status codes), never from a raw path, an id or a query, so the number of
// series stays bounded whatever clients send.
const metricsNamespace = "gateway"

// Outcomes of a sign-in callback (label "outcome" of gateway_logins_total).
const (
	loginSuccess             = "success"
	loginRefusedGroup        = "refused_group"        // ALLOWED_GROUPS
	loginRefusedOrganization = "refused_organization" // TALKIO_ORGANIZATION_MAP
	loginExpired             = "expired"              // Talkio or the expiry claim says the account has expired
	loginNotProvisioned      = "not_provisioned"      // SCIM is the source of truth and has not pushed the person
	loginProviderError       = "provider_error"       // the provider answered error=, e.g. access_denied
	loginProviderUnavailable = "provider_unavailable" // the provider could not be reached
	loginVerificationFailure = "verification_failure" // code exchange, ID token or state refused
	loginNoLoginAttempt      = "no_login_attempt"     // no live attempt cookie: expired, replayed, cookies blocked
	loginInvalidIdentity     = "invalid_identity"     // unusable user id or claims, group overage
	loginUpstreamError       = "upstream_error"       // the Partner API failed during provisioning
	loginOther               = "other"
)

var loginOutcomes = []string{
	loginSuccess, loginRefusedGroup, loginRefusedOrganization, loginExpired, loginNotProvisioned, loginProviderError,
	loginProviderUnavailable, loginVerificationFailure, loginNoLoginAttempt, loginInvalidIdentity,
	loginUpstreamError, loginOther,
}

// Outcomes of one Partner API attempt (label "outcome" of
// gateway_talkio_api_calls_total). 404 and 409 have their own words: the
// gateway expects them (a first login looks the user up; a create may race
// another replica), so client_error stays a signal worth alerting on.
const (
	callOK              = "ok"
	callNotFound        = "not_found"
	callConflict        = "conflict"
	callRateLimited     = "rate_limited"
	callClientError     = "client_error"     // any other 4xx, e.g. 401 for a wrong API key
	callServerError     = "server_error"     // 5xx
	callTransportError  = "transport_error"  // no response: connection refused, reset, timeout
	callCanceled        = "canceled"         // the browser went away; not the API's fault
	callInvalidResponse = "invalid_response" // a 2xx/3xx the client could not use
)

// The Partner API endpoints whose success is a business event. They are the
// talkio client's endpoint templates (talkio.Call.Endpoint).
const (
	endpointCreateUser = "POST /users"
	endpointUserToken  = "GET /users/{id}/token"
)

// Latency buckets in seconds, from well under a millisecond (a /healthz, a
// redirect to sign in) to the Partner API's retries at their worst.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Metrics are the gateway's Prometheus metrics, on a registry of their own
// (with the Go runtime and process collectors) rather than the global default
// one. Build one with NewMetrics, give it to Options.Metrics, and call Observe
// from the Partner API client's observer; Handler serves the exposition. A nil
// *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	apiCalls     *prometheus.CounterVec
	apiDuration  *prometheus.HistogramVec
	apiRetries   *prometheus.CounterVec
	logins       *prometheus.CounterVec
	usersCreated prometheus.Counter
	tokensIssued prometheus.Counter

	// requestSeries caches httpRequests' and httpDuration's children by
	// requestKey, so that a request looks its series up once, by one hash,
	// instead of hashing and comparing its label values in both vectors.
	// Bounded like the series themselves: every key is a label set.
	requestSeries sync.Map // requestKey → *requestSeries
}

type requestKey struct {
	route, method string
	status        int
}

type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// NewMetrics registers every metric on a new registry.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{
		reg: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "http_requests_total",
			Help: "HTTP requests by route template (\"unmatched\" for none), method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "talkio_api_calls_total",
			Help: "Talkio Partner API attempts (retries included) by endpoint template and outcome.",
		}, []string{"endpoint", "outcome"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "talkio_api_call_duration_seconds",
			Help:    "Duration of one Talkio Partner API attempt, by endpoint template.",
			Buckets: latencyBuckets,
		}, []string{"endpoint"}),
		apiRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "talkio_api_retries_total",
			Help: "Talkio Partner API attempts after the first (retries), by endpoint template.",
		}, []string{"endpoint"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "logins_total",
			Help: "Sign-in callbacks by outcome.",
		}, []string{"outcome"}),
		usersCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "talkio_users_created_total",
			Help: "Talkio users created (successful POST /users).",
		}),
		tokensIssued: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "talkio_tokens_issued_total",
			Help: "Talkio login tokens fetched (successful GET /users/{id}/token).",
		}),
	}
	f(m.httpRequests)
	f(m.httpDuration)
	f(m.apiCalls)
	f(m.apiDuration)
	f(m.apiRetries)
	f(m.logins)
	f(m.usersCreated)
	f(m.tokensIssued)
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f(collectors.NewBuildInfoCollector())
	// Every outcome shows from the first scrape, so rate() and alerts see a 0
	// rather than a series that appears with its first increment.
	for _, o := range loginOutcomes {
		m.logins.WithLabelValues(o)
	}
	return m
}

// Registerer is where the other entry points (SCIM, LTI) register their own
// metrics, so that one /metrics shows them all.
func (m *Metrics) Registerer() prometheus.Registerer { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Observe records one Partner API attempt. Give it to the talkio client next
// to ObserveTalkioCall:
//
//	talkio.WithCallObserver(func(ctx context.Context, c talkio.Call) {
//		handlers.ObserveTalkioCall(ctx, c)
//		metrics.Observe(ctx, c)
//	})
func (m *Metrics) Observe(_ context.Context, c talkio.Call) {
	if m == nil {
		return
	}
	outcome := callOutcome(c)
	m.apiCalls.WithLabelValues(c.Endpoint, outcome).Inc()
	m.apiDuration.WithLabelValues(c.Endpoint).Observe(c.Duration.Seconds())
	if c.Attempt > 1 {
		m.apiRetries.WithLabelValues(c.Endpoint).Inc()
	}
	if outcome == callOK {
		switch c.Endpoint {
		case endpointCreateUser:
			m.usersCreated.Inc()
		case endpointUserToken:
			m.tokensIssued.Inc()
		}
	}
}

// callOutcome classifies one attempt.
func callOutcome(c talkio.Call) string {
	switch s := c.StatusCode; {
	case s == 0:
		if errors.Is(c.Err, context.Canceled) {
			return callCanceled
		}
		return callTransportError
	case s == http.StatusNotFound:
		return callNotFound
	case s == http.StatusConflict:
		return callConflict
	case s == http.StatusTooManyRequests:
		return callRateLimited
	case s >= 500:
		return callServerError
	case s >= 400:
		return callClientError
	case c.Err != nil || s >= 300:
		return callInvalidResponse
	}
	return callOK
}

// observeRequest records one answered request; route is a template or
// "unmatched".
func (m *Metrics) observeRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	method = methodLabel(method)
	k := requestKey{route, method, status}
	v, ok := m.requestSeries.Load(k)
	if !ok {
		v, _ = m.requestSeries.LoadOrStore(k, &requestSeries{
			count:    m.httpRequests.WithLabelValues(route, method, statusLabel(status)),
			duration: m.httpDuration.WithLabelValues(route, method),
		})
	}
	series := v.(*requestSeries)
	series.count.Inc()
	series.duration.Observe(d.Seconds())
}

// statusLabels are the label values of the status codes net/http can send,
// made once: strconv.Itoa would allocate on every request.
var statusLabels = func() (l [600]string) {
	for i := 100; i < len(l); i++ {
		l[i] = strconv.Itoa(i)
	}
	return l
}()

func statusLabel(code int) string {
	if code >= 100 && code < len(statusLabels) {
		return statusLabels[code]
	}
	return strconv.Itoa(code)
}

// methodLabel keeps the method label bounded: a client may send any token as
// its method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// login records the outcome of one sign-in callback.
func (m *Metrics) login(err error) {
	if m == nil {
		return
	}
	m.logins.WithLabelValues(loginOutcome(err)).Inc()
}

// provisionOutcomes are the login outcomes of provisioning's outcomes
// (provision.Classify, which the error pages read too).
var provisionOutcomes = map[provision.Outcome]string{
	provision.Success:             loginSuccess,
	provision.RefusedGroup:        loginRefusedGroup,
	provision.RefusedOrganization: loginRefusedOrganization,
	provision.NotProvisioned:      loginNotProvisioned,
	provision.ReservedID:          loginInvalidIdentity,
	provision.Expired:             loginExpired,
	provision.TalkioBusy:          loginUpstreamError,
	provision.TalkioFailed:        loginUpstreamError,
}

// loginOutcome classifies the error a callback returned (nil: success).
func loginOutcome(err error) string {
	if o, ok := provisionOutcomes[provision.Classify(err)]; ok {
		return o
	}
	switch {
	case isA[*auth.ProviderError](err):
		return loginProviderError
	case errors.Is(err, auth.ErrProviderUnavailable):
		return loginProviderUnavailable
	case errors.Is(err, auth.ErrNoLoginAttempt):
		return loginNoLoginAttempt
	case errors.Is(err, auth.ErrVerification), errors.Is(err, auth.ErrInvalidState):
		return loginVerificationFailure
	case errors.Is(err, auth.ErrInvalidUserID), errors.Is(err, auth.ErrInvalidClaim), errors.Is(err, auth.ErrGroupOverage):
		return loginInvalidIdentity
	}
	return loginOther
}
