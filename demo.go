package main

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"

	"talkio-gateway/config"
	"talkio-gateway/demo/idp"
	"talkio-gateway/talkio/talkiotest"
)

// Demo mode runs three things on the gateway's own listener: the embedded OpenID provider under /idp,
// the Partner API simulator and its stand-in Talkio app under /talkio, and the gateway everywhere else.
// The gateway reaches both over real HTTP, exactly as it would reach the partner's provider and Talkio.
const (
	demoIDPPrefix    = "/idp"
	demoTalkioPrefix = "/talkio"
	demoClientID     = "talkio-gateway-demo"
	demoProvider     = "demo-partner"
	demoOrganization = "demo-school"
)

type demo struct {
	idp *idp.Provider
	sim *talkiotest.Handler
}

// setUpDemo fills cfg with the demo's URLs and fresh random secrets (nothing to configure, nothing to
// leak) and builds the provider and the simulator.
func setUpDemo(cfg *config.Config, addr net.Addr, log *slog.Logger) (*demo, error) {
	if cfg.PublicURL == nil {
		cfg.PublicURL = &url.URL{Scheme: "http", Host: demoHost(addr)}
	}
	public := cfg.PublicURL.String()
	issuer, _ := url.Parse(public + demoIDPPrefix)
	talkioURL, _ := url.Parse(public + demoTalkioPrefix)

	cfg.OIDCIssuer = issuer
	cfg.OIDCClientID = demoClientID
	cfg.OIDCClientSecret = rand.Text()
	cfg.TalkioAPIURL = talkioURL
	cfg.TalkioAppURL = talkioURL
	cfg.TalkioProvider = demoProvider
	cfg.TalkioAPIKey = rand.Text()
	cfg.TalkioOrganization = demoOrganization
	key := make([]byte, 32)
	rand.Read(key)
	cfg.SessionKeys = [][]byte{key}
	if len(cfg.FacilitatorGroups) == 0 {
		cfg.FacilitatorGroups = []string{"teachers"}
	}

	p, err := idp.New(idp.Options{
		Issuer: issuer.String(),
		Users:  idp.DemoUsers(),
		Clients: []idp.Client{{
			ID:                     demoClientID,
			Secret:                 cfg.OIDCClientSecret,
			RedirectURIs:           []string{cfg.RedirectURL()},
			PostLogoutRedirectURIs: []string{public + "/"},
		}},
		AllowInsecure: true,
	})
	if err != nil {
		return nil, fmt.Errorf("demo identity provider: %w", err)
	}
	sim := talkiotest.NewHandler(talkiotest.Options{
		Provider:      cfg.TalkioProvider,
		APIKey:        cfg.TalkioAPIKey,
		Organizations: []talkiotest.Organization{{Slug: demoOrganization, Name: "Demo School"}},
		AppURL:        talkioURL.String(),
		PortalURL:     public + "/",
	})
	log.Warn("demo mode: embedded identity provider and Partner API simulator; not for production",
		slog.String("issuer", issuer.String()), slog.String("talkio", talkioURL.String()))
	return &demo{idp: p, sim: sim}, nil
}

func (d *demo) mount(mux *http.ServeMux) {
	mux.Handle(demoIDPPrefix+"/", d.idp.Handler())
	mux.Handle(demoTalkioPrefix+"/", http.StripPrefix(demoTalkioPrefix, d.sim))
}

func (d *demo) close() {}

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
