package lti

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

// The LTI claims (LTI Core 1.3 §5, Deep Linking 2.0 §4.4) the tool reads.
const (
	claimMessageType  = "https://purl.imsglobal.org/spec/lti/claim/message_type"
	claimVersion      = "https://purl.imsglobal.org/spec/lti/claim/version"
	claimDeploymentID = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
	claimRoles        = "https://purl.imsglobal.org/spec/lti/claim/roles"
	claimCustom       = "https://purl.imsglobal.org/spec/lti/claim/custom"
	claimPresentation = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
	claimDLSettings   = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
	claimDLItems      = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
	claimDLData       = "https://purl.imsglobal.org/spec/lti-dl/claim/data"

	msgResourceLink = "LtiResourceLinkRequest"
	msgDeepLinking  = "LtiDeepLinkingRequest"
	msgDLResponse   = "LtiDeepLinkingResponse"
	ltiVersion      = "1.3.0"
)

// launchClaims is the part of the id_token the tool uses beyond what go-oidc checks.
type launchClaims struct {
	Azp          string         `json:"azp"`
	Name         string         `json:"name"`
	GivenName    string         `json:"given_name"`
	FamilyName   string         `json:"family_name"`
	Email        string         `json:"email"`
	Locale       string         `json:"locale"`
	MessageType  string         `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Version      string         `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
	DeploymentID string         `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
	Roles        []string       `json:"https://purl.imsglobal.org/spec/lti/claim/roles"`
	Custom       map[string]any `json:"https://purl.imsglobal.org/spec/lti/claim/custom"`
	Presentation struct {
		DocumentTarget string `json:"document_target"`
	} `json:"https://purl.imsglobal.org/spec/lti/claim/launch_presentation"`
	DeepLinking *struct {
		ReturnURL   string   `json:"deep_link_return_url"`
		AcceptTypes []string `json:"accept_types"`
		Data        string   `json:"data"`
	} `json:"https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"`
}

// iatWindow bounds how old an id_token may be (and how far in the future, for clock skew).
const (
	iatMaxAge = 10 * time.Minute
	iatSkew   = time.Minute
)

// refusal is a launch that failed a check: shown as a 400 page with Message; Log is for the operator.
type refusal struct {
	Message string
	Log     string
}

func (e *refusal) Error() string { return "lti: launch refused: " + e.Log }

func refuse(msg, log string) *refusal { return &refusal{Message: msg, Log: log} }

// handleLaunch handles "POST /lti/launch": the platform's form post of the signed id_token.
func (t *tool) handleLaunch(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if err := r.ParseForm(); err != nil {
		t.refused(w, r, "", refuse("The launch could not be read.", "unreadable form"))
		return
	}
	if e := r.PostForm.Get("error"); e != "" {
		// The platform answered the authentication request with an error (e.g. login_required).
		t.refused(w, r, "", refuse("The learning platform did not complete the launch ("+oidcErrorCode(e)+"). Open the tool again from your course.", "platform error "+oidcErrorCode(e)))
		return
	}
	raw, stateParam := r.PostForm.Get("id_token"), r.PostForm.Get("state")
	if raw == "" || stateParam == "" {
		t.refused(w, r, "", refuse("The launch lacks its id_token or state.", "missing id_token or state"))
		return
	}
	var st loginState
	if err := t.sealer.open("state", stateParam, &st); err != nil {
		t.refused(w, r, "", refuse("The launch's state is not one this tool made. Open the tool again from your course.", "foreign state"))
		return
	}
	now := t.opts.Now()
	if now.Unix() > st.Expires {
		t.refused(w, r, "", refuse("The launch took too long. Open the tool again from your course.", "state expired"))
		return
	}
	ok, wait := t.checkBinding(w, r, &st)
	if wait {
		t.count(OutcomeStorageWait, "")
		p, _ := t.platformFor(st.Issuer, st.ClientID)
		origin := ""
		if p != nil {
			origin = p.origin
		}
		t.page(w, r, http.StatusOK, "storage_get", storagePage{
			Target: r.PostForm.Get("lti_storage_target"), Origin: origin, Key: storageKey(st.Bind),
			IDToken: raw, State: stateParam,
		})
		return
	}
	if !ok {
		t.refused(w, r, "", refuse("This launch was not started in this browser (its state cookie is missing). Open the tool again from your course; if it keeps failing, allow cookies for this site.", "state not bound to this browser"))
		return
	}
	p, _ := t.platformFor(st.Issuer, st.ClientID)
	if p == nil {
		t.refused(w, r, "", refuse("This learning platform is no longer registered with the Talkio tutor.", "registration gone"))
		return
	}
	c, err := t.verify(r.Context(), p, &st, raw, now)
	if err != nil {
		var rf *refusal
		if errors.As(err, &rf) {
			t.refused(w, r, c.messageType(), rf)
			return
		}
		t.fail(w, r, http.StatusInternalServerError, "Something went wrong", "The launch could not be checked.", err)
		return
	}
	switch c.claims.MessageType {
	case msgResourceLink:
		t.resourceLink(w, r, p, c)
	case msgDeepLinking:
		t.deepLinkingRequest(w, r, p, c)
	}
}

// checkBinding reports whether the launch comes from the browser that started the login: its state
// cookie, or, where the platform offers its storage, the binding read back from there by the tool's
// own page (a same-origin POST, which another site cannot forge). wait asks for that page.
func (t *tool) checkBinding(w http.ResponseWriter, r *http.Request, st *loginState) (ok, wait bool) {
	name := t.stateCookieName(st.Bind)
	if ck, err := r.Cookie(name); err == nil && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(st.Bind)) == 1 {
		http.SetCookie(w, t.stateCookie(st.Bind, "", -1))
		return true, false
	}
	if _, sent := r.PostForm["lti_storage_value"]; sent {
		v := r.PostForm.Get("lti_storage_value")
		return t.sameOrigin(r) && v != "" && subtle.ConstantTimeCompare([]byte(v), []byte(st.Bind)) == 1, false
	}
	if r.PostForm.Get("lti_storage_target") != "" {
		return false, true
	}
	return false, false
}

// sameOrigin reports whether a POST comes from this tool's own pages (Fetch metadata, else Origin).
func (t *tool) sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		return s == "same-origin"
	}
	return r.Header.Get("Origin") == t.origin
}

type verified struct {
	subject string
	issuer  string
	claims  launchClaims
}

func (v *verified) messageType() string {
	if v == nil {
		return ""
	}
	return v.claims.MessageType
}

// verify checks the id_token (Security Framework §5.1.3, LTI Core §5.3): signature against the
// platform's key set, iss, aud (with azp), exp, iat, the login's nonce (once), the deployment, the
// message type and the version.
func (t *tool) verify(ctx context.Context, p *platform, st *loginState, raw string, now time.Time) (*verified, error) {
	tok, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, refuse("The launch's id_token did not verify (signature, issuer, audience or expiry).", "id_token: "+err.Error())
	}
	v := &verified{subject: tok.Subject, issuer: tok.Issuer}
	if err := tok.Claims(&v.claims); err != nil {
		return v, refuse("The launch's claims could not be read.", "claims: "+err.Error())
	}
	c := &v.claims
	if len(tok.Audience) > 1 && c.Azp == "" {
		return v, refuse("The launch's id_token names several audiences and no authorized party.", "aud without azp")
	}
	if c.Azp != "" && c.Azp != p.ClientID {
		return v, refuse("The launch's id_token was issued to another tool.", "azp mismatch")
	}
	if tok.IssuedAt.IsZero() || tok.IssuedAt.After(now.Add(iatSkew)) || tok.IssuedAt.Before(now.Add(-iatMaxAge)) {
		return v, refuse("The launch's id_token is too old or from the future; check the platform's clock.", "iat out of range")
	}
	if subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(st.Nonce)) != 1 {
		return v, refuse("The launch's id_token does not belong to this login.", "nonce mismatch")
	}
	if !slices.Contains(p.DeploymentIDs, c.DeploymentID) {
		return v, refuse("This deployment of the tool is not registered with the Talkio tutor.", "unknown deployment")
	}
	if c.Version != ltiVersion {
		return v, refuse("The launch is not LTI 1.3.0.", "version "+truncate(c.Version, 20))
	}
	if c.MessageType != msgResourceLink && c.MessageType != msgDeepLinking {
		return v, refuse("The tool does not handle this kind of launch.", "message type "+truncate(c.MessageType, 40))
	}
	if tok.Subject == "" {
		return v, refuse("The launch carries no user (an anonymous launch); the tutor needs one.", "no sub")
	}
	// Last, once every other check passed: the nonce may be used once (per replica; see docs/lti.md).
	if !t.nonces.use(st.Nonce, time.Unix(st.Expires, 0), now) {
		return v, refuse("This launch was used already. Open the tool again from your course.", "nonce replayed")
	}
	return v, nil
}

// Roles that make a facilitator: the LIS context (membership) and institution roles below, and their
// sub-roles (e.g. membership/Instructor#TeachingAssistant). Everything else is a member.
var facilitatorRoles = []string{"Instructor", "Administrator", "ContentDeveloper", "TeachingAssistant"}

const (
	lisMembership  = "http://purl.imsglobal.org/vocab/lis/v2/membership"
	lisInstitution = "http://purl.imsglobal.org/vocab/lis/v2/institution/person"
)

// userType maps LTI roles to a Talkio user type.
func userType(roles []string) string {
	for _, role := range roles {
		base, frag, _ := strings.Cut(role, "#")
		var principal string
		switch {
		case base == lisMembership || base == lisInstitution:
			principal = frag
		case strings.HasPrefix(base, lisMembership+"/"): // a sub-role: membership/Principal#Sub
			principal = strings.TrimPrefix(base, lisMembership+"/")
			if slices.Contains(facilitatorRoles, frag) {
				principal = frag
			}
		}
		if slices.Contains(facilitatorRoles, principal) {
			return talkio.UserTypeFacilitator
		}
	}
	return talkio.UserTypeMember
}

// customString returns a custom parameter as a string ("" if absent or not a string).
func customString(c map[string]any, name string) string {
	s, _ := c[name].(string)
	return s
}

// resourceLink finishes a resource-link launch: identity, role, target, provisioning, presentation.
func (t *tool) resourceLink(w http.ResponseWriter, r *http.Request, p *platform, v *verified) {
	c := &v.claims
	path, err := talkio.AppPath(customString(c.Custom, "talkio_path"), customString(c.Custom, "talkio_template"))
	if err != nil {
		var le *talkio.LinkError
		msg := "The link's target is not valid."
		if errors.As(err, &le) {
			msg = "The link's custom parameter talkio_" + le.Field + " is not valid: " + le.Problem + "."
		}
		t.count(OutcomeBadTarget, msgResourceLink)
		t.page(w, r, http.StatusBadRequest, "error", errorPage{Status: 400, Title: "This link is set up wrongly", Message: msg, RequestID: requestID(w, r)})
		return
	}
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name = strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	}
	id := &provision.Identity{
		UserID:           t.opts.IDRule.ScopedUserID(v.issuer, v.subject),
		Name:             name,
		Email:            c.Email,
		Locale:           c.Locale,
		UserType:         userType(c.Roles),
		OrganizationSlug: p.Organization,
	}
	prov, err := t.opts.Provisioner.Provision(r.Context(), id, provision.LTI)
	if err != nil {
		t.provisionFailed(w, r, err)
		return
	}
	t.opts.Logger.Info("lti launch", "user_id", id.UserID, "user_type", prov.UserType, "organization", prov.Organization,
		"document_target", truncate(c.Presentation.DocumentTarget, 20))
	if c.Presentation.DocumentTarget == "window" {
		// A top-level window: straight to the Talkio app with a fresh token.
		if t.redirectToTalkio(w, r, id.UserID, prov.Organization, path) {
			t.count(OutcomeOK, msgResourceLink)
		}
		return
	}
	// In a frame (iframe, frame, or unsaid): the Talkio app cannot run in the LMS's frame (no shared
	// parent domain), so the page offers a button that opens it in a new tab through a sealed,
	// short-lived, single-use ticket.
	exp := t.opts.Now().Add(ticketTTL)
	tk, err := t.sealer.seal("ticket", ticket{UserID: id.UserID, Org: prov.Organization, Path: path, Expires: exp.Unix(), ID: randomString(12)})
	if err != nil {
		t.fail(w, r, http.StatusInternalServerError, "Something went wrong", "The launch could not be completed.", err)
		return
	}
	t.count(OutcomeOK, msgResourceLink)
	t.page(w, r, http.StatusOK, "launch", launchPage{Ticket: tk, Target: describeTarget(path, t.opts.Templates), Minutes: int(ticketTTL / time.Minute)})
}

// describeTarget names what the button opens, for the page.
func describeTarget(path string, templates []Template) string {
	if path == "" {
		return "your Talkio dashboard"
	}
	if slug, ok := strings.CutPrefix(path, "app/chat?t="); ok {
		for _, tp := range templates {
			if tp.Slug == slug {
				return "the chat “" + tp.Title + "”"
			}
		}
		return "the chat “" + slug + "”"
	}
	return "the Talkio tutor"
}

// oidcErrorCode keeps only a known OAuth/OIDC error code, so the page never echoes input.
func oidcErrorCode(e string) string {
	switch e {
	case "login_required", "interaction_required", "consent_required", "invalid_request", "invalid_request_object",
		"unauthorized_client", "access_denied", "unsupported_response_type", "invalid_scope", "server_error", "account_selection_required":
		return e
	}
	return "error"
}

// requestID is the request's id as the gateway's middleware set it; when the handler runs without one
// (mounted elsewhere, tests) it makes one, so that an error page always has an id to quote.
func requestID(w http.ResponseWriter, r *http.Request) string {
	if id := w.Header().Get("X-Request-Id"); id != "" {
		return id
	}
	id := randomString(12)
	w.Header().Set("X-Request-Id", id)
	return id
}
