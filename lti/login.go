package lti

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// loginState is what the state parameter carries, sealed: the login's own nonce, the registration it
// was made for, and Bind, the value the browser must show back (as the state cookie, or from the
// platform's storage) so that a launch started in another browser is refused.
type loginState struct {
	Bind     string `json:"b"`
	Nonce    string `json:"n"`
	Issuer   string `json:"i"`
	ClientID string `json:"c"`
	Expires  int64  `json:"e"`
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// stateCookieName spreads logins over stateSlots cookie names, so that two tool links on one course
// page (two logins at once) rarely overwrite each other's cookie, while no number of logins (a page
// that starts hundreds) can pile up more than stateSlots cookies. A login whose cookie was
// overwritten still completes through the platform's storage where offered. With https the name
// carries the __Host- prefix (no Domain, Path=/, Secure), so a sibling subdomain cannot plant one.
func (t *tool) stateCookieName(bind string) string {
	sum := sha256.Sum256([]byte(bind))
	name := "lti-state-" + strconv.Itoa(int(sum[0])%stateSlots)
	if t.secure {
		return "__Host-" + name
	}
	return name
}

const stateSlots = 4

// stateCookie is SameSite=None (the launch is a cross-site POST from the platform), Secure, and
// Partitioned (CHIPS): inside an LMS iframe the cookie is then kept in the platform's partition in
// browsers that block third-party cookies, instead of being dropped.
func (t *tool) stateCookie(bind, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: t.stateCookieName(bind), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true,
	}
}

// handleLogin handles "GET|POST /lti/login": the platform's third-party-initiated login.
func (t *tool) handleLogin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		t.fail(w, r, http.StatusBadRequest, "Launch refused", "The learning platform's login request could not be read.", nil)
		return
	}
	f := r.Form
	iss, hint := f.Get("iss"), f.Get("login_hint")
	if iss == "" || hint == "" {
		t.fail(w, r, http.StatusBadRequest, "Launch refused", "The learning platform's login request lacks iss or login_hint.", nil)
		return
	}
	p, ambiguous := t.platformFor(iss, f.Get("client_id"))
	switch {
	case ambiguous:
		t.fail(w, r, http.StatusBadRequest, "Launch refused", "This learning platform has several registrations here, and the login request names no client_id.", nil)
		return
	case p == nil:
		t.opts.Logger.Warn("lti login from an unknown platform", "issuer", truncate(iss, 200))
		t.fail(w, r, http.StatusBadRequest, "Unknown learning platform", "This learning platform is not registered with the Talkio tutor. Ask the administrator to add it to LTI_PLATFORMS.", nil)
		return
	}
	if d := f.Get("lti_deployment_id"); d != "" && !slices.Contains(p.DeploymentIDs, d) {
		t.fail(w, r, http.StatusBadRequest, "Launch refused", "This deployment of the tool is not registered with the Talkio tutor.", nil)
		return
	}
	if tl := f.Get("target_link_uri"); tl != "" {
		if u, err := url.Parse(tl); err != nil || u.Scheme+"://"+u.Host != t.origin {
			t.fail(w, r, http.StatusBadRequest, "Launch refused", "The launch points at another site than this tool.", nil)
			return
		}
	}
	st := loginState{
		Bind: randomString(18), Nonce: randomString(18),
		Issuer: p.Issuer, ClientID: p.ClientID,
		Expires: t.opts.Now().Add(stateTTL).Unix(),
	}
	state, err := t.sealer.seal("state", st)
	if err != nil {
		t.fail(w, r, http.StatusInternalServerError, "Something went wrong", "The launch could not be prepared.", err)
		return
	}
	q := url.Values{
		"scope":         {"openid"},
		"response_type": {"id_token"},
		"response_mode": {"form_post"},
		"prompt":        {"none"},
		"client_id":     {p.ClientID},
		"redirect_uri":  {t.base + "/lti/launch"},
		"login_hint":    {hint},
		"state":         {state},
		"nonce":         {st.Nonce},
	}
	if mh := f.Get("lti_message_hint"); mh != "" {
		q.Set("lti_message_hint", mh)
	}
	auth, _ := url.Parse(p.AuthLoginURL)
	aq := auth.Query()
	for k, v := range q {
		aq[k] = v
	}
	auth.RawQuery = aq.Encode()
	http.SetCookie(w, t.stateCookie(st.Bind, st.Bind, int(stateTTL/time.Second)))
	noStore(w)
	target := f.Get("lti_storage_target")
	if target == "" {
		http.Redirect(w, r, auth.String(), http.StatusFound)
		return
	}
	// The platform offers its client-side storage: keep the binding there too (the cookie may be
	// blocked), then go on to the platform. The script posts only to the platform's origin.
	t.page(w, r, http.StatusOK, "storage_put", storagePage{
		Target: target, Origin: p.origin, Key: storageKey(st.Bind), Value: st.Bind, Next: auth.String(),
	})
}

// storageKey is the key the binding is kept under in the platform's storage.
func storageKey(bind string) string { return "talkio_state_" + bind }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}
