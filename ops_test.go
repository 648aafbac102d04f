package main

// Operations tests. In process (start()): metrics through the whole gateway, request logs under load, the
// log format, server limits. With the built binary as child processes: graceful shutdown on a real SIGTERM,
// three stateless replicas behind a load balancer, session-key rotation.
//
// Waiting is event-driven (a log line, a request reaching the simulator); the deadlines are safety nets
// against a hung process, never timing assertions.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"talkio-gateway/auth"
	"talkio-gateway/config"
	"talkio-gateway/demo/idp"
	"talkio-gateway/demo/idp/idptest"
	"talkio-gateway/talkio/talkiotest"
)

// opsTimeout bounds every wait for a child process or a gateway: a safety net, not a timing assertion.
const opsTimeout = 60 * time.Second

// ---------------------------------------------------------------------------------------------------
// Output capture

// lockedBuffer collects output written from many goroutines and lets a test wait for a piece of it.
type lockedBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{changed: make(chan struct{})} }

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *lockedBuffer) String() string { return string(b.Bytes()) }

// waitFor returns once the output holds s. It fails the test when exited is closed first (the process
// that writes has ended) or after opsTimeout.
func (b *lockedBuffer) waitFor(t *testing.T, s string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.NewTimer(opsTimeout)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		found := bytes.Contains(b.buf.Bytes(), []byte(s))
		changed := b.changed
		b.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-exited:
			if !bytes.Contains(b.Bytes(), []byte(s)) {
				t.Fatalf("the process ended without writing %q:\n%s", s, b)
			}
		case <-deadline.C:
			t.Fatalf("no %q within %v:\n%s", s, opsTimeout, b)
		}
	}
}

// logLine is one JSON log line, decoded.
type logLine map[string]any

func (l logLine) str(k string) string {
	v, _ := l[k].(string)
	return v
}

// jsonLines decodes every line of a JSON log; a line that is not JSON fails the test.
func jsonLines(t *testing.T, data []byte) []logLine {
	t.Helper()
	var out []logLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Bytes())
		}
		out = append(out, l)
	}
	return out
}

// requestLines are the one-per-request lines.
func requestLines(t *testing.T, data []byte) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range jsonLines(t, data) {
		if l.str("msg") == "request" {
			out = append(out, l)
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------------
// In-process gateway (demo mode unless vars configure it)

// startInProcess runs start() with JSON logs at debug level captured, waits until sign-in can start, and
// stops the gateway when the test ends.
func startInProcess(t *testing.T, vars map[string]string) (*gateway, *lockedBuffer) {
	t.Helper()
	all := map[string]string{"GATEWAY_LISTEN": "127.0.0.1:0", "GATEWAY_LOG_FORMAT": "json", "GATEWAY_LOG_LEVEL": "debug"}
	maps.Copy(all, vars)
	logs := newLockedBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	gw, err := start(ctx, func(k string) string { return all[k] }, io.Discard, logs)
	if err != nil {
		cancel()
		t.Fatalf("start: %v\n%s", err, logs)
	}
	done := make(chan error, 1)
	go func() { done <- gw.wait(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs)
		}
	})
	logs.waitFor(t, `"msg":"auth: provider discovered"`, nil)
	return gw, logs
}

// ---------------------------------------------------------------------------------------------------
// A browser: a cookie jar, redirects followed by hand

type opsBrowser struct {
	jar    *cookiejar.Jar
	client *http.Client
}

func newOpsBrowser(t *testing.T) *opsBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &opsBrowser{jar: jar, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       opsTimeout,
		Transport:     &http.Transport{},
	}}
	// Before the gateway stops (cleanups run last first): http.Server.Shutdown waits up to 5 s for a
	// connection that has not sent a request yet, which a transport under load dials and keeps idle.
	t.Cleanup(b.client.CloseIdleConnections)
	return b
}

// opsResponse is a finished response with its body read.
type opsResponse struct {
	*http.Response
	body string
}

// location is the resolved Location header, or nil.
func (r *opsResponse) location(t *testing.T) *url.URL {
	t.Helper()
	loc := r.Header.Get("Location")
	if loc == "" {
		return nil
	}
	u, err := r.Request.URL.Parse(loc)
	if err != nil {
		t.Fatalf("Location %q: %v", loc, err)
	}
	return u
}

func (b *opsBrowser) do(t *testing.T, method, target string, body io.Reader, header http.Header) *opsResponse {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(req.Header, header)
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, target, err)
	}
	return &opsResponse{Response: res, body: string(data)}
}

func (b *opsBrowser) get(t *testing.T, target string) *opsResponse {
	t.Helper()
	return b.do(t, http.MethodGet, target, nil, nil)
}

// follow GETs target and follows redirects, choosing user on the provider's login page (demo/idp's
// ?user=), until an answer that is not a redirect, which it returns, or a redirect that stop accepts,
// whose target it returns unrequested.
func (b *opsBrowser) follow(t *testing.T, target, user string, stop func(*url.URL) bool) (*opsResponse, *url.URL) {
	t.Helper()
	for range 20 {
		r := b.get(t, target)
		next := r.location(t)
		if r.StatusCode < 300 || r.StatusCode > 399 || next == nil {
			return r, nil
		}
		if strings.HasSuffix(next.Path, "/login") && next.Query().Has("authRequestID") && !next.Query().Has("user") {
			q := next.Query()
			q.Set("user", user)
			next.RawQuery = q.Encode()
		}
		if stop != nil && stop(next) {
			return r, next
		}
		target = next.String()
	}
	t.Fatalf("more than 20 redirects from %s", target)
	return nil, nil
}

// signIn walks the whole code flow from base/login and checks that it lands on the home page signed in.
// It returns the authorization code it carried, for the secrets check.
func (b *opsBrowser) signIn(t *testing.T, base, user string) (code string) {
	t.Helper()
	_, callback := b.follow(t, base+"/login", user, func(u *url.URL) bool { return u.Path == "/auth/callback" })
	if callback == nil {
		t.Fatalf("sign-in as %s never reached the callback", user)
	}
	r, _ := b.follow(t, callback.String(), user, nil)
	if r.StatusCode != http.StatusOK || r.Request.URL.Path != "/" || !strings.Contains(r.body, `id="sign-out"`) {
		t.Fatalf("sign-in as %s ended at %s with %d", user, r.Request.URL, r.StatusCode)
	}
	return callback.Query().Get("code")
}

// cookieHeader is the Cookie header the jar sends to base.
func (b *opsBrowser) cookieHeader(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, c := range b.jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// ---------------------------------------------------------------------------------------------------
// Metrics

// metricSamples parses a Prometheus text exposition into series → value (labels in name order).
func metricSamples(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("exposition line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetricsThroughTheGateway(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		vars     map[string]string
		separate bool
	}{
		{"main listener", nil, false},
		{"GATEWAY_METRICS_LISTEN", map[string]string{"GATEWAY_METRICS_LISTEN": "127.0.0.1:0"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gw, _ := startInProcess(t, tt.vars)
			b := newOpsBrowser(t)
			b.signIn(t, gw.url, "jonas")
			if r := b.get(t, gw.url+"/open?template=books-literature"); r.StatusCode != http.StatusFound {
				t.Fatalf("/open: %d", r.StatusCode)
			}

			metricsURL := gw.url + "/metrics"
			if tt.separate {
				if r := b.get(t, gw.url+"/metrics"); r.StatusCode != http.StatusNotFound {
					t.Errorf("/metrics on the main listener with GATEWAY_METRICS_LISTEN set: %d, want 404", r.StatusCode)
				}
				if gw.metricsAddr == "" || gw.metricsAddr == gw.addr {
					t.Fatalf("metrics address %q, main %q", gw.metricsAddr, gw.addr)
				}
				metricsURL = "http://" + gw.metricsAddr + "/metrics"
				if r := b.get(t, "http://"+gw.metricsAddr+"/open"); r.StatusCode != http.StatusNotFound {
					t.Errorf("the metrics listener serves /open: %d", r.StatusCode)
				}
			}
			r := b.get(t, metricsURL)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", metricsURL, r.StatusCode)
			}
			got := metricSamples(t, r.body)
			for series, want := range map[string]float64{
				`gateway_logins_total{outcome="success"}`:                                        1,
				`gateway_talkio_users_created_total`:                                             1,
				`gateway_talkio_tokens_issued_total`:                                             1,
				`gateway_talkio_api_calls_total{endpoint="POST /users",outcome="ok"}`:            1,
				`gateway_talkio_api_calls_total{endpoint="GET /users/{id}",outcome="not_found"}`: 1,
				`gateway_talkio_api_calls_total{endpoint="GET /users/{id}/token",outcome="ok"}`:  1,
				`gateway_http_requests_total{method="GET",route="/open",status="302"}`:           1,
				`gateway_http_requests_total{method="GET",route="/auth/callback",status="303"}`:  1,
			} {
				if g, ok := got[series]; !ok || g != want {
					t.Errorf("%s = %v (present %v), want %v", series, g, ok, want)
				}
			}
			for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "process_start_time_seconds"} {
				if _, ok := got[name]; !ok {
					t.Errorf("no %s", name)
				}
			}
			if strings.Contains(r.body, "demo-jonas") || strings.Contains(r.body, "books-literature") {
				t.Error("metrics hold a user id or a query value")
			}
		})
	}
}

// ---------------------------------------------------------------------------------------------------
// Logs

// TestLogsCarryNoSecretsUnderLoad runs the gateway (in process, production configuration, debug level),
// signs three people in, sends a set of failing requests (bad input, a forged callback, a provider's
// refusal, a forged cookie, a cross-site sign-out, Partner API errors, a dropped connection) and 200
// concurrent /open, and then looks for every token, code, cookie, key and secret it saw in the captured
// log.
func TestLogsCarryNoSecretsUnderLoad(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sessionSecret())
	gw, logs := startInProcess(t, c.vars)
	c.route(t, "in-process", "http://"+gw.addr)
	// Requests go to the gateway's own address; the cookies set through the load balancer go along,
	// since cookies do not tell ports apart.
	base := "http://" + gw.addr

	secrets := []string{c.vars["TALKIO_API_KEY"], c.vars["OIDC_CLIENT_SECRET"], c.vars["TALKIO_PROVIDER"]}
	for _, k := range gw.cfg.SessionKeys {
		secrets = append(secrets, string(k), hex.EncodeToString(k), base64.StdEncoding.EncodeToString(k),
			base64.RawURLEncoding.EncodeToString(k))
	}
	users := []string{"maya", "jonas", "eleanor"}
	browsers := make([]*opsBrowser, len(users))
	for i, u := range users {
		browsers[i] = newOpsBrowser(t)
		secrets = append(secrets, browsers[i].signIn(t, c.public, u))
		for _, ck := range browsers[i].jar.Cookies(mustURL(t, base)) {
			secrets = append(secrets, ck.Value)
		}
	}
	session := secrets[len(secrets)-1]

	// Failing requests first, one at a time, so that each injected fault hits the request meant for it.
	jonas := browsers[1]
	want := func(r *opsResponse, status int) {
		t.Helper()
		if r.StatusCode != status {
			t.Errorf("%s %s: %d, want %d", r.Request.Method, r.Request.URL, r.StatusCode, status)
		}
	}
	want(jonas.get(t, base+"/open?path=%2F%2Fevil.example"), http.StatusBadRequest)
	want(jonas.get(t, base+"/login?return_to=https%3A%2F%2Fevil.example"), http.StatusBadRequest)
	want(jonas.get(t, base+"/auth/callback?code=forged-code-0123456789&state=forged-state"), http.StatusBadRequest)
	jonas.get(t, base+"/login?return_to=%2Fopen") // an attempt, refused by the provider next
	want(jonas.get(t, base+"/auth/callback?error=access_denied&error_description=no&state=x"), http.StatusForbidden)
	forged := newOpsBrowser(t)
	want(forged.do(t, http.MethodGet, base+"/open", nil,
		http.Header{"Cookie": {auth.SessionCookieName + "=" + strings.ToUpper(session)}}), http.StatusFound)
	want(jonas.do(t, http.MethodPost, base+"/logout", strings.NewReader("x=1"),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}}), http.StatusForbidden)
	c.sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: http.StatusInternalServerError, FailFirst: 1})
	want(jonas.get(t, base+"/open"), http.StatusBadGateway)
	c.sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: http.StatusServiceUnavailable, FailFirst: 3})
	want(jonas.get(t, base+"/open"), http.StatusServiceUnavailable)
	c.sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{DropConnection: true, FailFirst: 3})
	want(jonas.get(t, base+"/open"), http.StatusBadGateway)
	c.sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{})
	want(jonas.get(t, base+"/healthz"), http.StatusOK) // logged at debug

	// The load: 200 concurrent opens, each with a fresh token in its Location, or the per-user open
	// limit's 429 (3 users × a burst of 10).
	const n = 200
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b := browsers[i%len(browsers)]
			req, _ := http.NewRequest(http.MethodGet, base+"/open?template=books-literature", nil)
			res, err := b.client.Do(req)
			if err != nil {
				t.Errorf("open %d: %v", i, err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") != "" {
				return
			}
			loc, err := url.Parse(res.Header.Get("Location"))
			if res.StatusCode != http.StatusFound || err != nil || loc.Query().Get("token") == "" {
				t.Errorf("open %d: %d %q", i, res.StatusCode, res.Header.Get("Location"))
				return
			}
			tokens[i] = loc.Query().Get("token")
		})
	}
	wg.Wait()
	minted := 0
	for _, tok := range tokens {
		if tok != "" {
			secrets = append(secrets, tok)
			minted++
		}
	}
	if minted < len(browsers) {
		t.Errorf("%d opens minted a token, want at least one per user", minted)
	}

	// Every request has its one line, with the fields an operator needs, at the expected level.
	lines := requestLines(t, logs.Bytes())
	opens := 0
	for _, l := range lines {
		for _, f := range []string{"request_id", "method", "route", "status", "latency_ms", "upstream_calls"} {
			if _, ok := l[f]; !ok {
				t.Errorf("request line without %s: %v", f, l)
			}
		}
		if l.str("route") == "/open" && l["status"] == float64(http.StatusFound) && l["upstream_calls"] == float64(1) {
			opens++
			if l.str("user_id") == "" {
				t.Errorf("/open line without user_id: %v", l)
			}
		}
		if strings.ContainsAny(l.str("route"), "?%") || strings.Contains(l.str("route"), "evil") {
			t.Errorf("route field holds a raw path: %v", l)
		}
		if l.str("route") == "/healthz" && l.str("level") != "DEBUG" {
			t.Errorf("healthz line at %s, want DEBUG", l.str("level"))
		}
	}
	if opens < minted {
		t.Errorf("%d /open lines with status 302 and one upstream call, want at least %d", opens, minted)
	}
	data := logs.Bytes()
	for _, level := range []string{"DEBUG", "ERROR"} {
		if !bytes.Contains(data, []byte(`"level":"`+level+`"`)) {
			t.Errorf("no %s line: the requests did not exercise every level", level)
		}
	}
	for _, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("a secret of %d bytes is too short to look for", len(s))
		}
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("the log holds a secret (%d bytes, starting %.4s…)", len(s), s)
		}
	}
	t.Logf("%d request lines; looked for %d secrets (%d tokens) in %d bytes of log", len(lines), len(secrets), minted, len(data))
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestLoggerFormat: JSON unless asked for text, or auto on a terminal (see ops_linux_test.go); the level
// is the configured one.
func TestLoggerFormat(t *testing.T) {
	t.Parallel()
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, tt := range []struct {
		format string
		w      io.Writer
		text   bool
	}{
		{config.LogFormatAuto, &bytes.Buffer{}, false},
		{config.LogFormatAuto, file, false}, // a file, not a terminal
		{config.LogFormatJSON, &bytes.Buffer{}, false},
		{config.LogFormatText, &bytes.Buffer{}, true},
		{config.LogFormatText, file, true},
	} {
		log := newLogger(&config.Config{LogFormat: tt.format, LogLevel: slog.LevelWarn}, tt.w)
		if _, text := log.Handler().(*slog.TextHandler); text != tt.text {
			t.Errorf("format %s on %T: text handler %v, want %v", tt.format, tt.w, text, tt.text)
		}
		if log.Enabled(context.Background(), slog.LevelInfo) || !log.Enabled(context.Background(), slog.LevelWarn) {
			t.Errorf("format %s: the level is not the configured warn", tt.format)
		}
	}
	var buf bytes.Buffer
	newLogger(&config.Config{LogFormat: config.LogFormatJSON, LogLevel: slog.LevelDebug}, &buf).Debug("hello", "k", "v")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "hello" || line["level"] != "DEBUG" {
		t.Errorf("JSON line %q: %v", buf.String(), err)
	}
}

// ---------------------------------------------------------------------------------------------------
// Server limits

// TestServerLimits checks the timeouts and size limits the servers get and watches the two that matter
// against abuse act: a header trickled slowly is cut off by the read-header timeout (shortened for the
// test), and an oversized body gets 413 rather than being read. Not parallel: it shortens serverLimits,
// which every start reads; parallel tests only run once the sequential ones are done.
func TestServerLimits(t *testing.T) {
	gw, _ := startInProcess(t, nil)
	for _, srv := range gw.servers {
		l := serverLimits
		if srv.ReadHeaderTimeout != l.readHeaderTimeout || srv.ReadTimeout != l.readTimeout || srv.WriteTimeout != l.writeTimeout ||
			srv.IdleTimeout != l.idleTimeout || srv.MaxHeaderBytes != l.maxHeaderBytes {
			t.Errorf("server limits %v %v %v %v %d, want %+v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout,
				srv.IdleTimeout, srv.MaxHeaderBytes, l)
		}
		if l.readHeaderTimeout <= 0 || l.readHeaderTimeout > 10*time.Second || l.readTimeout <= 0 || l.writeTimeout <= 0 || l.idleTimeout <= 0 {
			t.Errorf("limits not set deliberately: %+v", l)
		}
	}

	t.Run("slow header", func(t *testing.T) {
		saved := serverLimits
		serverLimits.readHeaderTimeout = 200 * time.Millisecond
		slow, _ := startInProcess(t, nil)
		serverLimits = saved

		conn, err := net.Dial("tcp", slow.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: gateway\r\n"); err != nil {
			t.Fatal(err)
		}
		// Trickle a header line every 20 ms, never finishing the header, until the server hangs up.
		stop := make(chan struct{})
		trickled := make(chan int)
		go func() {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			n := 0
			defer func() { trickled <- n }()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := fmt.Fprintf(conn, "X-Slow-%d: 1\r\n", n); err != nil {
						return
					}
					n++
				}
			}
		}()
		conn.SetReadDeadline(time.Now().Add(opsTimeout))
		got, err := io.ReadAll(conn)
		close(stop)
		n := <-trickled
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the server kept a trickling connection open for %v (%d header lines)", opsTimeout, n)
		}
		if bytes.Contains(got, []byte(" 200 ")) {
			t.Errorf("the server answered an unfinished header: %q", got)
		}
	})

	t.Run("body limit", func(t *testing.T) {
		b := newOpsBrowser(t)
		form := func(size int) string { return "csrf=x&pad=" + strings.Repeat("a", size) }
		for _, tt := range []struct {
			name string
			body io.Reader
			want []int
		}{
			{"declared too large", strings.NewReader(form(70 << 10)), []int{http.StatusRequestEntityTooLarge}},
			// Chunked: the size shows only while reading, which is cut off.
			// Nothing reads a sign-out's body (no CSRF form field any more), so it is never read past the limit.
			{"chunked too large", io.MultiReader(strings.NewReader(form(70 << 10))), []int{http.StatusRequestEntityTooLarge, http.StatusSeeOther}},
			{"within the limit", strings.NewReader(form(60 << 10)), []int{http.StatusSeeOther}}, // a sign-out
		} {
			r := b.do(t, http.MethodPost, gw.url+"/logout", tt.body, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			ok := false
			for _, s := range tt.want {
				ok = ok || r.StatusCode == s
			}
			if !ok {
				t.Errorf("%s: POST /logout: %d, want one of %v", tt.name, r.StatusCode, tt.want)
			}
		}
		big := http.Header{"X-Big": {strings.Repeat("b", 64<<10)}}
		if r := b.do(t, http.MethodGet, gw.url+"/healthz", nil, big); r.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("64 KiB header: %d, want 431", r.StatusCode)
		}
	})
}

// ---------------------------------------------------------------------------------------------------
// Child processes

// gatewayBin is the binary the process tests run, built once per test run (with -race when the tests
// are) and removed by TestMain.
var gatewayBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if gatewayBin.dir != "" {
		os.RemoveAll(gatewayBin.dir)
	}
	os.Exit(code)
}

func gatewayBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the gateway binary")
	}
	gatewayBin.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			gatewayBin.err = fmt.Errorf("the go command is needed to build the gateway: %w", err)
			return
		}
		gatewayBin.dir, gatewayBin.err = os.MkdirTemp("", "talkio-gateway-test-")
		if gatewayBin.err != nil {
			return
		}
		gatewayBin.path = filepath.Join(gatewayBin.dir, "talkio-gateway")
		args := []string{"build", "-o", gatewayBin.path}
		if raceEnabled() {
			args = append(args, "-race") // reuses the test build's cache, and checks the child too
		}
		out, err := exec.Command(goTool, append(args, ".")...).CombinedOutput()
		if err != nil {
			gatewayBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if gatewayBin.err != nil {
		t.Fatal(gatewayBin.err)
	}
	return gatewayBin.path
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// proc is a gateway running as a child process.
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string // host:port it listens on
	url  string // http://addr
	logs *lockedBuffer
	done chan struct{} // closed once it has exited and its output is read
	err  error         // Wait's result, once done
}

// startProcess runs the gateway binary with exactly vars as its environment, waits until it listens and
// has discovered its provider, and stops it with SIGTERM when the test ends, expecting exit status 0.
func startProcess(t *testing.T, name string, vars map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(gatewayBinary(t))
	// A race-enabled child would sleep a second before exiting, to let reports finish.
	cmd.Env = []string{"GORACE=atexit_sleep_ms=0"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, cmd: cmd, logs: newLockedBuffer(), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		io.Copy(p.logs, stderr)
		p.err = cmd.Wait() // after the last read, as os/exec requires
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, p.logs)
		}
	})
	p.logs.waitFor(t, `"msg":"listening"`, p.done)
	for _, l := range jsonLines(t, p.logs.Bytes()) {
		if l.str("msg") == "listening" {
			p.addr = l.str("addr")
		}
	}
	if p.addr == "" {
		t.Fatalf("%s: no address in its listening line", name)
	}
	p.url = "http://" + p.addr
	p.logs.waitFor(t, `"msg":"auth: provider discovered"`, p.done)
	return p
}

// stop sends SIGTERM (once) and waits for the exit, which must be status 0.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	p.wait(t)
}

// wait waits for the process to exit and checks that it exited 0.
func (p *proc) wait(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(opsTimeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not exit within %v of SIGTERM", p.name, opsTimeout)
	}
	if p.err != nil {
		t.Errorf("%s: %v, want exit status 0", p.name, p.err)
	}
}

// ---------------------------------------------------------------------------------------------------
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
	p.logs.waitFor(t, `"msg":"shutting down"`, p.done)
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
	p.logs.waitFor(t, `"msg":"stopped"`, nil)
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
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
