package spec

import (
	"errors"
	"net/url"
	"strings"
	"talkio-gateway/internal/testutil/attacklist"
	"testing"
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
		{name: "longest", path: strings.Repeat("a", MaxPathLen), want: strings.Repeat("a", MaxPathLen)},
		{name: "too long", path: strings.Repeat("a", MaxPathLen+1), wantErr: true},
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
			got, err := AppPath(tt.path, tt.template)
			if (err != nil) != tt.wantErr {
				t.Fatalf("AppPath(%q, %q) error = %v, wantErr %v", tt.path, tt.template, err, tt.wantErr)
			}
			if err != nil {
				var ie *LinkError
				if !errors.As(err, &ie) {
					t.Fatalf("error %T, want *LinkError", err)
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

func TestLoginURL(t *testing.T) {
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
			got := NewLoginURL(mustParseURL(t, tt.app)).Build(tt.tok, tt.path, tt.hide)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzAppPath checks the properties every accepted path must have, and that the login URL built with
// it stays on the Talkio app's partner login page with the path as one escaped value. The seeds under
// testdata/fuzz/FuzzAppPath run in every plain go test.
func FuzzAppPath(f *testing.F) {
	for _, s := range []string{"", "app/chat?t=books-literature", "//evil.example", "app/%2e%2e/x", "%252f"} {
		f.Add(s, "")
	}
	f.Add("", "books-literature")
	f.Fuzz(func(t *testing.T, path, template string) {
		got, err := AppPath(path, template)
		if err != nil {
			var le *LinkError
			if !errors.As(err, &le) || le.Problem == "" {
				t.Fatalf("error %v is not a *LinkError with a problem", err)
			}
			return
		}
		checkStaysInApp(t, got)
	})
}

// checkStaysInApp: an accepted path, as given and under every percent-decoding, is relative, has no
// "//", "..", backslash, colon, control or non-ASCII byte, and the login URL built with it is the
// Talkio app's partner login page carrying exactly that path.
func checkStaysInApp(t *testing.T, got string) {
	t.Helper()
	if len(got) > MaxPathLen+len("app/chat?t=") {
		t.Fatalf("accepted %d bytes", len(got))
	}
	if strings.HasPrefix(got, "/") || strings.Contains(got, "//") || strings.ContainsAny(got, `\:@# `) {
		t.Fatalf("accepted %q", got)
	}
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
	const app = "https://app.partner.example"
	loc := NewLoginURL(mustParseURL(t, app)).Build("tok", got, true)
	if !strings.HasPrefix(loc, app+"/authentication/partner/?") {
		t.Fatalf("login URL %q leaves %s/authentication/partner/", loc, app)
	}
	u := mustParseURL(t, loc)
	if u.Host != "app.partner.example" || u.Path != "/authentication/partner/" || u.Fragment != "" || u.User != nil {
		t.Fatalf("login URL %q leaves the login page", loc)
	}
	want := 3 // token, path, hide-chat-sidebar
	if got == "" {
		want = 2 // the dashboard: no path
	}
	if q := u.Query(); q.Get("path") != got || q.Get("token") != "tok" || q.Get("hide-chat-sidebar") != "true" || len(q) != want {
		t.Fatalf("login URL %q: query %v, want token, path %q and hide-chat-sidebar", loc, q, got)
	}
}

// attacksRefused is how many lines of the attack list (internal/testutil/attacklist) AppPath refuses. The others are
// harmless relative paths inside the app (checkStaysInApp proves it for each): the empty line (the
// dashboard) and ".localdomain.pw". A change of this number is a change of the rule: look at it.
const attacksRefused = 557

// TestAppPathAttackList feeds every line of oauth2-proxy's open-redirect list (559 lines, the first
// empty) to AppPath as a path.
func TestAppPathAttackList(t *testing.T) {
	attacks := attacklist.Lines()
	if len(attacks) != attacklist.Len {
		t.Fatalf("read %d lines, want the whole list of %d", len(attacks), attacklist.Len)
	}
	refused := 0
	for _, a := range attacks {
		got, err := AppPath(a, "")
		if err != nil {
			refused++
			continue
		}
		checkStaysInApp(t, got)
	}
	if refused != attacksRefused {
		t.Errorf("refused %d of %d attack lines, want %d", refused, len(attacks), attacksRefused)
	}
}

func mustParseURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}
