package idp_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"talkio-gateway/demo/idp"
	"talkio-gateway/demo/idp/idptest"
)

const (
	clientID     = "gateway"
	clientSecret = "gateway-secret-for-tests-only-0123456789"
	// The relying party's URLs are never dialled: the test browser stops at the first redirect that leaves
	// the provider.
	redirectURL = "http://rp.test/auth/callback"
	logoutURL   = "http://rp.test/signed-out"
)

func testClients() []idp.Client {
	return []idp.Client{
		{ID: clientID, Secret: clientSecret, RedirectURIs: []string{redirectURL}, PostLogoutRedirectURIs: []string{logoutURL}},
		{ID: "public", RedirectURIs: []string{redirectURL}},
	}
}

// rp is a relying party built from go-oidc and x/oauth2, with a cookie-jar browser, against a provider on
// a real socket.
type rp struct {
	t        *testing.T
	srv      *idptest.Server
	provider *oidc.Provider
	oauth    *oauth2.Config
	browser  *http.Client
}

func newRP(t *testing.T, opts idp.Options) *rp {
	t.Helper()
	if opts.Users == nil {
		opts.Users = idp.DemoUsers()
	}
	if opts.Clients == nil {
		opts.Clients = testClients()
	}
	srv := idptest.NewServer(t, opts)
	provider, err := oidc.NewProvider(context.Background(), srv.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	idpHost := strings.TrimPrefix(srv.URL, "http://")
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != idpHost {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return &rp{t: t, srv: srv, provider: provider, browser: browser, oauth: &oauth2.Config{
		ClientID: clientID, ClientSecret: clientSecret, RedirectURL: redirectURL,
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
	}}
}

type attempt struct {
	state, nonce, verifier string
	authURL                string
}

func (r *rp) newAttempt(opts ...oauth2.AuthCodeOption) attempt {
	a := attempt{state: rand.Text(), nonce: rand.Text(), verifier: oauth2.GenerateVerifier()}
	opts = append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.verifier), oidc.Nonce(a.nonce)}, opts...)
	a.authURL = r.oauth.AuthCodeURL(a.state, opts...)
	return a
}

// get fetches u with the browser and returns the last response, its body read.
func (r *rp) get(u string) (*http.Response, string) {
	r.t.Helper()
	resp, err := r.browser.Get(u)
	if err != nil {
		r.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp, string(body)
}

// hop sends one GET to u without cookies and without following a redirect, and returns the answer
// (its body closed): what a relying party's redirect of the browser does first.
func (r *rp) hop(t *testing.T, u string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.srv.Client().Transport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// loginPage follows the authorization request to the login page and returns its URL.
func (r *rp) loginPage(a attempt) *url.URL {
	r.t.Helper()
	resp, body := r.get(a.authURL)
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("authorize: status %d, want 200 (login page); body %q", resp.StatusCode, body)
	}
	if !strings.HasPrefix(resp.Request.URL.String(), r.srv.Issuer()+"/login?") {
		r.t.Fatalf("authorize ended at %s, want the login page", resp.Request.URL)
	}
	return resp.Request.URL
}

// callback returns the query of the redirect to the relying party that resp must be.
func (r *rp) callback(resp *http.Response) url.Values {
	r.t.Helper()
	if resp.StatusCode != http.StatusFound {
		r.t.Fatalf("status %d, want 302 to the relying party", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		r.t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURL {
		r.t.Fatalf("redirected to %s, want %s", got, redirectURL)
	}
	return loc.Query()
}

// pick signs in as user on the login page, the way a program does: GET the login URL with &user=.
func (r *rp) pick(login *url.URL, user string) url.Values {
	r.t.Helper()
	u := *login
	q := u.Query()
	q.Set("user", user)
	u.RawQuery = q.Encode()
	resp, _ := r.get(u.String())
	return r.callback(resp)
}

type result struct {
	raw     string
	idToken *oidc.IDToken
	token   *oauth2.Token
	claims  map[string]any
}

// exchange redeems the code of the callback query and verifies the ID token and its nonce.
func (r *rp) exchange(a attempt, q url.Values) result {
	r.t.Helper()
	if q.Get("state") != a.state {
		r.t.Fatalf("state %q, want %q", q.Get("state"), a.state)
	}
	tok, err := r.oauth.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(a.verifier))
	if err != nil {
		r.t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(context.Background(), raw)
	if err != nil {
		r.t.Fatalf("verify: %v", err)
	}
	if idt.Nonce != a.nonce {
		r.t.Fatalf("nonce %q, want %q", idt.Nonce, a.nonce)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		r.t.Fatal(err)
	}
	return result{raw: raw, idToken: idt, token: tok, claims: claims}
}

func (r *rp) signIn(user string) result {
	r.t.Helper()
	a := r.newAttempt()
	return r.exchange(a, r.pick(r.loginPage(a), user))
}

func (r *rp) userinfo(tok *oauth2.Token) map[string]any {
	r.t.Helper()
	info, err := r.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		r.t.Fatalf("userinfo: %v", err)
	}
	var claims map[string]any
	if err := info.Claims(&claims); err != nil {
		r.t.Fatal(err)
	}
	return claims
}

// jsonish turns v into what a JSON round trip makes of it, for comparing claims.
func jsonish(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func checkClaims(t *testing.T, where string, got, want map[string]any, absent []string) {
	t.Helper()
	for k, v := range want {
		if g, w := jsonish(t, got[k]), jsonish(t, v); !jsonEqual(t, g, w) {
			t.Errorf("%s: claim %s = %v, want %v", where, k, g, w)
		}
	}
	for _, k := range absent {
		if v, ok := got[k]; ok {
			t.Errorf("%s: claim %s = %v, want absent", where, k, v)
		}
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestDiscovery(t *testing.T) {
	tests := []struct {
		name, issuer string
	}{
		{"path prefix", "/idp"},
		{"deeper prefix", "/demo/oidc"},
		{"root", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := idp.Options{Users: idp.DemoUsers(), Clients: testClients(), Issuer: tt.issuer}
			srv := idptest.NewServer(t, opts)
			if tt.issuer == "" {
				// idptest puts an empty issuer under /idp; build a root issuer by hand instead.
				srv = rootServer(t)
			}
			p, err := oidc.NewProvider(context.Background(), srv.Issuer())
			if err != nil {
				t.Fatalf("go-oidc discovery of %s: %v", srv.Issuer(), err)
			}
			var meta struct {
				Issuer      string   `json:"issuer"`
				Auth        string   `json:"authorization_endpoint"`
				Token       string   `json:"token_endpoint"`
				Userinfo    string   `json:"userinfo_endpoint"`
				JWKS        string   `json:"jwks_uri"`
				EndSession  string   `json:"end_session_endpoint"`
				PKCEMethods []string `json:"code_challenge_methods_supported"`
			}
			if err := p.Claims(&meta); err != nil {
				t.Fatal(err)
			}
			if meta.Issuer != srv.Issuer() {
				t.Errorf("issuer %q, want %q", meta.Issuer, srv.Issuer())
			}
			for _, ep := range []string{meta.Auth, meta.Token, meta.Userinfo, meta.JWKS, meta.EndSession} {
				if !strings.HasPrefix(ep, srv.Issuer()+"/") {
					t.Errorf("endpoint %q is not below the issuer %q", ep, srv.Issuer())
				}
			}
			if !slices.Contains(meta.PKCEMethods, "S256") {
				t.Errorf("code_challenge_methods_supported %v lacks S256", meta.PKCEMethods)
			}
			resp, err := srv.Client().Get(meta.JWKS)
			if err != nil {
				t.Fatal(err)
			}
			var jwks struct {
				Keys []struct{ Kid, Kty, Alg, Use string } `json:"keys"`
			}
			err = json.NewDecoder(resp.Body).Decode(&jwks)
			resp.Body.Close()
			if err != nil || len(jwks.Keys) != 1 || jwks.Keys[0].Kty != "RSA" || jwks.Keys[0].Kid == "" {
				t.Errorf("jwks = %+v (%v), want one RSA key with a kid", jwks, err)
			}
		})
	}
}

// rootServer runs a provider whose issuer has no path.
func rootServer(t *testing.T) *idptest.Server {
	t.Helper()
	// idptest resolves "/" to the bare origin once the trailing slash is trimmed by idp.New.
	return idptest.NewServer(t, idp.Options{Users: idp.DemoUsers(), Clients: testClients(), Issuer: "/"})
}

func TestCodeFlowClaims(t *testing.T) {
	extra := idp.User{
		ID: "u-42", Username: "extra", Name: "Ada Extra", Email: "ada@example.org", EmailVerified: false,
		Locale: "fr-CA", Groups: []string{"g1"},
		Extra: map[string]any{"org": "north-school", "subscription_end": "2027-06-30T00:00:00Z", "sub": "must-not-override"},
	}
	tests := []struct {
		name   string
		user   string
		want   map[string]any
		absent []string
	}{
		{
			name: "member without email", user: "maya",
			want: map[string]any{
				"sub": "demo-maya", "name": "Maya Lindqvist", "given_name": "Maya", "family_name": "Lindqvist",
				"preferred_username": "maya", "locale": "sv-SE", "groups": []string{"pupils", "class-7b"},
			},
			absent: []string{"email", "email_verified", "phone_number"},
		},
		{
			name: "member with email", user: "jonas",
			want: map[string]any{
				"sub": "demo-jonas", "name": "Jonas Weber", "email": "jonas.weber@school.example",
				"email_verified": true, "locale": "de-DE", "groups": []string{"pupils", "class-7b"},
			},
			absent: []string{"phone_number"},
		},
		{
			name: "facilitator by email handle", user: "Eleanor.Hughes@school.example",
			want: map[string]any{
				"sub": "demo-eleanor", "name": "Eleanor Hughes", "email": "eleanor.hughes@school.example",
				"phone_number": "+442079460321", "locale": "en-GB", "groups": []string{"teachers"},
			},
		},
		{
			name: "extra claims and unverified email", user: "extra",
			want: map[string]any{
				"sub": "u-42", "email": "ada@example.org", "email_verified": false, "locale": "fr-CA",
				"org": "north-school", "subscription_end": "2027-06-30T00:00:00Z",
			},
		},
	}
	r := newRP(t, idp.Options{Users: append(idp.DemoUsers(), extra)})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := r.signIn(tt.user)
			if res.idToken.Issuer != r.srv.Issuer() || !slices.Equal(res.idToken.Audience, []string{clientID}) {
				t.Errorf("iss %q aud %v, want %q [%s]", res.idToken.Issuer, res.idToken.Audience, r.srv.Issuer(), clientID)
			}
			checkClaims(t, "id token", res.claims, tt.want, tt.absent)
			checkClaims(t, "userinfo", r.userinfo(res.token), tt.want, tt.absent)
		})
	}
}

func TestThinIDToken(t *testing.T) {
	r := newRP(t, idp.Options{ThinIDToken: true, Users: []idp.User{{
		ID: "t-1", Username: "thin", Name: "Tia Thin", Email: "tia@example.org", EmailVerified: true,
		Groups: []string{"teachers"}, Extra: map[string]any{"org": "north"},
	}}})
	res := r.signIn("thin")
	checkClaims(t, "id token", res.claims, map[string]any{"sub": "t-1", "name": "Tia Thin", "email": "tia@example.org"}, []string{"groups", "org"})
	checkClaims(t, "userinfo", r.userinfo(res.token), map[string]any{"sub": "t-1", "groups": []string{"teachers"}, "org": "north"}, nil)
}

func TestProfileChangesBetweenSignIns(t *testing.T) {
	r := newRP(t, idp.Options{})
	first := r.signIn("maya")
	checkClaims(t, "first", first.claims, map[string]any{"name": "Maya Lindqvist"}, []string{"email"})

	u := idp.DemoUsers()[0]
	u.Name, u.Email, u.EmailVerified = "Maya Berg", "maya.berg@school.example", true
	r.srv.SetUser(u)
	second := r.signIn("maya")
	checkClaims(t, "second", second.claims, map[string]any{"sub": "demo-maya", "name": "Maya Berg", "email": "maya.berg@school.example"}, nil)
	if n := len(r.srv.Users()); n != 3 {
		t.Errorf("%d users after SetUser of an existing one, want 3", n)
	}
}

func TestAutoLoginAndLoginHint(t *testing.T) {
	r := newRP(t, idp.Options{})
	tests := []struct {
		name      string
		autoLogin string
		opts      []oauth2.AuthCodeOption
		wantSub   string // "" = the login page is shown
		wantHint  string
	}{
		{name: "auto-login", autoLogin: "eleanor", wantSub: "demo-eleanor"},
		{name: "login_hint username", opts: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("login_hint", "jonas")}, wantSub: "demo-jonas"},
		{name: "login_hint email", opts: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("login_hint", "jonas.weber@school.example")}, wantSub: "demo-jonas"},
		{name: "login_hint with prompt=login shows the page", opts: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("login_hint", "jonas"), oauth2.SetAuthURLParam("prompt", "login")}, wantHint: "jonas"},
		{name: "unknown login_hint shows the page", opts: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("login_hint", "nobody")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.srv.SetAutoLogin(tt.autoLogin)
			defer r.srv.SetAutoLogin("")
			a := r.newAttempt(tt.opts...)
			resp, body := r.get(a.authURL)
			if tt.wantSub == "" {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want the login page", resp.StatusCode)
				}
				page := parseLoginPage(t, body)
				if page.hint != tt.wantHint {
					t.Errorf("highlighted %q, want %q", page.hint, tt.wantHint)
				}
				return
			}
			res := r.exchange(a, r.callback(resp))
			if res.idToken.Subject != tt.wantSub {
				t.Errorf("sub %q, want %q", res.idToken.Subject, tt.wantSub)
			}
		})
	}
}

func TestAuthorizationRefused(t *testing.T) {
	r := newRP(t, idp.Options{})
	tests := []struct {
		name      string
		authURL   func() string
		wantError string // error= at the relying party; "" = a 400 at the provider, no redirect
	}{
		{"unregistered redirect_uri", func() string {
			c := *r.oauth
			c.RedirectURL = "http://evil.test/callback"
			return c.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
		}, ""},
		{"unknown client", func() string {
			c := *r.oauth
			c.ClientID = "nobody"
			return c.AuthCodeURL("s")
		}, ""},
		{"unsupported code_challenge_method", func() string {
			return r.oauth.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", "abc"), oauth2.SetAuthURLParam("code_challenge_method", "S512"))
		}, "invalid_request"},
		{"prompt=none without a session", func() string {
			return r.oauth.AuthCodeURL("s", oauth2.SetAuthURLParam("prompt", "none"))
		}, "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := r.get(tt.authURL())
			if tt.wantError == "" {
				if resp.StatusCode != http.StatusBadRequest || resp.Request.URL.Host != strings.TrimPrefix(r.srv.URL, "http://") {
					t.Fatalf("status %d at %s, want 400 at the provider; body %q", resp.StatusCode, resp.Request.URL, body)
				}
				return
			}
			if got := r.callback(resp).Get("error"); got != tt.wantError {
				t.Errorf("error=%q, want %q", got, tt.wantError)
			}
		})
	}
}

func TestTokenEndpointRefusals(t *testing.T) {
	r := newRP(t, idp.Options{})
	tests := []struct {
		name   string
		redeem func(a attempt, code string) error
	}{
		{"wrong PKCE verifier", func(_ attempt, code string) error {
			_, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
			return err
		}},
		{"missing PKCE verifier", func(_ attempt, code string) error {
			_, err := r.oauth.Exchange(context.Background(), code)
			return err
		}},
		{"wrong client secret", func(a attempt, code string) error {
			c := *r.oauth
			c.ClientSecret = "wrong"
			_, err := c.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
			return err
		}},
		{"replayed code", func(a attempt, code string) error {
			if _, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier)); err != nil {
				return nil // the first redemption must work; report it as "no refusal" below
			}
			_, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := r.newAttempt()
			q := r.pick(r.loginPage(a), "maya")
			if err := tt.redeem(a, q.Get("code")); err == nil {
				t.Fatal("token request succeeded, want a refusal")
			}
		})
	}
}

func TestPublicClient(t *testing.T) {
	r := newRP(t, idp.Options{})
	r.oauth.ClientID, r.oauth.ClientSecret = "public", ""

	a := r.newAttempt()
	q := r.pick(r.loginPage(a), "jonas")
	tok, err := r.oauth.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatalf("exchange with PKCE: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if _, err := r.provider.Verifier(&oidc.Config{ClientID: "public"}).Verify(context.Background(), raw); err != nil {
		t.Fatalf("verify: %v", err)
	}

	// Without PKCE a public client gets a code, which it cannot redeem.
	resp, _ := r.get(r.oauth.AuthCodeURL("s"))
	q = r.pick(resp.Request.URL, "jonas")
	if _, err := r.oauth.Exchange(context.Background(), q.Get("code")); err == nil {
		t.Fatal("a public client redeemed a code without PKCE")
	}
}

func TestEndSession(t *testing.T) {
	r := newRP(t, idp.Options{})
	endpoint := func() string {
		var meta struct {
			EndSession string `json:"end_session_endpoint"`
		}
		if err := r.provider.Claims(&meta); err != nil {
			t.Fatal(err)
		}
		return meta.EndSession
	}()
	signedIn := r.signIn("eleanor")
	tests := []struct {
		name      string
		params    url.Values
		wantTo    string // Location prefix of a 302; "" = 400 at the provider
		revokesAT bool
	}{
		{"client_id and allowed post_logout_redirect_uri",
			url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {logoutURL}, "state": {"xyz"}},
			logoutURL + "?state=xyz", false},
		{"foreign post_logout_redirect_uri", url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {"https://evil.test/"}}, "", false},
		{"post_logout_redirect_uri of another client", url.Values{"client_id": {"public"}, "post_logout_redirect_uri": {logoutURL}}, "", false},
		{"unknown client", url.Values{"client_id": {"nobody"}, "post_logout_redirect_uri": {logoutURL}}, "", false},
		{"forged id_token_hint", url.Values{"id_token_hint": {"eyJhbGciOiJub25lIn0.e30."}}, "", false},
		{"no parameters: the provider's own page", url.Values{}, r.srv.Issuer() + "/logged-out", false},
		{"id_token_hint with post_logout_redirect_uri", url.Values{"id_token_hint": {signedIn.raw}, "post_logout_redirect_uri": {logoutURL}}, logoutURL, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.hop(t, endpoint+"?"+tt.params.Encode())
			if tt.wantTo == "" {
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d (Location %q), want 400", resp.StatusCode, resp.Header.Get("Location"))
				}
				return
			}
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != tt.wantTo {
				t.Fatalf("status %d Location %q, want 302 to %q", resp.StatusCode, loc, tt.wantTo)
			}
			if tt.revokesAT {
				if _, err := r.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(signedIn.token)); err == nil {
					t.Error("userinfo still answers the access token after end_session")
				}
			}
		})
	}
	// The signed-out page the provider falls back to renders.
	resp, body := r.get(r.srv.Issuer() + "/logged-out")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "signed out") {
		t.Errorf("logged-out page: status %d, body %q", resp.StatusCode, body)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    idp.Options
		wantErr bool
	}{
		{"https issuer with a given key", idp.Options{Issuer: "https://id.example/idp/", Key: key}, false},
		{"http issuer without AllowInsecure", idp.Options{Issuer: "http://localhost:8080/idp", Key: key}, true},
		{"relative issuer", idp.Options{Issuer: "/idp", AllowInsecure: true, Key: key}, true},
		{"issuer with query", idp.Options{Issuer: "https://id.example/?x=1", Key: key}, true},
		{"duplicate username", idp.Options{Issuer: "https://id.example", Key: key, Users: []idp.User{{ID: "a"}, {ID: "b", Username: "a"}}}, true},
		{"user without id or username", idp.Options{Issuer: "https://id.example", Key: key, Users: []idp.User{{Name: "x"}}}, true},
		{"duplicate client", idp.Options{Issuer: "https://id.example", Key: key, Clients: []idp.Client{{ID: "c"}, {ID: "c"}}}, true},
		{"client without id", idp.Options{Issuer: "https://id.example", Key: key, Clients: []idp.Client{{Secret: "s"}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := idp.New(tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: err %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && p.Issuer() != strings.TrimSuffix(tt.opts.Issuer, "/") {
				t.Errorf("Issuer() = %q", p.Issuer())
			}
		})
	}
}

// Many sign-ins at once, for the race detector: each has its own authorization request, code and token.
func TestConcurrentSignIns(t *testing.T) {
	r := newRP(t, idp.Options{})
	users := []string{"maya", "jonas", "eleanor"}
	subs := make(chan string, 30)
	var wg sync.WaitGroup
	for i := range cap(subs) {
		wg.Go(func() {
			a := r.newAttempt()
			resp, err := r.browser.Get(a.authURL)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			u := *resp.Request.URL
			q := u.Query()
			q.Set("user", users[i%len(users)])
			u.RawQuery = q.Encode()
			if resp, err = r.browser.Get(u.String()); err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Error(err)
				return
			}
			tok, err := r.oauth.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(a.verifier))
			if err != nil {
				t.Error(err)
				return
			}
			idt, err := r.provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(context.Background(), tok.Extra("id_token").(string))
			if err != nil {
				t.Error(err)
				return
			}
			subs <- idt.Subject
		})
	}
	wg.Wait()
	close(subs)
	count := map[string]int{}
	for s := range subs {
		count[s]++
	}
	if want := map[string]int{"demo-maya": 10, "demo-jonas": 10, "demo-eleanor": 10}; !maps.Equal(count, want) {
		t.Errorf("subjects %v, want %v", count, want)
	}
}
