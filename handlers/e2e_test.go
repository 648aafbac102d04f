package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"talkio-gateway/auth"
	"talkio-gateway/demo/idp"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

func TestFirstLoginCreatesUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("eleanor")
	b.signIn()

	if n := e.callsTo(talkiotest.EndpointCreateUser); n != 1 {
		t.Fatalf("CreateUser calls: got %d, want 1", n)
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(e.bodiesOf(talkiotest.EndpointCreateUser)[0]), &sent); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": "demo-eleanor", "userName": "Eleanor Hughes", "userType": "member",
		"email": "eleanor.hughes@school.example", "phoneNumber": "+442079460321",
	}
	if len(sent) != len(want) {
		t.Errorf("create body: got %v, want %v", sent, want)
	}
	for k, v := range want {
		if sent[k] != v {
			t.Errorf("create body %s: got %v, want %v", k, sent[k], v)
		}
	}
	u, ok := e.sim.User(testOrg, "demo-eleanor")
	if !ok || u.UserName != "Eleanor Hughes" || u.UserType != talkio.UserTypeMember || u.AccountExpiresAt != nil {
		t.Errorf("Talkio user: got %+v", u)
	}

	// The home page shows who is signed in.
	home := b.get("/")
	if got := text(findByID(t, home.body, "profile-name")); got != "Eleanor Hughes" {
		t.Errorf("profile name: got %q", got)
	}
	if got := text(findByID(t, home.body, "profile-type")); got != "member" {
		t.Errorf("profile type: got %q", got)
	}
	if cc := home.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("home Cache-Control: got %q, want no-store", cc)
	}

	// A second login of the same user creates nothing.
	b2 := e.browser("eleanor")
	b2.signIn()
	if n := e.callsTo(talkiotest.EndpointCreateUser); n != 1 {
		t.Errorf("CreateUser calls after second login: got %d, want 1", n)
	}
}

func TestConcurrentFirstLogins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			r, err := e.browser("jonas").visit("/login")
			if err != nil {
				errs <- err
				return
			}
			if r.StatusCode != http.StatusOK || r.Request.URL.Path != "/" {
				errs <- &url.Error{Op: "login ended", URL: r.Request.URL.String(), Err: http.ErrAbortHandler}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.callsTo(talkiotest.EndpointCreateUser); got != 1 {
		t.Errorf("CreateUser calls for %d concurrent first logins: got %d, want 1", n, got)
	}
	if got := len(e.sim.Users(testOrg)); got != 1 {
		t.Errorf("Talkio users: got %d, want 1", got)
	}
}

func TestOpenReturningUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()

	seen := map[string]bool{}
	for i := range 3 {
		e.sim.ResetCalls()
		r := b.get("/open")
		if r.StatusCode != http.StatusFound {
			t.Fatalf("/open: got %d, want 302: %s", r.StatusCode, errorText(r.body))
		}
		tok := e.tokenFrom(r.location())
		if seen[tok] {
			t.Errorf("open %d reused a token", i)
		}
		seen[tok] = true
		if calls := e.sim.Calls(); len(calls) != 1 || calls[0].Endpoint != talkiotest.EndpointUserToken {
			t.Errorf("open %d: Partner API calls %v, want exactly one token call", i, endpoints(calls))
		}
		for _, h := range []string{"Cache-Control", "Referrer-Policy"} {
			want := map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}[h]
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: got %q, want %q", h, got, want)
			}
		}
		if q := mustParseURL(t, r.location()).Query(); q.Has("path") || q.Has("hide-chat-sidebar") {
			t.Errorf("plain /open: got query %v, want only the token", q)
		}
	}

	// The request log line counts the one upstream call.
	lines := e.logLines()
	last := lines[len(lines)-1]
	for _, want := range []string{"route=/open", "status=302", "upstream_calls=1", "user_id=demo-jonas"} {
		if !strings.Contains(last, want) {
			t.Errorf("log line %q lacks %q", last, want)
		}
	}

	// The token works once at the Talkio app.
	app := b.get(mustParseURL(t, b.get("/open").location()).String())
	if app.StatusCode != http.StatusOK || text(findByID(t, app.body, "user-id")) != "demo-jonas" {
		t.Errorf("Talkio app page: got %d %q", app.StatusCode, text(findByID(t, app.body, "reason")))
	}
}

func endpoints(calls []talkiotest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Endpoint)
	}
	return out
}

func TestOpenTemplateAfterSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("maya")

	// Signed out, the link goes through sign-in and comes back to itself.
	r := b.get("/open?template=books-literature")
	if r.StatusCode != http.StatusFound || !e.startsSignIn(r.location()) {
		t.Fatalf("signed out /open: got %d %q", r.StatusCode, r.location())
	}
	r = b.mustVisit("/open?template=books-literature")
	if r.StatusCode != http.StatusFound {
		t.Fatalf("after sign-in: got %d: %s", r.StatusCode, errorText(r.body))
	}
	loc := r.location()
	if !strings.Contains(loc, "&path=app%2Fchat%3Ft%3Dbooks-literature") {
		t.Errorf("Location %q lacks path=app%%2Fchat%%3Ft%%3Dbooks-literature", loc)
	}
	checkTalkioLocation(t, loc, e.sim.URL, "app/chat?t=books-literature")

	app := b.get(loc)
	if got := text(findByID(t, app.body, "path")); got != "app/chat?t=books-literature" {
		t.Errorf("Talkio app got path %q", got)
	}
}

func TestEmbed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{options: func(o *Options) { o.FrameAncestors = []string{"'self'", "https://portal.example"} }})
	b := e.browser("jonas")
	b.signIn()

	tests := []struct {
		query      string
		wantPath   string
		wantHide   bool
		wantNewTab string
	}{
		{query: "", wantNewTab: "/open"},
		{query: "?template=books-literature", wantPath: "app/chat?t=books-literature", wantNewTab: "/open?template=books-literature"},
		{query: "?template=books-literature&hide_chat_sidebar=true", wantPath: "app/chat?t=books-literature", wantHide: true,
			wantNewTab: "/open?template=books-literature"},
		{query: "?path=app%2Fchat&hide_chat_sidebar=false", wantPath: "app/chat", wantNewTab: "/open?path=app%2Fchat"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := b.get("/embed" + tt.query)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("got %d: %s", r.StatusCode, errorText(r.body))
			}
			doc := parseHTML(t, r.body)
			frame := findNode(doc, func(n *html.Node) bool { return n.Data == "iframe" })
			if frame == nil {
				t.Fatal("no iframe")
			}
			if got := attr(frame, "id"); got != "talkio-frame" {
				t.Errorf("iframe id: got %q", got)
			}
			if got := attr(frame, "allow"); got != "microphone; screen-wake-lock" {
				t.Errorf("iframe allow: got %q", got)
			}
			if got := attr(frame, "title"); got != "Talkio tutor" {
				t.Errorf("iframe title: got %q", got)
			}
			src := attr(frame, "src")
			e.tokenFrom(src)
			q := mustParseURL(t, src).Query()
			if q.Get("path") != tt.wantPath {
				t.Errorf("iframe path: got %q, want %q", q.Get("path"), tt.wantPath)
			}
			if got := q.Get("hide-chat-sidebar") == "true"; got != tt.wantHide {
				t.Errorf("hide-chat-sidebar: got %v, want %v (src %s)", got, tt.wantHide, src)
			}
			link := findNode(doc, func(n *html.Node) bool { return attr(n, "id") == "open-new-tab" })
			if link == nil || attr(link, "href") != tt.wantNewTab || attr(link, "target") != "_blank" || attr(link, "rel") != "noopener" {
				t.Errorf("new-tab link: got %v", link)
			} else if text(link) != "Open in a new tab" {
				t.Errorf("new-tab link text %q", text(link))
			}
			for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s: got %q, want %q", h, got, want)
				}
			}
			csp := r.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "frame-src " + e.sim.URL + ";", "frame-ancestors 'self' https://portal.example;", "style-src 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(r.body, "<script") || strings.Contains(r.body, "style=") {
				t.Error("inline script or style on the embed page")
			}
			// The framed page accepts the token.
			if app := b.get(src); app.StatusCode != http.StatusOK {
				t.Errorf("Talkio app refused the iframe's token: %d", app.StatusCode)
			}
		})
	}
}

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
				if findByID(t, r.body, "request-id") == nil {
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
	for _, a := range readAttackList(t) {
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
	action := findByID(t, r.body, "error-action")
	if action == nil || attr(action, "href") != "/login" || text(action) != "Sign in again" {
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
	if findByID(t, b.get("/").body, "sign-in") == nil {
		t.Error("tampered session: home page not signed out")
	}
	r := b.get("/open")
	if r.StatusCode != http.StatusFound || !e.startsSignIn(r.location()) {
		t.Errorf("tampered session: /open got %d %q, want a redirect to sign in", r.StatusCode, r.location())
	}
}

func TestGroupsPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{options: func(o *Options) {
		o.AllowedGroups = []string{"teachers", "class-7b"}
		o.FacilitatorGroups = []string{"teachers"}
	}})
	e.browser("eleanor").signIn()
	if u, ok := e.sim.User(testOrg, "demo-eleanor"); !ok || u.UserType != talkio.UserTypeFacilitator {
		t.Errorf("teacher: got %+v, want a facilitator", u)
	}
	e.browser("jonas").signIn()
	if u, ok := e.sim.User(testOrg, "demo-jonas"); !ok || u.UserType != talkio.UserTypeMember {
		t.Errorf("pupil: got %+v, want a member", u)
	}

	e2 := newEnv(t, envConfig{options: func(o *Options) { o.AllowedGroups = []string{"teachers"} }})
	r := e2.browser("maya").mustVisit("/login")
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("not in ALLOWED_GROUPS: got %d, want 403", r.StatusCode)
	}
	msg := errorText(r.body)
	if !strings.Contains(msg, "not in a group that has access") || !strings.Contains(msg, "the school office") || strings.Contains(msg, "teachers") {
		t.Errorf("refusal message %q", msg)
	}
	if e2.callsTo("*") != 0 {
		t.Errorf("a refused user cost Partner API calls: %v", endpoints(e2.sim.Calls()))
	}
	if findByID(t, e2.browser("maya").get("/").body, "sign-in") == nil {
		t.Error("refused user got a session")
	}
}

func TestExpiredUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	past := e.clock.Now().Add(-time.Hour)
	if err := e.sim.AddUser(testOrg, talkiotest.User{ID: "demo-jonas", UserName: "Jonas Weber", UserType: "member", AccountExpiresAt: &past}); err != nil {
		t.Fatal(err)
	}
	r := e.browser("jonas").mustVisit("/login")
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("expired user: got %d, want 403: %s", r.StatusCode, errorText(r.body))
	}
	if msg := errorText(r.body); !strings.Contains(msg, "expired") || !strings.Contains(msg, "the school office") {
		t.Errorf("expired message %q", msg)
	}
}

func TestSubscriptionEndedClaim(t *testing.T) {
	t.Parallel()
	users := idp.DemoUsers()
	users[1].Extra = map[string]any{"subscription_end": time.Now().Add(-time.Hour).Unix()}
	e := newEnv(t, envConfig{users: users})
	r := e.browser("jonas").mustVisit("/login")
	if r.StatusCode != http.StatusForbidden || e.callsTo("*") != 0 {
		t.Errorf("ended subscription: got %d after %d calls, want 403 and none", r.StatusCode, e.callsTo("*"))
	}
}

func TestTalkioUnavailableThenOK(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	e.sim.Inject(talkiotest.EndpointGetUser, talkiotest.Fault{Status: http.StatusServiceUnavailable, FailFirst: 1})
	b := e.browser("jonas")
	b.signIn()
	e.sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: http.StatusServiceUnavailable, FailFirst: 1})
	r := b.get("/open")
	if r.StatusCode != http.StatusFound {
		t.Fatalf("/open after one 503: got %d: %s", r.StatusCode, errorText(r.body))
	}
	e.tokenFrom(r.location())
	last := e.logLines()[len(e.logLines())-1]
	if !strings.Contains(last, "upstream_calls=2") {
		t.Errorf("log line %q: want upstream_calls=2", last)
	}
}

func TestTalkioDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()

	e.sim.Inject("*", talkiotest.Fault{DropConnection: true})
	r := b.get("/open")
	if r.StatusCode != http.StatusBadGateway {
		t.Fatalf("Talkio down: got %d, want 502", r.StatusCode)
	}
	rid := r.Header.Get("X-Request-ID")
	if rid == "" || text(findByID(t, r.body, "request-id")) != rid {
		t.Errorf("502 page request id %q, header %q", text(findByID(t, r.body, "request-id")), rid)
	}
	if strings.Contains(r.body, "goroutine") || strings.Contains(r.body, "talkio:") || strings.Contains(r.body, "EOF") {
		t.Error("502 page shows internal detail")
	}

	// JSON when asked for it.
	jr, err := b.do(http.MethodGet, "/open", nil, http.Header{"Accept": {"application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error     string `json:"error"`
		Status    int    `json:"status"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(jr.body), &body); err != nil || body.Status != 502 || body.RequestID == "" || body.Error == "" {
		t.Errorf("JSON error: got %s (%v)", jr.body, err)
	}

	// Talkio answering 503 throughout: 503, and the sign-in page says so.
	e.sim.ClearFaults()
	e.sim.Inject("*", talkiotest.Fault{Status: http.StatusServiceUnavailable})
	if r := b.get("/open"); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("Talkio 503: got %d, want 503", r.StatusCode)
	}
	r = e.browser("maya").mustVisit("/login")
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("sign-in while Talkio answers 503: got %d, want 503", r.StatusCode)
	}
	if a := findByID(t, r.body, "error-action"); a == nil || attr(a, "href") != "/login" {
		t.Errorf("sign-in failure page offers no retry: %v", a)
	}
}

func TestSlidingExpiry(t *testing.T) {
	t.Parallel()
	const ttl = 720 * time.Hour
	users := idp.DemoUsers()
	e := newEnv(t, envConfig{users: users, options: func(o *Options) { o.AccountTTL = ttl }})
	e.browser("jonas").signIn()
	want := e.clock.Now().Add(ttl)
	if u, _ := e.sim.User(testOrg, "demo-jonas"); u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(want) {
		t.Fatalf("first login expiry: got %v, want %v", u.AccountExpiresAt, want)
	}

	e.clock.Advance(24 * time.Hour)
	e.sim.ResetCalls()
	e.browser("jonas").signIn()
	want = e.clock.Now().Add(ttl)
	if u, _ := e.sim.User(testOrg, "demo-jonas"); u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(want) {
		t.Errorf("next login expiry: got %v, want %v", u.AccountExpiresAt, want)
	}
	if bodies := e.bodiesOf(talkiotest.EndpointUpdateUser); len(bodies) != 1 || !strings.Contains(bodies[0], "accountExpiresAt") || strings.Contains(bodies[0], "userName") {
		t.Errorf("update bodies: %q, want one with only accountExpiresAt", bodies)
	}

	// A subscription end before now+TTL caps it.
	capAt := e.clock.Now().Add(48 * time.Hour)
	users[1].Extra = map[string]any{"subscription_end": capAt.Format(time.RFC3339)}
	e.idp.SetUser(users[1])
	e.browser("jonas").signIn()
	if u, _ := e.sim.User(testOrg, "demo-jonas"); u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(capAt) {
		t.Errorf("capped expiry: got %v, want %v", u.AccountExpiresAt, capAt)
	}
}

func TestExpiryClaimWithoutTTL(t *testing.T) {
	t.Parallel()
	users := idp.DemoUsers()
	e := newEnv(t, envConfig{users: users})
	capAt := e.clock.Now().Add(72 * time.Hour)
	users[0].Extra = map[string]any{"subscription_end": capAt.Unix()}
	e.idp.SetUser(users[0])
	e.browser("maya").signIn()
	if u, _ := e.sim.User(testOrg, "demo-maya"); u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(capAt) {
		t.Errorf("expiry from the claim alone: got %v, want %v", u.AccountExpiresAt, capAt)
	}
	// Without TTL or claim, no expiry is sent at all.
	e.browser("jonas").signIn()
	for _, b := range e.bodiesOf(talkiotest.EndpointCreateUser) {
		if strings.Contains(b, `"demo-jonas"`) && strings.Contains(b, "accountExpiresAt") {
			t.Errorf("create without TTL sent an expiry: %s", b)
		}
	}
}

func TestSettingsDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{options: func(o *Options) {
		o.DefaultSettings = &talkio.Settings{PracticeLanguage: talkio.Ptr("es-ES"), UILanguage: talkio.Ptr("en-GB")}
	}})
	e.browser("maya").signIn() // locale sv-SE
	bodies := e.bodiesOf(talkiotest.EndpointUpdateSettings)
	if len(bodies) != 1 {
		t.Fatalf("settings calls: got %d, want 1", len(bodies))
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(bodies[0]), &sent); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"practiceLanguage": "es-ES", "uiLanguage": "en-GB", "userLanguage": "sv-SE"}
	if len(sent) != len(want) {
		t.Errorf("settings body: got %v, want %v", sent, want)
	}
	for k, v := range want {
		if sent[k] != v {
			t.Errorf("settings %s: got %v, want %v", k, sent[k], v)
		}
	}
	if s, _ := e.sim.UserSettings(testOrg, "demo-maya"); s.PracticeLanguage != "es-ES" || s.UserLanguage != "sv-SE" {
		t.Errorf("stored settings %+v", s)
	}

	// Only once: a returning user gets no settings call.
	e.browser("maya").signIn()
	if n := e.callsTo(talkiotest.EndpointUpdateSettings); n != 1 {
		t.Errorf("settings calls after a second login: got %d, want 1", n)
	}
	// Only for new users: a user created elsewhere gets none either.
	if err := e.sim.AddUser(testOrg, talkiotest.User{ID: "demo-jonas", UserName: "Jonas Weber", UserType: "member"}); err != nil {
		t.Fatal(err)
	}
	e.browser("jonas").signIn()
	if n := e.callsTo(talkiotest.EndpointUpdateSettings); n != 1 {
		t.Errorf("settings calls after an existing user's login: got %d, want 1", n)
	}
}

func TestSettingsNothingToSend(t *testing.T) {
	t.Parallel()
	users := idp.DemoUsers()
	users[1].Locale = "not a locale!"
	e := newEnv(t, envConfig{users: users})
	e.browser("jonas").signIn()
	if n := e.callsTo(talkiotest.EndpointUpdateSettings); n != 0 {
		t.Errorf("settings calls with no defaults and an invalid locale: got %d, want 0", n)
	}
}

func TestProfileSync(t *testing.T) {
	t.Parallel()
	users := idp.DemoUsers()
	e := newEnv(t, envConfig{users: users})
	e.browser("eleanor").signIn()

	e.sim.ResetCalls()
	e.browser("eleanor").signIn()
	if n := e.callsTo(talkiotest.EndpointUpdateUser); n != 0 {
		t.Errorf("unchanged profile: %d updates, want 0", n)
	}
	if calls := e.sim.Calls(); len(calls) != 1 {
		t.Errorf("returning login with nothing to change: calls %v, want only the lookup", endpoints(calls))
	}

	users[2].Name = "Eleanor Hughes-Park"
	users[2].Phone = "+442079460999"
	e.idp.SetUser(users[2])
	e.browser("eleanor").signIn()
	bodies := e.bodiesOf(talkiotest.EndpointUpdateUser)
	if len(bodies) != 1 {
		t.Fatalf("updates: got %d, want 1", len(bodies))
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(bodies[0]), &sent); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 2 || sent["userName"] != "Eleanor Hughes-Park" || sent["phoneNumber"] != "+442079460999" {
		t.Errorf("update body: got %v, want only userName and phoneNumber", sent)
	}
	if u, _ := e.sim.User(testOrg, "demo-eleanor"); u.UserName != "Eleanor Hughes-Park" || u.Email != "eleanor.hughes@school.example" {
		t.Errorf("Talkio user after sync: %+v", u)
	}
}

func TestOrganizationRouting(t *testing.T) {
	t.Parallel()
	users := idp.DemoUsers()
	users[0].Extra = map[string]any{"org": "college"}
	users[1].Extra = map[string]any{"org": "school"}
	users[2].Extra = map[string]any{"org": "elsewhere"}
	e := newEnv(t, envConfig{
		users: users,
		orgs: []talkiotest.Organization{
			{Slug: "acme-school", Partner: testProvider},
			{Slug: "acme-college", Partner: testProvider},
		},
		options: func(o *Options) {
			o.OrganizationMap = map[string]string{"school": "acme-school", "college": "acme-college"}
		},
	})

	// Maya is also in the school already; she signs in through the college.
	if err := e.sim.AddUser("acme-school", talkiotest.User{ID: "demo-maya", UserName: "Maya Lindqvist", UserType: "member"}); err != nil {
		t.Fatal(err)
	}
	maya := e.browser("maya")
	maya.signIn()
	if _, ok := e.sim.User("acme-college", "demo-maya"); !ok {
		t.Fatal("Maya not created in acme-college")
	}
	if pref, ok := e.sim.OrganizationPreference("acme-school", "demo-maya"); !ok || pref != "acme-college" {
		t.Errorf("Maya's organization preference: got %q %v, want acme-college", pref, ok)
	}
	if got := text(findByID(t, maya.get("/").body, "profile-org")); got != "acme-college" {
		t.Errorf("home shows organization %q", got)
	}
	e.sim.ResetCalls()
	e.tokenFrom(maya.get("/open").location())
	if calls := e.sim.Calls(); len(calls) != 1 || !strings.Contains(calls[0].Path, "/organizations/acme-college/") {
		t.Errorf("Maya's token call went to %v", calls)
	}

	jonas := e.browser("jonas")
	jonas.signIn()
	if _, ok := e.sim.User("acme-school", "demo-jonas"); !ok {
		t.Error("Jonas not created in acme-school")
	}

	r := e.browser("eleanor").mustVisit("/login")
	if r.StatusCode != http.StatusForbidden || !strings.Contains(errorText(r.body), "organization") {
		t.Errorf("unmapped organization: got %d %q, want 403", r.StatusCode, errorText(r.body))
	}
}

func TestPreferenceFailureDoesNotFailLogin(t *testing.T) {
	t.Parallel()
	users := idp.DemoUsers()
	users[1].Extra = map[string]any{"org": "a"}
	e := newEnv(t, envConfig{
		users: users,
		orgs: []talkiotest.Organization{
			{Slug: "org-a", Partner: testProvider},
			{Slug: "org-b", Partner: testProvider},
		},
		options: func(o *Options) { o.OrganizationMap = map[string]string{"a": "org-a", "b": "org-b"} },
	})
	e.sim.Inject(talkiotest.EndpointSetOrgPreference, talkiotest.Fault{Status: http.StatusBadRequest})
	e.browser("jonas").signIn()
	if !strings.Contains(e.logs.String(), "set organization preference") {
		t.Error("the preference failure is not logged")
	}
}

func TestUserDeletedSinceLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()
	if err := e.talkio.DeleteUser(t.Context(), "demo-jonas"); err != nil {
		t.Fatal(err)
	}
	r := b.get("/open?template=books-literature")
	if r.StatusCode != http.StatusFound || !e.startsSignIn(r.location()) {
		t.Fatalf("deleted user's /open: got %d %q", r.StatusCode, r.location())
	}
	if findByID(t, b.get("/").body, "sign-in") == nil {
		t.Error("session not cleared")
	}
	// Signing in again recreates the user and lands in Talkio.
	r = b.mustVisit(r.location())
	if r.StatusCode != http.StatusFound {
		t.Fatalf("after signing in again: %d %s", r.StatusCode, errorText(r.body))
	}
	e.tokenFrom(r.location())
	if n := e.callsTo(talkiotest.EndpointCreateUser); n != 2 {
		t.Errorf("CreateUser calls: got %d, want 2", n)
	}
}

// TestLogout and TestCookieAttributes moved to websec_test.go (cross-origin protection replaced the CSRF cookie).

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

// With SameSite=Strict, the callback of an embed cannot redirect: browsers withhold a Strict cookie from a redirect
// that ends a cross-site chain. It answers a same-site page that moves on by itself (meta refresh, no
// script) and offers a link, and following it works.
func TestStrictCookiesContinuePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{
		options: func(o *Options) { o.CookieSameSite = http.SameSiteStrictMode },
		auth:    func(c *auth.Config) { c.SameSite = http.SameSiteStrictMode },
	})
	b := e.browser("jonas")
	r := b.mustVisit("/embed?template=books-literature")
	if r.StatusCode != http.StatusOK || r.Request.URL.Path != "/auth/callback" {
		t.Fatalf("sign-in ended at %s with %d, want the continue page at the callback", r.Request.URL, r.StatusCode)
	}
	doc := parseHTML(t, r.body)
	const want = "/embed?template=books-literature"
	refresh := findNode(doc, func(n *html.Node) bool { return n.Data == "meta" && attr(n, "http-equiv") == "refresh" })
	if refresh == nil || attr(refresh, "content") != "0;url="+want {
		t.Fatalf("continue page refresh = %v, want 0;url=%s", refresh, want)
	}
	if link := findByID(t, r.body, "continue"); link == nil || attr(link, "href") != want {
		t.Fatalf("continue link missing or wrong")
	}
	if r := b.get(want); r.StatusCode != http.StatusOK || findByID(t, r.body, "talkio-frame") == nil {
		t.Fatalf("GET %s after the continue page: %d %q", want, r.StatusCode, r.location())
	}
}
