package talkiotest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults used when Options leave a field empty.
const (
	DefaultProvider     = "demo-partner"
	DefaultOrganization = "demo-school"
	DefaultTokenTTL     = 5 * time.Minute
)

// APIPrefix is the path under which the Partner API v3 organizations live.
const APIPrefix = "/api/partner/v3/organizations/"

// maxBody caps request bodies; larger ones get 413.
const maxBody = 1 << 20

// Options configure a Handler. The zero value works: provider DefaultProvider, a random API key (see
// Handler.APIKey), one organization DefaultOrganization.
type Options struct {
	// Provider and APIKey are the expected x-provider and x-api-key header values.
	Provider, APIKey string
	// Organizations known to the provider. Empty means one, DefaultOrganization.
	Organizations []Organization
	// TokenTTL is the validity of a login token; default DefaultTokenTTL.
	TokenTTL time.Duration
	// Now is the clock; default time.Now. SetNow and Advance adjust it further.
	Now func() time.Time
	// AppURL is the external base URL of the stand-in app (login links, app pages), for example
	// "https://gateway.example/_talkio". Empty means derived from each request; see the package doc.
	AppURL string
	// PortalURL, when set, is the partner portal the stand-in app pages link back to ("Back to the
	// portal", leaving any frame), and those pages then carry the demo banner: demo mode sets it.
	PortalURL string
	// Logf, when set, receives one line per request: method, endpoint or path, status. Never a query,
	// a body or a header.
	Logf func(format string, args ...any)
	// ExpiredStatus is the status an active-only endpoint answers for a user that exists but has
	// expired or been suspended, by endpoint template (e.g. EndpointUserToken: http.StatusGone). The
	// documentation does not say which status that is; 403, 404 and 410 are all plausible and may
	// differ between endpoints, so tests choose. An endpoint not listed answers 404, as for an unknown
	// user. NewHandler panics on a status outside 400..499 (a test's mistake).
	ExpiredStatus map[string]int
}

// Organization is one organization of the provider. Several organizations with the same Partner belong to
// one partner; the organization preference may only point within a partner.
type Organization struct {
	Slug    string
	Partner string // default: the provider
	Name    string // default: the slug
}

// Handler is the simulator as a plain http.Handler. It is safe for concurrent use.
type Handler struct {
	opts          Options
	expiredStatus map[string]int // canonical endpoint → status, from Options.ExpiredStatus
	provHash      [32]byte
	keyHash       [32]byte

	mu       sync.Mutex // guards the state below
	orgs     map[string]*orgState
	tokens   map[string]*tokenRec
	issued   int
	sessions map[string]sessionRec
	prefs    map[string]string // partner + "\x00" + user id -> organization slug
	seq      int               // creation order of users

	callsMu sync.Mutex
	calls   []*Call

	faultsMu sync.Mutex
	faults   []*faultRule

	clockMu sync.Mutex
	fixed   *time.Time
	offset  time.Duration
}

type orgState struct {
	Organization
	users       []*userRec // creation order
	byID        map[string]*userRec
	invitations []Invitation
}

type tokenRec struct {
	org, userID string
	expiresAt   time.Time
	used        bool
}

type sessionRec struct {
	org, userID string
}

// NewHandler returns an unstarted simulator.
func NewHandler(opts Options) *Handler {
	if opts.Provider == "" {
		opts.Provider = DefaultProvider
	}
	if opts.APIKey == "" {
		opts.APIKey = randomHex(16)
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.AppURL = strings.TrimRight(opts.AppURL, "/")
	if len(opts.Organizations) == 0 {
		opts.Organizations = []Organization{{Slug: DefaultOrganization, Name: "Demo School"}}
	}
	h := &Handler{
		opts:     opts,
		provHash: sha256.Sum256([]byte(opts.Provider)),
		keyHash:  sha256.Sum256([]byte(opts.APIKey)),
		orgs:     map[string]*orgState{},
		tokens:   map[string]*tokenRec{},
		sessions: map[string]sessionRec{},
		prefs:    map[string]string{},
	}
	orgs := make([]Organization, 0, len(opts.Organizations))
	for _, o := range opts.Organizations {
		if o.Partner == "" {
			o.Partner = opts.Provider
		}
		if o.Name == "" {
			o.Name = o.Slug
		}
		orgs = append(orgs, o)
		h.orgs[o.Slug] = &orgState{Organization: o, byID: map[string]*userRec{}}
	}
	h.opts.Organizations = orgs
	h.expiredStatus = map[string]int{}
	for ep, status := range opts.ExpiredStatus {
		if status < 400 || status > 499 {
			panic(fmt.Sprintf("talkiotest: ExpiredStatus[%q] = %d, want a 4xx status", ep, status))
		}
		h.expiredStatus[faultKey(ep)] = status
	}
	return h
}

// Provider returns the expected x-provider value.
func (h *Handler) Provider() string { return h.opts.Provider }

// APIKey returns the expected x-api-key value (random unless Options.APIKey was set).
func (h *Handler) APIKey() string { return h.opts.APIKey }

// Organizations returns the configured organizations with defaults filled in.
func (h *Handler) Organizations() []Organization {
	return append([]Organization(nil), h.opts.Organizations...)
}

// Now returns the simulator's current time.
func (h *Handler) Now() time.Time {
	h.clockMu.Lock()
	defer h.clockMu.Unlock()
	if h.fixed != nil {
		return *h.fixed
	}
	return h.opts.Now().Add(h.offset)
}

// SetNow freezes the simulator's clock at t (Advance moves it on).
func (h *Handler) SetNow(t time.Time) {
	h.clockMu.Lock()
	defer h.clockMu.Unlock()
	h.fixed = &t
}

// Advance moves the simulator's clock forward by d (backward when d < 0).
func (h *Handler) Advance(d time.Duration) {
	h.clockMu.Lock()
	defer h.clockMu.Unlock()
	if h.fixed != nil {
		t := h.fixed.Add(d)
		h.fixed = &t
		return
	}
	h.offset += d
}

// reqCtx is what an endpoint handler sees.
type reqCtx struct {
	r        *http.Request
	endpoint string // the matched template
	org      *orgState
	params   map[string]string
	body     []byte
	now      time.Time

	expiredStatus map[string]int // Handler.expiredStatus
}

// reply is an endpoint's answer, computed under h.mu and written after it is released.
type reply struct {
	status int
	body   any // JSON-encoded; nil writes no body
}

func errorReply(status int, format string, args ...any) reply {
	return reply{status: status, body: errorBody{Message: fmt.Sprintf(format, args...), StatusCode: status}}
}

type errorBody struct {
	Message    string `json:"message"`
	StatusCode int    `json:"statusCode"`
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-request-id", "req_"+randomHex(12))

	body, tooLarge := readBody(r)
	m := h.match(r)
	call := h.record(r, m.endpoint, body)
	sw := &statusWriter{ResponseWriter: w, h: h, call: call}
	defer func() {
		if h.opts.Logf != nil {
			name := m.endpoint
			if name == "" {
				name = r.Method + " " + r.URL.Path
			}
			h.opts.Logf("talkiotest: %s -> %d", name, sw.status)
		}
	}()

	if f, ok := h.takeFault(r.Method, m); ok {
		h.applyFault(sw, r, f, func(w http.ResponseWriter) { h.serve(w, r, m, body, tooLarge) })
		return
	}
	h.serve(sw, r, m, body, tooLarge)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, m routeMatch, body []byte, tooLarge bool) {
	switch {
	case m.app != nil:
		m.app(h, w, r)
		return
	case m.route == nil && len(m.allow) > 0:
		w.Header().Set("Allow", strings.Join(m.allow, ", "))
		writeReply(w, errorReply(http.StatusMethodNotAllowed, "method %s not allowed", r.Method))
		return
	case m.route == nil:
		writeReply(w, errorReply(http.StatusNotFound, "cannot %s %s", r.Method, r.URL.Path))
		return
	}
	if !h.authorized(r) {
		writeReply(w, errorReply(http.StatusUnauthorized, "missing or invalid x-provider or x-api-key header"))
		return
	}
	if tooLarge {
		writeReply(w, errorReply(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", maxBody))
		return
	}
	now := h.Now()
	h.mu.Lock()
	org, ok := h.orgs[m.org]
	var rep reply
	if !ok {
		rep = errorReply(http.StatusNotFound, "organization %q not found", m.org)
	} else {
		rep = m.route.handle(h, &reqCtx{r: r, endpoint: m.endpoint, org: org, params: m.params, body: body, now: now, expiredStatus: h.expiredStatus})
	}
	h.mu.Unlock()
	writeReply(w, rep)
}

// authorized compares both credentials in constant time (hashes, so lengths leak nothing either).
func (h *Handler) authorized(r *http.Request) bool {
	p, k := r.Header.Get("x-provider"), r.Header.Get("x-api-key")
	if p == "" || k == "" {
		return false
	}
	ph, kh := sha256.Sum256([]byte(p)), sha256.Sum256([]byte(k))
	okP := subtle.ConstantTimeCompare(ph[:], h.provHash[:])
	okK := subtle.ConstantTimeCompare(kh[:], h.keyHash[:])
	return okP&okK == 1
}

func writeReply(w http.ResponseWriter, rep reply) {
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	b, err := json.Marshal(rep.body)
	if err != nil { // only our own types are encoded; this is a programming error
		panic(fmt.Sprintf("talkiotest: encode reply: %v", err))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(rep.status)
	_, _ = w.Write(append(b, '\n'))
}

func readBody(r *http.Request) (body []byte, tooLarge bool) {
	if r.Body == nil {
		return nil, false
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if len(b) > maxBody {
		return b[:maxBody], true
	}
	return b, false
}

// statusWriter notes the status in the call record before the response leaves, so a client that has its
// answer always finds the call complete.
type statusWriter struct {
	http.ResponseWriter
	h      *Handler
	call   *Call
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.h.callsMu.Lock()
		w.call.StatusCode = code
		w.h.callsMu.Unlock()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Hijack for DropConnection).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// appBase is the external base URL of the stand-in app for this request.
func (h *Handler) appBase(r *http.Request) string {
	if h.opts.AppURL != "" {
		return h.opts.AppURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if fh := firstValue(r.Header.Get("X-Forwarded-Host")); fh != "" {
		host = fh
	}
	return scheme + "://" + host + mountPrefix(r)
}

// mountPrefix is X-Forwarded-Prefix, else what http.StripPrefix removed: the request URI's path keeps the
// prefix while r.URL loses it.
func mountPrefix(r *http.Request) string {
	if p := firstValue(r.Header.Get("X-Forwarded-Prefix")); p != "" {
		return "/" + strings.Trim(p, "/")
	}
	uri := r.RequestURI
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if u, err := url.ParseRequestURI(uri); err == nil && u.IsAbs() {
		uri = u.EscapedPath()
	}
	p := r.URL.EscapedPath()
	if uri == "" || p == "" || !strings.HasSuffix(uri, p) {
		return ""
	}
	return strings.TrimRight(uri[:len(uri)-len(p)], "/")
}

func firstValue(s string) string {
	s, _, _ = strings.Cut(s, ",")
	return strings.TrimSpace(s)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b)
}
