package main

// Operations tests, in files by concern: ops_metrics_test.go, ops_logs_test.go and ops_limits_test.go run
// the gateway in process (gateway/gatewaytest); ops_process_test.go and ops_cluster_test.go run the built
// binary as child processes (graceful shutdown on a real SIGTERM, three stateless replicas behind a load
// balancer, session-key rotation). This file holds what they share.
//
// Waiting is event-driven (a log line, a request reaching the simulator); the deadlines are safety nets
// against a hung process, never timing assertions.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"talkio-gateway/internal/testutil"
	"testing"
)

// opsTimeout bounds every wait for a child process or a gateway: a safety net, not a timing assertion.
const opsTimeout = testutil.WaitTimeout

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

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
