package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"os"
	"time"

	"talkio-gateway/auth"
	"talkio-gateway/config"
	"talkio-gateway/handlers"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"

	"golang.org/x/net/publicsuffix"
	"golang.org/x/term"
)

// The parts: configuration mapped onto each package's options, in one place.

// bufferLog puts a handlers.LogWriter in front of a pipe or file that is not a terminal (a log
// collector's); the returned func, run at shutdown, writes what it holds. A terminal or an in-memory
// writer (tests) gets each line at once.
func bufferLog(w io.Writer) (io.Writer, func()) {
	if f, ok := w.(*os.File); ok && !IsTerminal(f) {
		lw := handlers.NewLogWriter(f, handlers.LogFlushInterval)
		return lw, func() { _ = lw.Close() }
	}
	return w, func() {}
}

// newLogger writes JSON lines, or text when GATEWAY_LOG_FORMAT=auto and stderr is a terminal.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogFormatText || (cfg.LogFormat == config.LogFormatAuto && IsTerminal(w)) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// IsTerminal reports whether w is a terminal (text logs; the admin CLI's progress and prompts).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// NewTalkioClient builds the Partner API client for the default organization (the gateway's and the
// admin CLI's).
func NewTalkioClient(cfg *config.Config, observe func(context.Context, talkio.Call)) (*talkio.Client, error) {
	opts := []talkio.Option{talkio.WithOrganization(cfg.TalkioOrganization), talkio.WithTimeout(cfg.TalkioTimeout)}
	if observe != nil {
		opts = append(opts, talkio.WithCallObserver(observe))
	}
	return talkio.NewClient(cfg.TalkioAPIURL.String(), cfg.TalkioProvider, cfg.TalkioAPIKey, opts...)
}

func authConfig(cfg *config.Config, log *slog.Logger) auth.Config {
	c := cfg.Claims
	return auth.Config{
		IssuerURL:    cfg.OIDCIssuer.String(),
		ClientID:     cfg.OIDCClientID,
		ClientSecret: cfg.OIDCClientSecret,
		RedirectURL:  cfg.RedirectURL(),
		Scopes:       cfg.OIDCScopes,
		Claims: auth.ClaimNames{
			UserID: c.UserID, Name: c.Name, Email: c.Email, Phone: c.Phone, Groups: c.Groups,
			Locale: c.Locale, AccountExpiresAt: c.AccountExpiresAt, Organization: cfg.OrganizationClaim,
		},
		SessionKeys: cfg.SessionKeys,
		// The one cookie policy: auth applies it, and the web front reads it back from the Authenticator.
		Cookies: auth.CookiePolicy{TTL: cfg.SessionTTL, SameSite: cfg.CookieSameSite, Secure: cfg.PublicURL.Scheme == "https"},
		Logger:  log,
	}
}

// newProvisioner is the one provisioning policy every entry point shares.
func newProvisioner(cfg *config.Config, client *talkio.Client, log *slog.Logger) (*provision.Provisioner, error) {
	return provision.New(provision.Options{
		Talkio:            client,
		FacilitatorGroups: cfg.FacilitatorGroups,
		AllowedGroups:     cfg.AllowedGroups,
		AccountTTL:        cfg.AccountTTL,
		DefaultSettings:   cfg.DefaultSettings,
		OrganizationMap:   cfg.OrganizationMap,
		SendFields:        sendFields(cfg.SendFields),
		// With SCIM on, the directory is the source of truth: sign-in creates no one unless asked.
		SignInCreates: !cfg.SCIMEnabled() || cfg.SCIMSignInCreates,
		Logger:        log,
	})
}

// IDRule is the id rule of TALKIO_USER_ID_MODE (the admin CLI uses it too).
func IDRule(cfg *config.Config) provision.IDRule {
	if cfg.IDMode == config.IDModePseudonymous {
		return provision.IDRule{Key: cfg.IDKey}
	}
	return provision.IDRule{}
}

// sendFields maps TALKIO_SEND_FIELDS onto the core's set.
func sendFields(f config.SendFields) provision.Fields {
	var out provision.Fields
	if f.Name {
		out |= provision.FieldName
	}
	if f.Email {
		out |= provision.FieldEmail
	}
	if f.Phone {
		out |= provision.FieldPhone
	}
	if out == 0 {
		return provision.NoFields
	}
	return out
}

func handlerOptions(cfg *config.Config, demo bool, authn *auth.Authenticator, client *talkio.Client,
	prov *provision.Provisioner, log *slog.Logger) handlers.Options {
	return handlers.Options{
		Auth:             authn,
		Provisioner:      prov,
		IDRule:           IDRule(cfg),
		TrustProxy:       cfg.TrustProxy,
		OpenBurst:        cfg.OpenBurst,
		OpenRefill:       openRefill(cfg.OpenPerSecond),
		Talkio:           client,
		PublicURL:        cfg.PublicURL,
		TalkioAppURL:     cfg.TalkioAppURL,
		FrameAncestors:   cfg.FrameAncestors,
		SupportContact:   cfg.SupportContact,
		ReadyCheckTalkio: cfg.ReadyCheckTalkio,
		Demo:             demo,
		Privacy:          handlers.Privacy{IDMode: cfg.IDMode, SendFields: sendFields(cfg.SendFields)},
		Logger:           log,
	}
}

// warnOnCrossSiteFrame warns when the Talkio app and the gateway do not share a registrable domain: the
// Talkio docs require that for the iframe, because the framed app's cookies would be third-party.
func warnOnCrossSiteFrame(log *slog.Logger, cfg *config.Config) {
	if !sameSite(cfg.PublicURL, cfg.TalkioAppURL) {
		log.Warn("TALKIO_APP_URL and GATEWAY_PUBLIC_URL do not share a parent domain; browsers will block the "+
			"embedded app's cookies, so /embed will not work (use /open, or host both under one domain)",
			slog.String("gateway", cfg.PublicURL.Hostname()), slog.String("talkio_app", cfg.TalkioAppURL.Hostname()))
	}
}

// sameSite reports whether a and b have the same registrable domain (eTLD+1) by the public suffix
// list. IP addresses and single-label hosts such as localhost must match exactly.
func sameSite(a, b *url.URL) bool {
	ha, hb := a.Hostname(), b.Hostname()
	if ha == hb {
		return true
	}
	ra, errA := publicsuffix.EffectiveTLDPlusOne(ha)
	rb, errB := publicsuffix.EffectiveTLDPlusOne(hb)
	return errA == nil && errB == nil && ra == rb
}

// openRefill turns GATEWAY_OPEN_PER_SECOND into the interval between two refills.
func openRefill(perSecond float64) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / perSecond)
}
