package scim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"

	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

// Error is a SCIM error response (RFC 7644 §3.12) with the Retry-After a 429 or 503 carries.
type Error struct {
	Status     int
	ScimType   string // "" or one of RFC 7644's Table 9 keywords
	Detail     string
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return "scim: " + strconv.Itoa(e.Status) + " " + e.ScimType + ": " + e.Detail
}

// MarshalJSON writes the RFC's error body; status is a string there.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Schemas  []string `json:"schemas"`
		ScimType string   `json:"scimType,omitempty"`
		Detail   string   `json:"detail,omitempty"`
		Status   string   `json:"status"`
	}{[]string{"urn:ietf:params:scim:api:messages:2.0:Error"}, e.ScimType, e.Detail, strconv.Itoa(e.Status)})
}

func writeError(w http.ResponseWriter, e *Error) {
	body, _ := json.Marshal(e) // only strings and an int: cannot fail
	w.Header().Set("Content-Type", "application/scim+json")
	w.Header().Set("Cache-Control", "no-store")
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// The library maps every error a resource handler returns through a table of statuses per method and
// turns anything outside it (429, 502, 503, a 409 on GET) into a 500 carrying err.Error(). So a
// resource handler puts its decided Error into the request's slot and returns it; the response writer
// below sees the library's status line and writes the slot's error instead of the library's.
type errorSlot struct{ err *Error }

type slotKey struct{}

// fail records e as the request's answer and returns it for the library.
func fail(r *http.Request, e *Error) error {
	if s, ok := r.Context().Value(slotKey{}).(*errorSlot); ok {
		s.err = e
	}
	return scimerrors.ScimError{Status: e.Status, ScimType: scimerrors.ScimType(e.ScimType), Detail: e.Detail}
}

// responseWriter notes the status and replaces a failure the library writes with the slot's error.
type responseWriter struct {
	http.ResponseWriter
	slot     *errorSlot
	status   int
	swallow  bool // the library's own error body is being discarded
	override bool
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	if code >= 400 && w.slot != nil && w.slot.err != nil && !w.override {
		w.override = true
		e := w.slot.err
		writeError(w, e) // re-enters WriteHeader with e.Status
		w.swallow = true
		return
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.swallow {
		return len(b), nil
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
		if w.swallow {
			return len(b), nil
		}
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Errors the handlers answer with.
func errInvalidValue(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: detail}
}

func errInvalidFilter(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, ScimType: "invalidFilter", Detail: detail}
}

func errNotFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Detail: what + " not found."}
}

// errSuspended answers for a person Talkio holds as suspended: the Partner API can update only
// active users, so it cannot reactivate one, and re-creating it would lose its usage history.
var errSuspended = &Error{Status: http.StatusConflict, ScimType: "uniqueness",
	Detail: "Talkio holds this user as suspended (deactivated earlier with SCIM_DEACTIVATE=suspend, or expired), and the " +
		"Partner API cannot reactivate a suspended user. To give the person access again, delete the suspended account " +
		"with the gateway's admin CLI (users delete; its usage history goes with it), then provision the user again."}

// toSCIM maps a provisioning or Partner API failure onto the SCIM error the identity provider should
// see. The Partner API's messages are kept out: they may quote values.
func (o *Options) toSCIM(err error) *Error {
	e := o.classify(err)
	if e.Status >= http.StatusInternalServerError {
		// For the operator; the identity provider gets the sentence only.
		o.Logger.Error("scim: request failed", "status", e.Status, "error", err)
	}
	return e
}

func (o *Options) classify(err error) *Error {
	var e *Error
	var verr *talkio.ValidationError
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, provision.ErrNotAllowed):
		return &Error{Status: http.StatusForbidden,
			Detail: "The user is in none of the gateway's ALLOWED_GROUPS. Send the user's groups in \"roles\" (see the gateway's docs/scim.md) or assign only allowed users."}
	case errors.Is(err, provision.ErrNoOrganization):
		return errInvalidValue("The user's organization (the enterprise extension's \"organization\") maps to no Talkio organization in the gateway's TALKIO_ORGANIZATION_MAP.")
	case errors.Is(err, provision.ErrAccountExpired):
		return errSuspended
	case errors.As(err, &verr):
		return errInvalidValue("Talkio would refuse the value of " + verr.Field + ": " + verr.Problem + ".")
	case errors.Is(err, talkio.ErrConflict):
		return &Error{Status: http.StatusConflict, ScimType: "uniqueness", Detail: "Talkio already holds a user with this id."}
	case errors.Is(err, talkio.ErrNotFound):
		return errNotFound("User")
	case errors.Is(err, talkio.ErrBadRequest):
		return errInvalidValue("The Talkio Partner API refused the user's values (check the email and phone number).")
	case errors.Is(err, talkio.ErrRateLimited):
		return &Error{Status: http.StatusTooManyRequests, Detail: "The Talkio Partner API is rate limiting the gateway; retry later.", RetryAfter: retryAfter(err, o.RetryAfter)}
	case errors.Is(err, talkio.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Detail: "The Talkio Partner API is unavailable; retry later.", RetryAfter: retryAfter(err, o.RetryAfter)}
	case errors.Is(err, talkio.ErrUnauthorized):
		// The gateway's own Partner API key was refused: the operator's problem, never the identity
		// provider's token (that would be a 401).
		return &Error{Status: http.StatusBadGateway, Detail: "The Talkio Partner API refused the gateway's own credentials; the gateway's operator must check TALKIO_PROVIDER and TALKIO_API_KEY."}
	default:
		return &Error{Status: http.StatusInternalServerError, Detail: "The gateway failed to complete the request; its logs have the details."}
	}
}

// retryAfter is the Partner API's own Retry-After when it sent one, else def: the identity provider
// backs off as long as Talkio asked.
func retryAfter(err error, def time.Duration) time.Duration {
	var te *talkio.Error
	if errors.As(err, &te) && te.RetryAfter > 0 {
		return te.RetryAfter
	}
	return def
}
