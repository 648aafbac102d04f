package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"talkio-gateway/auth"
)

// handleHome handles "GET /": who is signed in and the links into the tutor;
// signed out, a sign-in button. In demo mode it plays the partner portal.
func (s *server) handleHome(c echo.Context) error {
	return s.render(c, http.StatusOK, "home.html", struct{ Session *auth.Session }{s.session(c)})
}
