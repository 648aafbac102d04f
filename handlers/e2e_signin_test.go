package handlers

// Sign-in journeys end to end: first login, returning users, templates, the embed page.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"talkio-gateway/internal/testutil"
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
	if got := testutil.Text(testutil.ByID(t, home.body, "profile-name")); got != "Eleanor Hughes" {
		t.Errorf("profile name: got %q", got)
	}
	if got := testutil.Text(testutil.ByID(t, home.body, "profile-type")); got != "member" {
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
	if app.StatusCode != http.StatusOK || testutil.Text(testutil.ByID(t, app.body, "user-id")) != "demo-jonas" {
		t.Errorf("Talkio app page: got %d %q", app.StatusCode, testutil.Text(testutil.ByID(t, app.body, "reason")))
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
	if got := testutil.Text(testutil.ByID(t, app.body, "path")); got != "app/chat?t=books-literature" {
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
			doc := testutil.ParseHTML(t, r.body)
			frame := testutil.FindNode(doc, func(n *html.Node) bool { return n.Data == "iframe" })
			if frame == nil {
				t.Fatal("no iframe")
			}
			if got := testutil.Attr(frame, "id"); got != "talkio-frame" {
				t.Errorf("iframe id: got %q", got)
			}
			if got := testutil.Attr(frame, "allow"); got != "microphone; screen-wake-lock" {
				t.Errorf("iframe allow: got %q", got)
			}
			if got := testutil.Attr(frame, "title"); got != "Talkio tutor" {
				t.Errorf("iframe title: got %q", got)
			}
			src := testutil.Attr(frame, "src")
			e.tokenFrom(src)
			q := mustParseURL(t, src).Query()
			if q.Get("path") != tt.wantPath {
				t.Errorf("iframe path: got %q, want %q", q.Get("path"), tt.wantPath)
			}
			if got := q.Get("hide-chat-sidebar") == "true"; got != tt.wantHide {
				t.Errorf("hide-chat-sidebar: got %v, want %v (src %s)", got, tt.wantHide, src)
			}
			link := testutil.FindNode(doc, func(n *html.Node) bool { return testutil.Attr(n, "id") == "open-new-tab" })
			if link == nil || testutil.Attr(link, "href") != tt.wantNewTab || testutil.Attr(link, "target") != "_blank" || testutil.Attr(link, "rel") != "noopener" {
				t.Errorf("new-tab link: got %v", link)
			} else if testutil.Text(link) != "Open in a new tab" {
				t.Errorf("new-tab link text %q", testutil.Text(link))
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
