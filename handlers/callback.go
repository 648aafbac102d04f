package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"talkio-gateway/auth"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

// handleCallback handles "GET /auth/callback": auth verifies the provider's
// answer (state, PKCE, ID token, nonce) and maps the claims; then the policy
// and provisioning run, the session is saved, and the sign-in's intent is
// finished here, with no hop back through the gateway: an /open goes on into
// Talkio with the token fetched alongside provisioning (provision.Open), an
// /embed gets its page, the home page a redirect. Any failure is an error
// page; there is never an automatic redirect back to the provider, which
// could loop. Its outcome is counted in gateway_logins_total.
func (s *server) handleCallback(c echo.Context) (err error) {
	defer func() {
		if isA[*tooManyOpens](err) {
			s.metrics.login(nil) // signed in; only the open is refused
			return
		}
		s.metrics.login(err)
	}()
	ctx := c.Request().Context()
	id, returnTo, err := s.auth.FinishLogin(ctx, c.Response(), c.Request())
	// auth keeps return_to in its encrypted attempt cookie; checking it again
	// costs nothing and keeps the redirect safe whatever changes there.
	if rt, verr := ValidateReturnTo(returnTo); verr == nil {
		returnTo = rt
	} else {
		s.log.Warn("callback: invalid return_to dropped", "request_id", requestIDOf(c), "error", verr)
		returnTo = "/"
	}
	if err != nil {
		// The page's one fresh sign-in goes back to where this one started.
		if p := s.pageFor(err); p.Action != nil {
			return withAction(err, p.Action.Label, signInURL(returnTo))
		}
		return err
	}
	pid := s.identityOf(id)
	// The log line's user is the Talkio id: never a claim value (in pseudonymous mode not even the
	// provider's id).
	setUserID(c, pid.UserID)

	strict := s.cookieOpts.sameSite == http.SameSiteStrictMode
	route, link := tutorIntent(returnTo)
	if route == "/embed" && strict {
		// The embed page goes through the continue page (below), and /embed
		// fetches its own token there.
		link = nil
	}
	var refused error
	if link != nil {
		// The token minted here is an open like any other: the same per-user
		// limit applies. Refused, the sign-in still completes.
		if r, wait := s.opens.take(pid.UserID, s.now()); r == nil {
			refused, link = &tooManyOpens{retryAfter: wait}, nil
		}
	}

	var (
		prov *provision.Provisioned
		tok  *talkio.Token
	)
	if link != nil {
		prov, tok, err = s.provisioner.Open(ctx, pid, provision.SignIn)
	} else {
		prov, err = s.provisioner.Provision(ctx, pid, provision.SignIn)
	}
	if err != nil {
		if provision.Classify(err).Upstream() {
			return withAction(err, "Try again", signInURL(returnTo))
		}
		return err
	}
	err = s.auth.SaveSession(c.Response(), c.Request(), &auth.Session{
		UserID:       pid.UserID,
		Name:         provision.UserName(pid),
		Email:        id.Email,
		UserType:     prov.UserType,
		Organization: prov.Organization,
		Expires:      s.now().Add(s.sessionTTL),
		IDToken:      id.IDToken,
	})
	switch {
	case err != nil:
		return err
	case refused != nil:
		return refused
	case tok != nil && route == "/embed":
		return s.renderEmbed(c, s.loginURL.Build(tok.Token, link.path, link.hideChatSidebar), link)
	case tok != nil:
		// Into Talkio, a cross-site redirect that needs no gateway cookie:
		// the same in every SameSite mode.
		return c.Redirect(http.StatusFound, s.loginURL.Build(tok.Token, link.path, link.hideChatSidebar))
	case strict:
		// The callback is the end of a cross-site redirect chain, so browsers withhold a Strict
		// cookie from a redirect that follows it, and the user would bounce back to sign in. A
		// navigation started by this same-site page carries the cookie.
		return s.render(c, http.StatusOK, "continue.html", continuePage{ReturnTo: returnTo})
	}
	return c.Redirect(http.StatusSeeOther, returnTo)
}

// continuePage is the page that takes a user on to returnTo after signing in with
// GATEWAY_COOKIE_SAMESITE=strict.
type continuePage struct{ ReturnTo string }

// identityOf maps a signed-in identity onto the provisioning core's input; the Talkio id comes from
// the one id rule (TALKIO_USER_ID_MODE), over the provider's issuer and the CLAIM_USER_ID value.
func (s *server) identityOf(id *auth.Identity) *provision.Identity {
	return &provision.Identity{
		UserID: s.idRule.UserID(s.auth.Issuer(), id.UserID), Name: id.Name, Email: id.Email, Phone: id.Phone, Locale: id.Locale,
		Organization: id.Organization, Groups: id.Groups, AccountExpiresAt: id.AccountExpiresAt,
	}
}
