// Package idptest runs an [idp.Provider] on a loopback httptest.Server, in the manner of net/http/httptest.
//
//	srv := idptest.NewServer(t, idp.Options{
//		Users:   idp.DemoUsers(),
//		Clients: []idp.Client{{ID: "gateway", Secret: "s3cret", RedirectURIs: []string{rpURL + "/auth/callback"}}},
//	})
//	srv.SetAutoLogin("maya") // a client following redirects signs in as Maya without the login page
//	// use srv.Issuer() as the relying party's issuer URL, srv.Client() for TLS-free plain HTTP
package idptest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"talkio-gateway/demo/idp"
)

// Server is a started provider. Its methods are the Provider's; URL is the server's origin, without the
// issuer's path.
type Server struct {
	*idp.Provider
	URL string
	srv *httptest.Server
}

// NewServer starts a provider and closes it when the test ends. An empty opts.Issuer becomes
// <URL>/idp, and one that starts with "/" is taken as the path below <URL>; AllowInsecure is turned on.
// It fails the test when the provider cannot be built.
func NewServer(tb testing.TB, opts idp.Options) *Server {
	tb.Helper()
	// The listener exists before Start, so the issuer can name its port before the provider is built.
	srv := httptest.NewUnstartedServer(nil)
	origin := "http://" + srv.Listener.Addr().String()
	switch {
	case opts.Issuer == "":
		opts.Issuer = origin + "/idp"
	case strings.HasPrefix(opts.Issuer, "/"):
		opts.Issuer = origin + opts.Issuer
	}
	opts.AllowInsecure = true
	p, err := idp.New(opts)
	if err != nil {
		srv.Close()
		tb.Fatalf("idptest: %v", err)
		return nil // only reached with a TB whose Fatalf returns
	}
	srv.Config.Handler = p.Handler()
	srv.Start()
	tb.Cleanup(srv.Close)
	return &Server{Provider: p, URL: srv.URL, srv: srv}
}

// Close shuts the server down; it is safe to call more than once.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }
