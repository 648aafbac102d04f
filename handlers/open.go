package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

// tutorLink is a validated /open or /embed request.
type tutorLink struct {
	// path is the path given to the Talkio app ("" = its dashboard).
	path string
	// hideChatSidebar adds hide-chat-sidebar=true to the Talkio URL.
	hideChatSidebar bool
	// pathParam and templateParam are the request's own validated values, for
	// rebuilding its query (return_to, the "Open in a new tab" link) only when
	// needed: not on a signed-in /open.
	pathParam, templateParam string
}

// parseTutorLink validates the query of /open and /embed: path or template
// (see talkio.AppPath), hide_chat_sidebar true|false, each at most once.
func parseTutorLink(rawQuery string) (*tutorLink, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, &InputError{"query", "the link's query is malformed"}
	}
	for _, k := range []string{"path", "template", "hide_chat_sidebar"} {
		if len(q[k]) > 1 {
			return nil, &InputError{k, k + " appears more than once"}
		}
	}
	path, err := talkio.AppPath(q.Get("path"), q.Get("template"))
	if err != nil {
		return nil, err
	}
	l := &tutorLink{path: path, pathParam: q.Get("path"), templateParam: q.Get("template")}
	switch q.Get("hide_chat_sidebar") {
	case "", "false":
	case "true":
		l.hideChatSidebar = true
	default:
		return nil, &InputError{"hide_chat_sidebar", "hide_chat_sidebar must be true or false"}
	}
	return l, nil
}

// localURL is route with the link's validated query.
func (l *tutorLink) localURL(route string) string {
	q := url.Values{}
	if l.pathParam != "" {
		q.Set("path", l.pathParam)
	}
	if l.templateParam != "" {
		q.Set("template", l.templateParam)
	}
	if l.hideChatSidebar {
		q.Set("hide_chat_sidebar", "true")
	}
	if len(q) == 0 {
		return route
	}
	return route + "?" + q.Encode()
}

// tutorURL fetches a fresh login token for the signed-in user and returns the
// Talkio login URL; the token is used once, right away, and never kept or
// logged. Without a usable session it returns instead where to sign in
// (coming back to route with the same link).
func (s *server) tutorURL(c echo.Context, route string, l *tutorLink) (tutor, signIn string, err error) {
	signIn = signInURL(l.localURL(route))
	sess := s.session(c)
	if sess == nil {
		return "", signIn, nil
	}
	if s.provisioner.Client(sess.Organization) == nil {
		// A session from before the organization map changed.
		return "", signIn, s.auth.ClearSession(c.Response(), c.Request())
	}
	// Token explains a refusal: an account that expired in Talkio is
	// provision.ErrAccountExpired (the 403 "access has ended" page), whatever
	// status the API used for it.
	tok, err := s.provisioner.Token(c.Request().Context(), sess.Organization, sess.UserID)
	if errors.Is(err, provision.ErrNoUser) {
		// Deleted in Talkio since this session began: signing in again
		// provisions it anew.
		s.log.Info("user no longer in Talkio; signing in again", "request_id", requestIDOf(c), "user_id", sess.UserID)
		return "", signIn, s.auth.ClearSession(c.Response(), c.Request())
	}
	if err != nil {
		return "", "", err
	}
	return s.loginURL.Build(tok.Token, l.path, l.hideChatSidebar), "", nil
}

// handleOpen handles "GET /open": a 302 into the Talkio app with a fresh
// token, at the link's path or template.
func (s *server) handleOpen(c echo.Context) error {
	l, err := parseTutorLink(c.Request().URL.RawQuery)
	if err != nil {
		return err
	}
	tutor, signIn, err := s.tutorURL(c, "/open", l)
	switch {
	case err != nil:
		return err
	case signIn != "":
		return c.Redirect(http.StatusFound, signIn)
	}
	return c.Redirect(http.StatusFound, tutor)
}

// handleEmbed handles "GET /embed": a page with the Talkio app in a
// full-viewport iframe, with a fresh token, and a link that opens the same
// place in a new tab (through /open, so with its own fresh token) for
// browsers that block the framed app's cookies.
func (s *server) handleEmbed(c echo.Context) error {
	l, err := parseTutorLink(c.Request().URL.RawQuery)
	if err != nil {
		return err
	}
	tutor, signIn, err := s.tutorURL(c, "/embed", l)
	switch {
	case err != nil:
		return err
	case signIn != "":
		return c.Redirect(http.StatusFound, signIn)
	}
	newTab := &tutorLink{pathParam: l.pathParam, templateParam: l.templateParam}
	return s.render(c, http.StatusOK, "embed.html", struct {
		FrameSrc  string
		NewTabURL string
	}{tutor, newTab.localURL("/open")})
}
