package handlers

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"talkio-gateway/auth"
	"talkio-gateway/demo/idp"
	"talkio-gateway/internal/testutil"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// The end-to-end tests run the real pieces over loopback sockets: the demo
// OpenID provider (zitadel/oidc op), the Partner API simulator, and the
// gateway's Echo app, driven by cookie-jar clients that follow every redirect
// themselves.

const (
	testOrg      = "demo-school"
	testProvider = "acme-partner"
)

// env is one gateway with its provider and Talkio simulator.
type env struct {
	t      testing.TB
	idp    *idp.Provider
	idpURL string      // the provider's origin
	idpUp  atomic.Bool // false: the provider answers 503 to everything
	sim    *talkiotest.Server
	gw     *httptest.Server
	echo   *echo.Echo
	auth   *auth.Authenticator
	talkio *talkio.Client
	logs   *testutil.Buffer
	clock  *testutil.Clock // shared by the gateway and the simulator
	apiKey string
	secret string
}

// envConfig adjusts an env before it starts.
type envConfig struct {
	users []idp.User
	// providerDown starts the provider unreachable (503); newEnv then does
	// not wait for discovery. Set env.idpUp to bring it up.
	providerDown bool
	orgs         []talkiotest.Organization
	options      func(*Options)
	auth         func(*auth.Config)
	simOptions   func(*talkiotest.Options)
	provision    func(*provision.Options)
}

func randomString(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// signingKey is one RSA key for every test provider: generating a key per
// test would cost more than the test.
var signingKey = func() func(testing.TB) *rsa.PrivateKey {
	key := sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	return func(tb testing.TB) *rsa.PrivateKey {
		tb.Helper()
		k, err := key()
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
}()

// newEnv starts a provider, a simulator and a gateway for one test, which
// runs in parallel with the others.
func newEnv(t testing.TB, cfg envConfig) *env {
	t.Helper()
	e := &env{
		t:      t,
		logs:   &testutil.Buffer{},
		clock:  testutil.NewClock(time.Now().UTC().Truncate(time.Second)),
		apiKey: "api-key-" + randomString(t),
		secret: "client-secret-" + randomString(t),
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// The gateway's address is needed by the provider (redirect URIs) before
	// the gateway exists.
	e.gw = httptest.NewUnstartedServer(nil)
	gwURL := "http://" + e.gw.Listener.Addr().String()
	t.Cleanup(e.gw.Close)

	users := cfg.users
	if users == nil {
		users = idp.DemoUsers()
	}
	// The provider runs behind a switch, to test it being down at start.
	idpSrv := httptest.NewUnstartedServer(nil)
	e.idpURL = "http://" + idpSrv.Listener.Addr().String()
	t.Cleanup(idpSrv.Close)
	var err error
	e.idp, err = idp.New(idp.Options{
		Issuer:        e.idpURL + "/idp",
		AllowInsecure: true,
		Key:           signingKey(t),
		Users:         users,
		Clients: []idp.Client{{
			ID: "gateway", Secret: e.secret,
			RedirectURIs:           []string{gwURL + "/auth/callback"},
			PostLogoutRedirectURIs: []string{gwURL + "/"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.idpUp.Store(!cfg.providerDown)
	idpHandler := e.idp.Handler()
	idpSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !e.idpUp.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		idpHandler.ServeHTTP(w, r)
	})
	idpSrv.Start()

	orgs := cfg.orgs
	if orgs == nil {
		orgs = []talkiotest.Organization{{Slug: testOrg, Partner: testProvider}}
	}
	simOpts := talkiotest.Options{Provider: testProvider, APIKey: e.apiKey, Organizations: orgs, Now: e.clock.Now}
	if cfg.simOptions != nil {
		cfg.simOptions(&simOpts)
	}
	e.sim = talkiotest.NewServer(simOpts)
	t.Cleanup(e.sim.Close)

	e.talkio, err = talkio.NewClient(e.sim.URL, testProvider, e.apiKey,
		talkio.WithOrganization(orgs[0].Slug),
		talkio.WithCallObserver(ObserveTalkioCall),
		// Fast retries: the tests count attempts, they do not time them.
		talkio.WithRetryPolicy(talkio.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}

	acfg := auth.Config{
		IssuerURL:    e.idp.Issuer(),
		ClientID:     "gateway",
		ClientSecret: e.secret,
		RedirectURL:  gwURL + "/auth/callback",
		Claims: auth.ClaimNames{
			UserID: "sub", Name: "name", Email: "email", Phone: "phone_number", Groups: "groups",
			Locale: "locale", AccountExpiresAt: "subscription_end", Organization: "org",
		},
		SessionKeys: [][]byte{[]byte(randomString(t))},
		Logger:      logger,
	}
	if cfg.auth != nil {
		cfg.auth(&acfg)
	}
	e.auth, err = auth.New(context.Background(), acfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.auth.Close() })

	popts := provision.Options{Talkio: e.talkio, Logger: logger, Now: e.clock.Now, SignInCreates: true}
	if cfg.provision != nil {
		cfg.provision(&popts)
	}
	prov, err := provision.New(popts)
	if err != nil {
		t.Fatal(err)
	}

	opts := Options{
		Auth:           e.auth,
		Provisioner:    prov,
		Talkio:         e.talkio,
		PublicURL:      mustParseURL(t, gwURL),
		TalkioAppURL:   mustParseURL(t, e.sim.URL),
		SupportContact: "the school office",
		Logger:         logger,
		Now:            e.clock.Now,
	}
	if cfg.options != nil {
		cfg.options(&opts)
	}
	e.echo, err = newEcho(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.gw.Config.Handler = e.echo
	e.gw.Start()

	if !cfg.providerDown {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.auth.WaitReady(ctx); err != nil {
			t.Fatalf("provider discovery: %v", err)
		}
	}
	return e
}

// browser is one user agent: its own cookie jar, redirects followed by hand
// so that each hop can be checked, and the demo user it picks at the
// provider's login page.
type browser struct {
	e      *env
	client *http.Client
	user   string
}

func (e *env) browser(user string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	// A transport of its own: httptest.Server.Close closes the shared default
	// transport's idle connections, which breaks a parallel test's request
	// that is about to reuse one.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	e.t.Cleanup(tr.CloseIdleConnections)
	return &browser{e: e, user: user, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       60 * time.Second,
		Transport:     tr,
	}}
}

// response is a finished response with its body read.
type response struct {
	*http.Response
	body string
}

func (r *response) location() string { return r.Header.Get("Location") }

// do sends one request; a path is taken relative to the gateway.
func (b *browser) do(method, target string, body url.Values, header http.Header) (*response, error) {
	if strings.HasPrefix(target, "/") {
		target = b.e.gw.URL + target
	}
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &response{Response: res, body: string(data)}, nil
}

func (b *browser) get(target string) *response {
	b.e.t.Helper()
	r, err := b.do(http.MethodGet, target, nil, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return r
}

// visit follows redirects from target through the gateway and the provider,
// picking b.user on the provider's login page. It stops at the first answer
// that is not a redirect, or at a redirect that leaves the gateway and the
// provider (into the Talkio app), which it returns unfollowed.
func (b *browser) visit(target string) (*response, error) {
	for hop := 0; hop < 20; hop++ {
		r, err := b.do(http.MethodGet, target, nil, nil)
		if err != nil {
			return nil, err
		}
		if r.StatusCode < 300 || r.StatusCode > 399 {
			return r, nil
		}
		next, err := r.Request.URL.Parse(r.location())
		if err != nil {
			return nil, err
		}
		switch origin := next.Scheme + "://" + next.Host; {
		case origin == b.e.gw.URL:
		case origin == b.e.idpURL:
			if next.Path == mustParseURL(b.e.t, b.e.idp.Issuer()).Path+"/login" && next.Query().Get("user") == "" {
				q := next.Query()
				q.Set("user", b.user)
				next.RawQuery = q.Encode()
			}
		default:
			return r, nil
		}
		target = next.String()
	}
	return nil, fmt.Errorf("more than 20 redirects from %s", target)
}

func (b *browser) mustVisit(target string) *response {
	b.e.t.Helper()
	r, err := b.visit(target)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return r
}

// signIn signs b in and checks that it lands on the home page signed in.
func (b *browser) signIn() {
	b.e.t.Helper()
	r := b.mustVisit("/login")
	if r.StatusCode != http.StatusOK || r.Request.URL.Path != "/" {
		b.e.t.Fatalf("sign-in as %s ended at %s with %d: %s", b.user, r.Request.URL, r.StatusCode, errorText(r.body))
	}
	if testutil.ByID(b.e.t, r.body, "sign-out") == nil {
		b.e.t.Fatalf("home page after sign-in as %s shows no sign-out button", b.user)
	}
}

// tokenFrom returns the token of a Talkio login URL, checking its shape.
func (e *env) tokenFrom(loc string) string {
	e.t.Helper()
	checkTalkioLocation(e.t, loc, e.sim.URL, "")
	tok := mustParseURL(e.t, loc).Query().Get("token")
	if tok == "" {
		e.t.Fatalf("no token in %s", loc)
	}
	return tok
}

// callsTo counts the simulator's recorded calls of one endpoint.
func (e *env) callsTo(endpoint string) int { return e.sim.CallCount(endpoint) }

// bodiesOf returns the JSON bodies sent to an endpoint, oldest first.
func (e *env) bodiesOf(endpoint string) []string {
	var out []string
	for _, c := range e.sim.Calls() {
		if c.Endpoint == endpoint {
			out = append(out, string(c.Body))
		}
	}
	return out
}

// logLines returns the request log lines (msg=request), one per request.
func (e *env) logLines() []string {
	var out []string
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, " msg=request ") {
			out = append(out, l)
		}
	}
	return out
}

// errorText is an error page's message, for failure output.
func errorText(body string) string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return body
	}
	if n := testutil.FindNode(doc, func(n *html.Node) bool { return testutil.Attr(n, "id") == "error-message" }); n != nil {
		return testutil.Text(n)
	}
	if len(body) > 300 {
		body = body[:300]
	}
	return body
}
