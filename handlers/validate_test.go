package handlers

import (
	"bufio"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"talkio-gateway/talkio"
)

func TestAppPath(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		template string
		want     string
		wantErr  bool
	}{
		{name: "empty", want: ""},
		{name: "template", template: "books-literature", want: "app/chat?t=books-literature"},
		{name: "template underscore digits", template: "a_1-b", want: "app/chat?t=a_1-b"},
		{name: "template longest", template: strings.Repeat("a", 100), want: "app/chat?t=" + strings.Repeat("a", 100)},
		{name: "template too long", template: strings.Repeat("a", 101), wantErr: true},
		{name: "template upper case", template: "Books", wantErr: true},
		{name: "template leading dash", template: "-books", wantErr: true},
		{name: "template slash", template: "a/b", wantErr: true},
		{name: "template query", template: "a&path=x", wantErr: true},
		{name: "both", path: "app/chat", template: "books-literature", wantErr: true},
		{name: "plain path", path: "app/chat", want: "app/chat"},
		{name: "path with query", path: "app/chat?t=books-literature", want: "app/chat?t=books-literature"},
		{name: "path with encoded space", path: "app/search?q=a%20b", want: "app/search?q=a%20b"},
		{name: "path with dots in a name", path: "app/v1.2/x", want: "app/v1.2/x"},
		{name: "single dot segment", path: "app/./chat", want: "app/./chat"},
		{name: "longest", path: strings.Repeat("a", talkio.MaxPathLen), want: strings.Repeat("a", talkio.MaxPathLen)},
		{name: "too long", path: strings.Repeat("a", talkio.MaxPathLen+1), wantErr: true},
		{name: "10 KB", path: strings.Repeat("a/", 5<<10), wantErr: true},
		{name: "leading slash", path: "/app", wantErr: true},
		{name: "protocol relative", path: "//evil.example", wantErr: true},
		{name: "double slash inside", path: "app//evil.example", wantErr: true},
		{name: "scheme", path: "https://evil.example", wantErr: true},
		{name: "javascript", path: "javascript:alert(1)", wantErr: true},
		{name: "backslash", path: `\\evil`, wantErr: true},
		{name: "backslash inside", path: `app\evil`, wantErr: true},
		{name: "CRLF", path: "app\r\nSet-Cookie: x=1", wantErr: true},
		{name: "NUL", path: "app\x00", wantErr: true},
		{name: "tab", path: "app\tchat", wantErr: true},
		{name: "space", path: "app chat", wantErr: true},
		{name: "non-ASCII", path: "app/ché", wantErr: true},
		{name: "at sign", path: "user@evil.example", wantErr: true},
		{name: "hash", path: "app#x", wantErr: true},
		{name: "plus", path: "a+b", wantErr: true},
		{name: "dot dot", path: "..", wantErr: true},
		{name: "dot dot segment", path: "app/../admin", wantErr: true},
		{name: "dot dot in query", path: "app?x=..", wantErr: true},
		{name: "dot dot leading", path: "../admin", wantErr: true},
		{name: "encoded dot dot", path: "app/%2e%2e/admin", wantErr: true},
		{name: "encoded dot dot upper", path: "app/%2E%2E/admin", wantErr: true},
		{name: "half encoded dot dot", path: "app/.%2e/admin", wantErr: true},
		{name: "double encoded dot dot", path: "app/%252e%252e/admin", wantErr: true},
		{name: "encoded slash", path: "app%2fevil", wantErr: true},
		{name: "encoded leading slashes", path: "%2f%2fevil.example", wantErr: true},
		{name: "double encoded slash", path: "%252f%252fevil.example", wantErr: true},
		{name: "triple encoded slash", path: "%25252fevil", wantErr: true},
		{name: "four times encoded", path: "%2525252e", wantErr: true},
		{name: "encoded backslash", path: "%5cevil", wantErr: true},
		{name: "encoded colon", path: "javascript%3aalert(1)", wantErr: true},
		{name: "encoded colon only", path: "javascript%3Aalert", wantErr: true},
		{name: "encoded CR", path: "app%0d%0aSet-Cookie", wantErr: true},
		{name: "encoded NUL", path: "app%00", wantErr: true},
		{name: "encoded DEL", path: "app%7f", wantErr: true},
		{name: "encoded non-ASCII", path: "app%c3%a9", wantErr: true},
		{name: "encoded tab", path: "%09/evil", wantErr: true},
		{name: "bad escape", path: "app%zz", wantErr: true},
		{name: "truncated escape", path: "app%2", wantErr: true},
		{name: "lone percent", path: "app%", wantErr: true},
		{name: "encoded percent then safe", path: "app%2541", want: "app%2541"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := talkio.AppPath(tt.path, tt.template)
			if (err != nil) != tt.wantErr {
				t.Fatalf("talkio.AppPath(%q, %q) error = %v, wantErr %v", tt.path, tt.template, err, tt.wantErr)
			}
			if err != nil {
				var ie *talkio.LinkError
				if !errors.As(err, &ie) {
					t.Fatalf("error %T, want *talkio.LinkError", err)
				}
				if len(tt.path) > 3 && strings.Contains(ie.Problem, tt.path) {
					t.Errorf("problem %q repeats the input", ie.Problem)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

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

func TestTalkioLoginURL(t *testing.T) {
	tests := []struct {
		name string
		app  string
		tok  string
		path string
		hide bool
		want string
	}{
		{name: "no path", app: "https://app.example", tok: "t1", want: "https://app.example/authentication/partner/?token=t1"},
		{name: "template path", app: "https://app.example/", tok: "t1", path: "app/chat?t=books-literature",
			want: "https://app.example/authentication/partner/?token=t1&path=app%2Fchat%3Ft%3Dbooks-literature"},
		{name: "hide sidebar", app: "https://app.example", tok: "t1", path: "app/chat", hide: true,
			want: "https://app.example/authentication/partner/?token=t1&path=app%2Fchat&hide-chat-sidebar=true"},
		{name: "token escaped", app: "https://app.example", tok: "a+b/c=&d",
			want: "https://app.example/authentication/partner/?token=a%2Bb%2Fc%3D%26d"},
		{name: "app under a path", app: "https://example.com/talkio", tok: "t",
			want: "https://example.com/talkio/authentication/partner/?token=t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := talkio.NewLoginURL(mustParseURL(t, tt.app)).Build(tt.tok, tt.path, tt.hide)
			if got != tt.want {
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

// FuzzResolvePath checks the properties every accepted path must have, and
// that the Talkio URL built with it stays on the Talkio app's partner login
// page with the path as one escaped value.
func FuzzAppPath(f *testing.F) {
	for _, s := range []string{"", "app/chat?t=books-literature", "//evil.example", "app/%2e%2e/x", "%252f"} {
		f.Add(s, "")
	}
	f.Add("", "books-literature")
	f.Fuzz(func(t *testing.T, path, template string) {
		got, err := talkio.AppPath(path, template)
		if err != nil {
			return
		}
		checkResolvedPath(t, got)
	})
}

func checkResolvedPath(t *testing.T, got string) {
	t.Helper()
	if len(got) > talkio.MaxPathLen+len("app/chat?t=") {
		t.Fatalf("accepted %d bytes", len(got))
	}
	if strings.HasPrefix(got, "/") || strings.Contains(got, "//") || strings.ContainsAny(got, `\:@# `) {
		t.Fatalf("accepted %q", got)
	}
	// Every decoding must keep those properties and have no ".." segment.
	for s := got; ; {
		for _, seg := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("/?&=", r) }) {
			if seg == ".." {
				t.Fatalf("accepted %q: decodes to a .. segment (%q)", got, s)
			}
		}
		for _, r := range s {
			if r < 0x20 || r >= 0x7f || r == '\\' || r == ':' {
				t.Fatalf("accepted %q: decodes to %q", got, s)
			}
		}
		if strings.HasPrefix(s, "/") || strings.Contains(s, "//") {
			t.Fatalf("accepted %q: decodes to %q", got, s)
		}
		d, err := url.PathUnescape(s)
		if err != nil || d == s {
			break
		}
		s = d
	}
	app := mustParseURL(t, "https://app.partner.example")
	loc := talkio.NewLoginURL(app).Build("tok", got, true)
	checkTalkioLocation(t, loc, app.String(), got)
}

// checkTalkioLocation: loc is the Talkio app's partner login page carrying
// the wanted path as its path value.
func checkTalkioLocation(t *testing.T, loc, appURL, wantPath string) {
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

// TestAttackList feeds every line of oauth2-proxy's open-redirect list to
// both validators: an accepted value must still satisfy their invariants.
func TestAttackList(t *testing.T) {
	attacks := readAttackList(t)
	if len(attacks) < 500 {
		t.Fatalf("read %d attack lines, want the whole list", len(attacks))
	}
	var acceptedPaths []string
	for _, a := range attacks {
		if got, err := talkio.AppPath(a, ""); err == nil {
			acceptedPaths = append(acceptedPaths, got)
			checkResolvedPath(t, got)
		}
		if got, err := ValidateReturnTo(a); err == nil {
			checkReturnTo(t, got)
		}
	}
	t.Logf("ResolvePath accepts %d of %d attack strings, as harmless relative paths: %q", len(acceptedPaths), len(attacks), acceptedPaths)
}

func readAttackList(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open("testdata/openredirects.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
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
