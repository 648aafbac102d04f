// Package gateway is the server wiring: it turns a validated configuration into the running parts (the
// Partner API client, the authenticator, the web front of package handlers, the metrics) and the
// listeners that serve them, and shuts them down gracefully. Demo mode adds the embedded identity
// provider and the Partner API simulator (demo.go). Package main only parses the command line.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"talkio-gateway/auth"
	"talkio-gateway/config"
	"talkio-gateway/handlers"
	"talkio-gateway/talkio"
)

// Limits are the servers' timeouts and header limit, set deliberately: a slow client cannot hold a
// connection open by trickling headers, and the write timeout leaves room for the Partner API's retries
// (each bounded by TALKIO_TIMEOUT). The body limit is the web front's (handlers.MaxRequestBody).
type Limits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
}

// DefaultLimits are the limits of a production start.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       15 * time.Second,
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       120 * time.Second,
	MaxHeaderBytes:    32 << 10, // attempt cookies are capped, so real Cookie headers stay far below this
}

// Options are what a start needs besides the configuration's variables.
type Options struct {
	Getenv func(string) string // the environment; nil: nothing set (demo mode)
	Stdout io.Writer           // demo mode's start message; nil: discarded
	Stderr io.Writer           // the log; nil: discarded
	Limits *Limits             // nil: DefaultLimits (tests shorten them to watch them act)
}

// Gateway is a started gateway: its listeners are bound and serving.
type Gateway struct {
	cfg         *config.Config
	log         *slog.Logger
	url         string // the public URL to open
	addr        string // the main listener's address
	metricsAddr string // GATEWAY_METRICS_LISTEN's address, "" when metrics are on the main listener
	demo        bool
	limits      Limits
	servers     []*http.Server
	errc        chan error
	closers     []func()
	// beforeShutdown runs when shutdown begins, before the servers stop accepting.
	beforeShutdown []func()
	authn          *auth.Authenticator
}

// Run starts the gateway and serves until ctx is cancelled, then shuts down gracefully.
func Run(ctx context.Context, o Options) error {
	gw, err := Start(ctx, o)
	if err != nil {
		return err
	}
	return gw.Wait(ctx)
}

// Config is the configuration the gateway runs with (in demo mode, the demo's complete one).
func (gw *Gateway) Config() *config.Config { return gw.cfg }

// URL is the public URL to open.
func (gw *Gateway) URL() string { return gw.url }

// Addr is the main listener's address.
func (gw *Gateway) Addr() string { return gw.addr }

// MetricsAddr is the metrics listener's address, "" when /metrics is served on the main listener.
func (gw *Gateway) MetricsAddr() string { return gw.metricsAddr }

// Demo reports whether the gateway runs in demo mode.
func (gw *Gateway) Demo() bool { return gw.demo }

// WaitReady waits until the provider's discovery has loaded, the condition /readyz reports.
func (gw *Gateway) WaitReady(ctx context.Context) error { return gw.authn.WaitReady(ctx) }

// Start loads and validates the configuration, builds every part, binds the listeners and starts serving.
// A configuration problem is returned (a *config.Error) before anything listens.
func Start(ctx context.Context, o Options) (*Gateway, error) {
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	cfg, err := config.Load(o.Getenv)
	if err != nil {
		return nil, err
	}
	logOut, closeLog := bufferLog(o.Stderr)
	log := newLogger(cfg, logOut)

	ln, err := listen(cfg.Listen, "GATEWAY_LISTEN")
	if err != nil {
		return nil, err
	}
	gw := &Gateway{log: log, addr: ln.Addr().String(), errc: make(chan error, 2), demo: cfg.Demo, limits: DefaultLimits,
		closers: []func(){closeLog}} // closers run last first: the log is written out after everything else
	if o.Limits != nil {
		gw.limits = *o.Limits
	}
	listeners := []net.Listener{ln}
	fail := func(err error) (*Gateway, error) {
		for _, l := range listeners {
			l.Close()
		}
		gw.close()
		return nil, err
	}

	// Metrics go on a listener of their own unless GATEWAY_METRICS_LISTEN names the main one: the counts
	// are not for the public. Bound now, so that a busy port stops the start like the main one,
	// before demo mode builds anything (its listener variables are the operator's).
	var metricsLn net.Listener
	metricsOnMain := metricsOnMainListener(cfg)
	if !metricsOnMain {
		if metricsLn, err = listen(cfg.MetricsListen, "GATEWAY_METRICS_LISTEN"); err != nil {
			return fail(err)
		}
		listeners = append(listeners, metricsLn)
		gw.metricsAddr = metricsLn.Addr().String()
	}

	mux := http.NewServeMux()
	if cfg.Demo {
		// Demo mode's configuration is a complete one of its own, validated like any other.
		d, err := newDemo(o.Getenv, ln.Addr())
		if err != nil {
			return fail(err)
		}
		cfg = d.cfg
		d.mount(mux)
		// The embedded provider's library logs through the default logger: keep its lines in our format.
		slog.SetDefault(log)
		log.Warn("demo mode: embedded identity provider and Partner API simulator; not for production",
			slog.String("issuer", cfg.OIDCIssuer.String()), slog.String("talkio", cfg.TalkioAPIURL.String()))
	}
	gw.cfg = cfg

	log.Info("configuration", slog.Bool("demo", gw.demo), slog.Any("config", cfg))
	for _, w := range cfg.Warnings() {
		log.Warn("configuration: " + w)
	}
	warnOnCrossSiteFrame(log, cfg)

	// One registry per process; each Partner API attempt feeds both the request's log line and the metrics.
	metrics := handlers.NewMetrics()
	client, err := NewTalkioClient(cfg, func(ctx context.Context, c talkio.Call) {
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

	prov, err := newProvisioner(cfg, client, log)
	if err != nil {
		return fail(err)
	}
	opts := handlerOptions(cfg, gw.demo, authn, client, prov, log)
	opts.Metrics = metrics
	opts.ServeMetrics = metricsOnMain
	// The other entry points share prov (see mountEntryPoints).
	if opts.Mounts, err = entryPoints(cfg, prov, client, metrics.Registerer(), gw.demo, log); err != nil {
		return fail(err)
	}
	app, err := handlers.New(opts)
	if err != nil {
		return fail(err)
	}
	mux.Handle("/", app)

	gw.url = cfg.PublicURL.String()
	gw.serve(ln, mux)
	log.Info("listening", slog.String("addr", gw.addr), slog.String("url", gw.url), slog.Bool("demo", gw.demo))
	if metricsLn != nil {
		mm := http.NewServeMux()
		mm.Handle("GET /metrics", metrics.Handler())
		gw.serve(metricsLn, mm)
		log.Info("metrics listening", slog.String("addr", gw.metricsAddr))
	}
	if gw.demo {
		printDemoBanner(o.Stdout, cfg, demoMakesIDKey(o.Getenv))
	}
	return gw, nil
}

// metricsOnMainListener: config leaves GATEWAY_METRICS_LISTEN empty when it asks for /metrics on the
// main listener (set equal to GATEWAY_LISTEN).
func metricsOnMainListener(cfg *config.Config) bool { return cfg.MetricsListen == "" }

// listen binds addr; a failure names the variable that changes the address.
func listen(addr, variable string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	example := map[string]string{"GATEWAY_LISTEN": ":8081", "GATEWAY_METRICS_LISTEN": "127.0.0.1:9091"}[variable]
	hint := "set " + variable + " to another host:port, e.g. " + variable + "=" + example
	if errors.Is(err, syscall.EADDRINUSE) {
		hint = "the port is in use; " + hint
	}
	return nil, fmt.Errorf("listen on %s (%s): %w; %s", addr, variable, err, hint)
}

// serve starts an http.Server with deliberate timeouts on ln.
func (gw *Gateway) serve(ln net.Listener, h http.Handler) {
	l := gw.limits
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(gw.log.Handler(), slog.LevelWarn),
	}
	gw.servers = append(gw.servers, srv)
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			gw.errc <- err
		}
	}()
}

// Servers are the started servers, main listener first (for tests of their limits).
func (gw *Gateway) Servers() []*http.Server { return gw.servers }

// Wait serves until ctx is cancelled (SIGTERM, SIGINT) or a server fails, then stops accepting
// connections and lets in-flight requests finish within GATEWAY_SHUTDOWN_TIMEOUT.
func (gw *Gateway) Wait(ctx context.Context) error {
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

func (gw *Gateway) close() {
	for i := len(gw.closers) - 1; i >= 0; i-- {
		gw.closers[i]()
	}
	gw.closers = nil
}
