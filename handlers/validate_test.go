package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"talkio-gateway/cli"
	"talkio-gateway/internal/testutil/attacklist"
)

// The tutor-link rule itself (AppPath, the login URL) is tested where it lives, in talkio/spec.

func TestValidateReturnTo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "empty", in: "", want: "/"},
		{name: "home", in: "/", want: "/"},
		{name: "open", in: "/open", want: "/open"},
		{name: "open with template", in: "/open?template=books-literature", want: "/open?template=books-literature"},
		{name: "embed with path", in: "/embed?hide_chat_sidebar=true&path=app%2Fchat", want: "/embed?hide_chat_sidebar=true&path=app%2Fchat"},
		{name: "home with query", in: "/?x=1", want: "/?x=1"},
		{name: "other local page", in: "/logout", wantErr: true},
		{name: "login loop", in: "/login?return_to=/open", wantErr: true},
		{name: "callback", in: "/auth/callback", wantErr: true},
		{name: "trailing slash", in: "/open/", wantErr: true},
		{name: "relative", in: "open", wantErr: true},
		{name: "protocol relative", in: "//evil.example", wantErr: true},
		{name: "protocol relative path", in: "//evil.example/open", wantErr: true},
		{name: "backslash", in: `/\evil.example`, wantErr: true},
		{name: "double backslash", in: `\\evil`, wantErr: true},
		{name: "absolute", in: "https://evil.example/", wantErr: true},
		{name: "javascript", in: "javascript:alert(1)", wantErr: true},
		{name: "encoded slash", in: "/%2f%2fevil.example", wantErr: true},
		{name: "encoded backslash", in: "/%5cevil.example", wantErr: true},
		{name: "encoded open", in: "/%6fpen", wantErr: true},
		{name: "tab", in: "/\t/evil.example", wantErr: true},
		{name: "CRLF", in: "/open\r\nSet-Cookie:x", wantErr: true},
		{name: "space", in: "/open x", wantErr: true},
		{name: "fragment", in: "/open#x", wantErr: true},
		{name: "non-ASCII", in: "/open?x=é", wantErr: true},
		{name: "malformed query", in: "/open?x=%zz", wantErr: true},
		{name: "semicolon query", in: "/open?x=1;y=2", wantErr: true},
		{name: "too long", in: "/open?x=" + strings.Repeat("a", maxReturnToLen), wantErr: true},
		{name: "dot segments", in: "/x/../open", wantErr: true},
		{name: "at sign authority", in: "/@evil.example", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateReturnTo(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ValidateReturnTo(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseTutorLink(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		wantPath string
		wantHide bool
		wantOpen string
		wantErr  bool
	}{
		{name: "none", query: "", wantOpen: "/open"},
		{name: "template", query: "template=books-literature", wantPath: "app/chat?t=books-literature", wantOpen: "/open?template=books-literature"},
		{name: "path encoded", query: "path=app%2Fchat%3Ft%3Dx", wantPath: "app/chat?t=x", wantOpen: "/open?path=app%2Fchat%3Ft%3Dx"},
		{name: "hide", query: "template=x&hide_chat_sidebar=true", wantPath: "app/chat?t=x", wantHide: true,
			wantOpen: "/open?hide_chat_sidebar=true&template=x"},
		{name: "hide false", query: "hide_chat_sidebar=false", wantOpen: "/open"},
		{name: "unknown params dropped", query: "utm_source=mail&template=x", wantPath: "app/chat?t=x", wantOpen: "/open?template=x"},
		{name: "hide other", query: "hide_chat_sidebar=yes", wantErr: true},
		{name: "hide twice", query: "hide_chat_sidebar=true&hide_chat_sidebar=true", wantErr: true},
		{name: "path twice", query: "path=a&path=b", wantErr: true},
		{name: "both", query: "path=a&template=b", wantErr: true},
		{name: "malformed", query: "path=%zz", wantErr: true},
		{name: "semicolon", query: "path=a;b", wantErr: true},
		{name: "hostile path", query: "path=%2F%2Fevil.example", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := parseTutorLink(tt.query)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseTutorLink(%q) error = %v, wantErr %v", tt.query, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if l.path != tt.wantPath || l.hideChatSidebar != tt.wantHide {
				t.Errorf("got path %q hide %v, want %q %v", l.path, l.hideChatSidebar, tt.wantPath, tt.wantHide)
			}
			if got := l.localURL("/open"); got != tt.wantOpen {
				t.Errorf("local URL got %q, want %q", got, tt.wantOpen)
			}
			if _, err := ValidateReturnTo(l.localURL("/embed")); err != nil {
				t.Errorf("its return_to is refused: %v", err)
			}
		})
	}
}

// checkTalkioLocation: loc is the Talkio app's partner login page carrying
// the wanted path as its path value.
func checkTalkioLocation(t testing.TB, loc, appURL, wantPath string) {
	t.Helper()
	if !strings.HasPrefix(loc, appURL+"/authentication/partner/?") {
		t.Fatalf("Location %q leaves %s/authentication/partner/", loc, appURL)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("Location %q: %v", loc, err)
	}
	if u.Path != "/authentication/partner/" || u.Fragment != "" || u.User != nil {
		t.Fatalf("Location %q: path %q", loc, u.Path)
	}
	if wantPath != "" && u.Query().Get("path") != wantPath {
		t.Fatalf("Location %q: path value %q, want %q", loc, u.Query().Get("path"), wantPath)
	}
}

// FuzzValidateReturnTo checks that an accepted return_to is always a page of
// this gateway: resolved against the gateway's URL it stays on its host.
func FuzzValidateReturnTo(f *testing.F) {
	for _, s := range []string{"", "/", "/open?template=books-literature", "//evil.example", `/\evil`, "/%2f%2fx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ValidateReturnTo(in)
		if err != nil {
			return
		}
		checkReturnTo(t, got)
	})
}

func checkReturnTo(t *testing.T, got string) {
	t.Helper()
	if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t #") {
		t.Fatalf("accepted %q", got)
	}
	base := mustParseURL(t, "https://gateway.example/")
	ref, err := url.Parse(got)
	if err != nil {
		t.Fatalf("accepted unparsable %q: %v", got, err)
	}
	r := base.ResolveReference(ref)
	if r.Host != base.Host || r.Scheme != base.Scheme || r.User != nil {
		t.Fatalf("accepted %q: resolves to %s", got, r)
	}
	if !returnToPaths[r.Path] {
		t.Fatalf("accepted %q: page %q", got, r.Path)
	}
}

// TestAttackListReturnTo feeds every line of oauth2-proxy's open-redirect list
// to ValidateReturnTo: only two are accepted, the gateway's home page with a
// query of harmless parameters, and they resolve to a page of this gateway.
// (The same list against the tutor-link rule: talkio/spec's TestAppPathAttackList.)
func TestAttackListReturnTo(t *testing.T) {
	attacks := readAttackList()
	if len(attacks) < 500 {
		t.Fatalf("read %d attack lines, want the whole list", len(attacks))
	}
	accepted := 0
	for _, a := range attacks {
		if got, err := ValidateReturnTo(a); err == nil {
			accepted++
			checkReturnTo(t, got)
		}
	}
	if accepted != 2 {
		t.Errorf("accepted %d of %d attack lines, want 2", accepted, len(attacks))
	}
}

// readAttackList is the attack list without its empty line, which is no attack (an absent return-to or
// path), so the counts below are of the attacks alone.
func readAttackList() []string {
	var lines []string
	for _, l := range attacklist.Lines() {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func mustParseURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// TestTutorLinkVerdicts: the same path/template inputs go to the real /open
// and /embed routes of a gateway with a signed-in session, to parseTutorLink
// (what those routes run), and to "users link" (cli.Run against the same
// simulator); all must accept or refuse alike, and an accepted input must
// reach the Talkio app as the same path. It lives here, in package handlers,
// because cli does not import handlers, so this test can import cli.
func TestTutorLinkVerdicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()
	users := e.sim.Users(testOrg)
	if len(users) != 1 {
		t.Fatalf("%d users after one sign-in", len(users))
	}
	userID := users[0].ID

	type input struct{ path, template string }
	// Few accepted inputs: each mints two tokens through the routes.
	routed := []input{
		{},
		{template: "books-literature"},
		{path: "app/chat?t=travel&x=%20y"},
		{template: "Books"},                 // refused by /open, accepted by the CLI's old copy
		{path: "app/notes..txt"},            // accepted by /open, refused by the CLI's old copy
		{template: "a_b", path: "app/chat"}, // both
		{path: "//evil.example"},
		{path: "https://evil.example"},
		{path: "app/../../x"},
		{path: "%2f%2fevil.example"},
		{path: "app/%252e%252e/x"},
		{path: `app\evil`},
		{path: "app\r\nx"},
		{path: strings.Repeat("a", 513)},
		{template: strings.Repeat("a", 101)},
		{template: "a b"},
	}
	all := slices.Clone(routed)
	for _, a := range readAttackList() {
		all = append(all, input{path: a})
	}

	cliLink := func(in input) (accepted bool, path string) {
		t.Helper()
		args := []string{"users", "link", userID}
		if in.path != "" {
			args = append(args, "--path", in.path)
		}
		if in.template != "" {
			args = append(args, "--template", in.template)
		}
		var stdout, stderr strings.Builder
		switch code := cli.Run(context.Background(), cli.Env{Client: e.talkio, AppURL: e.sim.URL, Stdout: &stdout, Stderr: &stderr}, args); code {
		case cli.ExitOK:
			loc := strings.TrimSpace(stdout.String())
			checkTalkioLocation(t, loc, e.sim.URL, "")
			return true, mustParseURL(t, loc).Query().Get("path")
		case cli.ExitUsage:
			return false, ""
		default:
			t.Fatalf("users link %q: exit %d: %s", args[3:], code, stderr.String())
		}
		return false, ""
	}
	query := func(in input) string {
		q := url.Values{}
		if in.path != "" {
			q.Set("path", in.path)
		}
		if in.template != "" {
			q.Set("template", in.template)
		}
		return q.Encode()
	}

	accepted := 0
	for i, in := range all {
		l, err := parseTutorLink(query(in))
		cliOK, cliPath := cliLink(in)
		if cliOK {
			accepted++
		}
		if (err == nil) != cliOK {
			t.Errorf("%+v: parseTutorLink error %v, users link accepted %v", in, err, cliOK)
			continue
		}
		if cliOK && cliPath != l.path {
			t.Errorf("%+v: users link gives path %q, the routes %q", in, cliPath, l.path)
		}
		if i >= len(routed) {
			continue
		}
		open := b.get("/open?" + query(in))
		embed := b.get("/embed?" + query(in))
		switch {
		case cliOK && open.StatusCode == http.StatusFound && embed.StatusCode == http.StatusOK:
			checkTalkioLocation(t, open.location(), e.sim.URL, "")
			if got := mustParseURL(t, open.location()).Query().Get("path"); got != cliPath {
				t.Errorf("%+v: /open gives path %q, users link %q", in, got, cliPath)
			}
		case !cliOK && open.StatusCode == http.StatusBadRequest && embed.StatusCode == http.StatusBadRequest:
		default:
			t.Errorf("%+v: users link accepted %v, /open %d, /embed %d", in, cliOK, open.StatusCode, embed.StatusCode)
		}
	}
	// The first four routed inputs and one line of the attack list
	// (".localdomain.pw"; readAttackList skips the empty one) are harmless;
	// everything else is refused everywhere.
	if accepted != 5 {
		t.Errorf("%d of %d inputs accepted, want 5", accepted, len(all))
	}
}

// tutorLinkParams is url.ParseQuery for the link's three parameters: the
// same verdict on every query, and the same first value and count of each.
func FuzzTutorLinkParams(f *testing.F) {
	for _, seed := range []string{
		"", "template=books-literature&hide_chat_sidebar=true", "path=%2Fx&path=y", "a=1;b=2",
		"template=%zz", "&&template=a&", "path", "path=a+b%20c&template=", "%70ath=x", "hide_chat_sidebar=true&x=%",
		strings.Repeat("x=1&", 40) + "template=a",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		first, n, err := tutorLinkParams(query)
		q, wantErr := url.ParseQuery(query)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, url.ParseQuery's %v", query, err, wantErr)
		}
		if err != nil {
			return
		}
		for i, k := range tutorLinkKeys {
			if n[i] != len(q[k]) || first[i] != q.Get(k) {
				t.Errorf("%q: %s: %d× %q, url.ParseQuery %d× %q", query, k, n[i], first[i], len(q[k]), q.Get(k))
			}
		}
	})
}
