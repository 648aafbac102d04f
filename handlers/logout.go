package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleLogout handles "POST /logout" (CSRF-protected): it ends the gateway
// session and then, when the provider offers one, its session too, coming
// back to the home page.
func (s *server) handleLogout(c echo.Context) error {
	s.session(c) // only for the log line's user id
	if err := s.auth.ClearSession(c.Response(), c.Request()); err != nil {
		return err
	}
	target := "/"
	if u, ok := s.auth.EndSessionURL(s.postLogoutURL()); ok {
		target = u
	}
	return c.Redirect(http.StatusSeeOther, target)
}
