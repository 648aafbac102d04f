package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"talkio-gateway/config"
	"talkio-gateway/gateway"
	"talkio-gateway/gateway/gatewaytest"
	"testing"
)

func TestDemoModeServesHealthAndHome(t *testing.T) {
	t.Parallel()
	gw := gatewaytest.Start(t, nil, nil)
	if !strings.HasPrefix(gw.URL(), "http://127.0.0.1:") {
		t.Fatalf("demo URL %q, want the loopback listener", gw.URL())
	}
	for _, tc := range []struct {
		path, want string
	}{
		{"/healthz", "ok"},
		{"/", "Demo mode"},
		{"/idp/.well-known/openid-configuration", `"issuer":"` + gw.URL() + `/idp"`},
	} {
		wantServed(t, gw.URL(), tc.path, tc.want)
	}
}

// In demo mode the gateway's own clients hold keep-alive connections to its own listener; shutdown must
// not wait for them. A shutdown timeout shorter than net/http's 5 s grace for connections that never sent
// a request makes a wait for them fail the shutdown.
func TestDemoShutdownAfterUse(t *testing.T) {
	t.Parallel()
	gw := gatewaytest.Start(t, map[string]string{"GATEWAY_SHUTDOWN_TIMEOUT": "2s", "GATEWAY_OPEN_BURST": "100"}, nil)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasSuffix(req.URL.Path, "/idp/login") && req.URL.Query().Get("user") == "" {
			q := req.URL.Query()
			q.Set("user", "maya")
			req.URL.RawQuery = q.Encode()
		}
		return nil
	}}
	resp, err := c.Get(gw.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(gw.URL() + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Concurrent opens make the gateway's Partner API client dial more connections than it ends up using.
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			resp, err := c.Get(gw.URL() + "/open?template=books-literature")
			if err != nil {
				errs <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.Path, "/authentication/partner/") {
				errs <- fmt.Errorf("open ended at %s with %d", resp.Request.URL, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c.CloseIdleConnections()
	// The starter's cleanup fails the test if the shutdown ran out of time.
}

// Demo mode runs on a complete configuration of its own, validated like an operator's, prints the exact
// environment for the admin commands against it, and keeps /metrics off the public listener.
func TestDemoConfigurationBannerAndMetrics(t *testing.T) {
	t.Parallel()
	gw := gatewaytest.Start(t, map[string]string{"GATEWAY_OPEN_BURST": "7"}, nil)
	cfg := gw.Config()
	if !gw.Demo() || cfg.Demo {
		t.Errorf("Demo() %v, cfg.Demo %v: want a demo gateway on a complete (non-demo) configuration", gw.Demo(), cfg.Demo)
	}
	if cfg.OIDCIssuer.String() != gw.URL()+"/idp" || cfg.TalkioAPIURL.String() != gw.URL()+"/talkio" ||
		len(cfg.SessionKeys) != 1 || cfg.TalkioAPIKey == "" || cfg.OpenBurst != 7 {
		t.Errorf("demo configuration %+v", cfg)
	}
	want := "\n  talkio-gateway demo mode — open " + gw.URL() + "\n\n" +
		"  Admin commands against this demo (in another terminal, after `go build -o talkio-gateway .`):\n" +
		"    export TALKIO_API_URL=" + gw.URL() + "/talkio TALKIO_PROVIDER=demo-partner TALKIO_API_KEY=" + cfg.TalkioAPIKey +
		" TALKIO_ORGANIZATION=demo-school TALKIO_APP_URL=" + gw.URL() + "/talkio\n" +
		"    ./talkio-gateway users list\n"
	if got := gw.Stdout.String(); !strings.HasPrefix(got, want) {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}

	// The printed environment works: the admin client it describes lists the demo's users.
	vars := map[string]string{}
	for _, kv := range strings.Fields(strings.TrimPrefix(strings.Split(want, "\n")[4], "    export ")) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	acfg, err := config.LoadTalkio(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	client, err := gateway.NewTalkioClient(acfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.ListExpiredUsers(t.Context(), nil); err != nil {
		t.Errorf("the printed environment does not reach the demo's Partner API: %v", err)
	}

	// By default /metrics is on a listener of its own and the public one answers 404.
	for url, want := range map[string]int{
		gw.URL() + "/metrics":                     http.StatusNotFound,
		"http://" + gw.MetricsAddr() + "/metrics": http.StatusOK,
		"http://" + gw.MetricsAddr() + "/":        http.StatusNotFound,
	} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, resp.StatusCode, want)
		}
	}
}

// Demo mode turns the other entry points on: SCIM with the token it prints (the README's curl works),
// and LTI registered with the stand-in learning platform at /lms.
func TestDemoEntryPoints(t *testing.T) {
	t.Parallel()
	gw := gatewaytest.Start(t, nil, nil)
	out := gw.Stdout.String()
	_, rest, ok := strings.Cut(out, "Authorization: Bearer ")
	token, _, _ := strings.Cut(rest, "'")
	if !ok || len(token) < 32 {
		t.Fatalf("the demo printed no SCIM token:\n%s", out)
	}
	scim := func(tok string) int {
		req, _ := http.NewRequest(http.MethodGet, gw.URL()+"/scim/v2/Users", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := scim(token); got != http.StatusOK {
		t.Errorf("SCIM with the printed token: %d", got)
	}
	if got := scim(token + "x"); got != http.StatusUnauthorized {
		t.Errorf("SCIM with another token: %d, want 401", got)
	}
	// Behind the web front's request id and log, but with SCIM's own body limit and error format: a body
	// over the gateway's 64 KiB but under SCIM's limit reaches SCIM; one over SCIM's gets its JSON 413.
	post := func(size int) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, gw.URL()+"/scim/v2/Users", strings.NewReader(`{"x":"`+strings.Repeat("a", size)+`"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	if resp, body := post(100 << 10); resp.StatusCode == http.StatusRequestEntityTooLarge || resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("100 KiB SCIM body: %d, request id %q: %.200s", resp.StatusCode, resp.Header.Get("X-Request-Id"), body)
	}
	if resp, body := post(300 << 10); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(resp.Header.Get("Content-Type"), "scim+json") {
		t.Errorf("300 KiB SCIM body: %d %q: %.200s, want SCIM's JSON 413", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if !strings.Contains(gw.Logs.String(), `"route":"/scim/v2/*"`) {
		t.Error("no request log line for the SCIM requests")
	}
	for _, tc := range []struct{ path, want string }{
		{"/lms/", "lti/login"},
		{"/lti/jwks", `"kty":"RSA"`},
		{"/lti/config", gw.URL() + "/lti/launch"},
	} {
		wantServed(t, gw.URL(), tc.path, tc.want)
	}
}

// wantServed checks that GET base+path answers 200 with a body that contains want.
func wantServed(t *testing.T, base, path, want string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		t.Errorf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
	}
}
