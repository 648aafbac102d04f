// Package auth signs users in with an OpenID Connect provider and keeps them signed in with a cookie.
//
// The flow is a straight line. BeginLogin makes a random state, a nonce and a PKCE verifier, keeps them in
// a short-lived encrypted cookie (one of a few fixed slots), and returns the provider's authorization URL.
// FinishLogin, at the redirect URL, consumes that cookie, exchanges the code with the verifier, verifies
// the ID token (signature, issuer, audience, expiry — go-oidc) and its nonce, and maps the claims into an
// Identity, asking the userinfo endpoint only for mapped claims the ID token lacks. The caller decides
// who may enter and stores a Session with SaveSession; LoadSession reads it back on later requests, and
// LogoutHint the ID token for the id_token_hint of EndSessionURL.
//
// On https (CookiePolicy.Secure) every cookie is named with the __Host- prefix, so a sibling subdomain
// cannot plant one that the package reads.
//
// Provider discovery runs in the background: New never fails because the provider is down, and Ready
// reports when sign-in can start.
//
// The package knows nothing of the gateway's configuration, routes or Talkio; package gateway maps its configuration
// onto Config.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"golang.org/x/oauth2"
)

// ClaimNames names the ID token / userinfo claims mapped into an Identity. An empty name leaves that field
// unused, except UserID, which defaults to "sub".
type ClaimNames struct {
	UserID, Name, Email, Phone, Groups, Locale, AccountExpiresAt, Organization string
}

// Config configures an Authenticator. Its String, GoString and LogValue methods hide the client secret
// and the session keys.
type Config struct {
	IssuerURL    string
	ClientID     string
	ClientSecret string   // empty for a public client (PKCE only)
	RedirectURL  string   // absolute; its path is where FinishLogin is served
	Scopes       []string // must contain "openid"; nil means openid, profile, email

	Claims ClaimNames

	// SessionKeys are secrets of at least 32 bytes. The first encrypts and signs new cookies; all of them
	// are tried when reading, so a new key is put first and the old one removed a session lifetime later.
	SessionKeys [][]byte

	// Cookies is the cookie policy (session lifetime, SameSite, Secure); see CookiePolicy.
	Cookies CookiePolicy

	HTTPClient *http.Client     // for discovery, keys, token and userinfo requests; default has a 30 s timeout
	Logger     *slog.Logger     // default discards
	Now        func() time.Time // default time.Now; for tests

	// Discovery retry bounds; zero means the defaults. Unexported so only this package's tests set them.
	minBackoff, maxBackoff time.Duration
}

// String hides the secrets.
func (c Config) String() string {
	return fmt.Sprintf("auth.Config{IssuerURL:%q ClientID:%q ClientSecret:%s RedirectURL:%q Scopes:%q SessionKeys:%d Cookies:%+v}",
		c.IssuerURL, c.ClientID, redacted(c.ClientSecret != ""), c.RedirectURL, c.Scopes, len(c.SessionKeys), c.Cookies)
}

// GoString hides the secrets from %#v too.
func (c Config) GoString() string { return c.String() }

// LogValue hides the secrets from slog.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("issuer", c.IssuerURL),
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", redacted(c.ClientSecret != "")),
		slog.String("redirect_url", c.RedirectURL),
		slog.Any("scopes", c.Scopes),
		slog.Int("session_keys", len(c.SessionKeys)),
		slog.Bool("cookie_secure", c.Cookies.Secure),
		slog.Duration("session_max_age", c.Cookies.TTL),
	)
}

func redacted(set bool) string {
	if set {
		return "[redacted]"
	}
	return "(empty)"
}

const (
	// MinSessionKeyLength is the shortest session secret accepted, in bytes.
	MinSessionKeyLength = 32

	defaultSessionMaxAge = 12 * time.Hour
	defaultMinBackoff    = 500 * time.Millisecond
	defaultMaxBackoff    = 30 * time.Second
	discoveryTimeout     = 30 * time.Second
)

// Authenticator runs the sign-in flow and reads and writes the session cookie. It is safe for concurrent
// use.
type Authenticator struct {
	cfg Config
	log *slog.Logger
	now func() time.Time

	attemptSameSite http.SameSite
	sessionName     string   // SessionCookieName, prefixed on https
	hintName        string   // LogoutHintCookieName, prefixed on https
	attemptNames    []string // one per slot, prefixed on https
	attemptCodecs   []securecookie.Codec
	hintCodecs      []securecookie.Codec
	store           *sessions.CookieStore

	provider atomic.Pointer[discovered] // nil until discovery succeeds
	ready    chan struct{}              // closed when provider is set

	stop      context.CancelFunc
	done      chan struct{} // closed when the discovery goroutine returns
	closeOnce sync.Once
}

// discovered is what discovery yields; it never changes once stored.
type discovered struct {
	provider   *oidc.Provider
	verifier   *oidc.IDTokenVerifier
	oauth2     oauth2.Config
	endSession string
}

// New validates cfg and starts provider discovery in the background; it fails only on an invalid cfg.
// Discovery is retried with jittered exponential backoff (up to 30 s apart) until it succeeds, ctx ends
// or Close is called. Ready reports when it has succeeded.
func New(ctx context.Context, cfg Config) (*Authenticator, error) {
	if err := normalize(&cfg); err != nil {
		return nil, err
	}
	a := &Authenticator{
		cfg:             cfg,
		log:             cfg.Logger,
		now:             cfg.Now,
		attemptSameSite: http.SameSiteLaxMode,
		ready:           make(chan struct{}),
		done:            make(chan struct{}),
	}
	a.sessionName, a.hintName = a.cookieName(SessionCookieName), a.cookieName(LogoutHintCookieName)
	for slot := range MaxLoginAttempts {
		a.attemptNames = append(a.attemptNames, a.cookieName(AttemptCookiePrefix+strconv.Itoa(slot)))
	}
	// The provider's redirect back to us is a top-level cross-site GET, which carries Lax cookies but not
	// Strict ones; a gateway framed by the portal (None) needs None for the attempt cookies too.
	if cfg.Cookies.SameSite == http.SameSiteNoneMode {
		a.attemptSameSite = http.SameSiteNoneMode
	}
	cs, err := newCodecs(cfg)
	if err != nil {
		return nil, err
	}
	a.store, a.attemptCodecs, a.hintCodecs = cs.store, cs.attempt, cs.hint

	ctx, a.stop = context.WithCancel(ctx)
	go a.discover(ctx)
	return a, nil
}

func normalize(cfg *Config) error {
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf("auth: "+format, args...)) }

	if u, err := url.Parse(cfg.IssuerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("issuer URL %q must be an absolute http(s) URL", cfg.IssuerURL)
	}
	if cfg.ClientID == "" {
		bad("client id is empty")
	}
	if u, err := url.Parse(cfg.RedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("redirect URL %q must be an absolute http(s) URL", cfg.RedirectURL)
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	} else if !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		bad("scopes %q must include %q", cfg.Scopes, oidc.ScopeOpenID)
	}
	if cfg.Claims.UserID == "" {
		cfg.Claims.UserID = "sub"
	}
	if len(cfg.SessionKeys) == 0 {
		bad("no session key")
	}
	for i, k := range cfg.SessionKeys {
		if len(k) < MinSessionKeyLength {
			bad("session key %d is %d bytes; at least %d are needed", i+1, len(k), MinSessionKeyLength)
		}
	}
	switch cfg.Cookies.SameSite {
	case 0, http.SameSiteDefaultMode:
		cfg.Cookies.SameSite = http.SameSiteLaxMode
	case http.SameSiteLaxMode, http.SameSiteStrictMode:
	case http.SameSiteNoneMode:
		if !cfg.Cookies.Secure {
			bad("SameSite=None cookies must be Secure; browsers drop them otherwise (serve the gateway over https)")
		}
	default:
		bad("unknown SameSite mode %d", cfg.Cookies.SameSite)
	}
	switch {
	case cfg.Cookies.TTL == 0:
		cfg.Cookies.TTL = defaultSessionMaxAge
	case cfg.Cookies.TTL < time.Second:
		bad("session max age %s is shorter than a second", cfg.Cookies.TTL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.minBackoff <= 0 {
		cfg.minBackoff = defaultMinBackoff
	}
	if cfg.maxBackoff <= 0 {
		cfg.maxBackoff = defaultMaxBackoff
	}
	cfg.maxBackoff = max(cfg.maxBackoff, cfg.minBackoff)
	return errors.Join(problems...)
}

// Ready reports whether provider discovery has succeeded, so that sign-in can start.
func (a *Authenticator) Ready() bool { return a.provider.Load() != nil }

// WaitReady waits until discovery has succeeded (nil) or ctx ends (its error).
func (a *Authenticator) WaitReady(ctx context.Context) error {
	select {
	case <-a.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops background discovery, if it is still running, and waits for it to return.
func (a *Authenticator) Close() error {
	a.closeOnce.Do(a.stop)
	<-a.done
	return nil
}

// discover retries discovery until it succeeds or ctx ends.
func (a *Authenticator) discover(ctx context.Context) {
	defer close(a.done)
	delay := a.cfg.minBackoff
	for attempt := 1; ; attempt++ {
		d, err := a.discoverOnce(ctx)
		if err == nil {
			a.provider.Store(d)
			close(a.ready)
			a.log.Info("auth: provider discovered", "issuer", a.cfg.IssuerURL, "attempt", attempt)
			return
		}
		if ctx.Err() != nil {
			return
		}
		// Equal jitter: half the delay fixed, half random, so gateways restarted together spread out.
		wait := delay/2 + rand.N(delay/2+1)
		a.log.Warn("auth: provider discovery failed; sign-in is unavailable until it succeeds",
			"issuer", a.cfg.IssuerURL, "attempt", attempt, "retry_in", wait.Round(time.Millisecond),
			"err", cleanParam(err.Error(), 300))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(delay*2, a.cfg.maxBackoff)
	}
}

func (a *Authenticator) discoverOnce(ctx context.Context) (*discovered, error) {
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	// The provider keeps the client from this context (not its deadline) for later key fetches.
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, a.cfg.HTTPClient), a.cfg.IssuerURL)
	if err != nil {
		return nil, err
	}
	var meta struct {
		EndSession  string   `json:"end_session_endpoint"`
		PKCEMethods []string `json:"code_challenge_methods_supported"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, fmt.Errorf("decode discovery document: %w", err)
	}
	ep := p.Endpoint()
	if ep.AuthURL == "" || ep.TokenURL == "" {
		return nil, errors.New("discovery document lacks authorization_endpoint or token_endpoint")
	}
	if len(meta.PKCEMethods) > 0 && !slices.Contains(meta.PKCEMethods, "S256") {
		a.log.Warn("auth: provider does not list PKCE S256; sign-in still sends it", "issuer", a.cfg.IssuerURL)
	}
	return &discovered{
		provider: p,
		verifier: p.Verifier(&oidc.Config{ClientID: a.cfg.ClientID, Now: a.cfg.Now}),
		oauth2: oauth2.Config{
			ClientID:     a.cfg.ClientID,
			ClientSecret: a.cfg.ClientSecret,
			Endpoint:     ep,
			RedirectURL:  a.cfg.RedirectURL,
			Scopes:       a.cfg.Scopes,
		},
		endSession: meta.EndSession,
	}, nil
}

// EndSessionURL returns the provider's end_session_endpoint for RP-Initiated Logout 1.0, or false when
// the provider lists none or is not discovered yet. With idTokenHint (LogoutHint) it sends id_token_hint,
// client_id and post_logout_redirect_uri. Without one it sends only client_id: several providers (Ory
// Hydra, among others) refuse a post_logout_redirect_uri that comes without the hint, so the browser
// rather ends on the provider's own signed-out page than on its error page.
func (a *Authenticator) EndSessionURL(postLogoutRedirectURI, idTokenHint string) (string, bool) {
	d := a.provider.Load()
	if d == nil || d.endSession == "" {
		return "", false
	}
	u, err := url.Parse(d.endSession)
	if err != nil || u.Host == "" {
		return "", false
	}
	q := u.Query()
	q.Set("client_id", a.cfg.ClientID)
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
		if postLogoutRedirectURI != "" {
			q.Set("post_logout_redirect_uri", postLogoutRedirectURI)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), true
}

// HostPrefix starts the name of every cookie when CookiePolicy.Secure is set (RFC 6265bis §4.1.3.2).
const HostPrefix = "__Host-"

// cookieName is the name a cookie is set and read under: with the __Host- prefix on https.
func (a *Authenticator) cookieName(base string) string {
	if a.cfg.Cookies.Secure {
		return HostPrefix + base
	}
	return base
}

// SessionCookie is the session cookie's name as set: SessionCookieName, with the __Host- prefix on https.
func (a *Authenticator) SessionCookie() string { return a.sessionName }

// Issuer is the provider's issuer URL (OIDC_ISSUER), exactly as configured: the id rule's scope.
func (a *Authenticator) Issuer() string { return a.cfg.IssuerURL }
