package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"

	"talkio-gateway/config"
	"talkio-gateway/demo/idp"
	"talkio-gateway/demo/lms"
	"talkio-gateway/lti"
	"talkio-gateway/talkio/talkiotest"
)

// Demo mode runs four things on the gateway's own listener: the embedded OpenID provider under /idp,
// the Partner API simulator and its stand-in Talkio app under /talkio, a stand-in learning platform
// (LTI) under /lms, and the gateway everywhere else.
// The gateway reaches both over real HTTP, exactly as it would reach the partner's provider and Talkio.
const (
	demoIDPPrefix    = "/idp"
	demoTalkioPrefix = "/talkio"
	demoLMSPrefix    = "/lms"
	demoClientID     = "talkio-gateway-demo"
	demoProvider     = "demo-partner"
	demoOrganization = "demo-school"
)

type demo struct {
	cfg *config.Config // complete and validated, as if an operator had set every variable
	idp *idp.Provider
	sim *talkiotest.Handler
	lms *lms.LMS // a stand-in learning platform under /lms, registered with the gateway's LTI tool
}

// newDemo builds demo mode's configuration of its own: the operator's variables, plus the demo's URLs and
// fresh random secrets (nothing to configure, nothing to leak), loaded and validated like any other
// configuration. Then it builds the provider and the simulator from that configuration.
func newDemo(getenv func(string) string, addr net.Addr) (*demo, error) {
	public := getenv("GATEWAY_PUBLIC_URL")
	if public == "" {
		public = "http://" + demoHost(addr)
	}
	vars := map[string]string{
		"GATEWAY_PUBLIC_URL":     public,
		"GATEWAY_SESSION_SECRET": rand.Text() + rand.Text(), // 52 characters, more than the 32 bytes needed
		"OIDC_ISSUER":            public + demoIDPPrefix,
		"OIDC_CLIENT_ID":         demoClientID,
		"OIDC_CLIENT_SECRET":     rand.Text(),
		"TALKIO_API_URL":         public + demoTalkioPrefix,
		"TALKIO_APP_URL":         public + demoTalkioPrefix,
		"TALKIO_PROVIDER":        demoProvider,
		"TALKIO_API_KEY":         rand.Text(),
		"TALKIO_ORGANIZATION":    demoOrganization,
	}
	if demoMakesIDKey(getenv) {
		vars["TALKIO_USER_ID_KEY"] = rand.Text() + rand.Text()
	}
	if getenv("FACILITATOR_GROUPS") == "" {
		vars["FACILITATOR_GROUPS"] = "teachers"
	}
	// SCIM on, with a token printed at start (nothing real is at stake), and sign-in still creating users
	// so that the demo's people can sign in without a directory push first; the banner says so.
	vars["SCIM_TOKEN"] = rand.Text() + rand.Text()
	vars["SCIM_SIGN_IN_CREATES"] = "true"
	// LTI on, registered with the stand-in learning platform, with a fresh tool key.
	platform, err := lms.New(lms.Options{BaseURL: public + demoLMSPrefix, ToolURL: public})
	if err != nil {
		return nil, fmt.Errorf("demo learning platform: %w", err)
	}
	ltiVars, err := demoLTIVars(platform)
	if err != nil {
		return nil, err
	}
	maps.Copy(vars, ltiVars)
	cfg, err := config.Load(func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return getenv(k)
	})
	if err != nil {
		return nil, fmt.Errorf("demo mode: %w", err)
	}

	p, err := idp.New(idp.Options{
		Issuer: cfg.OIDCIssuer.String(),
		Users:  idp.DemoUsers(),
		Clients: []idp.Client{{
			ID:                     cfg.OIDCClientID,
			Secret:                 cfg.OIDCClientSecret,
			RedirectURIs:           []string{cfg.RedirectURL()},
			PostLogoutRedirectURIs: []string{cfg.PublicURL.String() + "/"},
		}},
		AllowInsecure: true,
	})
	if err != nil {
		return nil, fmt.Errorf("demo identity provider: %w", err)
	}
	sim := talkiotest.NewHandler(talkiotest.Options{
		Provider:      cfg.TalkioProvider,
		APIKey:        cfg.TalkioAPIKey,
		Organizations: []talkiotest.Organization{{Slug: cfg.TalkioOrganization, Name: "Demo School"}},
		AppURL:        cfg.TalkioAppURL.String(),
		PortalURL:     cfg.PublicURL.String() + "/",
	})
	return &demo{cfg: cfg, idp: p, sim: sim, lms: platform}, nil
}

// demoLTIVars registers the stand-in platform the way an operator registers a real one: LTI_PLATFORMS,
// a fresh LTI_TOOL_KEY and two LTI_TEMPLATES.
func demoLTIVars(platform *lms.LMS) (map[string]string, error) {
	reg, err := json.Marshal([]lti.Platform{platform.Platform()})
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"LTI_PLATFORMS": string(reg),
		"LTI_TOOL_KEY":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"LTI_TEMPLATES": "books-literature=Books & Literature,travel=Travel",
	}, nil
}

// demoMakesIDKey reports whether the demo makes the key of pseudonymous ids: the mode asks for one
// (any value but claim; config refuses a wrong one) and the operator gave none.
func demoMakesIDKey(getenv func(string) string) bool {
	m := strings.TrimSpace(getenv("TALKIO_USER_ID_MODE"))
	return m != "" && !strings.EqualFold(m, config.IDModeClaim) &&
		getenv("TALKIO_USER_ID_KEY") == "" && getenv("TALKIO_USER_ID_KEY_FILE") == ""
}

func (d *demo) mount(mux *http.ServeMux) {
	mux.Handle(demoLMSPrefix+"/", d.lms)
	mux.Handle(demoIDPPrefix+"/", d.idp.Handler())
	mux.Handle(demoTalkioPrefix+"/", http.StripPrefix(demoTalkioPrefix, d.sim))
}

// printDemoBanner tells the person who ran `go run .` where to go, and how to point the admin commands
// at this demo. The simulator's API key is printed on purpose: it opens nothing but this process's
// in-memory stand-in for the Partner API, and is new at every start, so nothing real is at stake. So is
// the id key when the demo made it (madeIDKey); one the operator gave is never printed.
func printDemoBanner(w io.Writer, cfg *config.Config, madeIDKey bool) {
	fmt.Fprintf(w, "\n  talkio-gateway demo mode — open %s\n\n", cfg.PublicURL)
	fmt.Fprint(w, "  Admin commands against this demo (in another terminal, after `go build -o talkio-gateway .`):\n")
	fmt.Fprintf(w, "    export TALKIO_API_URL=%s TALKIO_PROVIDER=%s TALKIO_API_KEY=%s TALKIO_ORGANIZATION=%s TALKIO_APP_URL=%s\n",
		cfg.TalkioAPIURL, cfg.TalkioProvider, cfg.TalkioAPIKey, cfg.TalkioOrganization, cfg.TalkioAppURL)
	if cfg.IDMode == config.IDModePseudonymous {
		// The admin commands find a person by their provider id with the same key and issuer.
		key := "" // the operator's own: they set it in the other terminal themselves
		if madeIDKey {
			key = " TALKIO_USER_ID_KEY=" + string(cfg.IDKey)
		}
		fmt.Fprintf(w, "    export TALKIO_USER_ID_MODE=%s%s OIDC_ISSUER=%s\n", cfg.IDMode, key, cfg.OIDCIssuer)
	}
	fmt.Fprint(w, "    ./talkio-gateway users list\n\n")
	fmt.Fprint(w, "  SCIM 2.0 (docs/scim.md) is on; sign-in still creates users in the demo (SCIM_SIGN_IN_CREATES=true):\n")
	fmt.Fprintf(w, "    curl -H 'Authorization: Bearer %s' %s/scim/v2/Users\n\n", cfg.SCIMTokens[0], cfg.PublicURL)
	fmt.Fprintf(w, "  LTI 1.3 (docs/lti.md): a stand-in course that launches the tutor — open %s%s/\n\n", cfg.PublicURL, demoLMSPrefix)
}

// demoHost is the host:port a browser on this machine uses to reach addr: "localhost" for a wildcard
// listener, the address itself otherwise.
func demoHost(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
