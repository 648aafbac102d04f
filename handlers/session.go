package handlers

import (
	"errors"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"talkio-gateway/auth"
)

// ctxSession is the echo.Context key of the request's loaded session
// (a loadedSession), so that the cookie is decoded once per request however
// many middleware and handlers ask.
const ctxSession = "gateway.session"

type loadedSession struct{ sess *auth.Session }

// session returns the signed-in user's session, or nil when there is none
// (absent, tampered with, expired: all mean "signed out").
func (s *server) session(c echo.Context) *auth.Session {
	if l, ok := c.Get(ctxSession).(loadedSession); ok {
		return l.sess
	}
	sess := s.loadSession(c)
	c.Set(ctxSession, loadedSession{sess})
	return sess
}

func (s *server) loadSession(c echo.Context) *auth.Session {
	sess, err := s.auth.LoadSession(c.Request())
	if err != nil {
		if !errors.Is(err, auth.ErrNoSession) {
			s.log.Warn("load session", "request_id", requestIDOf(c), "error", err)
		}
		return nil
	}
	c.Set(ctxUserID, sess.UserID)
	return sess
}

// signInURL is the gateway's login page, coming back to returnTo (a
// validated local path) afterwards.
func signInURL(returnTo string) string {
	if returnTo == "" || returnTo == "/" {
		return "/login"
	}
	return "/login?return_to=" + url.QueryEscape(returnTo)
}

// postLogoutURL is where the provider sends the browser after signing out:
// the gateway's home page.
func (s *server) postLogoutURL() string {
	u := *s.publicURL
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u.String()
}
