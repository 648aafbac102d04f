package cli

import (
	"bufio"
	"net/url"
	"os"
	"strings"
	"testing"
)

func TestAppPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, template string
		want                 string
		wantErr              bool
	}{
		{name: "none", want: ""},
		{name: "template", template: "books-literature", want: "app/chat?t=books-literature"},
		{name: "template underscore", template: "Job_Interview2", want: "app/chat?t=Job_Interview2"},
		{name: "path", path: "app/chat?t=books-literature", want: "app/chat?t=books-literature"},
		{name: "path with escape", path: "app/search?q=a%20b&x=1", want: "app/search?q=a%20b&x=1"},
		{name: "single dots", path: "app/./v1.2/x", want: "app/./v1.2/x"},
		{name: "both", path: "app", template: "x", wantErr: true},
		{name: "template with slash", template: "a/b", wantErr: true},
		{name: "template with query", template: "a&x=1", wantErr: true},
		{name: "template leading dash", template: "-x", wantErr: true},
		{name: "template too long", template: strings.Repeat("a", 129), wantErr: true},
		{name: "absolute", path: "/app", wantErr: true},
		{name: "protocol relative", path: "//evil.example", wantErr: true},
		{name: "double slash inside", path: "app//evil", wantErr: true},
		{name: "scheme", path: "https://evil.example", wantErr: true},
		{name: "javascript", path: "javascript:alert(1)", wantErr: true},
		{name: "backslash", path: `app\evil`, wantErr: true},
		{name: "dotdot", path: "app/../x", wantErr: true},
		{name: "dotdot alone", path: "..", wantErr: true},
		{name: "control", path: "app\nx", wantErr: true},
		{name: "tab", path: "app\tx", wantErr: true},
		{name: "space", path: "app x", wantErr: true},
		{name: "encoded slashes", path: "%2f%2fevil.example", wantErr: true},
		{name: "encoded backslash", path: "app%5cevil", wantErr: true},
		{name: "encoded control", path: "app%0aevil", wantErr: true},
		{name: "encoded dotdot", path: "app/%2e%2e/x", wantErr: true},
		{name: "encoded scheme", path: "javascript%3aalert(1)", wantErr: true},
		{name: "double encoded", path: "%252f%252fevil", wantErr: true},
		{name: "deeply encoded", path: "%25252525252f", wantErr: true},
		{name: "bad escape", path: "app%zz", wantErr: true},
		{name: "too long", path: strings.Repeat("a", maxPathLen+1), wantErr: true},
		{name: "max length", path: strings.Repeat("a", maxPathLen), want: strings.Repeat("a", maxPathLen)},
		{name: "unicode", path: "app/ü", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appPath(tt.path, tt.template)
			if (err != nil) != tt.wantErr {
				t.Fatalf("appPath(%q, %q) error = %v, wantErr %v", tt.path, tt.template, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("appPath = %q, want %q", got, tt.want)
			}
		})
	}
}

// staysInApp reports whether path, appended to the app origin the way the
// Talkio app might (raw or decoded), still points at that origin.
func staysInApp(path string) bool {
	const origin = "https://app.example.com/"
	forms := []string{path}
	if d, err := url.PathUnescape(path); err == nil {
		forms = append(forms, d)
	}
	for _, f := range forms {
		u, err := url.Parse(origin + f)
		if err != nil || u.Scheme != "https" || u.Host != "app.example.com" || u.User != nil {
			return false
		}
		if strings.ContainsAny(f, "\\:") || strings.Contains(f, "//") || strings.HasPrefix(f, "/") {
			return false
		}
	}
	return true
}

// TestAppPathOpenRedirects feeds every attack string of the shared list to
// the path rule: whatever is accepted must stay inside the Talkio app.
func TestAppPathOpenRedirects(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../shared/testdata/openredirects.txt")
	if err != nil {
		t.Skipf("attack list not available: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, accepted := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		n++
		p, err := appPath(line, "")
		if err != nil {
			continue
		}
		accepted++
		if !staysInApp(p) {
			t.Errorf("accepted %q, which leaves the app", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 500 {
		t.Errorf("read %d attack strings, want the whole list", n)
	}
	t.Logf("%d attack strings, %d accepted as harmless relative paths", n, accepted)
}

func FuzzAppPath(f *testing.F) {
	for _, s := range []string{"app/chat?t=x", "//evil", "%2f%2f", "app/%2e%2e/", "a%252f%252f", `\\x`, "app?x=https://e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		p, err := appPath(path, "")
		if err != nil || p == "" {
			return
		}
		if !staysInApp(p) {
			t.Errorf("accepted %q, which leaves the app", path)
		}
	})
}

func TestLoginLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		fromAPI, appURL, token string
		path                   string
		want                   string
		wantErr                bool
	}{
		{name: "api link", fromAPI: "https://app.example/authentication/partner/?token=T1", token: "T1",
			want: "https://app.example/authentication/partner/?token=T1"},
		{name: "api link with path", fromAPI: "https://app.example/authentication/partner/?token=T1", token: "T1",
			path: "app/chat?t=x&y=1", want: "https://app.example/authentication/partner/?path=app%2Fchat%3Ft%3Dx%26y%3D1&token=T1"},
		{name: "api link without token", fromAPI: "https://app.example/authentication/partner/", token: "T 2",
			want: "https://app.example/authentication/partner/?token=T+2"},
		{name: "app url fallback", appURL: "https://app.example/", token: "T3", path: "app",
			want: "https://app.example/authentication/partner/?path=app&token=T3"},
		{name: "bad api link", fromAPI: "javascript:alert(1)", token: "T", wantErr: true},
		{name: "relative api link", fromAPI: "/authentication/partner/?token=T", token: "T", wantErr: true},
		{name: "bad app url", appURL: "not a url", token: "T", wantErr: true},
		{name: "nothing", token: "T", wantErr: true},
		{name: "no token", appURL: "https://app.example", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loginLink(tt.fromAPI, tt.appURL, tt.token, tt.path)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
