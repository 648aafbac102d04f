package auth

import (
	"bytes"
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

const (
	// SessionCookieName is the name of the session cookie (with the __Host- prefix on https).
	SessionCookieName = "talkio_gateway_session"
	// LogoutHintCookieName is the name of the cookie that keeps the provider's ID token, encrypted, for
	// the id_token_hint of RP-initiated logout (with the __Host- prefix on https).
	LogoutHintCookieName = "tg_logout_hint"

	// maxCookieBytes is what every browser keeps of one cookie, name and value together (RFC 6265 §6.1
	// asks for at least 4096 bytes).
	maxCookieBytes = 4096
)

// Session is what the gateway remembers about a signed-in user: the mapped profile and when the session
// ends.
type Session struct {
	UserID, Name, Email, UserType, Organization string
	Expires                                     time.Time

	// IDToken is the provider's raw ID token (Identity.IDToken), kept for the id_token_hint of logout
	// in a cookie of its own (read only at logout, so /open never decodes it). SaveSession leaves it out
	// when it would not fit in a cookie; LoadSession does not fill it in (see LogoutHint).
	IDToken string
}

// sessionValue is the cookie's payload: Session with the expiry in Unix seconds, as compact JSON.
type sessionValue struct {
	UserID       string `json:"u"`
	Name         string `json:"n,omitempty"`
	Email        string `json:"e,omitempty"`
	UserType     string `json:"t,omitempty"`
	Organization string `json:"o,omitempty"`
	Expires      int64  `json:"x"`
}

const sessionValueKey = "s"

// sessionSerializer stores the one sessionValue of session.Values as JSON, the payload of the session
// cookie's format before issue 12 (sessioncodec.go); it is kept to read such cookies during a rollout.
// gorilla's default, gob, re-reads its type description on every decode: several times the cost and size.
type sessionSerializer struct{}

func (sessionSerializer) Serialize(src any) ([]byte, error) {
	m, _ := src.(map[any]any)
	v, ok := m[sessionValueKey].(sessionValue)
	if !ok || len(m) != 1 {
		return nil, errors.New("auth: session values must be exactly one sessionValue")
	}
	// Without HTML escaping: a name full of <, > or & would otherwise grow sixfold (\u003c), past what
	// the bounds of the claims (see claims.go) leave room for in a 4 KB cookie.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
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
	infoHintMAC    = "talkio-gateway auth v1 logout-hint hmac-sha256"
	infoHintEnc    = "talkio-gateway auth v1 logout-hint aes-256"
)

// codecs are the cookie codecs, each built from every session key in order: the first codec encodes,
// all decode (securecookie.EncodeMulti / DecodeMulti), which is key rotation.
type codecs struct {
	store   *sessions.CookieStore
	attempt []securecookie.Codec
	hint    []securecookie.Codec
}

func newCodecs(cfg Config) (codecs, error) {
	var sessionPairs, attemptPairs, hintPairs, sealKeys, hintSealKeys [][]byte
	infos := []string{infoSessionMAC, infoSessionEnc, infoAttemptMAC, infoAttemptEnc, infoHintMAC, infoHintEnc, infoSessionAEAD, infoHintAEAD}
	for _, secret := range cfg.SessionKeys {
		keys := make([][]byte, len(infos))
		for i, info := range infos {
			k, err := hkdf.Key(sha256.New, secret, nil, info, 32)
			if err != nil {
				return codecs{}, fmt.Errorf("auth: derive cookie keys: %w", err)
			}
			keys[i] = k
		}
		sessionPairs = append(sessionPairs, keys[0], keys[1])
		attemptPairs = append(attemptPairs, keys[2], keys[3])
		hintPairs = append(hintPairs, keys[4], keys[5])
		sealKeys = append(sealKeys, keys[6])
		hintSealKeys = append(hintSealKeys, keys[7])
	}

	// The session cookie: sealed in the current format (sessioncodec.go); the securecookie codecs after
	// it only read cookies of the format before, so a rollout signs no one out.
	maxAge := maxAgeSeconds(cfg.Cookies.TTL)
	sealer, err := newSessionSealer(sealKeys, time.Duration(maxAge)*time.Second, cfg.Now)
	if err != nil {
		return codecs{}, fmt.Errorf("auth: session cookie cipher: %w", err)
	}
	legacy := securecookie.CodecsFromPairs(sessionPairs...)
	for _, c := range legacy {
		c.(*securecookie.SecureCookie).SetSerializer(sessionSerializer{})
	}
	store := &sessions.CookieStore{Codecs: append([]securecookie.Codec{sealer}, legacy...)}
	store.Options = &sessions.Options{
		Path:        "/",
		HttpOnly:    true,
		Secure:      cfg.Cookies.Secure,
		SameSite:    cfg.Cookies.SameSite,
		Partitioned: cfg.Cookies.SameSite == http.SameSiteNoneMode,
	}
	// Also bounds the age securecookie accepts, whatever the payload says.
	store.MaxAge(maxAge)

	attemptCodecs := securecookie.CodecsFromPairs(attemptPairs...)
	for _, c := range attemptCodecs {
		c.(*securecookie.SecureCookie).MaxAge(maxAgeSeconds(attemptTTL)).SetSerializer(securecookie.JSONEncoder{})
	}
	// The logout hint: sealed like the session (sessioncodec.go); the securecookie codecs after it read
	// hints of the format before.
	hints, err := newSealer(hintSealKeys, time.Duration(maxAge)*time.Second, cfg.Now)
	if err != nil {
		return codecs{}, fmt.Errorf("auth: logout hint cipher: %w", err)
	}
	hintCodecs := []securecookie.Codec{&hintSealer{hints}}
	for _, c := range securecookie.CodecsFromPairs(hintPairs...) {
		// The raw token is the payload; securecookie's own length check is replaced by SaveSession's.
		c.(*securecookie.SecureCookie).MaxAge(maxAgeSeconds(cfg.Cookies.TTL)).MaxLength(0).SetSerializer(securecookie.NopEncoder{})
		hintCodecs = append(hintCodecs, c)
	}
	return codecs{store: store, attempt: attemptCodecs, hint: hintCodecs}, nil
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
	sess := sessions.NewSession(a.store, a.sessionName)
	opts := *a.store.Options
	opts.MaxAge = maxAgeSeconds(s.Expires.Sub(now)) // the browser drops it when the server would refuse it
	sess.Options = &opts
	sess.Values[sessionValueKey] = sessionValue{
		UserID: s.UserID, Name: s.Name, Email: s.Email,
		UserType: s.UserType, Organization: s.Organization, Expires: s.Expires.Unix(),
	}
	if err := a.store.Save(r, w, sess); err != nil {
		return fmt.Errorf("auth: save session: %w", err)
	}
	a.saveLogoutHint(w, r, s, opts)
	return nil
}

// saveLogoutHint keeps s.IDToken in its own encrypted cookie, with the session's attributes and
// lifetime, when it fits in one; otherwise (a token swollen by hundreds of groups) it keeps none, and
// logout goes without the hint (see EndSessionURL). A hint of an earlier session is removed.
func (a *Authenticator) saveLogoutHint(w http.ResponseWriter, r *http.Request, s *Session, opts sessions.Options) {
	if s.IDToken != "" {
		value, err := securecookie.EncodeMulti(a.hintName, []byte(s.IDToken), a.hintCodecs...)
		if err == nil && len(a.hintName)+1+len(value) <= maxCookieBytes {
			http.SetCookie(w, sessions.NewCookie(a.hintName, value, &opts))
			return
		}
		a.log.Info("auth: the ID token does not fit in a cookie; logout will not send id_token_hint", "bytes", len(s.IDToken))
	}
	if _, err := r.Cookie(a.hintName); err == nil {
		opts.MaxAge = -1
		http.SetCookie(w, sessions.NewCookie(a.hintName, "", &opts))
	}
}

// LogoutHint returns the ID token kept by SaveSession for the id_token_hint of logout, or "" when there
// is none (too large to keep, a session from before it was kept, tampered with, or expired).
func (a *Authenticator) LogoutHint(r *http.Request) string {
	c, err := r.Cookie(a.hintName)
	if err != nil {
		return ""
	}
	var raw []byte
	if err := securecookie.DecodeMulti(a.hintName, c.Value, &raw, a.hintCodecs...); err != nil {
		return ""
	}
	return string(raw)
}

// LoadSession reads the session cookie. It returns ErrNoSession (wrapped, with the reason) when there is
// none, or it is tampered with, undecodable — e.g. its key was retired — or expired; the expiry inside
// the cookie is checked here, not only the cookie's Max-Age.
func (a *Authenticator) LoadSession(r *http.Request) (*Session, error) {
	c, err := r.Cookie(a.sessionName)
	if err != nil {
		return nil, ErrNoSession
	}
	// The store's own codecs, without store.New: that parses the Cookie header a second time and builds
	// a sessions.Session this read-only path never uses (it runs on every /open).
	var v sessionValue
	if err := securecookie.DecodeMulti(a.sessionName, c.Value, &v, a.store.Codecs...); err != nil {
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
		UserID: v.UserID, Name: v.Name, Email: v.Email,
		UserType: v.UserType, Organization: v.Organization, Expires: expires,
	}, nil
}

// ClearSession expires the session cookie and the logout hint's, with the attributes they were set with
// so the browser matches them. Read LogoutHint first when logging out.
func (a *Authenticator) ClearSession(w http.ResponseWriter, r *http.Request) error {
	opts := *a.store.Options
	opts.MaxAge = -1
	http.SetCookie(w, sessions.NewCookie(a.sessionName, "", &opts))
	if _, err := r.Cookie(a.hintName); err == nil {
		http.SetCookie(w, sessions.NewCookie(a.hintName, "", &opts))
	}
	return nil
}
