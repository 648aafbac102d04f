package idp

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// Tamper describes how the token endpoint spoils the ID tokens it issues, so that a relying party's
// verification can be tested against a real provider: an expired token, a wrong audience, issuer or
// nonce, a bad signature.
type Tamper struct {
	// Claims, when set, edits the decoded claims in place, e.g. claims["aud"] = "someone-else".
	Claims func(claims map[string]any)
	// BadSignature signs with a throwaway key under the provider's key id, so the kid matches and the
	// signature does not.
	BadSignature bool
}

// SetTamper makes every ID token from the token endpoint pass through t; nil turns it off. For tests only.
func (p *Provider) SetTamper(t *Tamper) {
	p.tamper.Store(t)
}

// tamperToken answers a token request through the provider and rewrites the ID token in its answer.
func (p *Provider) tamperToken(w http.ResponseWriter, r *http.Request, next http.Handler, t *Tamper) {
	rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	next.ServeHTTP(rec, r)
	body := rec.body.Bytes()
	if rec.status == http.StatusOK {
		if out, err := p.tamperBody(body, t); err != nil {
			slog.Error("idp: tamper with id token", "err", err)
		} else {
			body = out
		}
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.status)
	_, _ = w.Write(body)
}

func (p *Provider) tamperBody(body []byte, t *Tamper) ([]byte, error) {
	var resp map[string]any
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("decode token response: %w", err)
	}
	raw, _ := resp["id_token"].(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("token response without a signed id_token")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("decode id token: %w", err)
	}
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber() // keep exp and iat integral
	if err := dec.Decode(&claims); err != nil {
		return nil, fmt.Errorf("decode id token claims: %w", err)
	}
	if t.Claims != nil {
		t.Claims(claims)
	}
	key := p.store.key.key
	if t.BadSignature {
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, err
		}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.store.key.id))
	if err != nil {
		return nil, err
	}
	payload, err = json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return nil, err
	}
	if resp["id_token"], err = jws.CompactSerialize(); err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

// bufferedResponse holds a handler's answer so that it can be rewritten before it is sent.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }
