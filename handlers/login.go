package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleLogin handles "GET /login": it validates return_to (a page of this
// gateway, default "/") and starts the authorization code flow. Someone
// already signed in goes straight to return_to.
func (s *server) handleLogin(c echo.Context) error {
	q := c.QueryParams()
	if len(q["return_to"]) > 1 {
		return &InputError{"return_to", "the return address appears more than once"}
	}
	returnTo, err := ValidateReturnTo(q.Get("return_to"))
	if err != nil {
		return err
	}
	if s.session(c) != nil {
		return c.Redirect(http.StatusFound, returnTo)
	}
	return s.beginSignIn(c, returnTo)
}

// beginSignIn starts the authorization code flow, coming back to returnTo
// afterwards, and sends the browser to the provider. returnTo goes through
// ValidateReturnTo here, whoever built it: /login from its query, /open and
// /embed from their validated link.
func (s *server) beginSignIn(c echo.Context, returnTo string) error {
	returnTo, err := ValidateReturnTo(returnTo)
	if err != nil {
		return err
	}
	u, err := s.auth.BeginLogin(c.Response(), c.Request(), returnTo)
	if err != nil {
		return withAction(err, "Try again", signInURL(returnTo))
	}
	return c.Redirect(http.StatusFound, u)
}
