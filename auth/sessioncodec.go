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

var (
	errSessionFormat = errors.New("auth: not a session cookie of the current format")
	errSessionOpen   = errors.New("auth: session cookie does not verify under any key")
	errSessionAge    = errors.New("auth: session cookie expired: sealed longer ago than the session maximum age")
	errSessionTooBig = errors.New("auth: session cookie value too long")
)

// sessionSealer is a securecookie.Codec for the session cookie: the first key seals, every key opens
// (rotation as with securecookie.EncodeMulti / DecodeMulti).
type sessionSealer struct {
	aeads  []cipher.AEAD
	maxAge time.Duration // a cookie sealed longer ago than this is refused, whatever its payload says
	now    func() time.Time
}

func newSessionSealer(keys [][]byte, maxAge time.Duration, now func() time.Time) (*sessionSealer, error) {
	s := &sessionSealer{maxAge: maxAge, now: now}
	for _, k := range keys {
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, err
		}
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// Encode seals the one sessionValue of a session's Values (what sessions.CookieStore.Save passes).
func (s *sessionSealer) Encode(name string, value any) (string, error) {
	m, _ := value.(map[any]any)
	v, ok := m[sessionValueKey].(sessionValue)
	if !ok || len(m) != 1 {
		return "", errors.New("auth: session values must be exactly one sessionValue")
	}
	plain := make([]byte, 8, 64)
	binary.BigEndian.PutUint64(plain, uint64(s.now().Unix()))
	plain = appendSessionValue(plain, &v)
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

// Decode opens value into dst: a *sessionValue (LoadSession) or a *map[any]any (sessions.CookieStore).
// A value without the prefix is left to the securecookie codecs after this one.
func (s *sessionSealer) Decode(name, value string, dst any) error {
	raw, ok := strings.CutPrefix(value, sessionFormatPrefix)
	if !ok {
		return errSessionFormat
	}
	if len(name)+1+len(value) > maxCookieBytes {
		return errSessionTooBig
	}
	sealed, err := base64.RawURLEncoding.AppendDecode(make([]byte, 0, base64.RawURLEncoding.DecodedLen(len(raw))), []byte(raw))
	if err != nil {
		return fmt.Errorf("auth: session cookie: %w", err)
	}
	var plain []byte
	for _, aead := range s.aeads {
		if plain, err = aead.Open(nil, nil, sealed, []byte(name)); err == nil {
			break
		}
	}
	if err != nil {
		return errSessionOpen
	}
	if len(plain) < 8 {
		return errSessionOpen
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(plain)), 0)
	if s.maxAge > 0 && s.now().Sub(issued) > s.maxAge {
		return errSessionAge
	}
	var v sessionValue
	if err := parseSessionValue(plain[8:], &v); err != nil {
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

// appendSessionValue appends v's fields in a fixed order, each string as a uvarint length and its
// bytes, then the expiry as a varint: a few bytes of framing where JSON had names and quotes.
func appendSessionValue(b []byte, v *sessionValue) []byte {
	for _, f := range [...]string{v.UserID, v.Name, v.Email, v.Phone, v.UserType, v.Organization} {
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
	for _, f := range [...]*string{&v.UserID, &v.Name, &v.Email, &v.Phone, &v.UserType, &v.Organization} {
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
