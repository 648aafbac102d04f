// Package handlers is the gateway's web front: the Echo routes that sign a
// user in through the partner's OpenID provider (package auth), provision the
// user in Talkio (package provision), and send the browser into the Talkio app
// with a fresh login token, as a redirect (/open) or an iframe page (/embed).
//
// Every handler returns its error; one HTTPErrorHandler turns an error kind
// into a status and a page (templates/error.html) or JSON, with the request
// id, and logs the detail. Nothing a browser sees is a copy of an error's text.
package handlers

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"talkio-gateway/auth"
	"talkio-gateway/provision"
	"talkio-gateway/static"
	"talkio-gateway/talkio"
	"talkio-gateway/templates"
)

// Options is everything the handlers need; package gateway maps the
// configuration onto it.
type Options struct {
	// Auth signs users in and keeps their session cookie.
	Auth *auth.Authenticator
	// Provisioner turns a signed-in identity into a Talkio user (access policy,
	// create once, profile sync, expiry, settings, organization); its
	// Client(slug) reaches each organization. The gateway builds one and shares
	// it with every entry point.
	Provisioner *provision.Provisioner
	// IDRule turns the provider's issuer and CLAIM_USER_ID value into the
	// Talkio id (TALKIO_USER_ID_MODE); the zero value is claim mode.
	IDRule provision.IDRule
	// Talkio is the Partner API client for the default organization, used by
	// the readiness check. Build it with
	// talkio.WithCallObserver(handlers.ObserveTalkioCall) so that each
	// request's log line counts its upstream calls.
	Talkio *talkio.Client
	// PublicURL is the gateway's external URL ("/" under it is where a
	// sign-out comes back to).
	PublicURL *url.URL
	// TalkioAppURL is the Talkio (white-label) app origin holding
	// /authentication/partner/.
	TalkioAppURL *url.URL
	// FrameAncestors are the CSP frame-ancestors sources; default 'self'.
	FrameAncestors []string
	// SupportContact is whom the error pages tell people to ask.
	SupportContact string
	// TrustProxy keeps a well-formed X-Request-ID sent with a request (by a
	// proxy in front that sets it); without it every request gets a fresh id.
	TrustProxy bool
	// OpenBurst and OpenRefill limit /open and /embed per user and replica: a
	// token bucket of OpenBurst opens, one more every OpenRefill; beyond it 429
	// with Retry-After. Defaults DefaultOpenBurst and DefaultOpenRefill.
	OpenBurst  int
	OpenRefill time.Duration
	// ReadyCheckTalkio makes /readyz also check that the Partner API answers
	// with the configured credentials (one call at most every few seconds).
	ReadyCheckTalkio bool
	// Demo shows the "Demo mode — not for production" banner on every page and
	// turns the home page into a stand-in partner portal.
	Demo bool
	// Privacy is what the demo's home page says about the privacy modes in
	// effect (TALKIO_USER_ID_MODE, TALKIO_SEND_FIELDS).
	Privacy Privacy
	// Metrics records requests, sign-ins and (through the Talkio client's
	// observer calling Metrics.Observe) Partner API calls. nil: no metrics.
	Metrics *Metrics
	// ServeMetrics also serves Metrics at GET /metrics on these routes. Off by
	// default: the counts are not for the public, so the gateway package serves
	// them on GATEWAY_METRICS_LISTEN and this listener answers 404.
	ServeMetrics bool
	// Mounts are further handlers served under a path prefix (e.g. "/scim/v2",
	// "/lti"), behind the same request id, request log and security headers as
	// the gateway's own routes, and its body limit unless the mount has its
	// own. The handler sees the full path and may replace a security header.
	Mounts []Mount
	// Logger receives one line per request and the details of errors;
	// default slog.Default().
	Logger *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Mount is a handler served at Prefix and everything below it.
type Mount struct {
	Prefix  string // "/name": starts with a slash, no trailing slash
	Handler http.Handler
	// OwnBodyLimit: the handler bounds request bodies itself and answers in its
	// own format (SCIM's JSON errors), so the gateway's limit and page stay out.
	OwnBodyLimit bool
}

// server holds what the handlers share. It is built once by New.
type server struct {
	auth        *auth.Authenticator
	talkio      *talkio.Client
	publicURL   *url.URL
	loginURL    talkio.LoginURL
	support     string
	sessionTTL  time.Duration
	demo        bool
	privacy     Privacy
	log         *slog.Logger
	now         func() time.Time
	provisioner *provision.Provisioner
	idRule      provision.IDRule
	pages       map[string]*template.Template
	assets      assets
	csp         contentSecurityPolicy
	cspCache    atomic.Pointer[[]string] // the CSP value once discovery has loaded
	cookieOpts  cookieOptions
	hsts        bool // Strict-Transport-Security on every response (public URL is https)
	trustProxy  bool
	opens       *openLimiter

	readyCheckTalkio bool
	talkioCheck      talkioCheck

	metrics      *Metrics
	serveMetrics bool
	mounts       []Mount
	ownLimit     map[string]bool // route paths of mounts that bound bodies themselves
}

// cookieOptions is the cookie policy the handlers act on; auth sets every
// cookie itself.
type cookieOptions struct {
	sameSite http.SameSite
}

// assets are the versioned URLs of the static files the layout links to.
type assets struct {
	CSS  string
	Icon string
}

// pageNames are the templates New requires; each is parsed with layout.html.
var pageNames = []string{"home.html", "embed.html", "error.html", "continue.html", "logout.html"}

// New checks the options, parses every template and returns the gateway's
// web front, ready to be served. Echo is an inside detail.
func New(o Options) (http.Handler, error) {
	e, err := newEcho(o)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// newEcho is New with the Echo instance exposed, for this package's tests.
func newEcho(o Options) (*echo.Echo, error) {
	s, err := newServer(o)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Logger.SetOutput(io.Discard) // everything worth saying goes through s.log
	e.HTTPErrorHandler = s.handleError
	s.routes(e)
	return e, nil
}

func newServer(o Options) (*server, error) {
	var problems []string
	if o.Auth == nil {
		problems = append(problems, "Auth is nil")
	}
	if o.Talkio == nil {
		problems = append(problems, "Talkio is nil")
	}
	if o.Provisioner == nil {
		problems = append(problems, "Provisioner is nil")
	}
	if o.PublicURL == nil || !o.PublicURL.IsAbs() || o.PublicURL.Host == "" {
		problems = append(problems, "PublicURL must be an absolute URL")
	}
	if o.TalkioAppURL == nil || !o.TalkioAppURL.IsAbs() || o.TalkioAppURL.Host == "" {
		problems = append(problems, "TalkioAppURL must be an absolute URL")
	}
	for _, m := range o.Mounts {
		if !strings.HasPrefix(m.Prefix, "/") || strings.HasSuffix(m.Prefix, "/") || m.Handler == nil {
			problems = append(problems, fmt.Sprintf("Mounts: %q needs a handler and a prefix like /name", m.Prefix))
		}
	}
	if o.OpenBurst < 0 || o.OpenRefill < 0 {
		problems = append(problems, "OpenBurst and OpenRefill must not be negative")
	}
	for _, a := range o.FrameAncestors {
		if a == "" || strings.ContainsAny(a, " ;,\t\r\n") {
			problems = append(problems, fmt.Sprintf("FrameAncestors: %q is not one CSP source", a))
		}
	}
	if len(problems) > 0 {
		return nil, errors.New("handlers: " + strings.Join(problems, "; "))
	}

	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SupportContact == "" {
		o.SupportContact = "your administrator"
	}
	o.OpenBurst = cmp.Or(o.OpenBurst, DefaultOpenBurst)
	o.OpenRefill = cmp.Or(o.OpenRefill, DefaultOpenRefill)

	// The cookie policy is auth's, given once: the session's lifetime and the
	// attributes of the cookies set here follow it.
	cookies := o.Auth.Cookies()

	pages, err := parsePages(templates.FS)
	if err != nil {
		return nil, err
	}
	as, err := assetURLs(static.FS)
	if err != nil {
		return nil, err
	}

	return &server{
		auth:        o.Auth,
		talkio:      o.Talkio,
		publicURL:   o.PublicURL,
		loginURL:    talkio.NewLoginURL(o.TalkioAppURL),
		support:     o.SupportContact,
		sessionTTL:  cookies.TTL,
		demo:        o.Demo,
		privacy:     o.Privacy.withDefaults(),
		log:         o.Logger,
		now:         o.Now,
		provisioner: o.Provisioner,
		idRule:      o.IDRule,
		pages:       pages,
		assets:      as,
		csp:         newCSP(o.TalkioAppURL, o.FrameAncestors),
		cookieOpts:  cookieOptions{sameSite: cookies.SameSite},
		hsts:        o.PublicURL.Scheme == "https",
		trustProxy:  o.TrustProxy,
		opens:       newOpenLimiter(o.OpenBurst, o.OpenRefill, openLimiterSize),

		readyCheckTalkio: o.ReadyCheckTalkio,
		metrics:          o.Metrics,
		serveMetrics:     o.ServeMetrics,
		mounts:           o.Mounts,
		ownLimit:         ownLimitRoutes(o.Mounts),
	}, nil
}

// parsePages parses each page with the shared layout. A missing or broken
// template is an error, so the gateway never starts with a page it cannot show.
func parsePages(fsys fs.FS) (pages map[string]*template.Template, err error) {
	defer func() {
		// template.Must panics; turn that into New's error.
		if r := recover(); r != nil {
			pages, err = nil, fmt.Errorf("handlers: templates: %v", r)
		}
	}()
	pages = make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		pages[name] = template.Must(template.New(name).Option("missingkey=error").ParseFS(fsys, "layout.html", name))
	}
	return pages, nil
}

// assetURLs versions each static URL with a hash of its content, so the
// files can be cached for a year and a new binary is still picked up at once.
func assetURLs(fsys fs.FS) (assets, error) {
	v := func(name string) (string, error) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", fmt.Errorf("handlers: static: %w", err)
		}
		sum := sha256.Sum256(b)
		return "/static/" + name + "?v=" + hex.EncodeToString(sum[:6]), nil
	}
	css, err := v("app.css")
	if err != nil {
		return assets{}, err
	}
	icon, err := v("favicon.svg")
	if err != nil {
		return assets{}, err
	}
	return assets{CSS: css, Icon: icon}, nil
}

// ownLimitRoutes are the route paths (as Echo names them) of the mounts with their own body limit.
func ownLimitRoutes(mounts []Mount) map[string]bool {
	var m map[string]bool
	for _, mt := range mounts {
		if mt.OwnBodyLimit {
			if m == nil {
				m = map[string]bool{}
			}
			m[mt.Prefix], m[mt.Prefix+"/*"] = true, true
		}
	}
	return m
}
