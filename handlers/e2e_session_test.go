package handlers

// The session end to end: sign-out, cookie attributes, logs, SameSite=Strict.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"talkio-gateway/auth"
	"talkio-gateway/talkio/talkiotest"
)

func TestLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()
	tok := b.csrfToken()

	// Without the token: refused, still signed in.
	r, err := b.do(http.MethodPost, "/logout", url.Values{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("logout without CSRF token: got %d, want 403", r.StatusCode)
	}
	r, err = b.do(http.MethodPost, "/logout", url.Values{"csrf": {"wrong"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("logout with a wrong CSRF token: got %d, want 403", r.StatusCode)
	}
	// A cross-site form post is refused whatever it carries.
	r, err = b.do(http.MethodPost, "/logout", url.Values{"csrf": {tok}}, http.Header{"Sec-Fetch-Site": {"cross-site"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site logout: got %d, want 403", r.StatusCode)
	}
	if findByID(t, b.get("/").body, "sign-out") == nil {
		t.Fatal("a refused logout signed the user out")
	}

	r, err = b.do(http.MethodPost, "/logout", url.Values{"csrf": {tok}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: got %d, want 303: %s", r.StatusCode, errorText(r.body))
	}
	end := mustParseURL(t, r.location())
	if !strings.HasPrefix(r.location(), e.idp.Issuer()) || end.Query().Get("post_logout_redirect_uri") != e.gw.URL+"/" {
		t.Errorf("logout goes to %q, want the provider's end-session endpoint coming back to %s/", r.location(), e.gw.URL)
	}
	if findByID(t, b.get("/").body, "sign-in") == nil {
		t.Error("still signed in after logout")
	}
	if r := b.get("/open"); r.StatusCode != http.StatusFound || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("/open after logout: got %d %q", r.StatusCode, r.location())
	}
	// The form-action of the CSP lets the sign-out's redirect reach the provider.
	if csp := b.get("/").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+e.idpURL) {
		t.Errorf("CSP %q does not allow the end-session origin", csp)
	}
}

// TestCookiesAttributes checks every cookie the gateway sets.
func TestCookieAttributes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	r := b.get("/")
	var names []string
	for _, c := range r.Cookies() {
		names = append(names, c.Name)
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v Path %q", c.Name, c.HttpOnly, c.SameSite, c.Path)
		}
	}
	if len(names) != 1 || names[0] != "gateway_csrf" {
		t.Errorf("home page cookies: %v, want the CSRF cookie", names)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("eleanor")
	b.signIn()
	var tokens []string
	for _, q := range []string{"", "?template=books-literature", "?path=app%2Fchat"} {
		tokens = append(tokens, e.tokenFrom(b.get("/open"+q).location()))
		src := attr(findByID(t, b.get("/embed"+q).body, "talkio-frame"), "src")
		tokens = append(tokens, e.tokenFrom(src))
	}
	b.get("/open?path=//evil.example")
	e.sim.Inject("*", talkiotest.Fault{Status: http.StatusInternalServerError})
	b.get("/open")

	logs := e.logs.String()
	for _, tok := range tokens {
		if strings.Contains(logs, tok) {
			t.Errorf("logs contain a login token")
		}
	}
	for name, secret := range map[string]string{"API key": e.apiKey, "client secret": e.secret} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain the %s", name)
		}
	}
	for _, l := range e.logLines() {
		if strings.Contains(l, "evil.example") || strings.Contains(l, "token=") || strings.Contains(l, "?") && strings.Contains(l, "route=") && strings.Contains(l, "template=") {
			t.Errorf("log line holds request input: %s", l)
		}
		for _, f := range []string{"request_id=", "method=", "route=", "status=", "latency_ms=", "upstream_calls="} {
			if !strings.Contains(l, f) {
				t.Errorf("log line %q lacks %s", l, f)
			}
		}
	}
}

// With SameSite=Strict, the callback cannot redirect: browsers withhold a Strict cookie from a redirect
// that ends a cross-site chain. It answers a same-site page that moves on by itself (meta refresh, no
// script) and offers a link, and following it works.
func TestStrictCookiesContinuePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{
		auth: func(c *auth.Config) { c.Cookies.SameSite = http.SameSiteStrictMode },
	})
	b := e.browser("jonas")
	r := b.mustVisit("/open?template=books-literature")
	if r.StatusCode != http.StatusOK || r.Request.URL.Path != "/auth/callback" {
		t.Fatalf("sign-in ended at %s with %d, want the continue page at the callback", r.Request.URL, r.StatusCode)
	}
	doc := parseHTML(t, r.body)
	const want = "/open?template=books-literature"
	refresh := findNode(doc, func(n *html.Node) bool { return n.Data == "meta" && attr(n, "http-equiv") == "refresh" })
	if refresh == nil || attr(refresh, "content") != "0;url="+want {
		t.Fatalf("continue page refresh = %v, want 0;url=%s", refresh, want)
	}
	if link := findByID(t, r.body, "continue"); link == nil || attr(link, "href") != want {
		t.Fatalf("continue link missing or wrong")
	}
	if r := b.get(want); r.StatusCode != http.StatusFound || !strings.Contains(r.location(), "token=") {
		t.Fatalf("GET %s after the continue page: %d %q", want, r.StatusCode, r.location())
	}
}
