package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleHealthz handles "GET /healthz": the process is up.
func (s *server) handleHealthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

// handleReadyz handles "GET /readyz": ready once the OpenID provider's
// discovery document has been loaded, so sign-ins can start.
func (s *server) handleReadyz(c echo.Context) error {
	if !s.auth.Ready() {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "waiting for the OpenID provider"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
