package main

// The request log under load, and what it must never hold.

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"talkio-gateway/auth"
	"talkio-gateway/gateway/gatewaytest"
	"talkio-gateway/talkio/talkiotest"
)

// TestLogsCarryNoSecretsUnderLoad runs the gateway (in process, production configuration, debug level),
// signs three people in, sends a set of failing requests (bad input, a forged callback, a provider's
// refusal, a forged cookie, a cross-site sign-out, Partner API errors, a dropped connection) and 200
// concurrent /open, and then looks for every token, code, cookie, key and secret it saw in the captured
// log.
func TestLogsCarryNoSecretsUnderLoad(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sessionSecret())
	vars := maps.Clone(c.vars)
	vars["GATEWAY_OPEN_BURST"] = "1000" // the load below is three people's 200 opens at once
	gw := gatewaytest.Start(t, vars, nil)
	logs := gw.Logs
	c.route(t, "in-process", "http://"+gw.Addr())
	// Requests go to the gateway's own address; the cookies set through the load balancer go along,
	// since cookies do not tell ports apart.
	base := "http://" + gw.Addr()

	secrets := []string{c.vars["TALKIO_API_KEY"], c.vars["OIDC_CLIENT_SECRET"], c.vars["TALKIO_PROVIDER"]}
	for _, k := range gw.Config().SessionKeys {
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

	// The load: 200 concurrent opens, each with a fresh token in its Location.
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
			loc, err := url.Parse(res.Header.Get("Location"))
			if res.StatusCode != http.StatusFound || err != nil || loc.Query().Get("token") == "" {
				t.Errorf("open %d: %d %q", i, res.StatusCode, res.Header.Get("Location"))
				return
			}
			tokens[i] = loc.Query().Get("token")
		})
	}
	wg.Wait()
	secrets = append(secrets, tokens...)

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
	if opens < n {
		t.Errorf("%d /open lines with status 302 and one upstream call, want at least %d", opens, n)
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
	t.Logf("%d request lines; looked for %d secrets (%d tokens) in %d bytes of log", len(lines), len(secrets), n, len(data))
}
