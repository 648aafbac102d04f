package talkiotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"talkio-gateway/talkio/talkiotest"
)

type token struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
	LoginLink string `json:"loginLink"`
}

func mustToken(tb testing.TB, s *talkiotest.Server, org, id string) token {
	tb.Helper()
	r := api(tb, s, "GET", org, "/users/"+id+"/token", "")
	mustStatus(tb, r, 200)
	var tok token
	if err := json.Unmarshal(r.Body, &tok); err != nil {
		tb.Fatal(err)
	}
	return tok
}

// get fetches a URL with the client (and its cookie jar, if any).
func get(tb testing.TB, c *http.Client, u string) resp {
	tb.Helper()
	res, err := c.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// getPage fetches an HTML page and the texts of its elements with ids.
func getPage(tb testing.TB, c *http.Client, u string) (resp, map[string]string) {
	tb.Helper()
	r := get(tb, c, u)
	return r, elementTexts(tb, r.Body)
}

func TestUserToken(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	seen := map[string]bool{}
	for range 20 {
		tok := mustToken(t, s, orgA, "u1")
		if len(tok.Token) < 32 || seen[tok.Token] {
			t.Fatalf("token %q is short or repeated", tok.Token)
		}
		seen[tok.Token] = true
		if want := "2026-03-04T10:05:00.000Z"; tok.ExpiresAt != want {
			t.Errorf("expiresAt %s, want %s (now + 5m)", tok.ExpiresAt, want)
		}
		if want := s.URL + "/authentication/partner/?token=" + url.QueryEscape(tok.Token); tok.LoginLink != want {
			t.Errorf("loginLink %s, want %s", tok.LoginLink, want)
		}
	}
	if n := s.IssuedTokens(); n != 20 {
		t.Errorf("IssuedTokens %d, want 20", n)
	}
}

func TestTokenTTLOption(t *testing.T) {
	s := talkiotest.NewServer(talkiotest.Options{Provider: testProvider, APIKey: testKey, TokenTTL: time.Minute,
		Now: func() time.Time { return t0 }, AppURL: "https://app.example.test/sub/"})
	defer s.Close()
	mustAddUser(t, s, talkiotest.DefaultOrganization, userU1)
	tok := mustToken(t, s, talkiotest.DefaultOrganization, "u1")
	if tok.ExpiresAt != "2026-03-04T10:01:00.000Z" {
		t.Errorf("expiresAt %s", tok.ExpiresAt)
	}
	if !strings.HasPrefix(tok.LoginLink, "https://app.example.test/sub/authentication/partner/?token=") {
		t.Errorf("loginLink %s does not use AppURL", tok.LoginLink)
	}
}

func TestAppLogin(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, talkiotest.User{ID: "u1", UserName: "Ada <Lovelace>", UserType: "facilitator"})
	tests := []struct {
		name, extra       string
		wantPath, wantHCS string
		wantContinue      string
	}{
		{"no path", "", "", "false", "/app/dashboard"},
		{"template path", "&path=" + url.QueryEscape("app/chat?t=books-literature"), "app/chat?t=books-literature", "false", "/app/chat?t=books-literature"},
		{"path first", "&hide-chat-sidebar=true&path=app%2Fchat", "app/chat", "true", "/app/chat"},
		{"hide sidebar other value", "&hide-chat-sidebar=1", "", "false", "/app/dashboard"},
		{"path with ampersand", "&path=" + url.QueryEscape("app/chat?t=a&b=c"), "app/chat?t=a&b=c", "false", "/app/chat?t=a&b=c"},
		{"script path shown not run", "&path=" + url.QueryEscape(`<script>alert(1)</script>`), `<script>alert(1)</script>`, "false", ""},
		{"absolute path not linked", "&path=" + url.QueryEscape("https://evil.example/"), "https://evil.example/", "false", ""},
		{"dot-dot not linked", "&path=" + url.QueryEscape("app/../x"), "app/../x", "false", ""},
		{"not an app path", "&path=settings", "settings", "false", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mustToken(t, s, orgA, "u1")
			r, el := getPage(t, s.Client(), tok.LoginLink+tt.extra)
			mustStatus(t, r, 200)
			want := map[string]string{
				"user-id": "u1", "user-name": "Ada <Lovelace>", "user-type": "facilitator",
				"organization": orgA, "path": tt.wantPath, "hide-chat-sidebar": tt.wantHCS,
			}
			for id, w := range want {
				if el[id] != w {
					t.Errorf("#%s = %q, want %q", id, el[id], w)
				}
			}
			if got, want := el["href:continue"], tt.wantContinue; want != "" && got != s.URL+want || want == "" && got != "" {
				t.Errorf("continue link %q, want %q", got, want)
			}
			if strings.Contains(string(r.Body), "<script>") {
				t.Error("path not escaped")
			}
			if !strings.Contains(string(r.Body), "Talkio (simulator)") {
				t.Error("no simulator header")
			}
			for h, bad := range map[string]string{"X-Frame-Options": "", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
				if got := r.Header.Get(h); got != bad {
					t.Errorf("%s: %q, want %q", h, got, bad)
				}
			}
			if csp := r.Header.Get("Content-Security-Policy"); strings.Contains(csp, "frame-ancestors") {
				t.Errorf("CSP %q forbids framing", csp)
			}
			if len(r.Header.Values("Set-Cookie")) != 1 {
				t.Errorf("want one session cookie, got %q", r.Header.Values("Set-Cookie"))
			}
		})
	}
}

func TestAppLoginRejects(t *testing.T) {
	tests := []struct {
		name       string
		link       func(t *testing.T, s *talkiotest.Server) string
		wantReason string
	}{
		{"no token", func(t *testing.T, s *talkiotest.Server) string { return s.URL + "/authentication/partner/" }, "missing"},
		{"empty token", func(t *testing.T, s *talkiotest.Server) string { return s.URL + "/authentication/partner/?token=" }, "missing"},
		{"unknown token", func(t *testing.T, s *talkiotest.Server) string {
			return s.URL + "/authentication/partner/?token=made-up"
		}, "unknown"},
		{"used token", func(t *testing.T, s *talkiotest.Server) string {
			tok := mustToken(t, s, orgA, "u1")
			mustStatus(t, get(t, s.Client(), tok.LoginLink), 200)
			return tok.LoginLink
		}, "used"},
		{"expired token", func(t *testing.T, s *talkiotest.Server) string {
			tok := mustToken(t, s, orgA, "u1")
			s.Advance(5 * time.Minute) // expiry is exclusive: at expiresAt the token is dead
			return tok.LoginLink
		}, "expired"},
		{"user deleted", func(t *testing.T, s *talkiotest.Server) string {
			tok := mustToken(t, s, orgA, "u1")
			mustStatus(t, api(t, s, "DELETE", orgA, "/users/u1", ""), 204)
			return tok.LoginLink
		}, "inactive"},
		{"user suspended", func(t *testing.T, s *talkiotest.Server) string {
			tok := mustToken(t, s, orgA, "u1")
			mustStatus(t, api(t, s, "PUT", orgA, "/users/u1", `{"accountExpiresAt":"2026-01-01T00:00:00Z"}`), 200)
			return tok.LoginLink
		}, "inactive"},
		{"token of another simulator", func(t *testing.T, s *talkiotest.Server) string {
			other := newServer(t)
			mustAddUser(t, other, orgA, userU1)
			tok := mustToken(t, other, orgA, "u1")
			return s.URL + "/authentication/partner/?token=" + url.QueryEscape(tok.Token)
		}, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			mustAddUser(t, s, orgA, userU1)
			r, el := getPage(t, s.Client(), tt.link(t, s))
			mustStatus(t, r, http.StatusUnauthorized)
			if el["reason"] != tt.wantReason {
				t.Errorf("reason %q, want %q", el["reason"], tt.wantReason)
			}
			if _, ok := el["user-id"]; ok {
				t.Error("401 page shows a user")
			}
			if r.Header.Get("Set-Cookie") != "" {
				t.Error("401 page sets a cookie")
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
			}
		})
	}
}

// Just before expiry the token still works.
func TestAppLoginJustBeforeExpiry(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	tok := mustToken(t, s, orgA, "u1")
	s.Advance(5*time.Minute - time.Millisecond)
	mustStatus(t, get(t, s.Client(), tok.LoginLink), 200)
}

func TestAppPages(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	r, _ := getPage(t, c, s.URL+"/app/chat?t=travel")
	mustStatus(t, r, http.StatusUnauthorized)

	tok := mustToken(t, s, orgA, "u1")
	r, el := getPage(t, c, tok.LoginLink+"&path="+url.QueryEscape("app/chat?t=travel"))
	mustStatus(t, r, 200)
	cookie := r.Header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/;"} {
		if !strings.Contains(cookie+";", attr) {
			t.Errorf("cookie %q lacks %s", cookie, attr)
		}
	}
	r, el2 := getPage(t, c, el["href:continue"]+"&hide-chat-sidebar=true")
	mustStatus(t, r, 200)
	if el2["path"] != "app/chat?t=travel&hide-chat-sidebar=true" || el2["user-id"] != "u1" || el2["hide-chat-sidebar"] != "true" {
		t.Errorf("app page shows %v", el2)
	}
	// a suspended user's session ends
	s.Advance(time.Hour)
	mustStatus(t, api(t, s, "PUT", orgA, "/users/u1", `{"accountExpiresAt":"2026-03-04T10:30:00Z"}`), 200)
	r, el = getPage(t, c, s.URL+"/app")
	mustStatus(t, r, http.StatusUnauthorized)
	if el["reason"] != "no-session" {
		t.Errorf("reason %q", el["reason"])
	}
}

// A Handler mounted under a prefix with http.StripPrefix makes links under that prefix.
func TestMountedUnderPrefix(t *testing.T) {
	h := talkiotest.NewHandler(talkiotest.Options{Provider: testProvider, APIKey: testKey})
	mux := http.NewServeMux()
	mux.Handle("/_talkio/", http.StripPrefix("/_talkio", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if err := h.AddUser(talkiotest.DefaultOrganization, userU1); err != nil {
		t.Fatal(err)
	}
	tokenURL := srv.URL + "/_talkio" + talkiotest.APIPrefix + talkiotest.DefaultOrganization + "/users/u1/token"

	tests := []struct {
		name     string
		hdr      map[string]string
		wantBase string
	}{
		{"derived from StripPrefix", nil, srv.URL + "/_talkio"},
		{"forwarded headers", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "gw.example, proxy", "X-Forwarded-Prefix": "/tutor/"}, "https://gw.example/tutor"},
		{"forwarded proto junk ignored", map[string]string{"X-Forwarded-Proto": "gopher"}, srv.URL + "/_talkio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tokenURL, nil)
			req.Header.Set("x-provider", testProvider)
			req.Header.Set("x-api-key", testKey)
			for k, v := range tt.hdr {
				req.Header.Set(k, v)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var tok token
			if err := json.NewDecoder(res.Body).Decode(&tok); err != nil {
				t.Fatal(err)
			}
			if want := tt.wantBase + "/authentication/partner/?token="; !strings.HasPrefix(tok.LoginLink, want) {
				t.Fatalf("loginLink %s, want prefix %s", tok.LoginLink, want)
			}
		})
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	req, _ := http.NewRequest("GET", tokenURL, nil)
	req.Header.Set("x-provider", testProvider)
	req.Header.Set("x-api-key", testKey)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok token
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	r, el := getPage(t, c, tok.LoginLink+"&path=app%2Fhome")
	mustStatus(t, r, 200)
	if !strings.Contains(r.Header.Get("Set-Cookie"), "Path=/_talkio/") {
		t.Errorf("cookie %q not scoped to the mount", r.Header.Get("Set-Cookie"))
	}
	if want := srv.URL + "/_talkio/app/home"; el["href:continue"] != want {
		t.Errorf("continue %q, want %q", el["href:continue"], want)
	}
	r, el = getPage(t, c, el["href:continue"])
	mustStatus(t, r, 200)
	if el["path"] != "app/home" {
		t.Errorf("app page path %q", el["path"])
	}
}

// Over TLS the link is https and the session cookie Secure.
func TestTLSLinks(t *testing.T) {
	h := talkiotest.NewHandler(talkiotest.Options{Provider: testProvider, APIKey: testKey})
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	_ = h.AddUser(talkiotest.DefaultOrganization, userU1)
	req, _ := http.NewRequest("GET", srv.URL+talkiotest.APIPrefix+talkiotest.DefaultOrganization+"/users/u1/token", nil)
	req.Header.Set("x-provider", testProvider)
	req.Header.Set("x-api-key", testKey)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok token
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if !strings.HasPrefix(tok.LoginLink, srv.URL+"/authentication/partner/") || !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("loginLink %s", tok.LoginLink)
	}
	r := get(t, srv.Client(), tok.LoginLink)
	mustStatus(t, r, 200)
	if !strings.Contains(r.Header.Get("Set-Cookie"), "Secure") {
		t.Errorf("cookie %q not Secure", r.Header.Get("Set-Cookie"))
	}
}

// TestAppPortal: with PortalURL (demo mode) every stand-in page — signed in, app page, refused link —
// carries the demo banner and a link back to the portal; without it, neither; inside a frame neither
// either, since the framing page has both.
func TestAppPortal(t *testing.T) {
	for _, portal := range []string{"https://portal.example.test/", ""} {
		s := talkiotest.NewServer(talkiotest.Options{Provider: testProvider, APIKey: testKey, PortalURL: portal})
		t.Cleanup(s.Close)
		mustAddUser(t, s, talkiotest.DefaultOrganization, userU1)
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		tok := mustToken(t, s, talkiotest.DefaultOrganization, "u1")
		_, signedIn := getPage(t, c, tok.LoginLink)
		_, appPage := getPage(t, c, signedIn["href:continue"])
		_, refused := getPage(t, c, tok.LoginLink) // used twice
		for name, el := range map[string]map[string]string{"sign-in": signedIn, "app page": appPage, "refused": refused} {
			_, banner := el["demo-banner"]
			if banner != (portal != "") || el["href:back-to-portal"] != portal {
				t.Errorf("PortalURL %q, %s page: banner %v, back link %q", portal, name, banner, el["href:back-to-portal"])
			}
		}
		tok = mustToken(t, s, talkiotest.DefaultOrganization, "u1")
		req, _ := http.NewRequest(http.MethodGet, tok.LoginLink, nil)
		req.Header.Set("Sec-Fetch-Dest", "iframe")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		el := elementTexts(t, body)
		if _, banner := el["demo-banner"]; el["user-id"] != "u1" || banner || el["href:back-to-portal"] != "" {
			t.Errorf("PortalURL %q, framed page: user %q, banner %v, back link %q, want u1 and neither", portal, el["user-id"], banner, el["href:back-to-portal"])
		}
	}
}
