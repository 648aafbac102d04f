package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"talkio-gateway/auth"
)

// handleCallback handles "GET /auth/callback": auth verifies the provider's
// answer (state, PKCE, ID token, nonce) and maps the claims; then the policy
// and provisioning run, the session is saved, and the browser goes back to
// where the sign-in started. Any failure is an error page; there is never an
// automatic redirect back to the provider, which could loop.
func (s *server) handleCallback(c echo.Context) error {
	ctx := c.Request().Context()
	id, returnTo, err := s.auth.FinishLogin(ctx, c.Response(), c.Request())
	if err != nil {
		return err
	}
	c.Set(ctxUserID, id.UserID)
	// auth keeps return_to in its encrypted attempt cookie; checking it again
	// costs nothing and keeps the redirect safe whatever changes there.
	if rt, err := ValidateReturnTo(returnTo); err == nil {
		returnTo = rt
	} else {
		s.log.Warn("callback: invalid return_to dropped", "request_id", requestIDOf(c), "error", err)
		returnTo = "/"
	}

	prov, err := s.provisioner.Provision(ctx, id)
	if err != nil {
		if isTalkio(err) {
			return withAction(err, "Try again", signInURL(returnTo))
		}
		return err
	}
	err = s.auth.SaveSession(c.Response(), c.Request(), &auth.Session{
		UserID:       id.UserID,
		Name:         userName(id),
		Email:        id.Email,
		Phone:        id.Phone,
		UserType:     prov.UserType,
		Organization: prov.Organization,
		Expires:      s.now().Add(s.sessionTTL),
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, returnTo)
}
