package gateway

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"talkio-gateway/config"
	"talkio-gateway/handlers"
	"talkio-gateway/lti"
	"talkio-gateway/provision"
	"talkio-gateway/scim"
	"talkio-gateway/talkio"
)

// The entry points beyond OIDC sign-in. Each is an http.Handler of its own, mounted behind the web
// front's request id, request log and security headers (handlers.Mount): SCIM bounds its bodies itself
// and answers RFC 7644 errors (a 413 in SCIM JSON, not an HTML page); LTI pages set their own CSP, since
// the learning platform frames them, and the cross-origin refusal guards only the gateway's sign-out.
// All of them share the one provisioner and the one id rule.

// entryPoints builds SCIM (when SCIM_TOKEN is set) and LTI (when LTI_PLATFORMS is set) as mounts.
func entryPoints(cfg *config.Config, prov *provision.Provisioner, client *talkio.Client,
	reg prometheus.Registerer, demo bool, log *slog.Logger) ([]handlers.Mount, error) {
	var mounts []handlers.Mount
	rule := IDRule(cfg)
	if cfg.SCIMEnabled() {
		m, err := scim.PrometheusMetrics(reg)
		if err != nil {
			return nil, err
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
			return nil, err
		}
		mounts = append(mounts, handlers.Mount{Prefix: "/scim/v2", Handler: h, OwnBodyLimit: true})
	}
	if cfg.LTIEnabled() {
		launches := prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gateway", Name: "lti_launches_total",
			Help: "LTI launches by outcome and message type.",
		}, []string{"outcome", "message_type"})
		if err := reg.Register(launches); err != nil {
			return nil, err
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
		h, err := lti.New(lti.Options{
			Platforms:      platforms,
			ToolKeys:       cfg.LTIToolKeys,
			Templates:      templates,
			PublicURL:      cfg.PublicURL,
			TalkioAppURL:   cfg.TalkioAppURL,
			Provisioner:    prov,
			IDRule:         rule,
			FrameAncestors: cfg.FrameAncestors,
			Logger:         log,
			Metrics:        func(outcome, typ string) { launches.WithLabelValues(outcome, typ).Inc() },
			Demo:           demo,
		})
		if err != nil {
			return nil, err
		}
		mounts = append(mounts, handlers.Mount{Prefix: "/lti", Handler: h})
	}
	return mounts, nil
}
