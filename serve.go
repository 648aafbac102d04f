package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"talkio-gateway/auth"
	"talkio-gateway/config"
	"talkio-gateway/handlers"
	"talkio-gateway/talkio"

	"golang.org/x/net/publicsuffix"
	"golang.org/x/term"
)

// Server timeouts, set deliberately: a slow client cannot hold a connection open by trickling headers,
// and the write timeout leaves room for the Partner API's retries (each bounded by TALKIO_TIMEOUT).
// A variable, not constants, so that a test can shorten them to watch them act.
var serverLimits = struct {
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout time.Duration
	maxHeaderBytes                                            int
	maxBodyBytes                                              int64
}{
	readHeaderTimeout: 5 * time.Second,
	readTimeout:       15 * time.Second,
	writeTimeout:      60 * time.Second,
	idleTimeout:       120 * time.Second,
	maxHeaderBytes:    32 << 10, // attempt cookies are capped, so real Cookie headers stay far below this
	maxBodyBytes:      handlers.MaxRequestBody,
}

// serve loads the configuration and runs the gateway until ctx is cancelled, then shuts down gracefully.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	gw, err := start(ctx, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	return gw.wait(ctx)
}

// gateway is a started gateway: its listeners are bound and serving.
type gateway struct {
	cfg         *config.Config
	log         *slog.Logger
	url         string // the public URL to open
	addr        string // the main listener's address
	metricsAddr string // GATEWAY_METRICS_LISTEN's address, "" when metrics are on the main listener
	demo        *demo  // demo mode's provider and simulator, nil otherwise
	servers     []*http.Server
	errc        chan error
	closers     []func()
	// beforeShutdown runs when shutdown begins, before the servers stop accepting.
	beforeShutdown []func()
	authn          *auth.Authenticator
}

// waitReady waits until the provider's discovery has loaded, the condition /readyz reports.
func (gw *gateway) waitReady(ctx context.Context) error { return gw.authn.WaitReady(ctx) }

// start loads and validates the configuration, builds every part, binds the listeners and starts serving.
// A configuration problem is returned before anything listens.
func start(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) (*gateway, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, exitCode(2)
	}
	logOut, closeLog := bufferLog(stderr)
	log := newLogger(cfg, logOut)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	gw := &gateway{cfg: cfg, log: log, addr: ln.Addr().String(), errc: make(chan error, 2), closers: []func(){closeLog}}
	listeners := []net.Listener{ln}
	fail := func(err error) (*gateway, error) {
		for _, l := range listeners {
			l.Close()
		}
		gw.close()
		return nil, err
	}
	// Metrics on their own listener are bound now, so that a busy port stops the start like the main one.
	var metricsLn net.Listener
	if cfg.MetricsListen != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			return fail(fmt.Errorf("listen on %s (GATEWAY_METRICS_LISTEN): %w", cfg.MetricsListen, err))
		}
		listeners = append(listeners, metricsLn)
		gw.metricsAddr = metricsLn.Addr().String()
	}

	mux := http.NewServeMux()
	if cfg.Demo {
		d, err := setUpDemo(cfg, ln.Addr(), log)
		if err != nil {
			return fail(err)
		}
		d.mount(mux)
		gw.demo = d
		// The embedded provider's library logs through the default logger: keep its lines in our format.
		slog.SetDefault(log)
		gw.closers = append(gw.closers, d.close)
	}
	log.Info("configuration", slog.Any("config", cfg))
	for _, w := range cfg.Warnings() {
		log.Warn("configuration: " + w)
	}
	warnOnCrossSiteFrame(log, cfg)

	// One registry per process; each Partner API attempt feeds both the request's log line and the metrics.
	metrics := handlers.NewMetrics()
	client, err := newTalkioClient(cfg, func(ctx context.Context, c talkio.Call) {
		handlers.ObserveTalkioCall(ctx, c)
		metrics.Observe(ctx, c)
	})
	if err != nil {
		return fail(err)
	}
	authCtx, stopAuth := context.WithCancel(context.Background())
	gw.closers = append(gw.closers, stopAuth)
	acfg := authConfig(cfg, log)
	acfg.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	authn, err := auth.New(authCtx, acfg)
	if err != nil {
		return fail(err)
	}
	gw.closers = append(gw.closers, func() { authn.Close() })
	gw.authn = authn

	// Keep-alive connections of our own clients would hold up the shutdown of a listener that serves the
	// provider and the API itself (demo mode): a connection dialled but never used counts as busy.
	gw.beforeShutdown = append(gw.beforeShutdown, client.CloseIdleConnections, acfg.HTTPClient.CloseIdleConnections)

	opts := handlerOptions(cfg, authn, client, log)
	opts.Metrics = metrics
	opts.MetricsElsewhere = metricsLn != nil
	app, err := handlers.New(opts)
	if err != nil {
		return fail(err)
	}
	mux.Handle("/", app)

	gw.url = cfg.PublicURL.String()
	gw.serve(ln, mux)
	log.Info("listening", slog.String("addr", gw.addr), slog.String("url", gw.url), slog.Bool("demo", cfg.Demo))
	if metricsLn != nil {
		mm := http.NewServeMux()
		mm.Handle("GET /metrics", metrics.Handler())
		gw.serve(metricsLn, mm)
		log.Info("metrics listening", slog.String("addr", gw.metricsAddr))
	}
	if cfg.Demo {
		fmt.Fprintf(stdout, "\n  talkio-gateway demo mode — open %s\n\n", gw.url)
	}
	return gw, nil
}

// serve starts an http.Server with deliberate timeouts on ln.
func (gw *gateway) serve(ln net.Listener, h http.Handler) {
	l := serverLimits
	srv := &http.Server{
		Handler:           http.MaxBytesHandler(h, l.maxBodyBytes), // no route takes a body beyond the logout form
		ReadHeaderTimeout: l.readHeaderTimeout,
		ReadTimeout:       l.readTimeout,
		WriteTimeout:      l.writeTimeout,
		IdleTimeout:       l.idleTimeout,
		MaxHeaderBytes:    l.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(gw.log.Handler(), slog.LevelWarn),
	}
	gw.servers = append(gw.servers, srv)
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			gw.errc <- err
		}
	}()
}

// wait serves until ctx is cancelled (SIGTERM, SIGINT) or a server fails, then stops accepting
// connections and lets in-flight requests finish within GATEWAY_SHUTDOWN_TIMEOUT.
func (gw *gateway) wait(ctx context.Context) error {
	var err error
	select {
	case <-ctx.Done():
		gw.log.Info("shutting down", slog.Duration("timeout", gw.cfg.ShutdownTimeout))
	case err = <-gw.errc:
		gw.log.Error("server failed", slog.Any("error", err))
	}
	sctx, cancel := context.WithTimeout(context.Background(), gw.cfg.ShutdownTimeout)
	defer cancel()
	for _, f := range gw.beforeShutdown {
		f()
	}
	for _, srv := range gw.servers {
		if e := srv.Shutdown(sctx); e != nil && err == nil {
			err = fmt.Errorf("shutdown: %w", e)
		}
	}
	gw.close()
	if err == nil {
		gw.log.Info("stopped")
	}
	return err
}

func (gw *gateway) close() {
	for i := len(gw.closers) - 1; i >= 0; i-- {
		gw.closers[i]()
	}
	gw.closers = nil
}

// bufferLog puts a handlers.LogWriter in front of a pipe or file that is not a terminal (a log
// collector's); the returned func, run at shutdown, writes what it holds. A terminal or an in-memory
// writer (tests) gets each line at once.
func bufferLog(w io.Writer) (io.Writer, func()) {
	if f, ok := w.(*os.File); ok && !isTerminal(f) {
		lw := handlers.NewLogWriter(f, handlers.LogFlushInterval)
		return lw, func() { _ = lw.Close() }
	}
	return w, func() {}
}

// newLogger writes JSON lines, or text when GATEWAY_LOG_FORMAT=auto and stderr is a terminal.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogFormatText || (cfg.LogFormat == config.LogFormatAuto && isTerminal(w)) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newTalkioClient builds the Partner API client for the default organization.
func newTalkioClient(cfg *config.Config, observe func(context.Context, talkio.Call)) (*talkio.Client, error) {
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
		SessionKeys:   cfg.SessionKeys,
		CookieSecure:  cfg.PublicURL.Scheme == "https",
		SameSite:      cfg.CookieSameSite,
		SessionMaxAge: cfg.SessionTTL,
		Logger:        log,
	}
}

func handlerOptions(cfg *config.Config, authn *auth.Authenticator, client *talkio.Client, log *slog.Logger) handlers.Options {
	return handlers.Options{
		Auth:              authn,
		Talkio:            client,
		PublicURL:         cfg.PublicURL,
		TalkioAppURL:      cfg.TalkioAppURL,
		FrameAncestors:    cfg.FrameAncestors,
		FacilitatorGroups: cfg.FacilitatorGroups,
		AllowedGroups:     cfg.AllowedGroups,
		AccountTTL:        cfg.AccountTTL,
		DefaultSettings:   cfg.DefaultSettings,
		OrganizationMap:   cfg.OrganizationMap,
		SupportContact:    cfg.SupportContact,
		SessionTTL:        cfg.SessionTTL,
		CookieSameSite:    cfg.CookieSameSite,
		ReadyCheckTalkio:  cfg.ReadyCheckTalkio,
		Demo:              cfg.Demo,
		Logger:            log,
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
