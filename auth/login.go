package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"
)

// Login attempt cookies. Each attempt has its own cookie, named after the first characters of its state,
// so two tabs signing in at once do not overwrite each other. Their Path is the redirect URL's path, so
// only the callback receives them. A small index cookie (Path=/, so that BeginLogin sees it wherever it
// is served) lists the outstanding attempts; when MaxLoginAttempts are outstanding, BeginLogin expires
// the oldest, so abandoned attempts cannot grow the callback's Cookie header into a 431. The index is
// advisory: a lost update only delays a cleanup, and every attempt cookie expires after 10 minutes anyway.
const (
	// AttemptCookiePrefix starts the name of every login attempt cookie; 16 characters of state follow.
	AttemptCookiePrefix = "tg_login_"
	// AttemptIndexCookieName is the cookie listing the outstanding attempts.
	AttemptIndexCookieName = "tg_logins"
	// MaxLoginAttempts is how many sign-in attempts may be outstanding at once per browser.
	MaxLoginAttempts = 3
	// MaxReturnToLength bounds returnTo so the attempt cookie stays under the browsers' 4 KB limit.
	MaxReturnToLength = 1800

	attemptTTL    = 10 * time.Minute
	stateBytes    = 32
	attemptIDLen  = 16
	encodedLength = 43 // base64url, unpadded, of stateBytes
)

// attempt is the content of an attempt cookie (JSON, encrypted and authenticated).
type attempt struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	ReturnTo string `json:"r,omitempty"`
	Created  int64  `json:"c"`
}

// indexEntry is one outstanding attempt in the index cookie, oldest first.
type indexEntry struct {
	ID      string `json:"i"`
	Created int64  `json:"c"`
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
	at := attempt{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), ReturnTo: returnTo, Created: now.Unix()}
	id := state[:attemptIDLen]
	value, err := securecookie.EncodeMulti(AttemptCookiePrefix+id, at, a.attemptCodecs...)
	if err != nil {
		return "", fmt.Errorf("auth: begin login: encode attempt cookie: %w", err)
	}

	index := a.readIndex(r)
	for len(index) >= MaxLoginAttempts {
		http.SetCookie(w, a.attemptCookie(AttemptCookiePrefix+index[0].ID, "", a.attemptPath, -1))
		index = index[1:]
	}
	index = append(index, indexEntry{ID: id, Created: at.Created})
	http.SetCookie(w, a.attemptCookie(AttemptCookiePrefix+id, value, a.attemptPath, maxAgeSeconds(attemptTTL)))
	a.writeIndex(w, index)

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
	return a.mapIdentity(ctx, d, idt, tok)
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

// takeAttempt finds the attempt cookie for state, expires it (and its index entry) whatever comes next,
// and checks it.
func (a *Authenticator) takeAttempt(w http.ResponseWriter, r *http.Request, state string) (*attempt, error) {
	if state == "" {
		return nil, fail(ErrNoLoginAttempt, "callback has no state", nil)
	}
	if len(state) != encodedLength {
		return nil, fail(ErrNoLoginAttempt, "callback state is not one of ours", nil)
	}
	id := state[:attemptIDLen]
	name := AttemptCookiePrefix + id
	c, err := r.Cookie(name)
	if err != nil {
		return nil, fail(ErrNoLoginAttempt, "no attempt cookie for the callback state", nil)
	}
	http.SetCookie(w, a.attemptCookie(name, "", a.attemptPath, -1))
	a.dropFromIndex(w, r, id)

	var at attempt
	if err := securecookie.DecodeMulti(name, c.Value, &at, a.attemptCodecs...); err != nil {
		return nil, fail(ErrInvalidState, "read attempt cookie", err)
	}
	if subtle.ConstantTimeCompare([]byte(at.State), []byte(state)) != 1 {
		return nil, fail(ErrInvalidState, "state does not match the attempt cookie", nil)
	}
	if !a.now().Before(time.Unix(at.Created, 0).Add(attemptTTL)) {
		return nil, fail(ErrNoLoginAttempt, "the sign-in attempt expired", nil)
	}
	return &at, nil
}

// readIndex returns the live entries of the index cookie; a missing or unreadable one is empty.
func (a *Authenticator) readIndex(r *http.Request) []indexEntry {
	c, err := r.Cookie(AttemptIndexCookieName)
	if err != nil {
		return nil
	}
	var index []indexEntry
	if err := securecookie.DecodeMulti(AttemptIndexCookieName, c.Value, &index, a.attemptCodecs...); err != nil {
		return nil
	}
	oldest := a.now().Add(-attemptTTL).Unix()
	live := index[:0]
	for _, e := range index {
		if e.Created > oldest && len(e.ID) == attemptIDLen {
			live = append(live, e)
		}
	}
	return live
}

func (a *Authenticator) writeIndex(w http.ResponseWriter, index []indexEntry) {
	if len(index) == 0 {
		http.SetCookie(w, a.attemptCookie(AttemptIndexCookieName, "", "/", -1))
		return
	}
	value, err := securecookie.EncodeMulti(AttemptIndexCookieName, index, a.attemptCodecs...)
	if err != nil {
		// Cannot happen with at most MaxLoginAttempts small entries; without the index the attempt
		// cookies still expire on their own.
		a.log.Warn("auth: encode login attempt index", "err", err)
		return
	}
	http.SetCookie(w, a.attemptCookie(AttemptIndexCookieName, value, "/", maxAgeSeconds(attemptTTL)))
}

func (a *Authenticator) dropFromIndex(w http.ResponseWriter, r *http.Request, id string) {
	if _, err := r.Cookie(AttemptIndexCookieName); err != nil {
		return
	}
	index := a.readIndex(r)
	kept := index[:0]
	for _, e := range index {
		if e.ID != id {
			kept = append(kept, e)
		}
	}
	a.writeIndex(w, kept)
}

// attemptCookie builds an attempt or index cookie; maxAge < 0 expires it. Lax (or None with Partitioned
// when the gateway is framed) so that the provider's top-level redirect to the callback carries it.
func (a *Authenticator) attemptCookie(name, value, path string, maxAge int) *http.Cookie {
	c := &http.Cookie{
		Name:        name,
		Value:       value,
		Path:        path,
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
