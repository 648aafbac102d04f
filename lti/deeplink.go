package lti

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// pick is the deep-linking request's context, sealed into the picker page: where the answer goes
// and what it must echo.
type pick struct {
	Issuer       string `json:"i"`
	ClientID     string `json:"c"`
	DeploymentID string `json:"d"`
	ReturnURL    string `json:"r"`
	Data         string `json:"a,omitempty"`
	Expires      int64  `json:"e"`
	ID           string `json:"n"` // makes the context single use: one signed answer per request
}

// deepLinkingRequest shows the picker for an LtiDeepLinkingRequest (Deep Linking 2.0 §4.4). No
// Talkio account is made: the instructor only chooses what the course link opens.
func (t *tool) deepLinkingRequest(w http.ResponseWriter, r *http.Request, p *platform, v *verified) {
	s := v.claims.DeepLinking
	if s == nil || s.ReturnURL == "" {
		t.refused(w, r, msgDeepLinking, refuse("The deep-linking request lacks its settings (deep_link_return_url).", "no deep_linking_settings"))
		return
	}
	if u, err := url.Parse(s.ReturnURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		t.refused(w, r, msgDeepLinking, refuse("The deep-linking request's return URL is not valid.", "bad deep_link_return_url"))
		return
	}
	if !slices.Contains(s.AcceptTypes, "ltiResourceLink") {
		t.refused(w, r, msgDeepLinking, refuse("The learning platform does not accept tool links here (ltiResourceLink).", "ltiResourceLink not accepted"))
		return
	}
	ctx, err := t.sealer.seal("pick", pick{
		Issuer: p.Issuer, ClientID: p.ClientID, DeploymentID: v.claims.DeploymentID,
		ReturnURL: s.ReturnURL, Data: s.Data, Expires: t.opts.Now().Add(pickTTL).Unix(), ID: randomString(12),
	})
	if err != nil {
		t.fail(w, r, http.StatusInternalServerError, "Something went wrong", "The picker could not be prepared.", err)
		return
	}
	t.count(OutcomeOK, msgDeepLinking)
	t.page(w, r, http.StatusOK, "picker", pickerPage{Context: ctx, Templates: t.opts.Templates})
}

// contentItem is an ltiResourceLink content item (Deep Linking 2.0 §3.1).
type contentItem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	URL    string            `json:"url"`
	Custom map[string]string `json:"custom,omitempty"`
}

// handleDeepLink handles "POST /lti/deeplink": the picker's choice, answered with a signed
// LtiDeepLinkingResponse auto-posted to the platform.
func (t *tool) handleDeepLink(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var pk pick
	if !t.sameOrigin(r) || t.sealer.open("pick", r.PostFormValue("context"), &pk) != nil {
		t.fail(w, r, http.StatusBadRequest, "This choice is not valid", "Start again from your course's “add content” menu.", nil)
		return
	}
	now := t.opts.Now()
	if now.Unix() > pk.Expires {
		t.fail(w, r, http.StatusGone, "This picker has expired", "Start again from your course's “add content” menu.", nil)
		return
	}
	item := contentItem{Type: "ltiResourceLink", Title: "Talkio tutor", URL: t.base + "/lti/launch"}
	if slug := r.PostFormValue("template"); slug != "" {
		i := slices.IndexFunc(t.opts.Templates, func(tp Template) bool { return tp.Slug == slug })
		if i < 0 {
			t.fail(w, r, http.StatusBadRequest, "Unknown chat template", "Choose one of the listed chats.", nil)
			return
		}
		item.Title = "Talkio: " + t.opts.Templates[i].Title
		item.Custom = map[string]string{"talkio_template": slug}
	} // One signed answer per deep-linking request (within a replica, like launch nonces): a context
	// copied out of the page cannot have the tool sign more.
	if !t.tickets.use("pick:"+pk.ID, time.Unix(pk.Expires, 0), now) {
		t.fail(w, r, http.StatusBadRequest, "This choice was already sent", "Start again from your course's “add content” menu.", nil)
		return
	}

	claims := map[string]any{
		"iss":             pk.ClientID,
		"aud":             pk.Issuer,
		"iat":             now.Unix(),
		"exp":             now.Add(5 * time.Minute).Unix(),
		"nonce":           randomString(18),
		claimDeploymentID: pk.DeploymentID,
		claimMessageType:  msgDLResponse,
		claimVersion:      ltiVersion,
		claimDLItems:      []contentItem{item},
	}
	if pk.Data != "" {
		claims[claimDLData] = pk.Data
	}
	signed, err := jwt.Signed(t.signer).Claims(claims).Serialize()
	if err != nil {
		t.fail(w, r, http.StatusInternalServerError, "Something went wrong", "The choice could not be signed.", err)
		return
	}
	t.opts.Logger.Info("lti deep link returned", "issuer", pk.Issuer, "title", item.Title)
	t.page(w, r, http.StatusOK, "autopost", autopostPage{Action: pk.ReturnURL, Name: "JWT", Value: signed, Title: item.Title})
}

// handleJWKS handles "GET /lti/jwks": the tool's public keys.
func (t *tool) handleJWKS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	json.NewEncoder(w).Encode(t.jwks)
}

// handleConfig handles "GET /lti/config": the tool's configuration in Canvas's developer-key JSON
// format, which other platforms' administrators can read the URLs from.
func (t *tool) handleConfig(w http.ResponseWriter, r *http.Request) {
	launch := t.base + "/lti/launch"
	placement := func(name, msg string) map[string]any {
		return map[string]any{"placement": name, "message_type": msg, "target_link_uri": launch, "text": "Talkio tutor"}
	}
	cfg := map[string]any{
		"title":               "Talkio tutor",
		"description":         "Practise speaking a language with the Talkio AI tutor.",
		"oidc_initiation_url": t.base + "/lti/login",
		"target_link_uri":     launch,
		"public_jwk_url":      t.base + "/lti/jwks",
		"scopes":              []string{},
		"custom_fields":       map[string]string{},
		"extensions": []map[string]any{{
			"platform":      "canvas.instructure.com",
			"domain":        t.opts.PublicURL.Host,
			"privacy_level": "public",
			"settings": map[string]any{
				"text": "Talkio tutor",
				"placements": []map[string]any{
					placement("course_navigation", msgResourceLink),
					placement("link_selection", msgDeepLinking),
					placement("assignment_selection", msgDeepLinking),
					placement("editor_button", msgDeepLinking),
				},
			},
		}},
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(cfg)
}
