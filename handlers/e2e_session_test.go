package handlers

// The session end to end: sign-out, cookie attributes, logs, SameSite=Strict.

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"talkio-gateway/auth"
	"talkio-gateway/internal/testutil"
	"talkio-gateway/talkio/talkiotest"
)

func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("eleanor")
	b.signIn()
	var tokens []string
	for _, q := range []string{"", "?template=books-literature", "?path=app%2Fchat"} {
		tokens = append(tokens, e.tokenFrom(b.get("/open"+q).location()))
		src := testutil.Attr(testutil.ByID(t, b.get("/embed"+q).body, "talkio-frame"), "src")
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

// With SameSite=Strict, the callback of an embed cannot redirect: browsers withhold a Strict cookie from a redirect
// that ends a cross-site chain. It answers a same-site page that moves on by itself (meta refresh, no
// script) and offers a link, and following it works.
func TestStrictCookiesContinuePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{
		auth: func(c *auth.Config) { c.Cookies.SameSite = http.SameSiteStrictMode },
	})
	b := e.browser("jonas")
	r := b.mustVisit("/embed?template=books-literature")
	if r.StatusCode != http.StatusOK || r.Request.URL.Path != "/auth/callback" {
		t.Fatalf("sign-in ended at %s with %d, want the continue page at the callback", r.Request.URL, r.StatusCode)
	}
	doc := testutil.ParseHTML(t, r.body)
	const want = "/embed?template=books-literature"
	refresh := testutil.FindNode(doc, func(n *html.Node) bool { return n.Data == "meta" && testutil.Attr(n, "http-equiv") == "refresh" })
	if refresh == nil || testutil.Attr(refresh, "content") != "0;url="+want {
		t.Fatalf("continue page refresh = %v, want 0;url=%s", refresh, want)
	}
	if link := testutil.ByID(t, r.body, "continue"); link == nil || testutil.Attr(link, "href") != want {
		t.Fatalf("continue link missing or wrong")
	}
	if r := b.get(want); r.StatusCode != http.StatusOK || testutil.ByID(t, r.body, "talkio-frame") == nil {
		t.Fatalf("GET %s after the continue page: %d %q", want, r.StatusCode, r.location())
	}
}
