package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"
)

// Login attempt cookies. An attempt lives in one of MaxLoginAttempts fixed slots, cookies named
// AttemptCookiePrefix followed by the slot's digit, so the number of attempt cookies is bounded by
// construction, however many sign-ins a browser starts at once: BeginLogin takes the first slot the
// request does not carry, else overwrites the oldest attempt. Two tabs signing in one after the other get
// two slots; a hundred parallel requests with the same cookies all pick the same slot, and the last one
// written wins (the others' callbacks find no attempt and offer a fresh sign-in). Path=/ so that the
// __Host- prefix can be used on https; they are small, short-lived and deleted by the callback.
const (
	// AttemptCookiePrefix starts the name of every login attempt cookie; the slot's digit follows (and
	// on https the whole name carries the __Host- prefix).
	AttemptCookiePrefix = "tg_login_"
	// MaxLoginAttempts is how many sign-in attempts may be outstanding at once per browser: the number
	// of attempt cookie slots (at most 10: one digit).
	MaxLoginAttempts = 3
	// MaxReturnToLength bounds returnTo so the attempt cookie stays under the browsers' 4 KB limit.
	MaxReturnToLength = 1800

	attemptTTL    = 10 * time.Minute
	stateBytes    = 32
	encodedLength = 43 // base64url, unpadded, of stateBytes
)

// attempt is the content of an attempt cookie (JSON, encrypted and authenticated).
type attempt struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	ReturnTo string `json:"r,omitempty"`
	Created  int64  `json:"c"`
	Seq      int64  `json:"q"` // one more than the newest attempt the browser held: the slots' age order
}

// Identity is the signed-in user as the provider describes it, through the configured claim names.
type Identity struct {
	Subject          string // the ID token's "sub", whatever UserID maps to
	UserID           string // never empty, at most MaxUserIDLength bytes
	Name, Email      string // Email is optional (pupils often have none)
	Phone            string
	Locale           string // as the provider gave it
	Organization     string
	Groups           []string // as given, e.g. Keycloak's "/teachers" paths
	AccountExpiresAt *time.Time

	// IDToken is the raw ID token, for Session.IDToken (the id_token_hint of logout). A secret: never
	// log or show it.
	IDToken string
}

// BeginLogin starts a sign-in: it sets the attempt cookie and returns the provider's authorization URL to
// redirect the browser to. returnTo is kept as given and handed back by FinishLogin; the caller validates
// it first (a local path), and it may be at most MaxReturnToLength bytes. It returns
// ErrProviderUnavailable until discovery has succeeded.
func (a *Authenticator) BeginLogin(w http.ResponseWriter, r *http.Request, returnTo string) (string, error) {
	d := a.provider.Load()
	if d == nil {
		return "", ErrProviderUnavailable
	}
	if len(returnTo) > MaxReturnToLength {
		return "", fmt.Errorf("auth: begin login: returnTo is %d bytes; at most %d fit in the attempt cookie", len(returnTo), MaxReturnToLength)
	}
	state, nonce := randomToken(), randomToken()
	now := a.now()
	slot, seq := a.freeSlot(r)
	at := attempt{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), ReturnTo: returnTo, Created: now.Unix(), Seq: seq}
	name := a.attemptName(slot)
	value, err := securecookie.EncodeMulti(name, at, a.attemptCodecs...)
	if err != nil {
		return "", fmt.Errorf("auth: begin login: encode attempt cookie: %w", err)
	}
	http.SetCookie(w, a.attemptCookie(name, value, maxAgeSeconds(attemptTTL)))

	return d.oauth2.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(at.Verifier)), nil
}

// FinishLogin completes a sign-in at the redirect URL. It consumes the attempt cookie before anything
// else, so a replayed callback fails; then it turns a provider error= into *ProviderError, exchanges the
// code with the PKCE verifier, verifies the ID token and its nonce, and maps the claims.
//
// returnTo is the value given to BeginLogin; it is returned whenever the attempt cookie was found, also
// with an error, so that an error page can offer a fresh sign-in to the same place. No session is
// created here: the caller authorizes the Identity and calls SaveSession.
func (a *Authenticator) FinishLogin(ctx context.Context, w http.ResponseWriter, r *http.Request) (*Identity, string, error) {
	q := r.URL.Query()
	at, attemptErr := a.takeAttempt(w, r, q.Get("state"))
	var returnTo string
	if at != nil {
		returnTo = at.ReturnTo
	}
	if code := q.Get("error"); code != "" {
		return nil, returnTo, &ProviderError{Code: cleanParam(code, 64), Description: cleanParam(q.Get("error_description"), 300)}
	}
	if attemptErr != nil {
		return nil, returnTo, attemptErr
	}
	id, err := a.finish(ctx, q, at)
	if err != nil {
		return nil, returnTo, err
	}
	return id, returnTo, nil
}

func (a *Authenticator) finish(ctx context.Context, q url.Values, at *attempt) (*Identity, error) {
	d := a.provider.Load()
	if d == nil {
		return nil, ErrProviderUnavailable
	}
	// RFC 9207: a provider that names itself in the callback must be ours (mix-up defence).
	if q.Has("iss") && q.Get("iss") != a.cfg.IssuerURL {
		return nil, fail(ErrVerification, "callback", errors.New("the iss parameter names another provider"))
	}
	code := q.Get("code")
	if code == "" {
		return nil, fail(ErrVerification, "exchange code", errors.New("the callback has no code"))
	}
	ctx = oidc.ClientContext(ctx, a.cfg.HTTPClient)
	tok, err := d.oauth2.Exchange(ctx, code, oauth2.VerifierOption(at.Verifier))
	if err != nil {
		return nil, classify("exchange code", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fail(ErrVerification, "exchange code", errors.New("the token response has no id_token"))
	}
	idt, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, classify("verify id token", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(at.Nonce)) != 1 {
		return nil, fail(ErrVerification, "verify id token", errors.New("nonce does not match the sign-in attempt"))
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, fail(ErrVerification, "verify id token: at_hash", err)
		}
	}
	id, err := a.mapIdentity(ctx, d, idt, tok)
	if err != nil {
		return nil, err
	}
	id.IDToken = raw
	return id, nil
}

// classify files a failed request to the provider under ErrProviderUnavailable when it never got an
// answer, else under ErrVerification (the provider refused, or its answer was not acceptable).
func classify(step string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fail(ErrProviderUnavailable, step, err)
	}
	return fail(ErrVerification, step, err)
}

// attemptName is the cookie name of an attempt slot.
func (a *Authenticator) attemptName(slot int) string { return a.attemptNames[slot] }

// freeSlot picks the slot for a new attempt, and its sequence number: the first slot the request does
// not carry a readable attempt in, else the one holding the oldest attempt (lowest Seq; seconds would
// tie).
func (a *Authenticator) freeSlot(r *http.Request) (slot int, seq int64) {
	free, oldest, oldestSeq := -1, 0, int64(math.MaxInt64)
	for i := range MaxLoginAttempts {
		name := a.attemptName(i)
		c, err := r.Cookie(name)
		var at attempt
		if err != nil || securecookie.DecodeMulti(name, c.Value, &at, a.attemptCodecs...) != nil {
			// Absent, or unreadable or expired (as good as free).
			if free < 0 {
				free = i
			}
			continue
		}
		seq = max(seq, at.Seq+1)
		if at.Seq < oldestSeq {
			oldest, oldestSeq = i, at.Seq
		}
	}
	if free >= 0 {
		return free, seq
	}
	return oldest, seq
}

// takeAttempt finds the attempt slot whose state is the callback's, expires that cookie whatever comes
// next, and checks it.
func (a *Authenticator) takeAttempt(w http.ResponseWriter, r *http.Request, state string) (*attempt, error) {
	if state == "" {
		return nil, fail(ErrNoLoginAttempt, "callback has no state", nil)
	}
	if len(state) != encodedLength {
		return nil, fail(ErrNoLoginAttempt, "callback state is not one of ours", nil)
	}
	var unreadable error
	for slot := range MaxLoginAttempts {
		name := a.attemptName(slot)
		c, err := r.Cookie(name)
		if err != nil {
			continue
		}
		var at attempt
		if err := securecookie.DecodeMulti(name, c.Value, &at, a.attemptCodecs...); err != nil {
			unreadable = err
			continue
		}
		if subtle.ConstantTimeCompare([]byte(at.State), []byte(state)) != 1 {
			continue // another tab's attempt: leave it
		}
		http.SetCookie(w, a.attemptCookie(name, "", -1))
		if !a.now().Before(time.Unix(at.Created, 0).Add(attemptTTL)) {
			return nil, fail(ErrNoLoginAttempt, "the sign-in attempt expired", nil)
		}
		return &at, nil
	}
	if unreadable != nil {
		// Tampered with, made with a retired key, or past securecookie's own max age.
		return nil, fail(ErrInvalidState, "read attempt cookie", unreadable)
	}
	return nil, fail(ErrNoLoginAttempt, "no attempt cookie for the callback state", nil)
}

// attemptCookie builds an attempt cookie; maxAge < 0 expires it. Lax (or None with Partitioned
// when the gateway is framed) so that the provider's top-level redirect to the callback carries it.
func (a *Authenticator) attemptCookie(name, value string, maxAge int) *http.Cookie {
	c := &http.Cookie{
		Name:        name,
		Value:       value,
		Path:        "/",
		MaxAge:      maxAge,
		HttpOnly:    true,
		Secure:      a.cfg.Cookies.Secure,
		SameSite:    a.attemptSameSite,
		Partitioned: a.attemptSameSite == http.SameSiteNoneMode,
	}
	// Expires for old browsers, on the real clock like the browser's.
	if maxAge > 0 {
		c.Expires = time.Now().Add(time.Duration(maxAge) * time.Second)
	} else if maxAge < 0 {
		c.Expires = time.Unix(1, 0)
	}
	return c
}

// randomToken returns 32 random bytes, base64url-encoded without padding (43 characters).
func randomToken() string {
	b := make([]byte, stateBytes)
	_, _ = rand.Read(b) // never fails since Go 1.24: it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}
