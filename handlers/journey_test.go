package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"talkio-gateway/auth"
	"talkio-gateway/demo/idp"
	"talkio-gateway/internal/testutil"
	"talkio-gateway/provision"
	"talkio-gateway/talkio/talkiotest"
)

// The journeys of issue 12, by their hops through the gateway and their Partner API calls, asserted by
// order and count (never by time): calls that run concurrently are compared as sets, what must come
// after what by position.

const (
	jTok200      = talkiotest.EndpointUserToken + " 200"
	jTok404      = talkiotest.EndpointUserToken + " 404"
	jGet200      = talkiotest.EndpointGetUser + " 200"
	jGet404      = talkiotest.EndpointGetUser + " 404"
	jCreate201   = talkiotest.EndpointCreateUser + " 201"
	jSettings200 = talkiotest.EndpointUpdateSettings + " 200"
	jPref200     = talkiotest.EndpointSetOrgPreference + " 200"
)

// journey follows target like browser.visit, and records the path of every request that reached the
// gateway (its hops), in order.
func (b *browser) journey(target string) (hops []string, last *response) {
	b.e.t.Helper()
	for range 20 {
		r, err := b.do(http.MethodGet, target, nil, nil)
		if err != nil {
			b.e.t.Fatal(err)
		}
		if origin := r.Request.URL.Scheme + "://" + r.Request.URL.Host; origin == b.e.gw.URL {
			hops = append(hops, r.Request.URL.Path)
		}
		if r.StatusCode < 300 || r.StatusCode > 399 {
			return hops, r
		}
		next, err := r.Request.URL.Parse(r.location())
		if err != nil {
			b.e.t.Fatal(err)
		}
		switch origin := next.Scheme + "://" + next.Host; origin {
		case b.e.gw.URL:
		case b.e.idpURL:
			if next.Path == mustParseURL(b.e.t, b.e.idp.Issuer()).Path+"/login" && next.Query().Get("user") == "" {
				q := next.Query()
				q.Set("user", b.user)
				next.RawQuery = q.Encode()
			}
		default:
			return hops, r // into Talkio: not followed
		}
		target = next.String()
	}
	b.e.t.Fatalf("more than 20 redirects from %s", target)
	return nil, nil
}

func wantHops(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("gateway hops %q, want %q", got, want)
	}
}

// wantCallPhases checks the simulator's recorded calls in phases: each phase is the set of endpoints
// (with status) of the next len(phase) calls, in any order among themselves.
func wantCallPhases(t *testing.T, e *env, phases ...[]string) {
	t.Helper()
	if diff := talkiotest.CheckPhases(e.sim.Calls(), phases...); diff != "" {
		t.Fatal(diff)
	}
}

// wantTalkio checks that r redirects into the Talkio app's login URL at path.
func wantTalkio(e *env, r *response, path string) {
	e.t.Helper()
	if r.StatusCode != http.StatusFound {
		e.t.Fatalf("journey ended at %s with %d, want a 302 into Talkio: %s", r.Request.URL.Path, r.StatusCode, errorText(r.body))
	}
	checkTalkioLocation(e.t, r.location(), e.sim.URL, path)
	e.tokenFrom(r.location())
}

func TestJourneySignedInOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()

	e.sim.ResetCalls()
	hops, r := b.journey("/open?template=books-literature")
	wantHops(t, hops, "/open")
	wantTalkio(e, r, "app/chat?t=books-literature")
	wantCallPhases(t, e, []string{jTok200})
}

// The morning's journey: a person known to Talkio, in a browser without a session. /open goes straight
// to the provider and the callback straight into Talkio; on the way, the token and the profile check
// run concurrently, and nothing changed, so there is no update.
func TestJourneySameSessionlessPersonOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	e.browser("jonas").signIn() // yesterday's session, in another browser

	for _, link := range []string{"/open?template=books-literature", "/open?path=app%2Fchat&hide_chat_sidebar=true"} {
		e.sim.ResetCalls()
		b := e.browser("jonas")
		hops, r := b.journey(link)
		wantHops(t, hops, "/open", "/auth/callback")
		l, err := parseTutorLink(mustParseURL(t, link).RawQuery)
		if err != nil {
			t.Fatal(err)
		}
		wantTalkio(e, r, l.path)
		if got := mustParseURL(t, r.location()).Query().Get("hide-chat-sidebar"); got != map[bool]string{true: "true"}[l.hideChatSidebar] {
			t.Errorf("%s: hide-chat-sidebar %q", link, got)
		}
		wantCallPhases(t, e, []string{jTok200, jGet200})

		// The session was saved on the way: the next open is one hop.
		e.sim.ResetCalls()
		hops, r = b.journey(link)
		wantHops(t, hops, "/open")
		wantTalkio(e, r, l.path)
		wantCallPhases(t, e, []string{jTok200})
	}
}

func TestJourneySessionlessPersonEmbed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	e.browser("jonas").signIn()

	e.sim.ResetCalls()
	b := e.browser("jonas")
	hops, r := b.journey("/embed?template=books-literature&hide_chat_sidebar=true")
	wantHops(t, hops, "/embed", "/auth/callback")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("embed after sign-in: %d %s", r.StatusCode, errorText(r.body))
	}
	frame := testutil.ByID(t, r.body, "talkio-frame")
	if frame == nil {
		t.Fatal("no talkio-frame on the page the callback answered")
	}
	src := testutil.Attr(frame, "src")
	checkTalkioLocation(t, src, e.sim.URL, "app/chat?t=books-literature")
	e.tokenFrom(src)
	if got := mustParseURL(t, src).Query().Get("hide-chat-sidebar"); got != "true" {
		t.Errorf("frame src hide-chat-sidebar %q, want true", got)
	}
	if a := testutil.ByID(t, r.body, "open-new-tab"); a == nil || testutil.Attr(a, "href") != "/open?template=books-literature" {
		t.Errorf("new-tab link %v, want /open?template=books-literature", a)
	}
	wantCallPhases(t, e, []string{jTok200, jGet200})
}

// A first sign-in ever: the token and the lookup both find nobody; then the creation; then the token,
// the settings defaults and the organization preference together. Still two gateway hops.
func TestJourneyFirstSignIn(t *testing.T) {
	t.Parallel()
	users := idp.DemoUsers()
	users[1].Extra = map[string]any{"org": "a"}
	e := newEnv(t, envConfig{
		users: users,
		orgs:  []talkiotest.Organization{{Slug: "org-a", Partner: testProvider}, {Slug: "org-b", Partner: testProvider}},
		provision: func(o *provision.Options) {
			o.OrganizationMap = map[string]string{"a": "org-a", "b": "org-b"}
		},
	})
	b := e.browser("jonas")
	hops, r := b.journey("/open?template=books-literature")
	wantHops(t, hops, "/open", "/auth/callback")
	wantTalkio(e, r, "app/chat?t=books-literature")
	wantCallPhases(t, e, []string{jTok404, jGet404}, []string{jCreate201}, []string{jTok200, jSettings200, jPref200})
	if _, ok := e.sim.User("org-a", "demo-jonas"); !ok {
		t.Error("Jonas not created in org-a")
	}
}

// With SameSite=Strict the session cookie is withheld from a redirect that ends a cross-site chain, so
// an embed takes one same-site hop through the continue page, which mints no token; /embed does. An
// open needs no gateway cookie in Talkio, so it goes straight there.
func TestJourneyStrictCookies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{
		auth: func(c *auth.Config) { c.Cookies.SameSite = http.SameSiteStrictMode },
	})
	if _, r := e.browser("jonas").journey("/open"); r.StatusCode != http.StatusFound {
		t.Fatalf("first sign-in: %d %s", r.StatusCode, errorText(r.body))
	}

	e.sim.ResetCalls()
	b := e.browser("jonas")
	hops, r := b.journey("/embed?template=books-literature")
	wantHops(t, hops, "/embed", "/auth/callback")
	const want = "/embed?template=books-literature"
	if r.StatusCode != http.StatusOK || testutil.ByID(t, r.body, "continue") == nil {
		t.Fatalf("strict embed sign-in ended with %d, want the continue page: %s", r.StatusCode, errorText(r.body))
	}
	if href := testutil.Attr(testutil.ByID(t, r.body, "continue"), "href"); href != want {
		t.Fatalf("continue link %q, want %q", href, want)
	}
	wantCallPhases(t, e, []string{jGet200})
	e.sim.ResetCalls()
	next := b.get(want)
	if next.StatusCode != http.StatusOK || testutil.ByID(t, next.body, "talkio-frame") == nil {
		t.Fatalf("GET %s after the continue page: %d %s", want, next.StatusCode, errorText(next.body))
	}
	wantCallPhases(t, e, []string{jTok200})

	e.sim.ResetCalls()
	hops, r = e.browser("jonas").journey("/open?template=books-literature")
	wantHops(t, hops, "/open", "/auth/callback")
	wantTalkio(e, r, "app/chat?t=books-literature")
	wantCallPhases(t, e, []string{jTok200, jGet200})
}

// The token the callback mints counts against the same per-user limit as /open: beyond it the sign-in
// completes, but the open is refused with 429 and no token is asked for.
func TestJourneyCallbackOpenLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{options: func(o *Options) { o.OpenBurst, o.OpenRefill = 1, time.Hour }})
	hops, r := e.browser("jonas").journey("/open")
	wantHops(t, hops, "/open", "/auth/callback")
	wantTalkio(e, r, "")

	e.sim.ResetCalls()
	b := e.browser("jonas")
	hops, r = b.journey("/open")
	wantHops(t, hops, "/open", "/auth/callback")
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("second open's callback: %d %q, want 429 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if n := e.callsTo(talkiotest.EndpointUserToken); n != 0 {
		t.Errorf("token calls beyond the limit: %d, want 0", n)
	}
	if testutil.ByID(t, b.get("/").body, "sign-out") == nil {
		t.Error("the refused open left the browser signed out")
	}
	if r := b.get("/open"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("/open after: %d, want 429", r.StatusCode)
	}
}

// Signed out, a link is checked before the provider sees anything, and the attempt keeps the validated
// link; a failure at the callback keeps its page, whose fresh sign-in goes back to the link.
func TestJourneySignedOutLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	for _, bad := range []string{"/open?template=Books", "/embed?path=%2F%2Fevil.example", "/open?path=a&path=b"} {
		if r := b.get(bad); r.StatusCode != http.StatusBadRequest {
			t.Errorf("signed out %s: %d %q, want 400", bad, r.StatusCode, r.location())
		}
	}
	r := b.get("/embed?template=books-literature")
	if loc := mustParseURL(t, r.location()); r.StatusCode != http.StatusFound || !strings.HasPrefix(r.location(), e.idp.Issuer()+"/") {
		t.Fatalf("signed out /embed: %d %q, want the provider", r.StatusCode, loc)
	}

	e.sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: http.StatusInternalServerError})
	hops, r := e.browser("jonas").journey("/open?template=books-literature")
	wantHops(t, hops, "/open", "/auth/callback")
	if r.StatusCode != http.StatusBadGateway {
		t.Fatalf("token failure at the callback: %d, want 502", r.StatusCode)
	}
	a := testutil.ByID(t, r.body, "error-action")
	if want := "/login?return_to=" + url.QueryEscape("/open?template=books-literature"); a == nil || testutil.Attr(a, "href") != want {
		t.Errorf("error action %v, want %s", a, want)
	}
}

// startsSignIn tells whether loc sends the browser to the provider's authorization endpoint: where a
// signed-out /open or /embed goes.
func (e *env) startsSignIn(loc string) bool {
	u, err := url.Parse(loc)
	return err == nil && strings.HasPrefix(loc, e.idp.Issuer()+"/") && strings.HasSuffix(u.Path, "/authorize") &&
		u.Query().Get("state") != ""
}

// tutorIntent reads a return_to with the routes' own rule: what /open or /embed would refuse is no
// intent (the browser goes back to the route, which says why).
func TestTutorIntent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, route, path string
		hide            bool
	}{
		{in: "/"},
		{in: "/open", route: "/open"},
		{in: "/open?template=books-literature", route: "/open", path: "app/chat?t=books-literature"},
		{in: "/embed?path=app%2Fchat&hide_chat_sidebar=true", route: "/embed", path: "app/chat", hide: true},
		{in: "/open?template=Books"},
		{in: "/embed?path=%2F%2Fevil.example"},
		{in: "/open?path=a&path=b"},
		{in: "/open?hide_chat_sidebar=yes"},
		{in: "/openx?template=books-literature"},
		{in: "/login?return_to=%2Fopen"},
	}
	for _, tt := range tests {
		route, l := tutorIntent(tt.in)
		if route != tt.route || (l == nil) != (tt.route == "") {
			t.Errorf("tutorIntent(%q) = %q, %v; want route %q", tt.in, route, l, tt.route)
			continue
		}
		if l != nil && (l.path != tt.path || l.hideChatSidebar != tt.hide) {
			t.Errorf("tutorIntent(%q): path %q hide %v, want %q %v", tt.in, l.path, l.hideChatSidebar, tt.path, tt.hide)
		}
	}
}
