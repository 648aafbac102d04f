package talkiotest

import (
	"net/http"
	"net/http/httptest"
)

// Server is a simulator listening on a loopback address, like httptest.Server. The Handler's methods
// (Calls, Inject, AddUser, …) are available on it directly.
type Server struct {
	*Handler
	// URL is the base URL, http://127.0.0.1:port, without a trailing slash: the API origin for a client
	// and the app origin for login links.
	URL string
	srv *httptest.Server
}

// NewServer starts a simulator on 127.0.0.1 with a random port. Close it when done.
func NewServer(opts Options) *Server {
	h := NewHandler(opts)
	srv := httptest.NewServer(h)
	return &Server{Handler: h, URL: srv.URL, srv: srv}
}

// Close shuts the server down, blocking until all outstanding requests have completed.
func (s *Server) Close() { s.srv.Close() }

// Client returns an *http.Client configured for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }
