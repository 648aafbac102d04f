package main

// A cluster: provider, Partner API simulator and a load balancer, for gateway processes behind it.

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"talkio-gateway/demo/idp"
	"talkio-gateway/demo/idp/idptest"
	"talkio-gateway/talkio/talkiotest"
)

// A cluster: provider, Partner API simulator and a load balancer, for gateway processes behind it

const (
	opsProvider = "ops-partner"
	opsOrg      = "ops-school"
	opsClientID = "talkio-gateway"
)

// opsSigningKey is one RSA key for every provider the tests start; generating one costs more than a test.
var opsSigningKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

type cluster struct {
	sim     *talkiotest.Handler
	simURL  string
	idp     *idptest.Server
	public  string // the load balancer: every replica's GATEWAY_PUBLIC_URL and the redirect URI's origin
	vars    map[string]string
	tokenIn atomic.Pointer[gate] // when set, token requests wait at the gate

	mu     sync.Mutex
	target backend
	served []string // "replica path" per request through the load balancer
}

// backend is where the load balancer sends requests.
type backend struct {
	name string
	u    *url.URL
}

// gate holds the Partner API's token requests: arrived is signalled when one comes in, and it is
// answered once release is closed.
type gate struct {
	arrived chan struct{}
	release chan struct{}
}

// newCluster starts the provider, the simulator and the load balancer. secret is
// GATEWAY_SESSION_SECRET unless a replica's vars override it.
func newCluster(t *testing.T, sessionSecret string) *cluster {
	t.Helper()
	key, err := opsSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{}
	apiKey, clientSecret := "api-key-"+rand.Text(), "client-secret-"+rand.Text()

	c.sim = talkiotest.NewHandler(talkiotest.Options{Provider: opsProvider, APIKey: apiKey,
		Organizations: []talkiotest.Organization{{Slug: opsOrg}}})
	simSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g := c.tokenIn.Load(); g != nil && strings.HasSuffix(r.URL.Path, "/token") {
			select {
			case g.arrived <- struct{}{}:
			default:
			}
			<-g.release
		}
		c.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(simSrv.Close)
	c.simURL = simSrv.URL

	lb := httptest.NewUnstartedServer(&httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			c.mu.Lock()
			to := c.target
			c.served = append(c.served, to.name+" "+pr.In.URL.Path)
			c.mu.Unlock()
			pr.SetURL(to.u)
			pr.Out.Host = pr.In.Host
		},
	})
	c.public = "http://" + lb.Listener.Addr().String()
	lb.Start()
	t.Cleanup(lb.Close)

	c.idp = idptest.NewServer(t, idp.Options{
		Users: idp.DemoUsers(),
		Key:   key,
		Clients: []idp.Client{{
			ID: opsClientID, Secret: clientSecret,
			RedirectURIs:           []string{c.public + "/auth/callback"},
			PostLogoutRedirectURIs: []string{c.public + "/"},
		}},
	})

	c.vars = map[string]string{
		"GATEWAY_LISTEN":         "127.0.0.1:0",
		"GATEWAY_METRICS_LISTEN": "127.0.0.1:0", // replicas side by side must not share the default port
		"GATEWAY_PUBLIC_URL":     c.public,
		"GATEWAY_SESSION_SECRET": sessionSecret,
		"OIDC_ISSUER":            c.idp.Issuer(),
		"OIDC_CLIENT_ID":         opsClientID,
		"OIDC_CLIENT_SECRET":     clientSecret,
		"TALKIO_API_URL":         c.simURL,
		"TALKIO_APP_URL":         c.simURL,
		"TALKIO_PROVIDER":        opsProvider,
		"TALKIO_API_KEY":         apiKey,
		"TALKIO_ORGANIZATION":    opsOrg,
		"GATEWAY_LOG_FORMAT":     "json",
		"GATEWAY_LOG_LEVEL":      "debug",
		// Generous, so that only the test decides when the held token call ends.
		"TALKIO_TIMEOUT":           "60s",
		"GATEWAY_SHUTDOWN_TIMEOUT": "60s",
	}
	return c
}

// start runs a replica with the cluster's configuration and the given overrides.
func (c *cluster) start(t *testing.T, name string, override map[string]string) *proc {
	t.Helper()
	vars := maps.Clone(c.vars)
	maps.Copy(vars, override)
	return startProcess(t, name, vars)
}

// route sends the load balancer's next requests to name at base.
func (c *cluster) route(t *testing.T, name, base string) {
	t.Helper()
	u := mustURL(t, base)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.target = backend{name: name, u: u}
}

func (c *cluster) routeTo(t *testing.T, p *proc) {
	t.Helper()
	c.route(t, p.name, p.url)
}

func (c *cluster) servedLog() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.served...)
}

func sessionSecret() string { return rand.Text() + rand.Text() } // 52 characters

// TestGracefulShutdown sends the gateway process a real SIGTERM while an /open waits on the Partner API:
// the listener closes at once (new connections are refused), the request still completes with its
// redirect, and the process exits 0.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sessionSecret())
	p := c.start(t, "gateway", nil)
	c.routeTo(t, p)
	b := newOpsBrowser(t)
	b.signIn(t, c.public, "jonas")
	cookie := b.cookieHeader(t, c.public)

	g := &gate{arrived: make(chan struct{}, 1), release: make(chan struct{})}
	c.tokenIn.Store(g)
	released := false
	defer func() {
		if !released {
			close(g.release) // let the simulator's server close on a failed test
		}
	}()

	// Straight to the process, on a connection of its own.
	type result struct {
		status   int
		location string
		err      error
	}
	res := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, p.url+"/open", nil)
		req.Header.Set("Cookie", cookie)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{}, Timeout: opsTimeout}
		r, err := client.Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		r.Body.Close()
		res <- result{status: r.StatusCode, location: r.Header.Get("Location")}
	}()
	select {
	case <-g.arrived:
	case r := <-res:
		t.Fatalf("/open finished before its token call: %+v", r)
	case <-time.After(opsTimeout):
		t.Fatal("the token call never reached the Partner API")
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.logs.WaitFor(t, `"msg":"shutting down"`, p.done)
	// The listener closes as shutdown begins; dial until the refusal shows (the log line comes first, and
	// a connection caught in the listener's backlog as it closes is reset rather than refused).
	deadline := time.Now().Add(opsTimeout)
	for {
		conn, err := net.Dial("tcp", p.addr)
		if errors.Is(err, syscall.ECONNREFUSED) {
			break
		}
		if err == nil {
			conn.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections still accepted %v after shutdown began (last dial: %v)", opsTimeout, err)
		}
		time.Sleep(time.Millisecond) // a poll interval, not a timing assumption
	}
	select {
	case r := <-res:
		t.Fatalf("/open finished while its token call was still held: %+v", r)
	case <-p.done:
		t.Fatal("the process exited with a request in flight")
	default:
	}

	close(g.release)
	released = true
	r := <-res
	if r.err != nil || r.status != http.StatusFound || !strings.Contains(r.location, "token=") {
		t.Fatalf("in-flight /open: %+v, want 302 with a token", r)
	}
	p.wait(t)
	p.logs.WaitFor(t, `"msg":"stopped"`, nil)
	var opens int
	for _, l := range requestLines(t, p.logs.Bytes()) {
		if l.str("route") == "/open" && l["status"] == float64(http.StatusFound) {
			opens++
		}
	}
	if opens != 1 {
		t.Errorf("%d /open lines with 302 in the log, want 1", opens)
	}
}

// TestStatelessReplicas runs three gateway processes with the same keys behind one load balancer and walks
// one person through them: the sign-in starts on A, the provider's callback lands on B (and goes on into
// Talkio), the next /open is served by C with exactly one Partner API call. No replica shares anything with another but its configuration.
func TestStatelessReplicas(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sessionSecret())
	a, bb, cc := c.start(t, "A", nil), c.start(t, "B", nil), c.start(t, "C", nil)
	user := newOpsBrowser(t)

	c.routeTo(t, a)
	_, callback := user.follow(t, c.public+"/login?return_to=%2Fopen%3Ftemplate%3Dbooks-literature", "eleanor",
		func(u *url.URL) bool { return u.Path == "/auth/callback" })
	if callback == nil || callback.Host != mustURL(t, c.public).Host {
		t.Fatalf("the provider sent the callback to %v, want the load balancer", callback)
	}

	c.routeTo(t, bb)
	r := user.get(t, callback.String())
	if loc := r.location(t); r.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("token") == "" {
		t.Fatalf("callback on B: %d, want a redirect into Talkio", r.StatusCode)
	}

	c.routeTo(t, cc)
	c.sim.ResetCalls()
	r = user.get(t, c.public+"/open?template=books-literature")
	loc := r.location(t)
	if r.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("token") == "" {
		t.Fatalf("/open on C: %d %v", r.StatusCode, loc)
	}
	if n, all := c.sim.CallCount(talkiotest.EndpointUserToken), c.sim.CallCount("*"); n != 1 || all != 1 {
		t.Errorf("/open on C made %d Partner API calls (%d token calls), want exactly one token call", all, n)
	}
	app := user.get(t, loc.String()) // the stand-in Talkio app accepts the token
	if app.StatusCode != http.StatusOK || !strings.Contains(app.body, "demo-eleanor") {
		t.Errorf("Talkio app: %d", app.StatusCode)
	}

	// Each replica served its step, as its own log says, not only the load balancer. A child's log
	// reaches its buffer through a pipe, after the answer: stopping the replicas first (they must exit
	// 0) makes every line they wrote readable.
	for _, p := range []*proc{a, bb, cc} {
		p.stop(t)
	}
	served := c.servedLog()
	for _, want := range []string{"A /login", "B /auth/callback", "C /open"} {
		if !contains(served, want) {
			t.Errorf("load balancer log %v lacks %q", served, want)
		}
	}
	for _, tt := range []struct {
		p     *proc
		route string
	}{{a, "/login"}, {bb, "/auth/callback"}, {cc, "/open"}} {
		found := false
		for _, l := range requestLines(t, tt.p.logs.Bytes()) {
			found = found || l.str("route") == tt.route
		}
		if !found {
			t.Errorf("replica %s logged no %s request", tt.p.name, tt.route)
		}
	}
	for _, l := range requestLines(t, cc.logs.Bytes()) {
		if l.str("route") == "/open" && (l["upstream_calls"] != float64(1) || l.str("user_id") != "demo-eleanor") {
			t.Errorf("C's /open line: %v", l)
		}
	}
}

// TestSessionKeyRotation: a session minted with K1 still opens the tutor on a gateway started with
// GATEWAY_SESSION_SECRET="K2,K1" (new key prepended), and sends the browser to sign in again once K1 is
// dropped ("K2").
func TestSessionKeyRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := sessionSecret(), sessionSecret()
	c := newCluster(t, k1)
	old := c.start(t, "K1", nil)
	rotated := c.start(t, "K2,K1", map[string]string{"GATEWAY_SESSION_SECRET": k2 + "," + k1})
	retired := c.start(t, "K2", map[string]string{"GATEWAY_SESSION_SECRET": k2})

	c.routeTo(t, old)
	b := newOpsBrowser(t)
	b.signIn(t, c.public, "maya")

	c.routeTo(t, rotated)
	if r := b.get(t, c.public+"/open"); r.StatusCode != http.StatusFound || !r.location(t).Query().Has("token") {
		t.Errorf("K1 session on K2,K1: %d %q, want a redirect into Talkio", r.StatusCode, r.Header.Get("Location"))
	}
	c.routeTo(t, retired)
	if r := b.get(t, c.public+"/open"); r.StatusCode != http.StatusFound || !strings.HasSuffix(r.location(t).Path, "/authorize") {
		t.Errorf("K1 session on K2 alone: %d %q, want a redirect to sign in", r.StatusCode, r.Header.Get("Location"))
	}
}
