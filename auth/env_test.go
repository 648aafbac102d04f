package auth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"talkio-gateway/demo/idp"
	"talkio-gateway/internal/testutil"
)

// The end-to-end tests run the real OpenID provider of demo/idp (zitadel/oidc's op package) and a tiny
// relying party that calls BeginLogin and FinishLogin, each on its own httptest.Server, with an
// http.Client and cookie jar playing the browser.

const (
	testClientID     = "talkio-gateway"
	testClientSecret = "client-secret-never-logged-0123456789"
	opTokenPath      = "/oauth/token" // zitadel op defaults
	opUserinfoPath   = "/userinfo"
	opLoginPath      = "/login" // demo/idp's login step
)

var (
	opKey       = sync.OnceValue(func() *rsa.PrivateKey { return mustRSAKey() })
	attackerKey = sync.OnceValue(func() *rsa.PrivateKey { return mustRSAKey() })
)

func mustRSAKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// keyID is the key id demo/idp gives its signing key: the JWK thumbprint.
func keyID(tb testing.TB, k *rsa.PrivateKey) string {
	tb.Helper()
	thumb, err := (&jose.JSONWebKey{Key: &k.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(thumb)
}

var (
	keyA = []byte("key-A-0123456789-0123456789-0123456789")
	keyB = []byte("key-B-0123456789-0123456789-0123456789")
)

func defaultUsers() []idp.User {
	return []idp.User{
		{ID: "u-alice", Username: "alice", Name: "Alice Teacher", Email: "alice@school.example", EmailVerified: true,
			Phone: "+46701234567", Locale: "sv-SE", Groups: []string{"/teachers", "staff"}},
		{ID: "u-bob", Username: "bob", Name: "Bob Pupil", Groups: []string{"pupils"}},
	}
}

type envOptions struct {
	thin      bool            // the OP leaves groups and extra claims to userinfo
	users     []idp.User      // default: alice and bob
	opDown    bool            // the OP's listener is not up until env.startOP
	configure func(c *Config) // adjusts the Authenticator's Config
}

type env struct {
	t      *testing.T
	op     *idp.Provider
	opSrv  *httptest.Server
	opAddr string
	issuer string
	rp     *httptest.Server
	auth   *Authenticator
	logs   *syncBuffer

	// swap, when set, rewrites the token endpoint's JSON answer (e.g. replaces the id_token).
	swap          atomic.Pointer[func(resp map[string]any)]
	userinfoCalls atomic.Int32
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t, logs: &syncBuffer{}}
	// The relying party first: the provider must know its redirect URI.
	e.rp = httptest.NewServer(http.HandlerFunc(e.serveRP))
	t.Cleanup(e.rp.Close)

	e.opSrv = httptest.NewUnstartedServer(nil)
	e.opAddr = e.opSrv.Listener.Addr().String()
	e.issuer = "http://" + e.opAddr
	users := o.users
	if users == nil {
		users = defaultUsers()
	}
	var err error
	e.op, err = idp.New(idp.Options{
		Issuer: e.issuer,
		Users:  users,
		Clients: []idp.Client{{
			ID: testClientID, Secret: testClientSecret,
			RedirectURIs:           []string{e.rp.URL + "/auth/callback"},
			PostLogoutRedirectURIs: []string{e.rp.URL + "/"},
		}},
		Key:           opKey(),
		ThinIDToken:   o.thin,
		AllowInsecure: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.opSrv.Config.Handler = e.wrapOP(e.op.Handler())
	if o.opDown {
		// Keep the address, drop the listener: connections are refused until startOP.
		e.opSrv.Listener.Close()
	} else {
		e.opSrv.Start()
	}
	t.Cleanup(e.opSrv.Close)

	cfg := Config{
		IssuerURL:    e.issuer,
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		RedirectURL:  e.rp.URL + "/auth/callback",
		Scopes:       []string{"openid", "profile", "email", "phone", "groups"},
		Claims: ClaimNames{UserID: "sub", Name: "name", Email: "email", Phone: "phone_number",
			Groups: "groups", Locale: "locale"},
		SessionKeys: [][]byte{keyA},
		Logger:      slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		minBackoff:  5 * time.Millisecond,
		maxBackoff:  50 * time.Millisecond,
	}
	if o.configure != nil {
		o.configure(&cfg)
	}
	e.auth, err = New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.auth.Close() })
	if !o.opDown {
		e.waitReady()
	}
	return e
}

// startOP brings up the provider's listener on the address the issuer names.
func (e *env) startOP() {
	e.t.Helper()
	l, err := net.Listen("tcp", e.opAddr)
	if err != nil {
		e.t.Fatalf("listen again on %s: %v", e.opAddr, err)
	}
	e.opSrv.Listener = l
	e.opSrv.Start()
}

func (e *env) waitReady() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), 20*time.Second)
	defer cancel()
	if err := e.auth.WaitReady(ctx); err != nil {
		e.t.Fatalf("discovery did not succeed: %v\nlogs:\n%s", err, e.logs)
	}
}

// wrapOP counts userinfo calls and lets a test rewrite the token endpoint's answer, the way a reverse
// proxy in front of the provider would.
func (e *env) wrapOP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == opUserinfoPath {
			e.userinfoCalls.Add(1)
		}
		swap := e.swap.Load()
		if swap == nil || r.Method != http.MethodPost || r.URL.Path != opTokenPath {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			var resp map[string]any
			if err := json.Unmarshal(body, &resp); err != nil {
				e.t.Errorf("token response: %v", err)
			}
			(*swap)(resp)
			body, _ = json.Marshal(resp)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// swapIDToken makes the token endpoint answer with an ID token re-minted from the real one: edit changes
// its claims, and key signs it (with the provider's key id, so that go-oidc picks the provider's key).
func (e *env) swapIDToken(key *rsa.PrivateKey, edit func(claims map[string]any)) {
	f := func(resp map[string]any) {
		raw, _ := resp["id_token"].(string)
		claims := jwtClaims(e.t, raw)
		edit(claims)
		resp["id_token"] = signJWT(e.t, key, keyID(e.t, opKey()), claims)
	}
	e.swap.Store(&f)
}

func jwtClaims(tb testing.TB, raw string) map[string]any {
	tb.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		tb.Fatalf("id_token has %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		tb.Fatal(err)
	}
	return claims
}

func signJWT(tb testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	tb.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// result is what the test relying party answers at its callback (and at /login when BeginLogin fails).
type result struct {
	Status       int
	Identity     *Identity
	ReturnTo     string
	Kind         string // the error kind's name, see kindOf
	Err          string
	ProviderCode string
	ProviderDesc string
	Session      *Session // read back with LoadSession from the cookie the callback set
}

var kinds = []struct {
	name string
	err  error
}{
	{"ErrProviderUnavailable", ErrProviderUnavailable},
	{"ErrNoLoginAttempt", ErrNoLoginAttempt},
	{"ErrInvalidState", ErrInvalidState},
	{"ErrVerification", ErrVerification},
	{"ErrGroupOverage", ErrGroupOverage},
	{"ErrInvalidUserID", ErrInvalidUserID},
	{"ErrInvalidClaim", ErrInvalidClaim},
	{"ErrNoSession", ErrNoSession},
}

func kindOf(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return "ProviderError"
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "unclassified"
}

// serveRP is the relying party: /login begins, /auth/callback finishes and saves a session, /me reads it.
func (e *env) serveRP(w http.ResponseWriter, r *http.Request) {
	var res result
	switch r.URL.Path {
	case "/login":
		u, err := e.auth.BeginLogin(w, r, r.URL.Query().Get("return_to"))
		if err == nil {
			http.Redirect(w, r, u, http.StatusFound)
			return
		}
		res = result{Status: http.StatusServiceUnavailable, Kind: kindOf(err), Err: err.Error()}
	case "/auth/callback":
		id, returnTo, err := e.auth.FinishLogin(r.Context(), w, r)
		res = result{Status: http.StatusOK, Identity: id, ReturnTo: returnTo}
		if err != nil {
			res.Status, res.Kind, res.Err = http.StatusBadRequest, kindOf(err), err.Error()
			var pe *ProviderError
			if errors.As(err, &pe) {
				res.ProviderCode, res.ProviderDesc = pe.Code, pe.Description
			}
		} else if err := e.auth.SaveSession(w, r, &Session{UserID: id.UserID, Name: id.Name, Email: id.Email, UserType: "member"}); err != nil {
			res.Status, res.Err = http.StatusInternalServerError, err.Error()
		}
	case "/me":
		s, err := e.auth.LoadSession(r)
		res = result{Status: http.StatusOK, Session: s}
		if err != nil {
			res.Status, res.Kind, res.Err = http.StatusUnauthorized, kindOf(err), err.Error()
		}
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.Status)
	_ = json.NewEncoder(w).Encode(res)
}

// tab is one browser tab: tabs made from one jar share its cookies, like tabs of one browser.
type tab struct {
	e      *env
	client *http.Client
	jar    http.CookieJar
	user   string // picked at the provider's login step
	cancel bool   // cancel at the provider's login step instead

	mu       sync.Mutex
	callback string // the last callback URL the tab was sent to
}

func (e *env) newJar() http.CookieJar {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return jar
}

func (e *env) newTab(jar http.CookieJar, user string) *tab {
	tb := &tab{e: e, jar: jar, user: user}
	tb.client = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: tb.checkRedirect}
	return tb
}

// checkRedirect picks the user at the provider's login step and remembers the callback URL.
func (tb *tab) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > 10 {
		return errors.New("too many redirects")
	}
	if req.URL.Host == tb.e.opAddr && req.URL.Path == opLoginPath {
		q := req.URL.Query()
		if tb.cancel {
			q.Set("cancel", "1")
		} else {
			q.Set("user", tb.user)
		}
		req.URL.RawQuery = q.Encode()
	}
	if req.URL.Path == "/auth/callback" {
		tb.mu.Lock()
		tb.callback = req.URL.String()
		tb.mu.Unlock()
	}
	return nil
}

func (tb *tab) callbackURL() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.callback
}

// start asks the relying party to begin and returns where it sends the browser, without going there.
func (tb *tab) start(returnTo string) string {
	tb.e.t.Helper()
	c := *tb.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(tb.e.rp.URL + "/login?return_to=" + url.QueryEscape(returnTo))
	if err != nil {
		tb.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		tb.e.t.Fatalf("GET /login: status %d: %s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// follow goes to u and follows every redirect to the relying party's JSON answer. It reports errors
// with t.Errorf, so it may run in a goroutine.
func (tb *tab) follow(u string) result {
	resp, err := tb.client.Get(u)
	if err != nil {
		tb.e.t.Errorf("GET %s: %v", u, err)
		return result{}
	}
	defer resp.Body.Close()
	return decodeResult(tb.e.t, resp)
}

// decodeResult reads the relying party's JSON answer; it reports with t.Errorf, so it may run in a
// goroutine.
func decodeResult(t *testing.T, resp *http.Response) result {
	body, _ := io.ReadAll(resp.Body)
	var res result
	if err := json.Unmarshal(body, &res); err != nil {
		t.Errorf("%s: status %d, not a relying party answer: %v\n%.500s", resp.Request.URL, resp.StatusCode, err, body)
	}
	return res
}

// login runs the whole flow in this tab.
func (tb *tab) login(returnTo string) result {
	tb.e.t.Helper()
	return tb.follow(tb.start(returnTo))
}

// cookies returns the jar's cookies for a path of the relying party.
func (tb *tab) cookies(path string) []*http.Cookie {
	u, _ := url.Parse(tb.e.rp.URL + path)
	return tb.jar.Cookies(u)
}

// syncBuffer is the shared test buffer (internal/testutil) with this package's short wait.
type syncBuffer struct{ testutil.Buffer }

// waitFor waits until the logs contain substr, woken by each write rather than by a guessed delay.
func (s *syncBuffer) waitFor(t *testing.T, substr string) {
	t.Helper()
	s.WaitFor(t, substr, nil)
}
