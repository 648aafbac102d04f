package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
)

// legacyCookie seals s the way the gateway did before issue 12 (securecookie: AES-CTR, HMAC-SHA256,
// JSON), with the legacy codecs a builds from its keys, first key first.
func legacyCookie(t testing.TB, a *Authenticator, s Session) *http.Cookie {
	t.Helper()
	legacy := a.store.Codecs[1:]
	if len(legacy) == 0 {
		t.Fatal("no legacy codecs")
	}
	if _, ok := legacy[0].(*securecookie.SecureCookie); !ok {
		t.Fatalf("codec after the sealer is %T, want securecookie", legacy[0])
	}
	v := sessionValue{UserID: s.UserID, Name: s.Name, Email: s.Email, UserType: s.UserType,
		Organization: s.Organization, Expires: a.now().Add(time.Hour).Unix()}
	value, err := securecookie.EncodeMulti(a.sessionName, map[any]any{sessionValueKey: v}, legacy...)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: a.sessionName, Value: value}
}

func TestSessionCookieFormat(t *testing.T) {
	a := newOfflineAuth(t, nil)
	c := saveCookie(t, a, aliceSession)
	if !strings.HasPrefix(c.Value, sessionFormatPrefix) {
		t.Fatalf("new cookie %q lacks the prefix %q", c.Value, sessionFormatPrefix)
	}
	// Nonce (12) + issue time (8) + payload + tag (16), base64url without padding: half the old
	// format's size for the same session (164 against 328 bytes for aliceSession).
	if len(c.Value) > 200 {
		t.Errorf("session cookie is %d bytes", len(c.Value))
	}
	// A fresh nonce each time: the same session never seals to the same value.
	if again := saveCookie(t, a, aliceSession); again.Value == c.Value {
		t.Error("two seals of one session gave the same value")
	}
}

// A rollout signs no one out: cookies of the securecookie format are still read, with every key, and
// the next save writes the new format.
func TestSessionLegacyCookieReadable(t *testing.T) {
	withA := newOfflineAuth(t, withKeys(keyA))
	old := legacyCookie(t, withA, aliceSession)
	if strings.HasPrefix(old.Value, sessionFormatPrefix) {
		t.Fatalf("legacy value %q has the new prefix", old.Value)
	}
	got, err := load(withA, old)
	if err != nil {
		t.Fatalf("legacy cookie: %v", err)
	}
	if got.UserID != aliceSession.UserID || got.Email != aliceSession.Email || got.Organization != aliceSession.Organization {
		t.Errorf("legacy cookie read as %+v", got)
	}
	rotated := newOfflineAuth(t, withKeys(keyB, keyA))
	if _, err := load(rotated, old); err != nil {
		t.Errorf("legacy cookie of key A after key B was prepended: %v", err)
	}
	if _, err := load(newOfflineAuth(t, withKeys(keyB)), old); !errors.Is(err, ErrNoSession) {
		t.Errorf("legacy cookie of key A after key A was removed: got %v, want ErrNoSession", err)
	}

	tampered := *old
	b := []byte(tampered.Value)
	b[len(b)/2] ^= 1
	tampered.Value = string(b)
	if _, err := load(withA, &tampered); !errors.Is(err, ErrNoSession) {
		t.Errorf("tampered legacy cookie: got %v, want ErrNoSession", err)
	}
}

func TestSessionSealedRefuses(t *testing.T) {
	clock := newFakeClock()
	a := newOfflineAuth(t, func(c *Config) { c.Now = clock.Now; c.Cookies.TTL = time.Hour })
	good := saveCookie(t, a, aliceSession)
	raw := strings.TrimPrefix(good.Value, sessionFormatPrefix)
	sealed, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	reseal := func(edit func([]byte)) string {
		b := append([]byte(nil), sealed...)
		edit(b)
		return sessionFormatPrefix + base64.RawURLEncoding.EncodeToString(b)
	}

	tests := []struct {
		name, value string
	}{
		{"nonce flipped", reseal(func(b []byte) { b[0] ^= 1 })},
		{"ciphertext flipped", reseal(func(b []byte) { b[14] ^= 0x80 })},
		{"tag flipped", reseal(func(b []byte) { b[len(b)-1] ^= 1 })},
		{"truncated", sessionFormatPrefix + raw[:len(raw)-4]},
		{"prefix only", sessionFormatPrefix},
		{"not base64", sessionFormatPrefix + "!!" + raw},
		{"padded base64", good.Value + "=="},
		{"too long", sessionFormatPrefix + strings.Repeat("A", maxCookieBytes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := load(a, &http.Cookie{Name: SessionCookieName, Value: tt.value})
			if !errors.Is(err, ErrNoSession) || s != nil {
				t.Errorf("got %v, %v; want ErrNoSession", s, err)
			}
		})
	}

	// The cookie name is sealed in: a valid value under another name is refused.
	var v sessionValue
	if err := a.store.Codecs[0].Decode("other_cookie", good.Value, &v); !errors.Is(err, errSessionOpen) {
		t.Errorf("a session value under another cookie name: got %v, want errSessionOpen", err)
	}

	t.Run("sealed longer ago than the maximum age", func(t *testing.T) {
		sealer := a.store.Codecs[0].(*sessionSealer)
		var v sessionValue
		if err := sealer.Decode(SessionCookieName, good.Value, &v); err != nil {
			t.Fatalf("fresh: %v", err)
		}
		clock.Advance(time.Hour + time.Second)
		if err := sealer.Decode(SessionCookieName, good.Value, &v); !errors.Is(err, errSessionAge) {
			t.Errorf("got %v, want errSessionAge", err)
		}
		if _, err := load(a, good); !errors.Is(err, ErrNoSession) {
			t.Errorf("LoadSession: got %v, want ErrNoSession", err)
		}
	})
}

// The store's own path (sessions.CookieStore.Get, as gorilla's API offers it) reads the new format too.
func TestSessionStoreGet(t *testing.T) {
	a := newOfflineAuth(t, nil)
	c := saveCookie(t, a, aliceSession)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(c)
	sess, err := a.store.Get(r, a.sessionName)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := sess.Values[sessionValueKey].(sessionValue)
	if !ok || v.UserID != aliceSession.UserID || v.Email != aliceSession.Email {
		t.Errorf("store.Get: %#v", sess.Values)
	}
}

// FuzzSessionValue: the payload parser never panics, and what it accepts encodes back to the same bytes.
func FuzzSessionValue(f *testing.F) {
	f.Add(appendSessionValue(nil, &sessionValue{UserID: "u-1", Name: "Ada", Expires: 1800000000}))
	f.Add(appendSessionValue(nil, &sessionValue{UserID: strings.Repeat("é", 100), Organization: "north", Expires: -1}))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{5, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		var v sessionValue
		if err := parseSessionValue(b, &v); err != nil {
			return
		}
		if again := appendSessionValue(nil, &v); string(again) != string(b) {
			// Varints have one shortest form; a longer one is accepted but re-encodes shorter.
			var w sessionValue
			if err := parseSessionValue(again, &w); err != nil || w != v {
				t.Fatalf("%x parsed to %+v, which re-encodes to %x (%+v, %v)", b, v, again, w, err)
			}
		}
	})
}

// FuzzSessionCookie: any cookie value is refused with ErrNoSession, never a panic, unless it is one the
// gateway sealed (the seeds include one, in each format, and mutations of them).
func FuzzSessionCookie(f *testing.F) {
	a := newOfflineAuth(f, nil)
	sealed := saveCookie(f, a, aliceSession).Value
	legacy := legacyCookie(f, a, aliceSession).Value
	for _, s := range []string{sealed, legacy, sessionFormatPrefix, "2.AAAA", "", "not-a-session", sealed[:len(sealed)-1]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		r := httptest.NewRequest(http.MethodGet, "/open", nil)
		r.Header.Set("Cookie", SessionCookieName+"="+value)
		s, err := a.LoadSession(r)
		if err != nil {
			if !errors.Is(err, ErrNoSession) || s != nil {
				t.Fatalf("got %v, %v; want ErrNoSession", s, err)
			}
			return
		}
		if s.UserID != aliceSession.UserID || s.Email != aliceSession.Email {
			t.Fatalf("%q accepted as %+v", value, s)
		}
	})
}

// The logout hint, sent with every request, is sealed like the session: one base64 layer where
// securecookie had two. Hints of the securecookie format are still read during a rollout.
func TestLogoutHintFormat(t *testing.T) {
	a := newOfflineAuth(t, nil)
	token := "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("x", 1000) + ".sig"
	rec := httptest.NewRecorder()
	if err := a.SaveSession(rec, httptest.NewRequest(http.MethodGet, "/auth/callback", nil), &Session{UserID: "u-1", IDToken: token}); err != nil {
		t.Fatal(err)
	}
	hint := onlyCookie(t, rec, LogoutHintCookieName)
	if !strings.HasPrefix(hint.Value, sessionFormatPrefix) {
		t.Fatalf("new hint %.20q… lacks the prefix %q", hint.Value, sessionFormatPrefix)
	}
	legacy, err := securecookie.EncodeMulti(a.hintName, []byte(token), a.hintCodecs[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	// Nonce, issue time and tag (36 bytes) and one base64 layer: about two thirds of securecookie's size.
	if want := base64.RawURLEncoding.EncodedLen(len(token)+36) + len(sessionFormatPrefix); len(hint.Value) != want || len(hint.Value) >= len(legacy)*3/4 {
		t.Errorf("hint is %d bytes, want %d (the securecookie format: %d)", len(hint.Value), want, len(legacy))
	}
	for name, v := range map[string]string{"sealed": hint.Value, "securecookie": legacy} {
		r := httptest.NewRequest(http.MethodPost, "/logout", nil)
		r.AddCookie(&http.Cookie{Name: a.hintName, Value: v})
		if got := a.LogoutHint(r); got != token {
			t.Errorf("%s hint: LogoutHint gave %.40q…, want the token", name, got)
		}
	}
	// Sealed for the hint's cookie, under its own key: not a session, and not a hint under another name.
	if _, err := load(a, &http.Cookie{Name: a.sessionName, Value: hint.Value}); !errors.Is(err, ErrNoSession) {
		t.Errorf("a hint's value as the session cookie: got %v, want ErrNoSession", err)
	}
	var raw []byte
	if err := a.hintCodecs[0].Decode("other_cookie", hint.Value, &raw); !errors.Is(err, errSessionOpen) {
		t.Errorf("a hint under another cookie name: got %v, want errSessionOpen", err)
	}
}
