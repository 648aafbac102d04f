package handlers

// Hostile input end to end: bad paths and return_to values, replayed callbacks, tampered cookies.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"talkio-gateway/auth"
	"talkio-gateway/internal/testutil"
)

func TestHostileInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	signedIn := e.browser("jonas")
	signedIn.signIn()
	signedOut := e.browser("jonas")

	hostile := []string{
		"path=//evil.example",
		"path=https://evil.example",
		"path=https:%2F%2Fevil.example",
		`path=\\evil`,
		"path=%5C%5Cevil",
		"path=javascript:alert(1)",
		"path=javascript%253Aalert(1)",
		"path=%252F%252Fevil.example",
		"path=app%252F..%252Fx",
		"path=app/%252e%252e/admin",
		"path=app/../admin",
		"path=..",
		"path=app%0D%0ASet-Cookie:%20x=1",
		"path=app%00",
		"path=" + strings.Repeat("a", 10<<10),
		"template=books-literature&path=app",
		"template=../../x",
		"template=Books",
		"hide_chat_sidebar=1",
		"path=a&path=b",
		"path=%zz",
	}
	for _, route := range []string{"/open", "/embed"} {
		for _, q := range hostile {
			for name, b := range map[string]*browser{"signed in": signedIn, "signed out": signedOut} {
				r := b.get(route + "?" + q)
				if r.StatusCode != http.StatusBadRequest {
					t.Errorf("%s %s?%.60s: got %d %q, want 400", name, route, q, r.StatusCode, r.location())
					continue
				}
				if testutil.ByID(t, r.body, "request-id") == nil {
					t.Errorf("%s?%.60s: 400 page without request id", route, q)
				}
			}
		}
	}

	foreign := []string{
		"https://evil.example/", "//evil.example", `/\evil.example`, "/%2F%2Fevil.example", "javascript:alert(1)",
		"/open%0D%0ALocation:%20https://evil.example", "/logout", "/auth/callback", "http:evil.example",
	}
	for _, rt := range foreign {
		r := signedOut.get("/login?return_to=" + url.QueryEscape(rt))
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("return_to %q: got %d %q, want 400", rt, r.StatusCode, r.location())
		}
		r = signedIn.get("/login?return_to=" + url.QueryEscape(rt))
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("signed in, return_to %q: got %d %q, want 400", rt, r.StatusCode, r.location())
		}
	}
	if r := signedOut.get("/login?return_to=/open&return_to=/embed"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("two return_to: got %d", r.StatusCode)
	}
}

// TestAttackListThroughRoutes sends every attack string as /open's path and
// as /login's return_to: the answer is a 400 page, or a redirect that stays
// on the Talkio app's login page (path) or on the gateway (return_to).
func TestAttackListThroughRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()
	out := e.browser("jonas")
	for _, a := range readAttackList() {
		r := b.get("/open?path=" + url.QueryEscape(a))
		switch r.StatusCode {
		case http.StatusBadRequest:
		case http.StatusFound:
			checkTalkioLocation(t, r.location(), e.sim.URL, a)
		default:
			t.Errorf("path %q: got %d", a, r.StatusCode)
		}

		r = out.get("/login?return_to=" + url.QueryEscape(a))
		switch r.StatusCode {
		case http.StatusBadRequest:
		case http.StatusFound:
			if !strings.HasPrefix(r.location(), e.idp.Issuer()) {
				t.Errorf("return_to %q: redirected to %q", a, r.location())
			}
		default:
			t.Errorf("return_to %q: got %d", a, r.StatusCode)
		}
	}
}

func TestReplayedCallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	// Follow the sign-in by hand up to the callback.
	target := e.gw.URL + "/login"
	var callback string
	for hop := 0; hop < 10 && callback == ""; hop++ {
		r := b.get(target)
		next, err := r.Request.URL.Parse(r.location())
		if err != nil || r.location() == "" {
			t.Fatalf("hop %d: %d %q", hop, r.StatusCode, r.location())
		}
		if next.Path == mustParseURL(t, e.idp.Issuer()).Path+"/login" {
			q := next.Query()
			q.Set("user", "jonas")
			next.RawQuery = q.Encode()
		}
		if next.Host == mustParseURL(t, e.gw.URL).Host && next.Path == "/auth/callback" {
			callback = next.String()
		}
		target = next.String()
	}
	if callback == "" {
		t.Fatal("never reached the callback")
	}
	if r := b.get(callback); r.StatusCode != http.StatusSeeOther || r.location() != "/" {
		t.Fatalf("first callback: got %d %q: %s", r.StatusCode, r.location(), errorText(r.body))
	}
	r := b.get(callback)
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback: got %d, want 400", r.StatusCode)
	}
	action := testutil.ByID(t, r.body, "error-action")
	if action == nil || testutil.Attr(action, "href") != "/login" || testutil.Text(action) != "Sign in again" {
		t.Errorf("replayed callback page: want one Sign in again link to /login, got %v", action)
	}
	if loc := r.location(); loc != "" {
		t.Errorf("replayed callback redirects to %q; it must not loop back to the provider", loc)
	}
	// The same callback from another browser, without the attempt cookie.
	if r := e.browser("jonas").get(callback); r.StatusCode != http.StatusBadRequest {
		t.Errorf("callback without the attempt cookie: got %d, want 400", r.StatusCode)
	}
	// A provider error= answer.
	if r := b.get("/auth/callback?error=access_denied&state=x"); r.StatusCode != http.StatusForbidden {
		t.Errorf("error=access_denied: got %d, want 403", r.StatusCode)
	}
	if r := b.get("/auth/callback?error=server_error&error_description=%3Cscript%3E&state=x"); r.StatusCode != http.StatusBadRequest ||
		strings.Contains(r.body, "<script>") {
		t.Errorf("error=server_error: got %d", r.StatusCode)
	}
}

func TestTamperedSessionCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()
	gw := mustParseURL(t, e.gw.URL)
	var cookies []*http.Cookie
	for _, c := range b.client.Jar.Cookies(gw) {
		if c.Name == auth.SessionCookieName {
			v := []byte(c.Value)
			v[len(v)/2] ^= 1
			c.Value = string(v)
		}
		cookies = append(cookies, c)
	}
	b.client.Jar.SetCookies(gw, cookies)
	if testutil.ByID(t, b.get("/").body, "sign-in") == nil {
		t.Error("tampered session: home page not signed out")
	}
	r := b.get("/open")
	if r.StatusCode != http.StatusFound || !e.startsSignIn(r.location()) {
		t.Errorf("tampered session: /open got %d %q, want a redirect to sign in", r.StatusCode, r.location())
	}
}
