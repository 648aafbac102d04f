package handlers

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"talkio-gateway/auth"
	"talkio-gateway/talkio"
)

// requestState is what the gateway keeps about one request while serving it,
// in the request's context: one allocation for all of it, where Echo's
// Context.Set makes a map per request.
type requestState struct {
	calls  atomic.Int64 // Partner API calls made for the request (ObserveTalkioCall)
	userID string       // the signed-in user, for the log line (setUserID)

	// The session, decoded once per request however many middleware and
	// handlers ask (server.session).
	sessionLoaded bool
	session       *auth.Session
}

// requestStateKey is the request-context key of the *requestState.
type requestStateKey struct{}

// stateOf is the request's state, or nil outside logRequest (a handler
// called on its own).
func stateOf(c echo.Context) *requestState {
	st, _ := c.Request().Context().Value(requestStateKey{}).(*requestState)
	return st
}

// setUserID leaves the signed-in user's id for the request log line.
func setUserID(c echo.Context, id string) {
	if st := stateOf(c); st != nil {
		st.userID = id
	}
}

// ObserveTalkioCall counts one Partner API call (one HTTP attempt) against the
// request whose context made it, for the upstream_calls field of the request
// log line. Package gateway passes it to the talkio client:
//
//	talkio.NewClient(…, talkio.WithCallObserver(handlers.ObserveTalkioCall))
//
// (or calls it from its own observer next to the metrics). Calls made outside a
// request are ignored.
func ObserveTalkioCall(ctx context.Context, _ talkio.Call) {
	if st, ok := ctx.Value(requestStateKey{}).(*requestState); ok {
		st.calls.Add(1)
	}
}

// requestIDPattern is what an incoming X-Request-ID (set by a proxy in front)
// must look like to be kept; anything else is replaced, so a client cannot
// write arbitrary text into the logs or the error page.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,128}$`)

// front is the middleware every route runs behind, in this order: the
// request id (exists before the log line needs it), the request log (sees
// the final status), the security headers (on every response, errors
// included) and the body limit. One middleware rather than four: Echo
// composes its middleware around the routed handler anew on every request,
// a closure per layer.
func (s *server) front(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s.assignRequestID(c)
		return s.logRequest(c, next)
	}
}

// guard is what runs inside the request log, around the handler: the
// security headers and the body limit.
func (s *server) guard(c echo.Context, next echo.HandlerFunc) error {
	s.setSecureHeaders(c)
	if s.ownLimit[c.Path()] {
		return next(c)
	}
	return limitBody(c, MaxRequestBody, next)
}

// assignRequestID gives the request its id, in the X-Request-ID response
// header (Echo's RequestID middleware, with a crypto-random id). It keeps a
// well-formed id from the proxy only when s.trustProxy says a proxy the
// operator controls sets it (Options.TrustProxy); otherwise any client could
// choose the id its requests are logged under, and collide with another's.
// An untrusted id is also removed from the request, so that no mounted
// handler takes it for the gateway's.
func (s *server) assignRequestID(c echo.Context) {
	h := c.Request().Header
	rid := h.Get(headerRequestID)
	if rid != "" && (!s.trustProxy || !requestIDPattern.MatchString(rid)) {
		h.Del(headerRequestID)
		rid = ""
	}
	if rid == "" {
		rid = rand.Text()
	}
	c.Response().Header()[headerRequestID] = []string{rid}
}

// headerRequestID is echo.HeaderXRequestID in canonical form: looked up as
// is, where Header.Get would canonicalize "X-Request-ID" (a new string) on
// every call.
const headerRequestID = "X-Request-Id"

func requestIDOf(c echo.Context) string {
	if v := c.Response().Header()[headerRequestID]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// logRequest runs next behind guard and writes exactly one line for the request: request
// id, method, route template (never the raw path or query, which may carry ids
// or tokens), status, latency, user id when known, the number of Partner API
// calls, and the internal error if any. It also recovers panics into a 500
// page, and hands errors to the error handler itself so that the status it
// logs is the one sent.
func (s *server) logRequest(c echo.Context, next echo.HandlerFunc) error {
	start := time.Now()
	st := new(requestState)
	req := c.Request()
	c.SetRequest(req.WithContext(context.WithValue(req.Context(), requestStateKey{}, st)))

	var stack []byte
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				stack = make([]byte, 8<<10)
				stack = stack[:runtime.Stack(stack, false)]
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return s.guard(c, next)
	}()
	if err != nil {
		c.Error(err)
	}

	status := c.Response().Status
	route := routeOf(c)
	latency := time.Since(start)
	s.metrics.observeRequest(route, req.Method, status, latency)
	attrs := []slog.Attr{
		slog.String("request_id", requestIDOf(c)),
		slog.String("method", methodLabel(req.Method)),
		slog.String("route", route),
		slog.Int("status", status),
		// Milliseconds with microsecond precision: most answers take well under one.
		slog.Float64("latency_ms", float64(latency.Microseconds())/1000),
		slog.Int64("upstream_calls", st.calls.Load()),
	}
	if st.userID != "" {
		attrs = append(attrs, slog.String("user_id", st.userID))
	}
	level := slog.LevelInfo
	if quietRoutes[route] && status < 400 {
		// Probes and scrapes arrive every few seconds from every replica's
		// kubelet and Prometheus; their successes would drown the log.
		level = slog.LevelDebug
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		if status >= 500 {
			level = slog.LevelError
		}
	}
	if stack != nil {
		attrs = append(attrs, slog.String("stack", string(stack)))
	}
	// Straight to the handler: Logger.LogAttrs would also walk the stack for a source position
	// this line never shows (runtime.Callers, a fifth of the line's cost).
	if h := s.log.Handler(); h.Enabled(req.Context(), level) {
		r := slog.NewRecord(start.Add(latency), level, "request", 0)
		r.AddAttrs(attrs...)
		_ = h.Handle(req.Context(), r)
	}
	return nil
}

// routeOf is the matched route template (Echo reports only registered
// templates), or "unmatched" for a request that matched no route.
func routeOf(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return "unmatched"
}

// quietRoutes are logged at debug level when they succeed.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// MaxRequestBody bounds a request body: no route takes more than the sign-out
// form.
const MaxRequestBody = 64 << 10

// limitBody runs next, answering 413 to a request whose body is larger than
// n: at once when it says so in Content-Length, else once reading it goes
// past n (whatever the handler made of the cut-off body, e.g. a form without
// its CSRF field).
func limitBody(c echo.Context, n int64, next echo.HandlerFunc) error {
	req := c.Request()
	if req.ContentLength > n {
		return echo.ErrStatusRequestEntityTooLarge
	}
	if req.Body == nil || req.Body == http.NoBody {
		return next(c) // most requests: nothing to wrap, nothing to allocate
	}
	body := &limitedBody{ReadCloser: http.MaxBytesReader(c.Response(), req.Body, n)}
	req.Body = body
	err := next(c)
	if body.exceeded && !c.Response().Committed {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return err
}

// limitedBody remembers that a read went past the limit.
type limitedBody struct {
	io.ReadCloser
	exceeded bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.exceeded = true
	}
	return n, err
}

// setSecureHeaders sets the headers every response carries. Cache-Control
// defaults to no-store: most pages show session data or carry a token; the
// static handler overrides it for its versioned files.
func (s *server) setSecureHeaders(c echo.Context) {
	// Shared, never-mutated value slices under canonical keys: these headers are on every
	// response, /open included, and Header.Set would allocate each of them anew.
	h := c.Response().Header()
	h["X-Content-Type-Options"] = headerNosniff
	h["Referrer-Policy"] = headerNoReferrer
	h["Cache-Control"] = headerNoStore
	h["Content-Security-Policy"] = s.cspHeader()
	if s.hsts {
		h["Strict-Transport-Security"] = headerHSTS
	}
}

var (
	headerNosniff    = []string{"nosniff"}
	headerNoReferrer = []string{"no-referrer"}
	headerNoStore    = []string{"no-store"}
	// headerHSTS: one year, without includeSubDomains. The gateway does not
	// own its parent domain (it shares one with the Talkio app and the
	// partner's other hosts), so it must not decide that every sibling serves
	// https; browsers honour the header only when it arrives over https.
	headerHSTS = []string{"max-age=31536000"}
)

// cspHeader is the Content-Security-Policy value. It depends only on the
// provider's end-session origin, which is final once discovery has loaded, so
// from then on it is computed once and shared.
func (s *server) cspHeader() []string {
	if v := s.cspCache.Load(); v != nil {
		return *v
	}
	ready := s.auth.Ready()
	v := []string{s.csp.header(s.endSessionOrigin())}
	if ready {
		s.cspCache.Store(&v)
	}
	return v
}

// endSessionOrigin is the provider's end-session origin, once discovery has
// found one. The sign-out form's redirect goes there, and browsers apply
// form-action to a form's redirects too.
func (s *server) endSessionOrigin() string {
	u, ok := s.auth.EndSessionURL(s.postLogoutURL(), "")
	if !ok {
		return ""
	}
	return originOf(u)
}

// originOf returns scheme://host of an absolute URL, or "".
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// contentSecurityPolicy is the gateway's CSP: no scripts at all, styles and
// images from the gateway only, frames from the Talkio app only. form-action
// comes last so that the provider's origin can be appended per request.
type contentSecurityPolicy struct {
	base string
}

func newCSP(app *url.URL, frameAncestors []string) contentSecurityPolicy {
	ancestors := "'self'"
	if len(frameAncestors) > 0 {
		ancestors = strings.Join(frameAncestors, " ")
	}
	return contentSecurityPolicy{
		base: "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; " +
			"frame-src " + app.Scheme + "://" + app.Host + "; frame-ancestors " + ancestors + "; form-action 'self'",
	}
}

func (p contentSecurityPolicy) header(extraFormAction string) string {
	if extraFormAction == "" {
		return p.base
	}
	return p.base + " " + extraFormAction
}

// crossOrigin refuses state-changing requests (POST /logout) that a browser
// sends from another site: net/http.CrossOriginProtection reads Fetch
// metadata (Sec-Fetch-Site) and, from older browsers, Origin. No token and no
// cookie, so nothing a sibling subdomain can plant defeats it. The public
// URL's origin is trusted, so a proxy that rewrites Host does not turn the
// gateway's own form into a refusal. A request with neither header is not a
// browser's cross-site form (every browser since 2020 sends Origin with a
// POST), and is let through, as the standard library does.
func (s *server) crossOrigin() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(originOf(s.publicURL.String())); err != nil {
		// Only a relaxation is lost: same-origin requests still pass on Sec-Fetch-Site or Host.
		s.log.Warn("cross-origin protection: public URL not trusted as an origin", "error", err)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := cop.Check(c.Request()); err != nil {
				return &csrfError{err: err}
			}
			return next(c)
		}
	}
}

// csrfError is a refused cross-site state-changing request.
type csrfError struct{ err error }

func (e *csrfError) Error() string { return "handlers: cross-origin request refused: " + e.err.Error() }
func (e *csrfError) Unwrap() error { return e.err }
