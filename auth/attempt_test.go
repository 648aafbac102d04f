package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// stateOf returns the state parameter of an authorization URL.
func stateOf(t *testing.T, authURL string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

func TestBeginLoginAuthorizationURL(t *testing.T) {
	e := newEnv(t, envOptions{})
	rec := httptest.NewRecorder()
	authURL, err := e.auth.BeginLogin(rec, httptest.NewRequest(http.MethodGet, "/login", nil), "/open")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	q := u.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": testClientID,
		"redirect_uri": e.rp.URL + "/auth/callback", "code_challenge_method": "S256", "scope": "openid profile email phone groups"} {
		if got := q.Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) != 43 {
			t.Errorf("%s: got %q, want 43 characters of base64url (32 random bytes)", k, q.Get(k))
		}
	}
	if q.Get("state") == q.Get("nonce") {
		t.Error("state and nonce must differ")
	}
	c := onlyCookie(t, rec, AttemptCookiePrefix+"0")
	for _, secret := range []string{q.Get("state"), q.Get("nonce"), "/open"} {
		if strings.Contains(c.Value, secret) {
			t.Errorf("attempt cookie shows %q in clear", secret)
		}
	}
}

func TestAttemptCookieAttributes(t *testing.T) {
	tests := []struct {
		name         string
		sameSite     http.SameSite
		secure       bool
		wantSameSite http.SameSite
		partitioned  bool
	}{
		{"lax", http.SameSiteLaxMode, false, http.SameSiteLaxMode, false},
		// The provider's redirect back is cross-site: a Strict attempt cookie would never arrive.
		{"strict session, lax attempts", http.SameSiteStrictMode, true, http.SameSiteLaxMode, false},
		{"framed gateway", http.SameSiteNoneMode, true, http.SameSiteNoneMode, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{configure: func(c *Config) { c.Cookies.SameSite, c.Cookies.Secure = tt.sameSite, tt.secure }})
			rec := httptest.NewRecorder()
			if _, err := e.auth.BeginLogin(rec, httptest.NewRequest(http.MethodGet, "/login", nil), "/"); err != nil {
				t.Fatal(err)
			}
			name := AttemptCookiePrefix + "0"
			if tt.secure {
				name = HostPrefix + name
			}
			if n := len(rec.Result().Cookies()); n != 1 {
				t.Errorf("got %d cookies, want the attempt's only", n)
			}
			got := onlyCookie(t, rec, name)
			if got.Path != "/" || got.Domain != "" || !got.HttpOnly || got.Secure != tt.secure || got.SameSite != tt.wantSameSite ||
				got.Partitioned != tt.partitioned || got.MaxAge != 600 {
				t.Errorf("got %s, want Path=/ HttpOnly Secure=%t SameSite=%v Partitioned=%t Max-Age=600",
					got, tt.secure, tt.wantSameSite, tt.partitioned)
			}
		})
	}
}

// Abandoned attempts are capped: a new one overwrites the oldest when every slot is taken.
func TestAttemptCap(t *testing.T) {
	e := newEnv(t, envOptions{})
	tb := e.newTab(e.newJar(), "alice")
	var urls []string
	for range MaxLoginAttempts + 2 {
		urls = append(urls, tb.start("/"))
	}

	if n := countAttemptCookies(tb.cookies("/auth/callback")); n != MaxLoginAttempts {
		t.Errorf("got %d attempt cookies, want %d", n, MaxLoginAttempts)
	}
	// The oldest two were overwritten; the newest three still finish.
	for i, u := range urls[:2] {
		if res := tb.follow(u); res.Kind != "ErrNoLoginAttempt" {
			t.Errorf("evicted attempt %d: got %s (%s), want ErrNoLoginAttempt", i+1, res.Kind, res.Err)
		}
	}
	for i, u := range urls[2:] {
		if res := tb.follow(u); res.Status != http.StatusOK {
			t.Errorf("attempt %d: got %s (%s), want success", i+3, res.Kind, res.Err)
		}
	}
}

func TestAttemptRefused(t *testing.T) {
	clock := newFakeClock()
	e := newEnv(t, envOptions{configure: func(c *Config) { c.Now = clock.Now }})

	t.Run("tampered attempt cookie", func(t *testing.T) {
		tb := e.newTab(e.newJar(), "alice")
		authURL := tb.start("/")
		name := AttemptCookiePrefix + "0"
		cbURL, _ := url.Parse(e.rp.URL + "/auth/callback")
		for _, c := range tb.jar.Cookies(cbURL) {
			if c.Name == name {
				b := []byte(c.Value)
				b[len(b)/2] ^= 1
				tb.jar.SetCookies(cbURL, []*http.Cookie{{Name: name, Value: string(b), Path: "/"}})
			}
		}
		if res := tb.follow(authURL); res.Kind != "ErrInvalidState" || !strings.Contains(res.Err, "read attempt cookie") {
			t.Errorf("got %s (%s), want ErrInvalidState", res.Kind, res.Err)
		}
	})
	// Another state than the attempt's finds no attempt, and leaves the attempt for its own callback.
	t.Run("state differs", func(t *testing.T) {
		tb := e.newTab(e.newJar(), "alice")
		authURL := tb.start("/")
		state := stateOf(t, authURL)
		forged := state[:16] + strings.Repeat("A", len(state)-16)
		u, _ := url.Parse(authURL)
		q := u.Query()
		q.Set("state", forged)
		u.RawQuery = q.Encode()
		if res := tb.follow(u.String()); res.Kind != "ErrNoLoginAttempt" {
			t.Errorf("got %s (%s), want ErrNoLoginAttempt", res.Kind, res.Err)
		}
		if res := tb.follow(authURL); res.Status != http.StatusOK {
			t.Errorf("the attempt's own callback: got %s (%s), want success", res.Kind, res.Err)
		}
	})
	t.Run("expired attempt", func(t *testing.T) {
		tb := e.newTab(e.newJar(), "alice")
		authURL := tb.start("/")
		clock.Advance(attemptTTL)
		defer clock.Advance(-attemptTTL)
		if res := tb.follow(authURL); res.Kind != "ErrNoLoginAttempt" || !strings.Contains(res.Err, "expired") {
			t.Errorf("got %s (%s), want ErrNoLoginAttempt: expired", res.Kind, res.Err)
		}
	})

	// Callbacks made by hand, each with a live attempt cookie.
	callback := func(t *testing.T, params func(state string) url.Values) result {
		t.Helper()
		tb := e.newTab(e.newJar(), "alice")
		state := stateOf(t, tb.start("/"))
		return tb.follow(e.rp.URL + "/auth/callback?" + params(state).Encode())
	}
	tests := []struct {
		name     string
		params   func(state string) url.Values
		wantKind string
		wantErr  string
	}{
		{"no state", func(string) url.Values { return url.Values{"code": {"c"}} }, "ErrNoLoginAttempt", "no state"},
		{"short state", func(s string) url.Values { return url.Values{"code": {"c"}, "state": {s[:20]}} }, "ErrNoLoginAttempt", "not one of ours"},
		{"no code", func(s string) url.Values { return url.Values{"state": {s}} }, "ErrVerification", "no code"},
		{"bad code", func(s string) url.Values { return url.Values{"state": {s}, "code": {"forged"}} }, "ErrVerification", "exchange code"},
		{"another issuer (RFC 9207)", func(s string) url.Values {
			return url.Values{"state": {s}, "code": {"c"}, "iss": {"https://evil.example"}}
		}, "ErrVerification", "iss parameter"},
		{"provider error without state", func(string) url.Values {
			return url.Values{"error": {"server_error"}, "error_description": {"down\r\nfor maintenance"}}
		}, "ProviderError", "server_error: downfor maintenance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := callback(t, tt.params)
			if res.Kind != tt.wantKind || !strings.Contains(res.Err, tt.wantErr) || res.Identity != nil {
				t.Errorf("got %s (%s), want %s mentioning %q", res.Kind, res.Err, tt.wantKind, tt.wantErr)
			}
		})
	}
}

func TestBeginLoginReturnToTooLong(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := httptest.NewRequest(http.MethodGet, "/login", nil)
	if _, err := e.auth.BeginLogin(httptest.NewRecorder(), r, "/open?path="+strings.Repeat("a", MaxReturnToLength)); err == nil {
		t.Error("got no error for an oversized returnTo")
	}
	// The longest accepted one fits the browsers' 4 KB cookie limit.
	rec := httptest.NewRecorder()
	_, err := e.auth.BeginLogin(rec, r, "/"+strings.Repeat("%2F", (MaxReturnToLength-1)/3))
	if err != nil {
		t.Fatal(err)
	}
	if c := onlyCookie(t, rec, AttemptCookiePrefix+"0"); len(c.Name)+len(c.Value) > 4000 {
		t.Errorf("attempt cookie is %d bytes", len(c.Name)+len(c.Value))
	}
}

// The provider goes away between the sign-in and the callback.
func TestFinishLoginProviderGone(t *testing.T) {
	e := newEnv(t, envOptions{})
	tb := e.newTab(e.newJar(), "alice")
	stop := *tb.client
	stop.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/callback" {
			return http.ErrUseLastResponse
		}
		return tb.checkRedirect(req, via)
	}
	resp, err := stop.Get(tb.start("/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callbackURL := resp.Header.Get("Location")
	e.opSrv.Close()

	res := tb.follow(callbackURL)
	if res.Kind != "ErrProviderUnavailable" || !strings.Contains(res.Err, "exchange code") {
		t.Errorf("got %s (%s), want ErrProviderUnavailable at the code exchange", res.Kind, res.Err)
	}
}

func TestUserinfoProblems(t *testing.T) {
	tests := []struct {
		name    string
		swap    func(e *env) func(resp map[string]any)
		wantErr string
	}{
		{
			name: "userinfo is about someone else",
			swap: func(e *env) func(map[string]any) {
				return func(resp map[string]any) {
					claims := jwtClaims(e.t, resp["id_token"].(string))
					claims["sub"] = "u-mallory"
					resp["id_token"] = signJWT(e.t, opKey(), keyID(e.t, opKey()), claims)
				}
			},
			wantErr: "sub differs",
		},
		{
			name: "userinfo refuses the access token",
			swap: func(e *env) func(map[string]any) {
				return func(resp map[string]any) {
					claims := jwtClaims(e.t, resp["id_token"].(string))
					delete(claims, "at_hash")
					resp["id_token"] = signJWT(e.t, opKey(), keyID(e.t, opKey()), claims)
					resp["access_token"] = "not-a-token-the-provider-issued"
				}
			},
			wantErr: "auth: userinfo",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{thin: true})
			f := tt.swap(e)
			e.swap.Store(&f)
			res := e.newTab(e.newJar(), "alice").login("/")
			if res.Kind != "ErrVerification" || !strings.Contains(res.Err, tt.wantErr) {
				t.Errorf("got %s (%s), want ErrVerification mentioning %q", res.Kind, res.Err, tt.wantErr)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	down := classify("exchange code", &url.Error{Op: "Post", URL: "http://op/token", Err: errors.New("connection refused")})
	if !errors.Is(down, ErrProviderUnavailable) {
		t.Errorf("a transport error: got %v, want ErrProviderUnavailable", down)
	}
	refused := classify("exchange code", errors.New("oauth2: invalid_grant"))
	if !errors.Is(refused, ErrVerification) || errors.Is(refused, ErrProviderUnavailable) {
		t.Errorf("a refusal: got %v, want ErrVerification only", refused)
	}
}
