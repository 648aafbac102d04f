// Package lti is the gateway's LTI 1.3 tool (1EdTech LTI Core 1.3, Security Framework 1.0, Deep
// Linking 2.0, client-side OIDC storage): a learning platform (Canvas, Moodle, Blackboard,
// Brightspace, Schoology) launches a learner or an instructor into the Talkio tutor, or an instructor
// picks a chat template to place in a course. It is an http.Handler mounted at /lti/; it verifies the
// platform's id_token with go-oidc against the platform's key set, maps the launch to a
// provision.Identity and hands it to the provisioning core, and turns the launch's target into a
// Talkio login URL with the tutor-link rule (talkio.AppPath, talkio.NewLoginURL).
//
// It keeps no server-side session: the login state, the in-frame open ticket and the deep-linking
// context are sealed (AES-GCM under a key derived from LTI_TOOL_KEY), so any replica can open them.
// Single use (launch nonces, tickets) is remembered per replica; see docs/lti.md.
package lti

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

// Platform is one registration of the tool in a learning platform (an entry of LTI_PLATFORMS).
type Platform struct {
	Issuer        string   `json:"issuer"`         // the platform's iss, e.g. https://canvas.instructure.com
	ClientID      string   `json:"client_id"`      // the tool's client id in that platform
	DeploymentIDs []string `json:"deployment_ids"` // the deployments accepted; at least one
	AuthLoginURL  string   `json:"auth_login_url"` // the platform's OIDC authorization endpoint
	JWKSURL       string   `json:"jwks_url"`       // the platform's public key set
	AuthTokenURL  string   `json:"auth_token_url"` // optional; kept for the LTI Advantage services (not used yet)
	Organization  string   `json:"organization"`   // Talkio organization slug of this platform's users; "" = the default
}

// Template is a chat template an instructor may place with Deep Linking (an entry of LTI_TEMPLATES).
type Template struct {
	Slug, Title string
}

// Provisioner is what the tool needs of the provisioning core (*provision.Provisioner).
type Provisioner interface {
	Provision(ctx context.Context, id *provision.Identity, via provision.EntryPoint) (*provision.Provisioned, error)
	Token(ctx context.Context, org, userID string) (*talkio.Token, error)
}

// Options configure the tool.
type Options struct {
	Platforms []Platform
	// ToolKeys sign deep-linking responses (the first) and are all published at /lti/jwks (rotation).
	ToolKeys []*rsa.PrivateKey
	// Templates are offered by the deep-linking picker, besides the dashboard.
	Templates []Template
	// PublicURL is the gateway's external URL (GATEWAY_PUBLIC_URL); the tool lives under /lti/.
	PublicURL *url.URL
	// TalkioAppURL is the Talkio (white-label) app (TALKIO_APP_URL).
	TalkioAppURL *url.URL
	// Provisioner turns a launch into a Talkio user.
	Provisioner Provisioner
	// IDRule makes the Talkio id: IDRule.ScopedUserID(iss, sub).
	IDRule provision.IDRule
	// FrameAncestors are extra origins that may frame the tool's pages (GATEWAY_FRAME_ANCESTORS), e.g.
	// a school's own Canvas domain; the registrations' issuer and auth_login_url origins are always
	// allowed.
	FrameAncestors []string
	// Logger; default slog.Default(). Never receives tokens, tickets or personal data beyond the Talkio id.
	Logger *slog.Logger
	// Metrics, when set, counts launches: outcome (see the Outcome constants) and message type.
	Metrics func(outcome, messageType string)
	// Now is the clock; default time.Now.
	Now func() time.Time
	// HTTPClient fetches the platforms' key sets; default http.DefaultClient with a timeout.
	HTTPClient *http.Client
	// Demo marks the pages with the demo banner.
	Demo bool
}

// Launch outcomes, the values of the Metrics hook's outcome.
const (
	OutcomeOK          = "ok"           // launched (or the picker shown / link returned)
	OutcomeRefused     = "refused"      // the launch failed a check (state, token, deployment …)
	OutcomeNotAllowed  = "not_allowed"  // the provisioning policy refused the person
	OutcomeUpstream    = "upstream"     // the Partner API failed
	OutcomeBadTarget   = "bad_target"   // talkio_template / talkio_path refused by the tutor-link rule
	OutcomeStorageWait = "storage_wait" // no state cookie: the page asks the platform's storage
)

// Lifetimes.
const (
	stateTTL  = 5 * time.Minute  // login → launch
	ticketTTL = 3 * time.Minute  // in-frame page → click on "Open"
	pickTTL   = 10 * time.Minute // a teacher choosing a chat
	maxOnce   = 100_000
)

type tool struct {
	opts       Options
	platforms  []*platform
	sealer     *sealer
	nonces     *onceStore
	tickets    *onceStore
	login      talkio.LoginURL
	signer     jose.Signer
	jwks       jose.JSONWebKeySet
	csp        string
	formAction string // the csp's form-action directive
	pages      *pages
	base       string // PublicURL without a trailing slash
	secure     bool
	origin     string // scheme://host of PublicURL
}

type platform struct {
	Platform
	verifier *oidc.IDTokenVerifier
	origin   string // of AuthLoginURL: where the platform's storage answers from
}

// New checks the options and returns the tool's handler, to be mounted at /lti/.
func New(o Options) (http.Handler, error) {
	var problems []string
	if len(o.Platforms) == 0 {
		problems = append(problems, "no platform registrations")
	}
	if len(o.ToolKeys) == 0 {
		problems = append(problems, "no tool key")
	}
	for i, k := range o.ToolKeys {
		if k == nil || k.N.BitLen() < 2048 {
			problems = append(problems, fmt.Sprintf("tool key %d: an RSA key of at least 2048 bits is required", i+1))
		}
	}
	if o.PublicURL == nil || o.PublicURL.Host == "" {
		problems = append(problems, "PublicURL is missing")
	}
	if o.TalkioAppURL == nil || o.TalkioAppURL.Host == "" {
		problems = append(problems, "TalkioAppURL is missing")
	}
	if o.Provisioner == nil {
		problems = append(problems, "Provisioner is nil")
	}
	for i, t := range o.Templates {
		if _, err := talkio.AppPath("", t.Slug); err != nil || t.Title == "" {
			problems = append(problems, fmt.Sprintf("template %d (%q): needs a valid slug and a title", i+1, t.Slug))
		}
	}
	seen := map[string]bool{}
	for i, p := range o.Platforms {
		name := fmt.Sprintf("platform %d (%s)", i+1, p.Issuer)
		for field, v := range map[string]string{"issuer": p.Issuer, "auth_login_url": p.AuthLoginURL, "jwks_url": p.JWKSURL} {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				problems = append(problems, fmt.Sprintf("%s: %s must be an absolute http(s) URL", name, field))
			}
		}
		if p.ClientID == "" {
			problems = append(problems, name+": client_id is empty")
		}
		if len(p.DeploymentIDs) == 0 {
			problems = append(problems, name+": deployment_ids is empty")
		}
		if seen[p.Issuer+"\x00"+p.ClientID] {
			problems = append(problems, name+": the same issuer and client_id are registered twice")
		}
		seen[p.Issuer+"\x00"+p.ClientID] = true
	}
	if len(problems) > 0 {
		return nil, errors.New("lti: " + strings.Join(problems, "; "))
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	t := &tool{
		opts:    o,
		nonces:  newOnceStore(maxOnce),
		tickets: newOnceStore(maxOnce),
		login:   talkio.NewLoginURL(o.TalkioAppURL),
		base:    strings.TrimSuffix(o.PublicURL.String(), "/"),
		secure:  o.PublicURL.Scheme == "https",
		origin:  o.PublicURL.Scheme + "://" + o.PublicURL.Host,
	}
	var err error
	if t.sealer, err = newSealer(o.ToolKeys); err != nil {
		return nil, err
	}
	// The key sets are fetched with the configured client; go-oidc's RemoteKeySet caches them and
	// fetches again when a token names a kid it does not know (key rotation).
	kctx := oidc.ClientContext(context.Background(), o.HTTPClient)
	ancestors := []string{"'self'"}
	addAncestor := func(s string) {
		for _, a := range ancestors {
			if a == s {
				return
			}
		}
		ancestors = append(ancestors, s)
	}
	for _, p := range o.Platforms {
		ks := oidc.NewRemoteKeySet(kctx, p.JWKSURL)
		v := oidc.NewVerifier(p.Issuer, ks, &oidc.Config{
			ClientID:             p.ClientID,
			SupportedSigningAlgs: []string{oidc.RS256},
			Now:                  o.Now,
		})
		au, _ := url.Parse(p.AuthLoginURL)
		iu, _ := url.Parse(p.Issuer)
		pl := &platform{Platform: p, verifier: v, origin: au.Scheme + "://" + au.Host}
		t.platforms = append(t.platforms, pl)
		addAncestor(pl.origin)
		addAncestor(iu.Scheme + "://" + iu.Host)
	}
	for _, a := range o.FrameAncestors {
		// 'self' is there already; 'none' (the gateway's own pages framed by no one) means nothing
		// here, where the registrations' origins must frame the tool.
		if a != "" && a != "'self'" && a != "'none'" {
			addAncestor(a)
		}
	}
	// Forms post to the tool itself; the in-frame button's answer redirects into the Talkio app, which
	// browsers check against form-action too. The deep-linking answer adds its platform (see page).
	t.formAction = "form-action 'self' " + o.TalkioAppURL.Scheme + "://" + o.TalkioAppURL.Host
	t.csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " + t.formAction +
		"; base-uri 'none'; frame-ancestors " + strings.Join(ancestors, " ")

	for _, k := range o.ToolKeys {
		pub := jose.JSONWebKey{Key: &k.PublicKey, Algorithm: string(jose.RS256), Use: "sig"}
		tp, err := pub.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, err
		}
		pub.KeyID = b64(tp)
		t.jwks.Keys = append(t.jwks.Keys, pub)
	}
	t.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: o.ToolKeys[0], KeyID: t.jwks.Keys[0].KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	if t.pages, err = newPages(o.Demo); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /lti/login", t.handleLogin)
	mux.HandleFunc("POST /lti/login", t.handleLogin)
	mux.HandleFunc("POST /lti/launch", t.handleLaunch)
	mux.HandleFunc("POST /lti/open", t.handleOpen)
	mux.HandleFunc("POST /lti/deeplink", t.handleDeepLink)
	mux.HandleFunc("GET /lti/jwks", t.handleJWKS)
	mux.HandleFunc("GET /lti/config", t.handleConfig)
	mux.HandleFunc("GET /lti/lti.js", t.handleScript)
	mux.HandleFunc("GET /lti/app.css", t.handleScript)
	mux.HandleFunc("/lti/", func(w http.ResponseWriter, r *http.Request) {
		if allow, ok := routeMethods[r.URL.Path]; ok {
			w.Header().Set("Allow", allow)
			t.fail(w, r, http.StatusMethodNotAllowed, "Method not allowed", "This address of the LTI tool is not opened this way.", nil)
			return
		}
		t.fail(w, r, http.StatusNotFound, "Page not found", "There is no such page of the LTI tool.", nil)
	})
	return http.MaxBytesHandler(mux, 64<<10), nil
}

// routeMethods are the methods of each route, for the 405 page's Allow header.
var routeMethods = map[string]string{
	"/lti/login": "GET, POST", "/lti/launch": "POST", "/lti/open": "POST", "/lti/deeplink": "POST",
	"/lti/jwks": "GET", "/lti/config": "GET", "/lti/lti.js": "GET", "/lti/app.css": "GET",
}

// platformFor finds a registration by issuer and, when given, client id; ambiguous is true when the
// issuer has several registrations and no client id tells them apart.
func (t *tool) platformFor(iss, clientID string) (p *platform, ambiguous bool) {
	for _, pl := range t.platforms {
		if pl.Issuer != iss || (clientID != "" && pl.ClientID != clientID) {
			continue
		}
		if p != nil {
			return nil, true
		}
		p = pl
	}
	return p, false
}

func (t *tool) count(outcome, messageType string) {
	if t.opts.Metrics != nil {
		if messageType != msgResourceLink && messageType != msgDeepLinking {
			messageType = "other"
		}
		t.opts.Metrics(outcome, messageType)
	}
}
