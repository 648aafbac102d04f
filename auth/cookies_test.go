package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every cookie the package sets — login attempt, session, logout hint, and their deletions — honours the
// configured SameSite (attempts stay Lax unless None: the provider's redirect back is cross-site), is
// Partitioned and Secure with None, and on https carries the __Host- prefix with Path=/ and no Domain.
func TestEveryCookieAttributes(t *testing.T) {
	tests := []struct {
		name     string
		sameSite http.SameSite
		secure   bool
	}{
		{"lax over http", http.SameSiteLaxMode, false},
		{"lax over https", http.SameSiteLaxMode, true},
		{"strict", http.SameSiteStrictMode, true},
		{"none", http.SameSiteNoneMode, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{configure: func(c *Config) { c.Cookies.SameSite, c.Cookies.Secure = tt.sameSite, tt.secure }})
			rec := httptest.NewRecorder()
			if _, err := e.auth.BeginLogin(rec, httptest.NewRequest(http.MethodGet, "/login", nil), "/"); err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, "/auth/callback", nil)
			if err := e.auth.SaveSession(rec, r, &Session{UserID: "u-1", IDToken: "header.payload.signature"}); err != nil {
				t.Fatal(err)
			}
			saved := rec.Result().Cookies()
			for _, c := range saved {
				r.AddCookie(c)
			}
			rec = httptest.NewRecorder()
			if err := e.auth.ClearSession(rec, r); err != nil {
				t.Fatal(err)
			}
			all := append(saved, rec.Result().Cookies()...)
			if len(saved) != 3 || len(all) != 5 {
				t.Fatalf("got %d cookies set and %d in all (%q), want attempt, session and hint, then two deletions",
					len(saved), len(all), rec.Header().Values("Set-Cookie"))
			}
			for _, c := range all {
				want := tt.sameSite
				if strings.Contains(c.Name, AttemptCookiePrefix) && want == http.SameSiteStrictMode {
					want = http.SameSiteLaxMode
				}
				if c.SameSite != want || c.Partitioned != (want == http.SameSiteNoneMode) || c.Secure != tt.secure ||
					!c.HttpOnly || c.Path != "/" || c.Domain != "" || strings.HasPrefix(c.Name, HostPrefix) != tt.secure {
					t.Errorf("got %s; want SameSite=%v, Partitioned with None, Secure=%t, HttpOnly, Path=/, no Domain, __Host- prefix=%t",
						c, want, tt.secure, tt.secure)
				}
			}
		})
	}
}

// A sibling subdomain plants its own session (the attacker signed in and copied the cookie) under the
// session's unprefixed name with Domain=parent and a longer Path, which browsers send first. On https
// the gateway reads only the __Host- cookie, which no subdomain can set, so the victim stays themself.
func TestCookieTossingIgnoredOnHTTPS(t *testing.T) {
	a := newOfflineAuth(t, func(c *Config) { c.Cookies.Secure = true })
	victim := saveCookie(t, a, aliceSession)
	attacker := saveCookie(t, a, Session{UserID: "u-mallory", Name: "Mallory"})

	r := httptest.NewRequest(http.MethodGet, "/open", nil)
	// The order a browser sends them in: longer Path first.
	r.Header.Set("Cookie", SessionCookieName+"="+attacker.Value+"; "+victim.Name+"="+victim.Value)
	s, err := a.LoadSession(r)
	if err != nil || s.UserID != "u-alice" {
		t.Fatalf("got %+v, %v; want alice's own session", s, err)
	}

	// Only the planted cookie: no session at all, not the attacker's.
	r = httptest.NewRequest(http.MethodGet, "/open", nil)
	r.Header.Set("Cookie", SessionCookieName+"="+attacker.Value)
	if s, err := a.LoadSession(r); !errors.Is(err, ErrNoSession) {
		t.Fatalf("planted cookie alone: got %+v, %v; want ErrNoSession", s, err)
	}
}

// The longest values the claim bounds let through, in the characters JSON makes longest, still make a
// session cookie that browsers keep.
func TestSessionOfLongestClaimsFits(t *testing.T) {
	a := newOfflineAuth(t, func(c *Config) { c.Cookies.Secure, c.Cookies.SameSite = true, http.SameSiteNoneMode })
	for _, fill := range []string{`"`, "\u2028", "𝄞", "<&>"} {
		repeat := func(maxBytes int) string { return strings.Repeat(fill, maxBytes/len(fill)) }
		name := truncateRunes(strings.Repeat(fill, MaxNameRunes), MaxNameRunes)
		s := Session{UserID: repeat(MaxUserIDLength), Name: name, Email: repeat(MaxEmailLength),
			UserType: "facilitator", Organization: strings.Repeat("o", 64)} // a Talkio slug, not the claim
		t.Logf("fill %q", fill)
		c := saveCookie(t, a, s)
		if n := len(c.Name) + 1 + len(c.Value); n > maxCookieBytes {
			t.Errorf("fill %q: the session cookie is %d bytes; browsers keep %d", fill, n, maxCookieBytes)
		}
		if got, err := load(a, c); err != nil || got.Name != name || got.UserID != s.UserID {
			t.Errorf("fill %q: got %+v, %v; want the session back", fill, got, err)
		}
	}
}

func TestLogoutHint(t *testing.T) {
	a := newOfflineAuth(t, func(c *Config) { c.Cookies.Secure = true })
	save := func(idToken string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		if err := a.SaveSession(rec, httptest.NewRequest(http.MethodGet, "/auth/callback", nil), &Session{UserID: "u-1", IDToken: idToken}); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	withCookies := func(cs []*http.Cookie) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/logout", nil)
		for _, c := range cs {
			r.AddCookie(c)
		}
		return r
	}

	token := "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("x", 1500) + ".sig"
	rec := save(token)
	hint := onlyCookie(t, rec, HostPrefix+LogoutHintCookieName)
	// The token's whole header segment: three letters alone turn up in random base64 now and then.
	if strings.Contains(hint.Value, "eyJhbGciOiJSUzI1NiJ9") || strings.Contains(hint.Value, "xxxxxxxx") {
		t.Error("the logout hint cookie shows the ID token in clear")
	}
	if got := a.LogoutHint(withCookies(rec.Result().Cookies())); got != token {
		t.Errorf("LogoutHint: got %.40q…, want the ID token", got)
	}
	if got := a.LogoutHint(withCookies([]*http.Cookie{{Name: hint.Name, Value: hint.Value[:len(hint.Value)-2] + "AA"}})); got != "" {
		t.Error("a tampered hint was accepted")
	}

	// Too large for a cookie (hundreds of groups in the token): none is kept, and one of an earlier
	// session is removed, so logout does not send a stale hint.
	rec = httptest.NewRecorder()
	big := "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("x", 4000) + ".sig"
	if err := a.SaveSession(rec, withCookies([]*http.Cookie{hint}), &Session{UserID: "u-1", IDToken: big}); err != nil {
		t.Fatal(err)
	}
	if c := onlyCookie(t, rec, hint.Name); c.MaxAge != -1 {
		t.Errorf("the earlier hint was not removed: %s", c)
	}
	for _, c := range rec.Result().Cookies() {
		if n := len(c.Name) + 1 + len(c.Value); n > maxCookieBytes {
			t.Errorf("cookie %s is %d bytes", c.Name, n)
		}
	}

	// ClearSession removes the hint with the session.
	rec = httptest.NewRecorder()
	if err := a.ClearSession(rec, withCookies([]*http.Cookie{hint})); err != nil {
		t.Fatal(err)
	}
	if c := onlyCookie(t, rec, hint.Name); c.MaxAge != -1 {
		t.Errorf("ClearSession left the hint: %s", c)
	}
}

// Issue: 100 parallel sign-ins with one cookie jar made 100 attempt cookies (43 KB), and the callback
// then answered 431. Now the names are a fixed set of slots, so concurrency cannot add any.
func TestAttemptCookiesBoundedUnderConcurrency(t *testing.T) {
	e := newEnv(t, envOptions{configure: func(c *Config) { c.Cookies.Secure = true }})
	jar := e.newJar()
	tb := e.newTab(jar, "alice")
	tb.start("/") // one attempt already outstanding
	names := make(chan []string, 100)
	start := make(chan struct{})
	done := make(chan struct{})
	for range 100 {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			rec := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/login", nil)
			for _, c := range tb.cookies("/login") {
				r.AddCookie(c)
			}
			if _, err := e.auth.BeginLogin(rec, r, "/"); err != nil {
				t.Error(err)
			}
			var ns []string
			for _, c := range rec.Result().Cookies() {
				ns = append(ns, c.Name)
			}
			names <- ns
		}()
	}
	close(start)
	for range 100 {
		<-done
	}
	close(names)
	distinct := map[string]bool{}
	for ns := range names {
		for _, n := range ns {
			distinct[n] = true
		}
	}
	if len(distinct) > MaxLoginAttempts {
		t.Errorf("100 parallel sign-ins set %d distinct cookies (%v); at most %d may exist", len(distinct), distinct, MaxLoginAttempts)
	}
	for n := range distinct {
		if !strings.HasPrefix(n, HostPrefix+AttemptCookiePrefix) {
			t.Errorf("unexpected cookie %s", n)
		}
	}
}

func TestTruncateRunes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"abcdef", 3, "abc"}, {"åäöü", 2, "åä"}, {"𝄞𝄞𝄞", 1, "𝄞"}, {"", 3, ""}} {
		got := truncateRunes(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("truncateRunes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// Login CSRF by tossing: the attacker starts a sign-in of their own, plants its attempt cookie in the
// victim's browser from a sibling subdomain (unprefixed name, Domain=parent, Path=/auth/callback) and
// sends the victim to the callback with the attacker's code and state. On https the planted cookie is
// not read, so the victim is not signed in as the attacker.
func TestAttemptCookieTossingIgnoredOnHTTPS(t *testing.T) {
	e := newEnv(t, envOptions{configure: func(c *Config) { c.Cookies.Secure = true }})
	rec := httptest.NewRecorder()
	authURL, err := e.auth.BeginLogin(rec, httptest.NewRequest(http.MethodGet, "/login", nil), "/")
	if err != nil {
		t.Fatal(err)
	}
	attackers := onlyCookie(t, rec, HostPrefix+AttemptCookiePrefix+"0")
	r := httptest.NewRequest(http.MethodGet, "/auth/callback?code=attackers-code&state="+url.QueryEscape(stateOf(t, authURL)), nil)
	r.Header.Set("Cookie", AttemptCookiePrefix+"0="+attackers.Value)
	if _, _, err := e.auth.FinishLogin(t.Context(), httptest.NewRecorder(), r); !errors.Is(err, ErrNoLoginAttempt) {
		t.Fatalf("got %v, want ErrNoLoginAttempt: the planted attempt must not be read", err)
	}
}
