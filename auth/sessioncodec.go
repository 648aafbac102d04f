package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The session cookie's format since issue 12: one AES-256-GCM pass (random 96-bit nonce, the cookie
// name as additional data) over the issue time and a compact binary payload, base64url without
// padding, after the prefix "2." ('.' is outside securecookie's base64 alphabet, so the two formats
// never collide). securecookie's format took AES-CTR, an HMAC-SHA256, two base64 layers and
// encoding/json on every /open: several times the CPU and allocations (bench/README.md).
//
// Cookies of the old format are still read (the securecookie codecs follow this one in the store), so
// a rollout signs no one out; once Cookies.TTL has passed since it, none are left.
const sessionFormatPrefix = "2."

// infoSessionAEAD derives the session cookie's AES-256-GCM key from each secret (see newCodecs).
const infoSessionAEAD = "talkio-gateway auth v2 session aes-256-gcm"

// infoHintAEAD derives the logout hint's AES-256-GCM key (hintSealer).
const infoHintAEAD = "talkio-gateway auth v2 logout-hint aes-256-gcm"

var (
	errSessionFormat = errors.New("auth: not a session cookie of the current format")
	errSessionOpen   = errors.New("auth: session cookie does not verify under any key")
	errSessionAge    = errors.New("auth: session cookie expired: sealed longer ago than the session maximum age")
	errSessionTooBig = errors.New("auth: session cookie value too long")
)

// sealer seals and opens one cookie's payload in the format above: the first key seals, every key
// opens (rotation as with securecookie.EncodeMulti / DecodeMulti). The session cookie and the logout
// hint's each have their own keys.
type sealer struct {
	aeads  []cipher.AEAD
	maxAge time.Duration // a cookie sealed longer ago than this is refused, whatever its payload says
	now    func() time.Time
}

func newSealer(keys [][]byte, maxAge time.Duration, now func() time.Time) (sealer, error) {
	s := sealer{maxAge: maxAge, now: now}
	for _, k := range keys {
		block, err := aes.NewCipher(k)
		if err != nil {
			return sealer{}, err
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return sealer{}, err
		}
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// seal returns the cookie value of payload for the cookie called name.
func (s *sealer) seal(name string, payload []byte) (string, error) {
	plain := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint64(plain, uint64(s.now().Unix()))
	plain = append(plain, payload...)
	sealed := s.aeads[0].Seal(nil, nil, plain, []byte(name))
	var b strings.Builder
	b.Grow(len(sessionFormatPrefix) + base64.RawURLEncoding.EncodedLen(len(sealed)))
	b.WriteString(sessionFormatPrefix)
	enc := base64.NewEncoder(base64.RawURLEncoding, &b)
	_, _ = enc.Write(sealed) // a strings.Builder does not fail
	_ = enc.Close()
	if len(name)+1+b.Len() > maxCookieBytes {
		return "", errSessionTooBig
	}
	return b.String(), nil
}

// open returns the payload sealed in value for the cookie called name. A value without the prefix is
// errSessionFormat: it is left to the securecookie codecs that follow.
func (s *sealer) open(name, value string) ([]byte, error) {
	raw, ok := strings.CutPrefix(value, sessionFormatPrefix)
	if !ok {
		return nil, errSessionFormat
	}
	if len(name)+1+len(value) > maxCookieBytes {
		return nil, errSessionTooBig
	}
	sealed, err := base64.RawURLEncoding.AppendDecode(make([]byte, 0, base64.RawURLEncoding.DecodedLen(len(raw))), []byte(raw))
	if err != nil {
		return nil, fmt.Errorf("auth: cookie %s: %w", name, err)
	}
	var plain []byte
	for _, aead := range s.aeads {
		if plain, err = aead.Open(nil, nil, sealed, []byte(name)); err == nil {
			break
		}
	}
	if err != nil || len(plain) < 8 {
		return nil, errSessionOpen
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(plain)), 0)
	if s.maxAge > 0 && s.now().Sub(issued) > s.maxAge {
		return nil, errSessionAge
	}
	return plain[8:], nil
}

// sessionSealer is a securecookie.Codec for the session cookie.
type sessionSealer struct{ sealer }

func newSessionSealer(keys [][]byte, maxAge time.Duration, now func() time.Time) (*sessionSealer, error) {
	s, err := newSealer(keys, maxAge, now)
	if err != nil {
		return nil, err
	}
	return &sessionSealer{s}, nil
}

// Encode seals the one sessionValue of a session's Values (what sessions.CookieStore.Save passes).
func (s *sessionSealer) Encode(name string, value any) (string, error) {
	m, _ := value.(map[any]any)
	v, ok := m[sessionValueKey].(sessionValue)
	if !ok || len(m) != 1 {
		return "", errors.New("auth: session values must be exactly one sessionValue")
	}
	return s.seal(name, appendSessionValue(make([]byte, 0, 64), &v))
}

// Decode opens value into dst: a *sessionValue (LoadSession) or a *map[any]any (sessions.CookieStore).
// A value without the prefix is left to the securecookie codecs after this one.
func (s *sessionSealer) Decode(name, value string, dst any) error {
	payload, err := s.open(name, value)
	if err != nil {
		return err
	}
	var v sessionValue
	if err := parseSessionValue(payload, &v); err != nil {
		return err
	}
	switch d := dst.(type) {
	case *sessionValue:
		*d = v
	case *map[any]any:
		*d = map[any]any{sessionValueKey: v}
	default:
		return fmt.Errorf("auth: cannot decode a session into %T", dst)
	}
	return nil
}

// hintSealer is a securecookie.Codec for the logout hint's cookie (issue 12, point 4): the raw ID token
// sealed as above. securecookie's framing and two base64 layers made the demo provider's 1.1 KB token a
// 2,092-byte cookie, which the browser sends with every request, /open included, and the server reads
// each time; sealed it is 1,550 bytes. Hints of the securecookie format are still read (those codecs
// follow this one).
type hintSealer struct{ sealer }

// Encode seals value, a []byte (the raw token).
func (s *hintSealer) Encode(name string, value any) (string, error) {
	b, ok := value.([]byte)
	if !ok {
		return "", fmt.Errorf("auth: a logout hint is []byte, not %T", value)
	}
	return s.seal(name, b)
}

// Decode opens value into dst, a *[]byte.
func (s *hintSealer) Decode(name, value string, dst any) error {
	d, ok := dst.(*[]byte)
	if !ok {
		return fmt.Errorf("auth: cannot decode a logout hint into %T", dst)
	}
	payload, err := s.open(name, value)
	if err != nil {
		return err
	}
	*d = payload
	return nil
}

// appendSessionValue appends v's fields in a fixed order, each string as a uvarint length and its
// bytes, then the expiry as a varint: a few bytes of framing where JSON had names and quotes.
func appendSessionValue(b []byte, v *sessionValue) []byte {
	for _, f := range [...]string{v.UserID, v.Name, v.Email, v.UserType, v.Organization} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return binary.AppendVarint(b, v.Expires)
}

var errSessionPayload = errors.New("auth: malformed session payload")

// parseSessionValue is appendSessionValue's inverse. It reads only authenticated bytes, but is strict
// anyway: every length within what is left, nothing after the expiry.
func parseSessionValue(b []byte, v *sessionValue) error {
	all := string(b) // one allocation; the fields are substrings of it
	i := 0
	for _, f := range [...]*string{&v.UserID, &v.Name, &v.Email, &v.UserType, &v.Organization} {
		n, k := binary.Uvarint(b[i:])
		if k <= 0 || n > uint64(len(b)-i-k) {
			return errSessionPayload
		}
		i += k
		*f = all[i : i+int(n)]
		i += int(n)
	}
	x, k := binary.Varint(b[i:])
	if k <= 0 || i+k != len(b) {
		return errSessionPayload
	}
	v.Expires = x
	return nil
}
