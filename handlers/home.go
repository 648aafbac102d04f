package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"talkio-gateway/auth"
	"talkio-gateway/provision"
)

// Privacy is what the demo's home page shows of the privacy modes in effect, so that a school trying
// the demo sees what Talkio would receive.
type Privacy struct {
	IDMode     string           // TALKIO_USER_ID_MODE: "claim" (default) or "pseudonymous"
	SendFields provision.Fields // TALKIO_SEND_FIELDS; the zero value sends all, as the core reads it
}

func (p Privacy) withDefaults() Privacy {
	if p.IDMode == "" {
		p.IDMode = "claim"
	}
	return p
}

// homePage is the home page's data.
type homePage struct {
	Session *auth.Session
	Privacy Privacy
	Fields  string // the fields sent, as TALKIO_SEND_FIELDS writes them
	// NeutralName is the display name Talkio got instead of the person's name, when the name is not
	// sent ("" when it is).
	NeutralName string
}

// handleHome handles "GET /": who is signed in and the links into the tutor;
// signed out, a sign-in button. In demo mode it plays the partner portal and
// says what Talkio receives.
func (s *server) handleHome(c echo.Context) error {
	p := homePage{Session: s.session(c), Privacy: s.privacy, Fields: s.privacy.SendFields.String()}
	if p.Session != nil && !s.privacy.SendFields.Has(provision.FieldName) {
		p.NeutralName = provision.NeutralName(p.Session.UserID)
	}
	return s.render(c, http.StatusOK, "home.html", p)
}
