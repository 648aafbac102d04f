package handlers

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"talkio-gateway/talkio"
)

// Readiness check of the Partner API (GATEWAY_READY_CHECK_TALKIO): bounded,
// and cached so that frequent probes cost at most one call per interval.
const (
	talkioCheckTimeout = 3 * time.Second
	talkioCheckTTL     = 5 * time.Second
	// talkioProbeID is a user id looked up only to see the API answer; 404
	// is the healthy answer.
	talkioProbeID = "talkio-gateway-readiness-probe"
)

// talkioCheck remembers the last Partner API readiness result.
type talkioCheck struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// handleHealthz handles "GET /healthz": the process is up.
func (s *server) handleHealthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

// handleReadyz handles "GET /readyz": ready once the OpenID provider's
// discovery document has been loaded, so sign-ins can start, and, when
// configured, the Partner API answers with the configured credentials.
func (s *server) handleReadyz(c echo.Context) error {
	if !s.auth.Ready() {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "waiting for the OpenID provider"})
	}
	if s.readyCheckTalkio {
		if err := s.checkTalkio(c.Request().Context()); err != nil {
			s.log.Warn("readiness: Partner API check failed", "request_id", requestIDOf(c), "error", err)
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "the Talkio Partner API does not answer as expected"})
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// checkTalkio looks up a user that does not exist: a 404 shows the API is
// reachable and accepts the credentials.
//
// The result is cached for every probe, so it must not depend on the probe
// that happened to run it: the call runs under its own deadline, detached from
// the request, or a kubelet probe giving up after its 1 s would cache
// context.Canceled and mark the replica unready for the whole cache period.
func (s *server) checkTalkio(ctx context.Context) error {
	s.talkioCheck.mu.Lock()
	defer s.talkioCheck.mu.Unlock()
	if now := s.now(); !s.talkioCheck.at.IsZero() && now.Sub(s.talkioCheck.at) < talkioCheckTTL && !now.Before(s.talkioCheck.at) {
		return s.talkioCheck.err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), talkioCheckTimeout)
	defer cancel()
	_, err := s.talkio.GetUser(ctx, talkioProbeID)
	if errors.Is(err, talkio.ErrNotFound) {
		err = nil
	}
	s.talkioCheck.at, s.talkioCheck.err = s.now(), err
	return err
}
