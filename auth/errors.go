package auth

import (
	"errors"
	"strings"
	"unicode"
)

// Error kinds. Every error the package returns from a sign-in or session call is one of these (test with
// errors.Is / errors.As); the text adds the step that failed, for logs. The suggested HTTP status is what
// the gateway's error pages use.
var (
	// ErrProviderUnavailable: discovery has not succeeded yet, or the provider could not be reached during
	// the callback (503).
	ErrProviderUnavailable = errors.New("auth: sign-in provider unavailable")

	// ErrNoLoginAttempt: the callback has no state, or the browser sent no (live) attempt cookie for it —
	// an expired or already finished attempt, or blocked cookies (400). Show a page with one fresh sign-in
	// link; never send the browser back to the provider automatically, which could loop.
	ErrNoLoginAttempt = errors.New("auth: no sign-in attempt matches this callback (expired, already used, or cookies blocked)")

	// ErrInvalidState: an attempt cookie was sent but is not valid for this callback: tampered with, made
	// with a retired key, or its state differs (400).
	ErrInvalidState = errors.New("auth: sign-in state is invalid")

	// ErrVerification: the code exchange, the ID token (signature, issuer, audience, expiry, nonce, access
	// token hash) or the userinfo answer was refused (401).
	ErrVerification = errors.New("auth: sign-in verification failed")

	// ErrGroupOverage: the ID token announces that the groups were left out because the user is in too
	// many (Microsoft Entra ID "group overage") (403). The message says how to configure the provider.
	ErrGroupOverage = errors.New("auth: the provider left the groups out of the ID token because the user is in too many groups " +
		"(Entra ID group overage); configure the app registration to emit only \"Groups assigned to the application\", " +
		"or use app roles and map them with CLAIM_GROUPS=roles")

	// ErrInvalidUserID: the mapped user id claim is missing, empty, not a string or number, or longer than
	// MaxUserIDLength (403).
	ErrInvalidUserID = errors.New("auth: the user id claim is missing or unusable")

	// ErrInvalidClaim: another mapped claim has a value that cannot be used (e.g. an account expiry that is
	// neither RFC 3339 nor Unix seconds, or groups that are not strings) (403; the provider's configuration
	// needs fixing).
	ErrInvalidClaim = errors.New("auth: a mapped claim has an unusable value")

	// ErrNoSession: no session cookie, or one that is tampered with, undecodable (e.g. its key was retired)
	// or expired. Handlers send the browser to sign in.
	ErrNoSession = errors.New("auth: no valid session")
)

// ProviderError is the provider's own refusal, passed to the callback as error= (RFC 6749 §4.1.2.1), e.g.
// access_denied when the user cancelled. Suggested status: 403 for access_denied, else 400. Both fields
// come from the query string: they are cleaned of control characters and shortened, but are still
// untrusted text to be escaped when shown.
type ProviderError struct {
	Code        string
	Description string
}

func (e *ProviderError) Error() string {
	if e.Description == "" {
		return "auth: the provider refused the sign-in: " + e.Code
	}
	return "auth: the provider refused the sign-in: " + e.Code + ": " + e.Description
}

// stepError names the step that failed, keeps the cause for errors.As, and classifies it under one of the
// kinds above for errors.Is.
type stepError struct {
	kind error
	step string
	err  error
}

func (e *stepError) Error() string {
	if e.err == nil {
		return "auth: " + e.step
	}
	return "auth: " + e.step + ": " + e.err.Error()
}

func (e *stepError) Unwrap() []error {
	if e.err == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.err}
}

func fail(kind error, step string, err error) error {
	return &stepError{kind: kind, step: step, err: err}
}

// cleanParam makes a query parameter fit for an error message and a log line: printable characters only,
// at most max bytes.
func cleanParam(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		// Cutting may split a rune; ToValidUTF8 drops the broken tail.
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}
