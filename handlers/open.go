package handlers

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

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
	first, n, err := tutorLinkParams(rawQuery)
	if err != nil {
		return nil, &InputError{"query", "the link's query is malformed"}
	}
	for i, k := range tutorLinkKeys {
		if n[i] > 1 {
			return nil, &InputError{k, k + " appears more than once"}
		}
	}
	pathParam, templateParam, hide := first[0], first[1], first[2]
	path, err := talkio.AppPath(pathParam, templateParam)
	if err != nil {
		return nil, err
	}
	l := &tutorLink{path: path, pathParam: pathParam, templateParam: templateParam}
	switch hide {
	case "", "false":
	case "true":
		l.hideChatSidebar = true
	default:
		return nil, &InputError{"hide_chat_sidebar", "hide_chat_sidebar must be true or false"}
	}
	return l, nil
}

// tutorLinkKeys are the parameters of a tutor link, in the order their
// duplicates are reported.
var tutorLinkKeys = [3]string{"path", "template", "hide_chat_sidebar"}

// tutorLinkParams is url.ParseQuery reduced to the tutor link's parameters:
// the first value of each and how many times it appears, and ParseQuery's
// error for a malformed query (a bad escape or a semicolon anywhere in it).
// Without the map and slices of every parameter that ParseQuery builds, and
// without allocating at all when nothing is escaped: it runs on every open.
// A query of many parameters goes through url.ParseQuery itself, which also
// limits their number.
func tutorLinkParams(rawQuery string) (first [3]string, n [3]int, err error) {
	if strings.Count(rawQuery, "&") >= 32 {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return first, n, err
		}
		for i, k := range tutorLinkKeys {
			if vs := q[k]; len(vs) > 0 {
				first[i], n[i] = vs[0], len(vs)
			}
		}
		return first, n, nil
	}
	for rest := rawQuery; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "&")
		if strings.Contains(part, ";") {
			err = errors.New("invalid semicolon separator in query")
			continue
		}
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		if err1 == nil {
			v, err1 = url.QueryUnescape(v)
		}
		if err1 != nil {
			err = cmp.Or(err, err1)
			continue
		}
		for i, name := range tutorLinkKeys {
			if k == name {
				if n[i] == 0 {
					first[i] = v
				}
				n[i]++
			}
		}
	}
	return first, n, err
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
// logged. Without a usable session it returns signedOut, and the caller
// starts a sign-in that comes back to the same link.
func (s *server) tutorURL(c echo.Context, l *tutorLink) (tutor string, signedOut bool, err error) {
	sess := s.session(c)
	if sess == nil {
		return "", true, nil
	}
	if s.provisioner.Client(sess.Organization) == nil {
		// A session from before the organization map changed.
		return "", true, s.auth.ClearSession(c.Response(), c.Request())
	}
	// Token explains a refusal: an account that expired in Talkio is
	// provision.ErrAccountExpired (the 403 "access has ended" page), whatever
	// status the API used for it.
	tok, err := s.provisioner.Token(c.Request().Context(), sess.Organization, sess.UserID)
	if errors.Is(err, provision.ErrNoUser) && !s.provisioner.SignInCreates() {
		// The directory (SCIM) removed this person since the session began: a
		// new sign-in would not bring them back, so their access has ended.
		s.log.Info("user removed from Talkio by the directory", "request_id", requestIDOf(c), "user_id", sess.UserID)
		if cerr := s.auth.ClearSession(c.Response(), c.Request()); cerr != nil {
			return "", false, cerr
		}
		return "", false, fmt.Errorf("handlers: user removed: %w", provision.ErrAccountExpired)
	}
	if errors.Is(err, provision.ErrNoUser) {
		// Deleted in Talkio since this session began: signing in again
		// provisions it anew.
		s.log.Info("user no longer in Talkio; signing in again", "request_id", requestIDOf(c), "user_id", sess.UserID)
		return "", true, s.auth.ClearSession(c.Response(), c.Request())
	}
	if err != nil {
		return "", false, err
	}
	return s.loginURL.Build(tok.Token, l.path, l.hideChatSidebar), false, nil
}

// handleOpen handles "GET /open": a 302 into the Talkio app with a fresh
// token, at the link's path or template. Signed out, it goes straight to the
// provider; the callback then finishes the open itself.
func (s *server) handleOpen(c echo.Context) error {
	return s.serveTutorLink(c, "/open", func(tutor string, _ *tutorLink) error {
		return c.Redirect(http.StatusFound, tutor)
	})
}

// handleEmbed handles "GET /embed": a page with the Talkio app in a
// full-viewport iframe, with a fresh token, and a link that opens the same
// place in a new tab (through /open, so with its own fresh token) for
// browsers that block the framed app's cookies. Signed out, it goes straight
// to the provider, like /open.
func (s *server) handleEmbed(c echo.Context) error {
	return s.serveTutorLink(c, "/embed", func(tutor string, l *tutorLink) error {
		return s.renderEmbed(c, tutor, l)
	})
}

// serveTutorLink is what /open and /embed share: parse the link, fetch a fresh
// Talkio login URL for it and hand that to answer; signed out, begin a sign-in
// that comes back to route.
func (s *server) serveTutorLink(c echo.Context, route string, answer func(tutor string, l *tutorLink) error) error {
	l, err := parseTutorLink(c.Request().URL.RawQuery)
	if err != nil {
		return err
	}
	tutor, signedOut, err := s.tutorURL(c, l)
	switch {
	case err != nil:
		return err
	case signedOut:
		return s.beginSignIn(c, l.localURL(route))
	}
	return answer(tutor, l)
}

// renderEmbed answers the embed page for the Talkio login URL tutor, at /embed
// or at the end of a sign-in that started there.
func (s *server) renderEmbed(c echo.Context, tutor string, l *tutorLink) error {
	newTab := &tutorLink{pathParam: l.pathParam, templateParam: l.templateParam}
	return s.render(c, http.StatusOK, "embed.html", struct {
		FrameSrc  string
		NewTabURL string
	}{tutor, newTab.localURL("/open")})
}

// tutorIntent is what a sign-in that comes back to returnTo goes on to do:
// open or embed a tutor link (route "/open" or "/embed"), or, with a nil link,
// just come back (the home page). The link is parsed by the routes' own rule,
// parseTutorLink.
func tutorIntent(returnTo string) (route string, l *tutorLink) {
	route, query, _ := strings.Cut(returnTo, "?")
	if route != "/open" && route != "/embed" {
		return "", nil
	}
	l, err := parseTutorLink(query)
	if err != nil {
		// Only a link that the rules refuse since the sign-in began: the
		// browser goes back to it and the route shows why.
		return "", nil
	}
	return route, l
}
