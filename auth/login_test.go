package auth

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"talkio-gateway/demo/idp"
)

func TestLoginSuccess(t *testing.T) {
	e := newEnv(t, envOptions{})
	tb := e.newTab(e.newJar(), "alice")

	res := tb.login("/open?template=books-literature")

	if res.Status != http.StatusOK {
		t.Fatalf("got status %d (%s: %s), want 200", res.Status, res.Kind, res.Err)
	}
	id := res.Identity
	want := Identity{Subject: "u-alice", UserID: "u-alice", Name: "Alice Teacher", Email: "alice@school.example",
		Phone: "+46701234567", Locale: "sv-SE", Groups: []string{"/teachers", "staff"}}
	if id.Subject != want.Subject || id.UserID != want.UserID || id.Name != want.Name || id.Email != want.Email ||
		id.Phone != want.Phone || id.Locale != want.Locale || !slices.Equal(id.Groups, want.Groups) || id.AccountExpiresAt != nil {
		t.Errorf("got identity %+v, want %+v", *id, want)
	}
	if res.ReturnTo != "/open?template=books-literature" {
		t.Errorf("got returnTo %q, want %q", res.ReturnTo, "/open?template=books-literature")
	}
	if n := e.userinfoCalls.Load(); n != 0 {
		t.Errorf("userinfo called %d times; the ID token had every mapped claim", n)
	}
	// The attempt is consumed: no attempt cookie is left in the jar.
	for _, c := range append(tb.cookies("/auth/callback"), tb.cookies("/")...) {
		if strings.HasPrefix(c.Name, AttemptCookiePrefix) {
			t.Errorf("cookie %s left after the callback", c.Name)
		}
	}
	// The session the callback saved reads back.
	me := tb.follow(e.rp.URL + "/me")
	if me.Status != http.StatusOK || me.Session == nil || me.Session.UserID != "u-alice" || me.Session.Name != "Alice Teacher" {
		t.Errorf("got /me %+v, want alice's session", me)
	}
	if strings.Contains(e.logs.String(), testClientSecret) {
		t.Error("the logs contain the client secret")
	}
}

// Two tabs begin a sign-in each before either finishes; both finish, as two different users.
func TestLoginTwoTabsAtOnce(t *testing.T) {
	e := newEnv(t, envOptions{})
	jar := e.newJar()
	tabs := []*tab{e.newTab(jar, "alice"), e.newTab(jar, "bob")}
	urls := []string{tabs[0].start("/open?tab=1"), tabs[1].start("/open?tab=2")}
	if n := countAttemptCookies(tabs[0].cookies("/auth/callback")); n != 2 {
		t.Fatalf("got %d attempt cookies, want 2", n)
	}

	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range tabs {
		wg.Go(func() { results[i] = tabs[i].follow(urls[i]) })
	}
	wg.Wait()

	for i, want := range []struct{ user, returnTo string }{{"u-alice", "/open?tab=1"}, {"u-bob", "/open?tab=2"}} {
		res := results[i]
		if res.Status != http.StatusOK {
			t.Errorf("tab %d: got status %d (%s: %s), want 200", i+1, res.Status, res.Kind, res.Err)
			continue
		}
		if res.Identity.UserID != want.user || res.ReturnTo != want.returnTo {
			t.Errorf("tab %d: got %s → %s, want %s → %s", i+1, res.Identity.UserID, res.ReturnTo, want.user, want.returnTo)
		}
	}
	if n := countAttemptCookies(tabs[0].cookies("/auth/callback")); n != 0 {
		t.Errorf("got %d attempt cookies after both callbacks, want 0", n)
	}
}

func countAttemptCookies(cs []*http.Cookie) int {
	n := 0
	for _, c := range cs {
		if strings.HasPrefix(c.Name, AttemptCookiePrefix) {
			n++
		}
	}
	return n
}

func TestLoginReplayRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	tb := e.newTab(e.newJar(), "alice")
	authURL := tb.start("/")
	attemptCookies := tb.cookies("/auth/callback")
	if res := tb.follow(authURL); res.Status != http.StatusOK {
		t.Fatalf("first callback: got status %d (%s: %s), want 200", res.Status, res.Kind, res.Err)
	}
	callback := tb.callbackURL()

	t.Run("same browser", func(t *testing.T) {
		res := tb.follow(callback)
		if res.Kind != "ErrNoLoginAttempt" {
			t.Errorf("got %s (%s), want ErrNoLoginAttempt", res.Kind, res.Err)
		}
	})
	t.Run("attempt cookie put back", func(t *testing.T) {
		// Even with the consumed cookie restored, the provider refuses the used code.
		req, _ := http.NewRequest(http.MethodGet, callback, nil)
		for _, c := range attemptCookies {
			req.AddCookie(c)
		}
		res := e.newTab(e.newJar(), "").do(req)
		if res.Kind != "ErrVerification" || !strings.Contains(res.Err, "exchange code") {
			t.Errorf("got %s (%s), want ErrVerification at the code exchange", res.Kind, res.Err)
		}
	})
}

func (tb *tab) do(req *http.Request) result {
	tb.e.t.Helper()
	resp, err := tb.client.Do(req)
	if err != nil {
		tb.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	return decodeResult(tb.e.t, resp)
}

func TestLoginCallbackWithoutAttemptCookie(t *testing.T) {
	e := newEnv(t, envOptions{})
	// Begin in one browser, come back in another (or with cookies blocked).
	authURL := e.newTab(e.newJar(), "alice").start("/open")
	res := e.newTab(e.newJar(), "alice").follow(authURL)
	if res.Kind != "ErrNoLoginAttempt" || res.Identity != nil {
		t.Errorf("got %s (%s), want ErrNoLoginAttempt and no identity", res.Kind, res.Err)
	}
}

func TestLoginProviderError(t *testing.T) {
	e := newEnv(t, envOptions{})
	tb := e.newTab(e.newJar(), "alice")
	tb.cancel = true
	res := tb.login("/open")
	if res.Kind != "ProviderError" || res.ProviderCode != "access_denied" {
		t.Fatalf("got %s %q (%s), want ProviderError access_denied", res.Kind, res.ProviderCode, res.Err)
	}
	if res.ProviderDesc == "" || res.ReturnTo != "/open" || res.Identity != nil {
		t.Errorf("got description %q, returnTo %q, identity %v; want a description, /open, none", res.ProviderDesc, res.ReturnTo, res.Identity)
	}
	if n := countAttemptCookies(tb.cookies("/auth/callback")); n != 0 {
		t.Errorf("got %d attempt cookies after the provider's error, want 0", n)
	}
	if me := tb.follow(e.rp.URL + "/me"); me.Kind != "ErrNoSession" {
		t.Errorf("got /me %s, want ErrNoSession", me.Kind)
	}
}

// With a thin ID token, the groups come from userinfo; what the ID token has, it keeps.
func TestLoginThinIDTokenUsesUserinfo(t *testing.T) {
	e := newEnv(t, envOptions{thin: true})
	tb := e.newTab(e.newJar(), "alice")
	res := tb.login("/")
	if res.Status != http.StatusOK {
		t.Fatalf("got status %d (%s: %s), want 200", res.Status, res.Kind, res.Err)
	}
	if !slices.Equal(res.Identity.Groups, []string{"/teachers", "staff"}) {
		t.Errorf("got groups %q, want the userinfo's", res.Identity.Groups)
	}
	if n := e.userinfoCalls.Load(); n != 1 {
		t.Errorf("got %d userinfo calls, want 1", n)
	}

	// The ID token's own name wins over userinfo's; only the missing groups are taken from userinfo.
	e.swapIDToken(opKey(), func(c map[string]any) { c["name"] = "Name From ID Token" })
	res = e.newTab(e.newJar(), "alice").login("/")
	if res.Status != http.StatusOK {
		t.Fatalf("got status %d (%s: %s), want 200", res.Status, res.Kind, res.Err)
	}
	if res.Identity.Name != "Name From ID Token" || len(res.Identity.Groups) != 2 {
		t.Errorf("got name %q groups %q, want the ID token's name and userinfo's groups", res.Identity.Name, res.Identity.Groups)
	}
}

// The provider is down when the gateway starts; discovery succeeds once it is up, without a restart.
func TestDiscoveryProviderDownThenUp(t *testing.T) {
	e := newEnv(t, envOptions{opDown: true})
	if e.auth.Ready() {
		t.Fatal("Ready before the provider is up")
	}
	tb := e.newTab(e.newJar(), "alice")
	resp, err := tb.client.Get(e.rp.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res := decodeResult(t, resp)
	if res.Kind != "ErrProviderUnavailable" {
		t.Errorf("got %s (%s) while the provider is down, want ErrProviderUnavailable", res.Kind, res.Err)
	}
	if _, ok := e.auth.EndSessionURL(e.rp.URL+"/", ""); ok {
		t.Error("EndSessionURL before discovery: got ok")
	}
	e.logs.waitFor(t, "discovery failed")

	e.startOP()
	e.waitReady()

	if res := tb.login("/"); res.Status != http.StatusOK {
		t.Errorf("after the provider came up: got status %d (%s: %s), want 200", res.Status, res.Kind, res.Err)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "level=WARN") || strings.Contains(logs, testClientSecret) {
		t.Errorf("want warnings without the client secret; logs:\n%s", logs)
	}
}

// Tokens that are wrong in one way each are refused, each for that reason.
func TestLoginRefusesBadIDTokens(t *testing.T) {
	tests := []struct {
		name    string
		key     func() any // the signing key; nil = the provider's
		edit    func(c map[string]any)
		wantErr string
	}{
		{name: "wrong audience", edit: func(c map[string]any) { c["aud"] = []string{"another-client"} }, wantErr: "expected audience"},
		{name: "wrong issuer", edit: func(c map[string]any) { c["iss"] = "https://evil.example" }, wantErr: "issued by a different provider"},
		{name: "wrong nonce", edit: func(c map[string]any) { c["nonce"] = "not-the-attempts-nonce" }, wantErr: "nonce does not match"},
		{name: "no nonce", edit: func(c map[string]any) { delete(c, "nonce") }, wantErr: "nonce does not match"},
		{name: "expired", edit: func(c map[string]any) {
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
		}, wantErr: "token is expired"},
		{name: "bad signature", key: func() any { return attackerKey() }, edit: func(map[string]any) {}, wantErr: "signature"},
		{name: "wrong at_hash", edit: func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }, wantErr: "at_hash"},
	}
	e := newEnv(t, envOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := opKey()
			if tt.key != nil {
				key = attackerKey()
			}
			e.swapIDToken(key, tt.edit)
			res := e.newTab(e.newJar(), "alice").login("/")
			if res.Kind != "ErrVerification" || !strings.Contains(res.Err, tt.wantErr) || !strings.Contains(res.Err, "auth: verify id token") {
				t.Errorf("got %s (%s), want ErrVerification mentioning %q", res.Kind, res.Err, tt.wantErr)
			}
			if res.Identity != nil {
				t.Error("got an identity")
			}
		})
	}
	t.Run("no id_token", func(t *testing.T) {
		f := func(resp map[string]any) { delete(resp, "id_token") }
		e.swap.Store(&f)
		res := e.newTab(e.newJar(), "alice").login("/")
		if res.Kind != "ErrVerification" || !strings.Contains(res.Err, "no id_token") {
			t.Errorf("got %s (%s), want ErrVerification: no id_token", res.Kind, res.Err)
		}
	})
	t.Run("control: an untouched re-signed token passes", func(t *testing.T) {
		e.swapIDToken(opKey(), func(map[string]any) {})
		if res := e.newTab(e.newJar(), "alice").login("/"); res.Status != http.StatusOK {
			t.Errorf("got %s (%s), want success", res.Kind, res.Err)
		}
	})
}

func TestLoginClaimProblems(t *testing.T) {
	tests := []struct {
		name      string
		users     []idp.User
		configure func(*Config)
		wantKind  string
		wantErr   string
		check     func(t *testing.T, id *Identity)
	}{
		{
			name:      "numeric user id claim",
			users:     []idp.User{{ID: "u-1", Username: "num", Extra: map[string]any{"employee_number": 4711}}},
			configure: func(c *Config) { c.Claims.UserID = "employee_number" },
			check: func(t *testing.T, id *Identity) {
				if id.UserID != "4711" || id.Subject != "u-1" {
					t.Errorf("got user id %q subject %q, want 4711 and u-1", id.UserID, id.Subject)
				}
			},
		},
		{
			name:      "no email, expiry as Unix seconds, organization",
			users:     []idp.User{{ID: "p-1", Username: "pupil", Name: "Pupil", Extra: map[string]any{"subscription_end": 1798761600, "org": "north"}}},
			configure: func(c *Config) { c.Claims.AccountExpiresAt = "subscription_end"; c.Claims.Organization = "org" },
			check: func(t *testing.T, id *Identity) {
				if id.Email != "" || id.Organization != "north" || id.AccountExpiresAt == nil || !id.AccountExpiresAt.Equal(time.Unix(1798761600, 0)) {
					t.Errorf("got email %q org %q expiry %v", id.Email, id.Organization, id.AccountExpiresAt)
				}
			},
		},
		{
			name:     "user id too long",
			users:    []idp.User{{ID: strings.Repeat("x", MaxUserIDLength+1), Username: "long"}},
			wantKind: "ErrInvalidUserID", wantErr: "at most 255",
		},
		{
			name:      "user id claim missing everywhere",
			users:     []idp.User{{ID: "u-2", Username: "nouid"}},
			configure: func(c *Config) { c.Claims.UserID = "employee_number" },
			wantKind:  "ErrInvalidUserID", wantErr: `"employee_number" is missing`,
		},
		{
			name: "Entra ID group overage",
			users: []idp.User{{ID: "u-3", Username: "many", Extra: map[string]any{
				"_claim_names":   map[string]any{"groups": "src1"},
				"_claim_sources": map[string]any{"src1": map[string]any{"endpoint": "https://graph.windows.net/tenant/users/u-3/getMemberObjects"}},
			}}},
			wantKind: "ErrGroupOverage", wantErr: "Groups assigned to the application",
		},
		{
			name:      "unusable expiry",
			users:     []idp.User{{ID: "u-4", Username: "badexp", Extra: map[string]any{"subscription_end": "next tuesday"}}},
			configure: func(c *Config) { c.Claims.AccountExpiresAt = "subscription_end" },
			wantKind:  "ErrInvalidClaim", wantErr: "neither an RFC 3339 time nor Unix seconds",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{users: tt.users, configure: tt.configure})
			res := e.newTab(e.newJar(), tt.users[0].Username).login("/")
			if tt.wantKind == "" {
				if res.Status != http.StatusOK {
					t.Fatalf("got %s (%s), want success", res.Kind, res.Err)
				}
				tt.check(t, res.Identity)
				return
			}
			if res.Kind != tt.wantKind || !strings.Contains(res.Err, tt.wantErr) {
				t.Errorf("got %s (%s), want %s mentioning %q", res.Kind, res.Err, tt.wantKind, tt.wantErr)
			}
		})
	}
}

func TestEndSessionURL(t *testing.T) {
	e := newEnv(t, envOptions{})
	tb := e.newTab(e.newJar(), "alice")
	res := tb.login("/")
	if res.Status != http.StatusOK || res.Identity == nil || res.Identity.IDToken == "" {
		t.Fatalf("sign-in: got %+v, want an identity with its ID token", res)
	}
	hint := res.Identity.IDToken
	for _, tt := range []struct {
		name, hint, wantEnd string
	}{
		{"with the hint: back to the gateway", hint, e.rp.URL + "/"},
		// Without it, no post_logout_redirect_uri that a strict provider would refuse: its own page.
		{"without the hint: the provider's page", "", "/logged-out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := e.auth.EndSessionURL(e.rp.URL+"/", tt.hint)
			if !ok {
				t.Fatal("the provider lists an end_session_endpoint; got none")
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if u.Host != e.opAddr || q.Get("client_id") != testClientID || q.Get("id_token_hint") != tt.hint ||
				q.Has("post_logout_redirect_uri") != (tt.hint != "") {
				t.Errorf("got %s, want the provider's end_session with client_id, and the hint with post_logout_redirect_uri", got)
			}
			resp, err := tb.client.Get(got)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if end := resp.Request.URL.String(); !strings.HasSuffix(end, tt.wantEnd) {
				t.Errorf("end_session ended at %s, want …%s", end, tt.wantEnd)
			}
		})
	}
}
