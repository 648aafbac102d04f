package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// env turns a map into a getenv function.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunHelpListsCommandsAndEveryVariable(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "help"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{arg}, env(nil), &out, io.Discard); err != nil {
			t.Fatalf("run %s: %v", arg, err)
		}
		for _, want := range []string{"serve", "users list", "sweep", "usage report", "GATEWAY_LISTEN", ":8080",
			"OIDC_ISSUER", "NAME_FILE", "GATEWAY_COOKIE_SAMESITE", "TALKIO_ACCOUNT_TTL"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run %s: help lacks %q", arg, want)
			}
		}
	}
}

func TestRunUnknownCommandIsAUsageError(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, env(nil), io.Discard, &stderr)
	var code exitCode
	if !errors.As(err, &code) || code != 2 {
		t.Fatalf("got %v, want exit status 2", err)
	}
	if !strings.Contains(stderr.String(), `unknown command or flag "frobnicate"`) || !strings.Contains(stderr.String(), "Usage:") {
		t.Errorf("stderr lacks the complaint and the usage:\n%s", stderr.String())
	}
}

// Issue 12 point 5: an unknown admin subcommand is named in one line even without any configuration.
func TestUnknownAdminSubcommandWithoutConfiguration(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"users", "frobnicate"}, env(nil), io.Discard, &stderr)
	var code exitCode
	if !errors.As(err, &code) || code != 2 {
		t.Fatalf("got %v, want exit status 2", err)
	}
	want := `error: unknown command "frobnicate" in "talkio-gateway users"; run "talkio-gateway users -h" for the list` + "\n"
	if stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
}

// A partial configuration never falls back to demo mode: it stops with every missing variable named.
func TestPartialConfigurationStopsNamingEveryMissingVariable(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), nil, env(map[string]string{"OIDC_ISSUER": "https://login.school.example"}), io.Discard, &stderr)
	var code exitCode
	if !errors.As(err, &code) || code != 2 {
		t.Fatalf("got %v, want exit status 2", err)
	}
	for _, name := range []string{"GATEWAY_PUBLIC_URL", "GATEWAY_SESSION_SECRET", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET",
		"TALKIO_API_URL", "TALKIO_APP_URL", "TALKIO_PROVIDER", "TALKIO_API_KEY", "TALKIO_ORGANIZATION"} {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("the error does not name %s:\n%s", name, stderr.String())
		}
	}
}

func TestAdminCommandNeedsTalkioConfiguration(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"users", "list"}, env(nil), io.Discard, &stderr)
	var code exitCode
	if !errors.As(err, &code) || code != 2 {
		t.Fatalf("got %v, want exit status 2", err)
	}
	if !strings.Contains(stderr.String(), "TALKIO_API_KEY") {
		t.Errorf("stderr does not name TALKIO_API_KEY:\n%s", stderr.String())
	}
}

// startDemo starts demo mode on a loopback port and stops it when the test ends.
func startDemo(t *testing.T, extra map[string]string) *gateway {
	t.Helper()
	vars := map[string]string{"GATEWAY_LISTEN": "127.0.0.1:0", "GATEWAY_METRICS_LISTEN": "127.0.0.1:0"}
	for k, v := range extra {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	gw, err := start(ctx, env(vars), io.Discard, &logs)
	if err != nil {
		cancel()
		t.Fatalf("start: %v\n%s", err, logs.String())
	}
	done := make(chan error, 1)
	go func() { done <- gw.wait(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return gw
}

func TestDemoModeServesHealthAndHome(t *testing.T) {
	gw := startDemo(t, nil)
	if !strings.HasPrefix(gw.url, "http://127.0.0.1:") {
		t.Fatalf("demo URL %q, want the loopback listener", gw.url)
	}
	for _, tc := range []struct {
		path, want string
	}{
		{"/healthz", "ok"},
		{"/", "Demo mode"},
		{"/idp/.well-known/openid-configuration", `"issuer":"` + gw.url + `/idp"`},
	} {
		resp, err := http.Get(gw.url + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: %d, body lacks %q", tc.path, resp.StatusCode, tc.want)
		}
	}
}

func TestSameSite(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"https://tutor.school.example", "https://talkio.school.example", true},
		{"https://my-company.com", "https://app.my-company.com", true},
		{"https://tutor.school.example", "https://school.talkio.ai", false},
		{"https://a.github.io", "https://b.github.io", false}, // github.io is a public suffix
		{"http://localhost:8080", "http://localhost:8080", true},
		{"http://127.0.0.1:8080", "http://127.0.0.2:8080", false},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := sameSite(a, b); got != tc.want {
			t.Errorf("sameSite(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// In demo mode the gateway's own clients hold keep-alive connections to its own listener; shutdown must
// not wait for them. A shutdown timeout shorter than net/http's 5 s grace for connections that never sent
// a request makes a wait for them fail the shutdown.
func TestDemoShutdownAfterUse(t *testing.T) {
	gw := startDemo(t, map[string]string{"GATEWAY_SHUTDOWN_TIMEOUT": "2s"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := gw.waitReady(ctx); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasSuffix(req.URL.Path, "/idp/login") && req.URL.Query().Get("user") == "" {
			q := req.URL.Query()
			q.Set("user", "maya")
			req.URL.RawQuery = q.Encode()
		}
		return nil
	}}
	resp, err := c.Get(gw.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(gw.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Concurrent opens make the gateway's Partner API client dial more connections than it ends up using.
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			resp, err := c.Get(gw.url + "/open?template=books-literature")
			if err != nil {
				errs <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests { // beyond the per-user open limit's burst
				return
			}
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
	// startDemo's cleanup fails the test if the shutdown ran out of time.
}
