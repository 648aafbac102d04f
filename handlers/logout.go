package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"talkio-gateway/auth"
)

// handleLogout handles "POST /logout" (cross-origin protected): it ends the
// gateway session and then, when the provider offers one, its session too
// (RP-Initiated Logout 1.0, with the ID token as id_token_hint when the
// session kept it), coming back to the home page.
func (s *server) handleLogout(c echo.Context) error {
	s.session(c) // only for the log line's user id
	hint := s.auth.LogoutHint(c.Request())
	if err := s.auth.ClearSession(c.Response(), c.Request()); err != nil {
		return err
	}
	target := "/"
	if u, ok := s.auth.EndSessionURL(s.postLogoutURL(), hint); ok {
		target = u
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// handleLogoutPage handles "GET /logout" (a bookmarked or typed address): a
// page whose button sends the POST, instead of a bare 405. A GET never signs
// out by itself: a link or an image on another site could trigger it.
func (s *server) handleLogoutPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "logout.html", struct{ Session *auth.Session }{s.session(c)})
}
