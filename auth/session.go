package auth

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// SessionCookieName is the name of the session cookie.
const SessionCookieName = "talkio_gateway_session"

// Session is what the gateway remembers about a signed-in user: the mapped profile and when the session
// ends. It holds no provider token (logout names the client with client_id instead of id_token_hint).
type Session struct {
	UserID, Name, Email, Phone, UserType, Organization string
	Expires                                            time.Time
}

// sessionValue is the cookie's payload: Session with the expiry in Unix seconds, as compact JSON.
type sessionValue struct {
	UserID       string `json:"u"`
	Name         string `json:"n,omitempty"`
	Email        string `json:"e,omitempty"`
	Phone        string `json:"p,omitempty"`
	UserType     string `json:"t,omitempty"`
	Organization string `json:"o,omitempty"`
	Expires      int64  `json:"x"`
}

const sessionValueKey = "s"

// sessionSerializer stores the one sessionValue of session.Values as JSON. gorilla's default, gob,
// re-reads its type description on every decode: several times the cost and size, on every /open.
type sessionSerializer struct{}

func (sessionSerializer) Serialize(src any) ([]byte, error) {
	m, _ := src.(map[any]any)
	v, ok := m[sessionValueKey].(sessionValue)
	if !ok || len(m) != 1 {
		return nil, errors.New("auth: session values must be exactly one sessionValue")
	}
	return json.Marshal(v)
}

func (sessionSerializer) Deserialize(src []byte, dst any) error {
	if v, ok := dst.(*sessionValue); ok { // LoadSession's direct path
		return json.Unmarshal(src, v)
	}
	p, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("auth: cannot decode a session into %T", dst)
	}
	var v sessionValue
	if err := json.Unmarshal(src, &v); err != nil {
		return err
	}
	*p = map[any]any{sessionValueKey: v}
	return nil
}

// Key derivation. Each configured secret yields its own HMAC-SHA256 key and AES-256 key through
// HKDF-SHA256 (RFC 5869) with a per-purpose info string, so the session cookie and the attempt cookies
// never share a key and a secret is never used raw. securecookie encrypts (AES-CTR) then MACs the cookie
// name, a timestamp and the ciphertext.
const (
	infoSessionMAC = "talkio-gateway auth v1 session hmac-sha256"
	infoSessionEnc = "talkio-gateway auth v1 session aes-256"
	infoAttemptMAC = "talkio-gateway auth v1 login-attempt hmac-sha256"
	infoAttemptEnc = "talkio-gateway auth v1 login-attempt aes-256"
)

// newCodecs builds the session store and the attempt cookie codecs from every session key, in order: the
// first codec encodes, all decode (securecookie.EncodeMulti / DecodeMulti), which is key rotation.
func newCodecs(cfg Config) (*sessions.CookieStore, []securecookie.Codec, error) {
	var sessionPairs, attemptPairs [][]byte
	for _, secret := range cfg.SessionKeys {
		keys := make([][]byte, 4)
		for i, info := range []string{infoSessionMAC, infoSessionEnc, infoAttemptMAC, infoAttemptEnc} {
			k, err := hkdf.Key(sha256.New, secret, nil, info, 32)
			if err != nil {
				return nil, nil, fmt.Errorf("auth: derive cookie keys: %w", err)
			}
			keys[i] = k
		}
		sessionPairs = append(sessionPairs, keys[0], keys[1])
		attemptPairs = append(attemptPairs, keys[2], keys[3])
	}

	store := sessions.NewCookieStore(sessionPairs...)
	store.Options = &sessions.Options{
		Path:        "/",
		HttpOnly:    true,
		Secure:      cfg.Cookies.Secure,
		SameSite:    cfg.Cookies.SameSite,
		Partitioned: cfg.Cookies.SameSite == http.SameSiteNoneMode,
	}
	// Also bounds the age securecookie accepts, whatever the payload says.
	store.MaxAge(maxAgeSeconds(cfg.Cookies.TTL))
	for _, c := range store.Codecs {
		c.(*securecookie.SecureCookie).SetSerializer(sessionSerializer{})
	}

	attemptCodecs := securecookie.CodecsFromPairs(attemptPairs...)
	for _, c := range attemptCodecs {
		c.(*securecookie.SecureCookie).MaxAge(maxAgeSeconds(attemptTTL)).SetSerializer(securecookie.JSONEncoder{})
	}
	return store, attemptCodecs, nil
}

func maxAgeSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// SaveSession writes the session cookie. A zero s.Expires, or one beyond the configured maximum, becomes
// now + Cookies.TTL; s.Expires is updated to the effective value.
func (a *Authenticator) SaveSession(w http.ResponseWriter, r *http.Request, s *Session) error {
	now := a.now()
	limit := now.Add(a.cfg.Cookies.TTL)
	if s.Expires.IsZero() || s.Expires.After(limit) {
		s.Expires = limit
	}
	if !s.Expires.After(now) {
		return fmt.Errorf("auth: save session: it expired at %s", s.Expires.Format(time.RFC3339))
	}
	sess := sessions.NewSession(a.store, SessionCookieName)
	opts := *a.store.Options
	opts.MaxAge = maxAgeSeconds(s.Expires.Sub(now)) // the browser drops it when the server would refuse it
	sess.Options = &opts
	sess.Values[sessionValueKey] = sessionValue{
		UserID: s.UserID, Name: s.Name, Email: s.Email, Phone: s.Phone,
		UserType: s.UserType, Organization: s.Organization, Expires: s.Expires.Unix(),
	}
	if err := a.store.Save(r, w, sess); err != nil {
		return fmt.Errorf("auth: save session: %w", err)
	}
	return nil
}

// LoadSession reads the session cookie. It returns ErrNoSession (wrapped, with the reason) when there is
// none, or it is tampered with, undecodable — e.g. its key was retired — or expired; the expiry inside
// the cookie is checked here, not only the cookie's Max-Age.
func (a *Authenticator) LoadSession(r *http.Request) (*Session, error) {
	c, err := r.Cookie(SessionCookieName)
	if err != nil {
		return nil, ErrNoSession
	}
	// The store's own codecs, without store.New: that parses the Cookie header a second time and builds
	// a sessions.Session this read-only path never uses (it runs on every /open).
	var v sessionValue
	if err := securecookie.DecodeMulti(SessionCookieName, c.Value, &v, a.store.Codecs...); err != nil {
		return nil, fail(ErrNoSession, "load session", err)
	}
	if v.UserID == "" {
		return nil, fail(ErrNoSession, "load session: no user", nil)
	}
	expires := time.Unix(v.Expires, 0)
	if !a.now().Before(expires) {
		return nil, fail(ErrNoSession, "load session: expired at "+expires.UTC().Format(time.RFC3339), nil)
	}
	return &Session{
		UserID: v.UserID, Name: v.Name, Email: v.Email, Phone: v.Phone,
		UserType: v.UserType, Organization: v.Organization, Expires: expires,
	}, nil
}

// ClearSession expires the session cookie, with the attributes it was set with so the browser matches it.
func (a *Authenticator) ClearSession(w http.ResponseWriter, _ *http.Request) error {
	opts := *a.store.Options
	opts.MaxAge = -1
	http.SetCookie(w, sessions.NewCookie(SessionCookieName, "", &opts))
	return nil
}
