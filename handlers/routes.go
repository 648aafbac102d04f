package handlers

import (
	"github.com/labstack/echo/v4"
)

// routes lists every route and its middleware in one place.
func (s *server) routes(e *echo.Echo) {
	// Outermost first: the request id exists before the log line needs it;
	// the log line sees the final status; every response, errors included,
	// carries the security headers.
	e.Use(requestID(s.trustProxy), s.logRequests, s.secureHeaders, limitBody(MaxRequestBody))

	e.GET("/", s.handleHome)
	e.GET("/login", s.handleLogin)
	e.GET("/auth/callback", s.handleCallback)
	e.GET("/logout", s.handleLogoutPage)
	e.POST("/logout", s.handleLogout, s.crossOrigin())
	e.GET("/open", s.handleOpen, s.limitOpens)
	e.GET("/embed", s.handleEmbed, s.limitOpens)

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
