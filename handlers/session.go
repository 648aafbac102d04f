package handlers

import (
	"errors"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"talkio-gateway/auth"
)

// session returns the signed-in user's session, or nil when there is none
// (absent, tampered with, expired: all mean "signed out"). The cookie is
// decoded once per request (requestState) however many middleware and
// handlers ask.
func (s *server) session(c echo.Context) *auth.Session {
	st := stateOf(c)
	if st != nil && st.sessionLoaded {
		return st.session
	}
	sess := s.loadSession(c)
	if st != nil {
		st.session, st.sessionLoaded = sess, true
	}
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
	setUserID(c, sess.UserID)
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
