package talkio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors matched by errors.Is against an *Error:
//
//	if errors.Is(err, talkio.ErrNotFound) { … }
var (
	ErrNotFound     = errors.New("talkio: not found")    // 404
	ErrConflict     = errors.New("talkio: conflict")     // 409
	ErrUnauthorized = errors.New("talkio: unauthorized") // 401, 403
	ErrRateLimited  = errors.New("talkio: rate limited") // 429
	ErrUnavailable  = errors.New("talkio: unavailable")  // 502, 503, 504, connection errors
	ErrBadRequest   = errors.New("talkio: bad request")  // 400, 422
)

// Error is a failed call: the API answered with a non-2xx status, or (StatusCode 0) no response arrived
// even after retries. It never holds a header, the API key or the provider id.
type Error struct {
	// StatusCode is the HTTP status, 0 when the request failed in transport.
	StatusCode int
	// Message is the API's explanation (the body's "message" or "error" field, or its text), or the
	// transport error.
	Message string
	// RequestID is the response's x-request-id header, when present; quote it to Talkio support.
	RequestID string
	// Endpoint is the method and path template, e.g. "GET /users/{id}".
	Endpoint string
	// RetryAfter is the answer's Retry-After (a 429 or 503), 0 when it had none; a caller that passes
	// the failure on (the SCIM service) hands it to its own client.
	RetryAfter time.Duration

	cause error // transport failure, for errors.Is(err, context.DeadlineExceeded) and friends
}

// Error formats as "talkio: GET /users/{id}: 404 Not Found: user not found (request id abc)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("talkio: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	if e.StatusCode != 0 {
		b.WriteString(strconv.Itoa(e.StatusCode))
		if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteByte(' ')
			b.WriteString(t)
		}
		if e.Message != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Message)
	if e.RequestID != "" {
		b.WriteString(" (request id ")
		b.WriteString(e.RequestID)
		b.WriteByte(')')
	}
	return b.String()
}

// Is reports whether e belongs to one of the package's sentinel errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrUnavailable:
		switch e.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		case 0:
			// A transport failure or a deadline means the API did not serve us; a cancellation by the
			// caller says nothing about the API.
			return !errors.Is(e.cause, context.Canceled)
		}
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	}
	return false
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.cause }

// maxMessage bounds Error.Message, so a server returning a whole HTML page does not flood logs.
const maxMessage = 512

// responseError builds an *Error from a non-2xx response, reading at most maxErrorBody of its body.
func (c *Client) responseError(r *request, resp *http.Response) *Error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return &Error{
		StatusCode: resp.StatusCode,
		// Redacted before the message is cut, or the cut could leave a piece of an echoed key, and
		// again after, for a key the body held JSON-escaped.
		Message:   c.redact(errorMessage([]byte(c.redact(string(data))))),
		RequestID: clean(c.redact(resp.Header.Get("X-Request-Id")), 128),
		Endpoint:  r.endpoint,
	}
}

// errorMessage extracts the explanation from an error body: a JSON "message" (string or list of
// strings, as NestJS validation errors have it) or "error" field, else the body's text.
func errorMessage(data []byte) string {
	var body struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil {
		for _, raw := range []json.RawMessage{body.Message, body.Error} {
			var s string
			if json.Unmarshal(raw, &s) == nil && s != "" {
				return clean(s, maxMessage)
			}
			var list []string
			if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
				return clean(strings.Join(list, "; "), maxMessage)
			}
		}
		return ""
	}
	return clean(string(data), maxMessage)
}

// clean collapses whitespace and control characters (no log injection through a message) and cuts s
// to at most n bytes on a rune boundary.
func clean(s string, n int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// redact removes the credentials from s, in case a server echoes a header back in its error message.
func (c *Client) redact(s string) string {
	provider, apiKey := c.creds()
	for _, secret := range []string{apiKey[0], provider[0]} {
		if secret != "" && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// ValidationError reports an argument rejected before any request was sent.
type ValidationError struct {
	Field   string // the JSON or query name of the field, e.g. "limit"
	Problem string // e.g. "must be between 10 and 100"
}

func (e *ValidationError) Error() string { return "talkio: " + e.Field + ": " + e.Problem }
