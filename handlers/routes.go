package handlers

import (
	"github.com/labstack/echo/v4"
)

// routes lists every route and its middleware in one place.
func (s *server) routes(e *echo.Echo) {
	// The request id, the request log, the security headers and the body
	// limit, in that order (see front).
	e.Use(s.front)

	e.GET("/", s.handleHome)
	e.GET("/login", s.handleLogin)
	e.GET("/auth/callback", s.handleCallback)
	e.GET("/logout", s.handleLogoutPage)
	e.POST("/logout", s.handleLogout, s.crossOrigin())
	// limitOpens wraps the handlers here, once: as route middleware Echo
	// would wrap them anew on every request.
	e.GET("/open", s.limitOpens(s.handleOpen))
	e.GET("/embed", s.limitOpens(s.handleEmbed))

	// Probes also answer HEAD (some load balancers and monitors send it). The
	// tutor routes deliberately do not: a link preview sending HEAD would
	// fetch a login token for nothing.
	e.Match([]string{"GET", "HEAD"}, "/healthz", s.handleHealthz)
	e.Match([]string{"GET", "HEAD"}, "/readyz", s.handleReadyz)
	e.GET("/static/:name", s.handleStatic)

	// Prometheus metrics only when asked (GATEWAY_METRICS_LISTEN equal to
	// GATEWAY_LISTEN); otherwise this listener answers 404.
	if s.metrics != nil && s.serveMetrics {
		e.GET("/metrics", echo.WrapHandler(s.metrics.Handler()))
	}
	for _, m := range s.mounts {
		e.Any(m.Prefix, echo.WrapHandler(m.Handler))
		e.Any(m.Prefix+"/*", echo.WrapHandler(m.Handler))
	}
}
