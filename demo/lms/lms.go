// Package lms is a stand-in learning platform (an LTI 1.3 platform) for the gateway's demo mode and
// for the LTI tool's tests: a course page with two tool links and a deep-linking button, its own key
// pair and key set, an OIDC authorization endpoint that form-posts a signed id_token to the tool, the
// LTI client-side storage (lti.put_data / lti.get_data) in the course page, and a deep-linking return
// endpoint that verifies the tool's signed answer against the tool's key set.
//
// NOT suitable for use outside of demos and tests: it signs a launch for whoever asks.
//
//	l, _ := lms.New(lms.Options{BaseURL: "https://gw.example/lms", ToolURL: "https://gw.example"})
//	mux.Handle("/lms/", l)            // the course page is /lms/
//	platform := l.Platform()           // the registration to give the tool (lti.Options.Platforms)
package lms

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"talkio-gateway/lti"
)

//go:embed *.html lms.js lms.css
var files embed.FS

// Options configure the stand-in platform.
type Options struct {
	// BaseURL is where the platform is mounted, as browsers see it (e.g. http://127.0.0.1:9000/lms);
	// it is also the platform's issuer.
	BaseURL string
	// ToolURL is the gateway's public URL; the tool is at ToolURL/lti/….
	ToolURL string
	// ClientID and DeploymentID of the tool's registration; defaults "talkio-demo", "demo-deployment".
	ClientID, DeploymentID string
	// Key signs the id_tokens; nil makes one.
	Key *rsa.PrivateKey
	// Now is the clock; default time.Now.
	Now func() time.Time
	// HTTPClient fetches the tool's key set (deep-linking return); default a client with a timeout.
	HTTPClient *http.Client
	// NoStorage leaves lti_storage_target out of the launches (a platform without client-side storage).
	NoStorage bool
}

// User is a person of the demo course.
type User struct {
	Sub, Name, GivenName, FamilyName, Email string
	Roles                                   []string
}

// Link is a tool link of the demo course.
type Link struct {
	ID, Title      string
	Custom         map[string]string
	DocumentTarget string // iframe or window
}

// The demo course's people.
var (
	Learner    = User{Sub: "learner-1", Name: "Ada Lovelace", GivenName: "Ada", FamilyName: "Lovelace", Email: "ada@school.example", Roles: []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"}}
	Instructor = User{Sub: "instructor-1", Name: "Grace Hopper", GivenName: "Grace", FamilyName: "Hopper", Email: "grace@school.example", Roles: []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"}}
	users      = map[string]User{Learner.Sub: Learner, Instructor.Sub: Instructor}
)

// DeepLinkHint is the lti_message_hint of the deep-linking button.
const DeepLinkHint = "deep-link"

// LMS is the stand-in platform, an http.Handler.
type LMS struct {
	opts    Options
	key     *rsa.PrivateKey
	kid     string
	prefix  string // path of BaseURL
	toolKS  *oidc.RemoteKeySet
	pages   *template.Template
	mu      sync.Mutex
	links   []Link
	flashes []string
}

// New makes the platform.
func New(o Options) (*LMS, error) {
	bu, err := url.Parse(o.BaseURL)
	if err != nil || bu.Host == "" {
		return nil, errors.New("lms: BaseURL must be an absolute URL")
	}
	if _, err := url.Parse(o.ToolURL); err != nil || o.ToolURL == "" {
		return nil, errors.New("lms: ToolURL must be an absolute URL")
	}
	o.BaseURL = strings.TrimSuffix(o.BaseURL, "/")
	o.ToolURL = strings.TrimSuffix(o.ToolURL, "/")
	if o.ClientID == "" {
		o.ClientID = "talkio-demo"
	}
	if o.DeploymentID == "" {
		o.DeploymentID = "demo-deployment"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Key == nil {
		if o.Key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, err
		}
	}
	l := &LMS{opts: o, prefix: strings.TrimSuffix(bu.Path, "/"), links: []Link{
		{ID: "books", Title: "Speaking practice: Books & Literature", Custom: map[string]string{"talkio_template": "books-literature"}, DocumentTarget: "iframe"},
		{ID: "dashboard", Title: "Talkio dashboard (new window)", DocumentTarget: "window"},
	}}
	l.key, l.kid = o.Key, Thumbprint(&o.Key.PublicKey)
	l.toolKS = oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), o.HTTPClient), o.ToolURL+"/lti/jwks")
	if l.pages, err = template.ParseFS(files, "*.html"); err != nil {
		return nil, err
	}
	return l, nil
}

// Thumbprint is the RFC 7638 thumbprint of a key, the kid both sides use.
func Thumbprint(k *rsa.PublicKey) string {
	tp, _ := (&jose.JSONWebKey{Key: k}).Thumbprint(crypto.SHA256)
	return base64.RawURLEncoding.EncodeToString(tp)
}

// Platform is the registration to give the tool.
func (l *LMS) Platform() lti.Platform {
	return lti.Platform{
		Issuer: l.opts.BaseURL, ClientID: l.opts.ClientID, DeploymentIDs: []string{l.opts.DeploymentID},
		AuthLoginURL: l.opts.BaseURL + "/auth", JWKSURL: l.opts.BaseURL + "/jwks",
	}
}

// LoginURL is the tool's login initiation URL for a user and a link (or DeepLinkHint), as the course
// page's links carry it.
func (l *LMS) LoginURL(u User, linkID string) string {
	q := url.Values{
		"iss": {l.opts.BaseURL}, "login_hint": {u.Sub}, "target_link_uri": {l.opts.ToolURL + "/lti/launch"},
		"lti_message_hint": {linkID}, "client_id": {l.opts.ClientID}, "lti_deployment_id": {l.opts.DeploymentID},
	}
	if !l.opts.NoStorage {
		q.Set("lti_storage_target", "_parent")
	}
	return l.opts.ToolURL + "/lti/login?" + q.Encode()
}

// Claims are the id_token claims of a launch of link by u, for the login's nonce.
func (l *LMS) Claims(u User, linkID, nonce string) (map[string]any, error) {
	now := l.opts.Now()
	c := map[string]any{
		"iss": l.opts.BaseURL, "aud": l.opts.ClientID, "azp": l.opts.ClientID, "sub": u.Sub,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": nonce,
		"name": u.Name, "given_name": u.GivenName, "family_name": u.FamilyName, "email": u.Email, "locale": "en-GB",
		"https://purl.imsglobal.org/spec/lti/claim/deployment_id":   l.opts.DeploymentID,
		"https://purl.imsglobal.org/spec/lti/claim/version":         "1.3.0",
		"https://purl.imsglobal.org/spec/lti/claim/roles":           u.Roles,
		"https://purl.imsglobal.org/spec/lti/claim/target_link_uri": l.opts.ToolURL + "/lti/launch",
		"https://purl.imsglobal.org/spec/lti/claim/context":         map[string]string{"id": "course-1", "label": "FR101", "title": "French for beginners"},
	}
	if linkID == DeepLinkHint {
		c["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiDeepLinkingRequest"
		c["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = map[string]any{
			"deep_link_return_url": l.opts.BaseURL + "/return", "accept_types": []string{"ltiResourceLink", "link"},
			"accept_presentation_document_targets": []string{"iframe", "window"}, "data": "course-1:" + nonce[:min(8, len(nonce))],
		}
		return c, nil
	}
	link, ok := l.link(linkID)
	if !ok {
		return nil, fmt.Errorf("lms: no link %q", linkID)
	}
	c["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiResourceLinkRequest"
	c["https://purl.imsglobal.org/spec/lti/claim/resource_link"] = map[string]string{"id": link.ID, "title": link.Title}
	c["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"] = map[string]string{"document_target": link.DocumentTarget, "return_url": l.opts.BaseURL + "/"}
	if len(link.Custom) > 0 {
		c["https://purl.imsglobal.org/spec/lti/claim/custom"] = link.Custom
	}
	return c, nil
}

func (l *LMS) link(id string) (Link, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range l.links {
		if k.ID == id {
			return k, true
		}
	}
	return Link{}, false
}

// Links are the course's tool links (the two built in, then those added by deep linking).
func (l *LMS) Links() []Link {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Link(nil), l.links...)
}

// Sign signs claims as an id_token with the platform's key.
func (l *LMS) Sign(claims map[string]any) (string, error) { return SignWith(l.key, l.kid, claims) }

// SignWith signs claims with any key and kid (tests: a forged or rotated key).
func SignWith(key *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	return jwt.Signed(s).Claims(claims).Serialize()
}

// SetKey replaces the platform's signing key (a key rotation); the key set publishes the new one.
func (l *LMS) SetKey(k *rsa.PrivateKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.key, l.kid = k, Thumbprint(&k.PublicKey)
}

// Authorize is the authorization endpoint's work (Security Framework §5.1.1.2): it checks the tool's
// authentication request and returns the form it posts to redirect_uri. tamper, when set, may change
// the claims before signing (tests).
func (l *LMS) Authorize(q url.Values, tamper func(map[string]any)) (action string, form url.Values, err error) {
	switch {
	case q.Get("client_id") != l.opts.ClientID:
		return "", nil, errors.New("unknown client_id")
	case q.Get("redirect_uri") != l.opts.ToolURL+"/lti/launch":
		return "", nil, errors.New("redirect_uri is not the registered launch URL")
	case q.Get("response_type") != "id_token", q.Get("response_mode") != "form_post", q.Get("scope") != "openid", q.Get("prompt") != "none":
		return "", nil, errors.New("scope, response_type, response_mode or prompt is not as LTI requires")
	case q.Get("nonce") == "" || q.Get("state") == "":
		return "", nil, errors.New("nonce or state missing")
	}
	u, ok := users[q.Get("login_hint")]
	if !ok {
		return "", nil, errors.New("unknown login_hint")
	}
	claims, err := l.Claims(u, q.Get("lti_message_hint"), q.Get("nonce"))
	if err != nil {
		return "", nil, err
	}
	if tamper != nil {
		tamper(claims)
	}
	l.mu.Lock()
	key, kid := l.key, l.kid
	l.mu.Unlock()
	tok, err := SignWith(key, kid, claims)
	if err != nil {
		return "", nil, err
	}
	form = url.Values{"id_token": {tok}, "state": {q.Get("state")}}
	if !l.opts.NoStorage {
		form.Set("lti_storage_target", "_parent")
	}
	return q.Get("redirect_uri"), form, nil
}

// ServeHTTP serves the course page (/), the key set (/jwks), the authorization endpoint (/auth), the
// deep-linking return (/return) and the page's script (/lms.js), under BaseURL's path.
func (l *LMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := strings.CutPrefix(r.URL.Path, l.prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case p == "/" || p == "":
		l.course(w, r)
	case p == "/jwks":
		l.mu.Lock()
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &l.key.PublicKey, KeyID: l.kid, Algorithm: "RS256", Use: "sig"}}}
		l.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(set)
	case p == "/auth":
		r.ParseForm()
		action, form, err := l.Authorize(r.Form, nil)
		if err != nil {
			l.render(w, http.StatusBadRequest, "message", map[string]string{"Title": "Launch refused by the demo platform", "Message": err.Error()})
			return
		}
		l.render(w, http.StatusOK, "formpost", map[string]any{"Action": action, "Form": form})
	case p == "/return" && r.Method == http.MethodPost:
		l.deepLinkReturn(w, r)
	case p == "/lms.js" || p == "/lms.css":
		b, _ := files.ReadFile(p[1:])
		ct := "text/css; charset=utf-8"
		if strings.HasSuffix(p, ".js") {
			ct = "text/javascript; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

func (l *LMS) course(w http.ResponseWriter, r *http.Request) {
	type row struct {
		Title, Learner, Instructor string
		Window                     bool
	}
	var rows []row
	for _, k := range l.Links() {
		rows = append(rows, row{Title: k.Title, Learner: l.LoginURL(Learner, k.ID), Instructor: l.LoginURL(Instructor, k.ID), Window: k.DocumentTarget == "window"})
	}
	l.mu.Lock()
	flashes := l.flashes
	l.flashes = nil
	l.mu.Unlock()
	l.render(w, http.StatusOK, "course", map[string]any{
		"Rows": rows, "DeepLink": l.LoginURL(Instructor, DeepLinkHint), "Flashes": flashes, "Base": l.opts.BaseURL,
	})
}

// deepLinkReturn verifies the tool's LtiDeepLinkingResponse against the tool's key set and adds the
// returned links to the course.
func (l *LMS) deepLinkReturn(w http.ResponseWriter, r *http.Request) {
	v := oidc.NewVerifier(l.opts.ClientID, l.toolKS, &oidc.Config{ClientID: l.opts.BaseURL, SupportedSigningAlgs: []string{"RS256"}, Now: l.opts.Now})
	tok, err := v.Verify(r.Context(), r.PostFormValue("JWT"))
	if err != nil {
		l.render(w, http.StatusBadRequest, "message", map[string]string{"Title": "Deep-linking response refused", "Message": err.Error()})
		return
	}
	var c struct {
		Type  string `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
		Items []struct {
			Type, Title string
			Custom      map[string]string
		} `json:"https://purl.imsglobal.org/spec/lti-dl/claim/content_items"`
	}
	if err := tok.Claims(&c); err != nil || c.Type != "LtiDeepLinkingResponse" {
		l.render(w, http.StatusBadRequest, "message", map[string]string{"Title": "Deep-linking response refused", "Message": "not an LtiDeepLinkingResponse"})
		return
	}
	l.mu.Lock()
	for _, it := range c.Items {
		if it.Type == "ltiResourceLink" {
			l.links = append(l.links, Link{ID: fmt.Sprintf("added-%d", len(l.links)+1), Title: it.Title, Custom: it.Custom, DocumentTarget: "iframe"})
			l.flashes = append(l.flashes, "Added “"+it.Title+"” to the course.")
		}
	}
	l.mu.Unlock()
	l.render(w, http.StatusOK, "message", map[string]string{"Title": "Link added", "Message": "The link was added to the course. Reload the course page to see it.", "Back": l.opts.BaseURL + "/"})
}

func (l *LMS) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := l.pages.ExecuteTemplate(w, name+".html", data); err != nil {
		fmt.Fprintf(w, "template error")
	}
}
