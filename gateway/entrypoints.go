package gateway

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"talkio-gateway/config"
	"talkio-gateway/lti"
	"talkio-gateway/provision"
	"talkio-gateway/scim"
	"talkio-gateway/talkio"
)

// The entry points beyond OIDC sign-in. Each is an http.Handler of its own, mounted on the main mux
// beside the web front rather than behind it: SCIM answers its own RFC 7644 errors (a 413 or a 401 in
// SCIM JSON, not an HTML page) and LTI pages are framed by, and posted to from, the learning platform
// (their own CSP, no cross-origin refusal). All of them share the one provisioner and the one id rule.

// mountEntryPoints builds and mounts SCIM (when SCIM_TOKEN is set) and LTI (when LTI_PLATFORMS is set).
func mountEntryPoints(mux *http.ServeMux, cfg *config.Config, prov *provision.Provisioner, client *talkio.Client,
	reg prometheus.Registerer, demo bool, log *slog.Logger) error {
	rule := IDRule(cfg)
	if cfg.SCIMEnabled() {
		m, err := scim.PrometheusMetrics(reg)
		if err != nil {
			return err
		}
		var others []*talkio.Client
		seen := map[string]bool{cfg.TalkioOrganization: true}
		for _, slug := range cfg.OrganizationMap {
			if !seen[slug] {
				seen[slug] = true
				others = append(others, prov.Client(slug))
			}
		}
		h, err := scim.New(scim.Options{
			Tokens:            cfg.SCIMTokens,
			Provisioner:       prov,
			Talkio:            client,
			Organizations:     others,
			IDRule:            rule,
			Issuer:            cfg.OIDCIssuer.String(),
			UserIDAttribute:   cfg.SCIMUserIDAttribute,
			Deactivate:        cfg.SCIMDeactivate,
			FacilitatorGroups: cfg.FacilitatorGroups,
			AllowedGroups:     cfg.AllowedGroups,
			BaseURL:           cfg.PublicURL.String() + "/scim/v2",
			Logger:            log,
			Metrics:           m,
		})
		if err != nil {
			return err
		}
		mux.Handle("/scim/v2/", h)
		mux.Handle("/scim/v2", h)
	}
	if cfg.LTIEnabled() {
		launches := prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gateway", Name: "lti_launches_total",
			Help: "LTI launches by outcome and message type.",
		}, []string{"outcome", "message_type"})
		if err := reg.Register(launches); err != nil {
			return err
		}
		platforms := make([]lti.Platform, len(cfg.LTIPlatforms))
		for i, p := range cfg.LTIPlatforms {
			platforms[i] = lti.Platform{
				Issuer: p.Issuer, ClientID: p.ClientID, DeploymentIDs: p.DeploymentIDs,
				AuthLoginURL: p.AuthLoginURL.String(), JWKSURL: p.JWKSURL.String(), Organization: p.Organization,
			}
			if p.AuthTokenURL != nil {
				platforms[i].AuthTokenURL = p.AuthTokenURL.String()
			}
		}
		templates := make([]lti.Template, len(cfg.LTITemplates))
		for i, t := range cfg.LTITemplates {
			templates[i] = lti.Template{Slug: t.Slug, Title: t.Title}
		}
		var ancestors []string
		for _, a := range cfg.FrameAncestors {
			if a != "'self'" {
				ancestors = append(ancestors, a)
			}
		}
		h, err := lti.New(lti.Options{
			Platforms:      platforms,
			ToolKeys:       cfg.LTIToolKeys,
			Templates:      templates,
			PublicURL:      cfg.PublicURL,
			TalkioAppURL:   cfg.TalkioAppURL,
			Provisioner:    prov,
			IDRule:         rule,
			FrameAncestors: ancestors,
			Logger:         log,
			Metrics:        func(outcome, typ string) { launches.WithLabelValues(outcome, typ).Inc() },
			Demo:           demo,
		})
		if err != nil {
			return err
		}
		mux.Handle("/lti/", h)
	}
	return nil
}
