package lti

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// sealer seals small JSON values (login state, the open ticket, the deep-linking context) with
// AES-256-GCM under keys derived from the tool's signing keys, so that every replica that has
// LTI_TOOL_KEY can open what another sealed, without a shared store or another secret to configure.
// The first key seals; all open (rotation).
type sealer struct {
	aeads []cipher.AEAD
}

func newSealer(keys []*rsa.PrivateKey) (*sealer, error) {
	s := &sealer{}
	for _, k := range keys {
		// A hash of the private key under a fixed label: a different key than the RSA one, never
		// leaves the process, and is the same on every replica with the same LTI_TOOL_KEY.
		h := sha256.New()
		h.Write([]byte("talkio-gateway lti seal v1\x00"))
		h.Write(x509.MarshalPKCS1PrivateKey(k))
		block, err := aes.NewCipher(h.Sum(nil))
		if err != nil {
			return nil, err
		}
		a, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		s.aeads = append(s.aeads, a)
	}
	return s, nil
}

var errSealed = errors.New("lti: sealed value is invalid or expired")

// seal encrypts v; purpose is authenticated as associated data, so a value sealed for one purpose
// (a ticket) never opens as another (a state).
func (s *sealer) seal(purpose string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	a := s.aeads[0]
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(b)+a.Overhead())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(a.Seal(nonce, nonce, b, []byte(purpose))), nil
}

// open decrypts what seal made for the same purpose into v.
func (s *sealer) open(purpose, sealed string, v any) error {
	if len(sealed) > 8192 {
		return errSealed
	}
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return errSealed
	}
	for _, a := range s.aeads {
		if len(b) < a.NonceSize() {
			return errSealed
		}
		plain, err := a.Open(nil, b[:a.NonceSize()], b[a.NonceSize():], []byte(purpose))
		if err != nil {
			continue
		}
		if json.Unmarshal(plain, v) != nil {
			return errSealed
		}
		return nil
	}
	return errSealed
}

// randomString is n random bytes, base64url.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// onceStore remembers used one-time values (launch nonces, open tickets) until they expire, so that
// a second use within this process is refused. It is bounded: when full, it refuses new values
// rather than forgetting unexpired ones (forgetting would reopen a replay window).
type onceStore struct {
	mu   sync.Mutex
	max  int
	seen map[string]time.Time // value → expiry
}

func newOnceStore(max int) *onceStore {
	return &onceStore{max: max, seen: map[string]time.Time{}}
}

// use records value as used until exp; it reports false when the value was used before or the
// store is full.
func (o *onceStore) use(value string, exp, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.seen[value]; ok {
		return false
	}
	if len(o.seen) >= o.max {
		for v, e := range o.seen {
			if !e.After(now) {
				delete(o.seen, v)
			}
		}
		if len(o.seen) >= o.max {
			return false
		}
	}
	o.seen[value] = exp
	return true
}
