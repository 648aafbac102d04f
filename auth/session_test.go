package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"talkio-gateway/internal/testutil"
	"testing"
	"time"
)

// fakeClock is the shared settable clock, for Config.Now.
type fakeClock = testutil.Clock

func newFakeClock() *fakeClock { return testutil.NewClock(time.Now()) }

// newOfflineAuth builds an Authenticator whose provider is never reached: enough for the session.
func newOfflineAuth(t testing.TB, configure func(*Config)) *Authenticator {
	t.Helper()
	cfg := Config{
		IssuerURL:   "http://127.0.0.1:1", // nothing listens on port 1
		ClientID:    testClientID,
		RedirectURL: "https://gateway.example/auth/callback",
		SessionKeys: [][]byte{keyA},
		minBackoff:  time.Hour, // one failed attempt, then quiet
	}
	if configure != nil {
		configure(&cfg)
	}
	a, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

func withKeys(keys ...[]byte) func(*Config) {
	return func(c *Config) { c.SessionKeys = keys }
}

var aliceSession = Session{UserID: "u-alice", Name: "Alice Teacher", Email: "alice@school.example",
	UserType: "facilitator", Organization: "demo-school"}

// saveCookie saves s and returns the session cookie the response sets.
func saveCookie(t testing.TB, a *Authenticator, s Session) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := a.SaveSession(rec, httptest.NewRequest(http.MethodGet, "/auth/callback", nil), &s); err != nil {
		t.Fatal(err)
	}
	return onlyCookie(t, rec, a.SessionCookie())
}

func onlyCookie(t testing.TB, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			if found != nil {
				t.Fatalf("cookie %s set twice", name)
			}
			found = c
		}
	}
	if found == nil {
		t.Fatalf("no cookie %s in %q", name, rec.Header().Values("Set-Cookie"))
	}
	return found
}

func load(a *Authenticator, c *http.Cookie) (*Session, error) {
	r := httptest.NewRequest(http.MethodGet, "/open", nil)
	if c != nil {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return a.LoadSession(r)
}

func TestSessionRoundTrip(t *testing.T) {
	a := newOfflineAuth(t, nil)
	c := saveCookie(t, a, aliceSession)
	got, err := load(a, c)
	if err != nil {
		t.Fatal(err)
	}
	want := aliceSession
	if got.Expires.IsZero() || time.Until(got.Expires) > defaultSessionMaxAge || time.Until(got.Expires) < defaultSessionMaxAge-time.Minute {
		t.Errorf("got expiry %v, want about now + %v", got.Expires, defaultSessionMaxAge)
	}
	want.Expires = got.Expires
	if *got != want {
		t.Errorf("got %+v, want %+v", *got, want)
	}
	// Small: the browser sends it with every request.
	if len(c.Value) > 1000 {
		t.Errorf("session cookie is %d bytes", len(c.Value))
	}
	for _, secret := range []string{"alice@school.example", "Alice"} {
		if strings.Contains(c.Value, secret) {
			t.Errorf("cookie shows %q in clear", secret)
		}
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	tests := []struct {
		name        string
		sameSite    http.SameSite
		secure      bool
		partitioned bool
	}{
		{"default is lax", 0, false, false},
		{"lax over https", http.SameSiteLaxMode, true, false},
		{"strict", http.SameSiteStrictMode, true, false},
		{"none is partitioned", http.SameSiteNoneMode, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newOfflineAuth(t, func(c *Config) {
				c.Cookies = CookiePolicy{SameSite: tt.sameSite, Secure: tt.secure, TTL: 2 * time.Hour}
			})
			wantSameSite := tt.sameSite
			if wantSameSite == 0 {
				wantSameSite = http.SameSiteLaxMode
			}
			c := saveCookie(t, a, aliceSession)
			check := func(what string, c *http.Cookie, wantMaxAge int) {
				t.Helper()
				if c.Path != "/" || !c.HttpOnly || c.Secure != tt.secure || c.SameSite != wantSameSite ||
					c.Partitioned != tt.partitioned || c.MaxAge != wantMaxAge {
					t.Errorf("%s: got %s, want Path=/ HttpOnly Secure=%t SameSite=%v Partitioned=%t Max-Age=%d",
						what, c, tt.secure, wantSameSite, tt.partitioned, wantMaxAge)
				}
			}
			check("saved", c, 7200)

			rec := httptest.NewRecorder()
			if err := a.ClearSession(rec, httptest.NewRequest(http.MethodPost, "/logout", nil)); err != nil {
				t.Fatal(err)
			}
			cleared := onlyCookie(t, rec, a.SessionCookie())
			check("cleared", cleared, -1)
			if cleared.Value != "" {
				t.Errorf("cleared cookie has a value")
			}
		})
	}
}

// Keys rotate without signing anyone out: a new key goes first, the old one stays until its cookies
// have expired.
func TestSessionKeyRotation(t *testing.T) {
	withA := newOfflineAuth(t, withKeys(keyA))
	rotated := newOfflineAuth(t, withKeys(keyB, keyA))
	onlyB := newOfflineAuth(t, withKeys(keyB))

	madeWithA := saveCookie(t, withA, aliceSession)
	if _, err := load(rotated, madeWithA); err != nil {
		t.Errorf("key A's cookie after key B was prepended: %v", err)
	}
	if _, err := load(onlyB, madeWithA); !errors.Is(err, ErrNoSession) {
		t.Errorf("key A's cookie after key A was removed: got %v, want ErrNoSession", err)
	}

	madeAfterRotation := saveCookie(t, rotated, aliceSession)
	if _, err := load(onlyB, madeAfterRotation); err != nil {
		t.Errorf("a cookie made after the rotation must use key B: %v", err)
	}
	if _, err := load(withA, madeAfterRotation); !errors.Is(err, ErrNoSession) {
		t.Errorf("a cookie made after the rotation read with key A alone: got %v, want ErrNoSession", err)
	}
}

func TestLoadSessionRefuses(t *testing.T) {
	clock := newFakeClock()
	a := newOfflineAuth(t, func(c *Config) { c.Now = clock.Now; c.Cookies.TTL = time.Hour })
	good := saveCookie(t, a, aliceSession)

	tampered := *good
	b := []byte(tampered.Value)
	b[len(b)/2] ^= 1
	tampered.Value = string(b)

	// A valid value of another cookie (the logout hint) under the session's name: the MAC covers the name.
	rec := httptest.NewRecorder()
	if err := a.SaveSession(rec, httptest.NewRequest(http.MethodGet, "/", nil), &Session{UserID: "u-1", IDToken: "x.y.z"}); err != nil {
		t.Fatal(err)
	}
	renamed := onlyCookie(t, rec, LogoutHintCookieName)
	renamed.Name = SessionCookieName

	tests := []struct {
		name    string
		cookie  *http.Cookie
		wantErr string
	}{
		{"absent", nil, "no valid session"},
		{"tampered", &tampered, "load session"},
		{"another cookie's value", renamed, "load session"},
		{"garbage", &http.Cookie{Name: SessionCookieName, Value: "not-a-session"}, "load session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := load(a, tt.cookie)
			if !errors.Is(err, ErrNoSession) || s != nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, %v; want ErrNoSession mentioning %q", s, err, tt.wantErr)
			}
		})
	}

	t.Run("expired inside, whatever the browser kept", func(t *testing.T) {
		if _, err := load(a, good); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		clock.Advance(time.Hour)
		_, err := load(a, good)
		if !errors.Is(err, ErrNoSession) || !strings.Contains(err.Error(), "expired") {
			t.Errorf("got %v, want ErrNoSession: expired", err)
		}
	})
}

func TestSaveSessionExpiry(t *testing.T) {
	clock := newFakeClock()
	a := newOfflineAuth(t, func(c *Config) { c.Now = clock.Now; c.Cookies.TTL = time.Hour })
	now := clock.Now()

	tests := []struct {
		name    string
		expires time.Time
		want    time.Time
		wantErr bool
	}{
		{name: "zero means the maximum", want: now.Add(time.Hour)},
		{name: "shorter is kept", expires: now.Add(10 * time.Minute), want: now.Add(10 * time.Minute)},
		{name: "longer is capped", expires: now.Add(48 * time.Hour), want: now.Add(time.Hour)},
		{name: "past is refused", expires: now.Add(-time.Second), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := aliceSession
			s.Expires = tt.expires
			rec := httptest.NewRecorder()
			err := a.SaveSession(rec, httptest.NewRequest(http.MethodGet, "/", nil), &s)
			if tt.wantErr {
				if err == nil || len(rec.Result().Cookies()) != 0 {
					t.Errorf("got %v and cookies %q, want an error and no cookie", err, rec.Header().Values("Set-Cookie"))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !s.Expires.Equal(tt.want) {
				t.Errorf("got Expires %v, want %v", s.Expires, tt.want)
			}
			c := onlyCookie(t, rec, SessionCookieName)
			if want := maxAgeSeconds(tt.want.Sub(now)); c.MaxAge != want {
				t.Errorf("got Max-Age %d, want %d", c.MaxAge, want)
			}
		})
	}
}

// LoadSession runs on every /open; this keeps an eye on its cost, in the current format and in the
// securecookie format before issue 12 (still read during a rollout).
func BenchmarkLoadSession(b *testing.B) {
	a := newOfflineAuth(b, nil)
	for _, tt := range []struct {
		name   string
		cookie *http.Cookie
	}{
		{"sealed", saveCookie(b, a, aliceSession)},
		{"securecookie", legacyCookie(b, a, aliceSession)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/open", nil)
			r.AddCookie(tt.cookie)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.LoadSession(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
