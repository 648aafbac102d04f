package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"talkio-gateway/auth"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

// link is an action offered on an error page, e.g. "Sign in again".
type link struct {
	Label string
	URL   string
}

// actionError attaches an action link to an error; the link is the
// handler's choice, the status still comes from the wrapped error.
type actionError struct {
	err    error
	action link
}

func (e *actionError) Error() string { return e.err.Error() }
func (e *actionError) Unwrap() error { return e.err }

func withAction(err error, label, url string) error {
	return &actionError{err: err, action: link{Label: label, URL: url}}
}

// signInAgain is the one fresh sign-in an error page offers after a failed
// callback: a plain link, never an automatic redirect, so it cannot loop.
var signInAgain = &link{Label: "Sign in again", URL: "/login"}

// errorPage is what a person sees for an error. Message may hold one %s: the
// support contact.
type errorPage struct {
	Status     int
	Title      string
	Message    string
	Action     *link
	RetryAfter string
}

// errorKinds maps error kinds to pages, first match wins (the way
// benbjohnson/wtf maps error codes to statuses).
var errorKinds = []struct {
	match func(error) bool
	page  func(error) errorPage
}{
	{isA[*InputError], func(err error) errorPage {
		var ie *InputError
		errors.As(err, &ie)
		return badLink(ie.Problem)
	}},
	{isA[*talkio.LinkError], func(err error) errorPage {
		var le *talkio.LinkError
		errors.As(err, &le)
		return badLink(le.Problem)
	}},
	{isA[*csrfError], fixed(errorPage{Status: http.StatusForbidden, Title: "Please try again",
		Message: "This form has expired or was sent from another site. Go back to the home page and try again."})},
	{func(err error) bool { _, ok := provisionPages[provision.Classify(err)]; return ok },
		func(err error) errorPage { return provisionPages[provision.Classify(err)] }},
	{isA[*tooManyOpens], func(err error) errorPage {
		var t *tooManyOpens
		errors.As(err, &t)
		return errorPage{Status: http.StatusTooManyRequests, Title: "Slow down a little",
			Message: "You opened the tutor many times in a short while. Wait a moment, then try again.", RetryAfter: t.retryAfterSeconds()}
	}},
	{is(auth.ErrProviderUnavailable), fixed(errorPage{Status: http.StatusServiceUnavailable, Title: "Sign-in temporarily unavailable",
		Message: "We cannot reach the sign-in service right now. Please try again in a minute.", RetryAfter: "30"})},
	{is(auth.ErrNoLoginAttempt), fixed(errorPage{Status: http.StatusBadRequest, Title: "This sign-in has expired",
		Message: "This sign-in took too long, was already completed, or your browser blocked the cookie it needs. " +
			"Start a new sign-in; if this keeps happening, allow cookies for this site.", Action: signInAgain})},
	{is(auth.ErrInvalidState), fixed(errorPage{Status: http.StatusBadRequest, Title: "Sign-in could not be checked",
		Message: "The answer from the sign-in service does not match the sign-in you started. Please sign in again.", Action: signInAgain})},
	{isA[*auth.ProviderError], func(err error) errorPage {
		var pe *auth.ProviderError
		errors.As(err, &pe)
		if pe.Code == "access_denied" {
			return errorPage{Status: http.StatusForbidden, Title: "Sign-in was not completed",
				Message: "The sign-in service did not grant access; the sign-in may have been cancelled.", Action: signInAgain}
		}
		return errorPage{Status: http.StatusBadRequest, Title: "Sign-in failed",
			Message: "The sign-in service reported a problem with this sign-in.", Action: signInAgain}
	}},
	{is(auth.ErrVerification), fixed(errorPage{Status: http.StatusUnauthorized, Title: "Sign-in could not be verified",
		Message: "We could not verify the answer from the sign-in service. Please sign in again.", Action: signInAgain})},
	{is(auth.ErrGroupOverage), fixed(errorPage{Status: http.StatusForbidden, Title: "Too many groups to check your access",
		Message: "Your account is in so many groups that the sign-in service left them out, so we cannot check your access. " +
			"Ask %s to configure the sign-in application to send only the groups assigned to it " +
			"(Entra ID: “Groups assigned to the application”) or app roles."})},
	{is(auth.ErrInvalidUserID), fixed(errorPage{Status: http.StatusForbidden, Title: "Your account cannot be used",
		Message: "Your account has no user id that the Talkio tutor can use. Ask %s to check the sign-in configuration."})},
	{is(auth.ErrInvalidClaim), fixed(errorPage{Status: http.StatusForbidden, Title: "Your account cannot be used",
		Message: "Some of your account details from the sign-in service could not be read. Ask %s to check the sign-in configuration."})},
	{isA[*echo.HTTPError], func(err error) errorPage {
		var he *echo.HTTPError
		errors.As(err, &he)
		switch he.Code {
		case http.StatusNotFound:
			return errorPage{Status: he.Code, Title: "Page not found", Message: "There is no page at this address."}
		case http.StatusMethodNotAllowed:
			return errorPage{Status: he.Code, Title: "Not allowed", Message: "This page cannot be used that way."}
		}
		if he.Code >= 500 {
			return errorPage{Status: he.Code, Title: "Something went wrong", Message: "Something went wrong on our side. Please try again."}
		}
		return errorPage{Status: he.Code, Title: http.StatusText(he.Code), Message: "The request could not be handled."}
	}},
}

// provisionPages are the pages of provisioning's outcomes: provision.Classify
// is the one classification of its refusals and of Partner API failures (the
// sign-in metrics read it too).
var provisionPages = map[provision.Outcome]errorPage{
	provision.Expired: {Status: http.StatusForbidden, Title: "Your access has ended",
		Message: "Your Talkio access has expired. Ask %s to restore it."},
	provision.RefusedGroup: {Status: http.StatusForbidden, Title: "No access to the tutor",
		Message: "Your account is not in a group that has access to the Talkio tutor. Ask %s for access."},
	provision.RefusedOrganization: {Status: http.StatusForbidden, Title: "No organization for your account",
		Message: "Your account does not belong to an organization that uses the Talkio tutor. Ask %s to set it up."},
	provision.NotProvisioned: {Status: http.StatusForbidden, Title: "No access to the tutor",
		Message: "Your account has not been given access to the Talkio tutor. Ask %s for access."},
	provision.ReservedID: {Status: http.StatusForbidden, Title: "Your account cannot be used",
		Message: "Your account has a user id that the Talkio tutor cannot use. Ask %s to check the sign-in configuration."},
	provision.TalkioBusy: {Status: http.StatusServiceUnavailable, Title: "Talkio is temporarily unavailable",
		Message: "The Talkio service is busy or briefly down. Please try again in a minute.", RetryAfter: "30"},
	provision.TalkioFailed: {Status: http.StatusBadGateway, Title: "Talkio did not answer",
		Message: "We could not get an answer from the Talkio service. Please try again in a moment; if it keeps happening, tell %s."},
}

var internalError = errorPage{Status: http.StatusInternalServerError, Title: "Something went wrong",
	Message: "Something went wrong on our side. Please try again; if it keeps happening, tell %s and mention the request id below."}

func fixed(p errorPage) func(error) errorPage { return func(error) errorPage { return p } }

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

func isA[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

// badLink is the page for a link the gateway refuses.
func badLink(problem string) errorPage {
	return errorPage{Status: http.StatusBadRequest, Title: "This link cannot be used",
		Message: upperFirst(problem) + ". Ask whoever gave you the link for a corrected one."}
}

// pageFor finds the page for err.
func (s *server) pageFor(err error) errorPage {
	p := internalError
	for _, k := range errorKinds {
		if k.match(err) {
			p = k.page(err)
			break
		}
	}
	if strings.Contains(p.Message, "%s") {
		p.Message = fmt.Sprintf(p.Message, s.support)
	}
	var ae *actionError
	if errors.As(err, &ae) {
		p.Action = &ae.action
	}
	return p
}

// handleError is the one Echo HTTPErrorHandler: it renders the error page (or
// JSON for a client that asks for it) with the status of the error's kind and
// the request id. The error's own text goes to the request log line only.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := s.pageFor(err)
	h := c.Response().Header()
	if p.RetryAfter != "" {
		h.Set("Retry-After", p.RetryAfter)
	}
	rid := requestIDOf(c)
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	if wantsJSON(c.Request()) {
		_ = c.JSON(p.Status, map[string]any{"error": p.Message, "status": p.Status, "request_id": rid})
		return
	}
	type errorData struct {
		errorPage
		RequestID string
	}
	if rerr := s.render(c, p.Status, "error.html", errorData{errorPage: p, RequestID: rid}); rerr != nil {
		s.log.Error("render error page", "request_id", rid, "error", rerr)
	}
}

// wantsJSON: the client accepts JSON and does not ask for HTML.
func wantsJSON(r *http.Request) bool {
	a := r.Header.Get(echo.HeaderAccept)
	return strings.Contains(a, "application/json") && !strings.Contains(a, "text/html")
}

// pageData is what every template gets: the layout's fields and the page's own.
type pageData struct {
	Demo    bool
	Embed   bool
	Assets  assets
	Refresh string // a local URL the page moves on to at once (meta refresh; the CSP allows no script)
	Page    any
}

// render executes a page into a buffer first, so a template failure is a
// clean 500 instead of half a page.
func (s *server) render(c echo.Context, status int, name string, page any) error {
	var buf bytes.Buffer
	data := pageData{Demo: s.demo, Embed: name == "embed.html", Assets: s.assets, Page: page}
	if p, ok := page.(continuePage); ok {
		data.Refresh = p.ReturnTo
	}
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		_ = c.String(http.StatusInternalServerError, "Internal Server Error")
		return fmt.Errorf("handlers: render %s: %w", name, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// upperFirst capitalizes an ASCII sentence start (problems are fixed ASCII text).
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
