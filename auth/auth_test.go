package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func validConfig() Config {
	return Config{
		IssuerURL:   "https://id.school.example",
		ClientID:    testClientID,
		RedirectURL: "https://gateway.school.example/auth/callback",
		SessionKeys: [][]byte{keyA},
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(c *Config)
		wantErr []string // every one must appear
	}{
		{name: "valid", edit: func(*Config) {}},
		{name: "issuer not absolute", edit: func(c *Config) { c.IssuerURL = "id.school.example" }, wantErr: []string{"issuer URL"}},
		{name: "issuer not http", edit: func(c *Config) { c.IssuerURL = "ftp://id.example" }, wantErr: []string{"issuer URL"}},
		{name: "no client id", edit: func(c *Config) { c.ClientID = "" }, wantErr: []string{"client id is empty"}},
		{name: "relative redirect", edit: func(c *Config) { c.RedirectURL = "/auth/callback" }, wantErr: []string{"redirect URL"}},
		{name: "scopes without openid", edit: func(c *Config) { c.Scopes = []string{"profile"} }, wantErr: []string{`must include "openid"`}},
		{name: "no session key", edit: func(c *Config) { c.SessionKeys = nil }, wantErr: []string{"no session key"}},
		{name: "short second key", edit: func(c *Config) { c.SessionKeys = [][]byte{keyA, []byte("short")} }, wantErr: []string{"session key 2 is 5 bytes"}},
		{name: "none without secure", edit: func(c *Config) { c.Cookies.SameSite = http.SameSiteNoneMode }, wantErr: []string{"must be Secure"}},
		{name: "unknown samesite", edit: func(c *Config) { c.Cookies.SameSite = 9 }, wantErr: []string{"unknown SameSite"}},
		{name: "tiny max age", edit: func(c *Config) { c.Cookies.TTL = time.Millisecond }, wantErr: []string{"shorter than a second"}},
		{name: "every problem at once", edit: func(c *Config) { *c = Config{} }, wantErr: []string{"issuer URL", "client id", "redirect URL", "no session key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.edit(&cfg)
			ctx, cancel := context.WithCancel(t.Context())
			cancel() // no discovery needed
			a, err := New(ctx, cfg)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				_ = a.Close()
				return
			}
			if err == nil {
				_ = a.Close()
				t.Fatal("got no error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got %q, want it to mention %q", err, want)
				}
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	cfg := validConfig()
	if err := normalize(&cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Scopes, []string{"openid", "profile", "email"}) || cfg.Claims.UserID != "sub" ||
		cfg.Cookies.SameSite != http.SameSiteLaxMode || cfg.Cookies.TTL != 12*time.Hour || cfg.HTTPClient == nil ||
		cfg.Logger == nil || cfg.Now == nil || cfg.minBackoff != defaultMinBackoff || cfg.maxBackoff != defaultMaxBackoff {
		t.Errorf("got %+v, want the documented defaults", cfg)
	}
	cfg = validConfig()
	cfg.Cookies.SameSite = http.SameSiteDefaultMode
	cfg.minBackoff, cfg.maxBackoff = time.Minute, time.Second
	if err := normalize(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Cookies.SameSite != http.SameSiteLaxMode || cfg.maxBackoff != time.Minute {
		t.Errorf("got SameSite %v maxBackoff %v, want Lax and a maximum no smaller than the minimum", cfg.Cookies.SameSite, cfg.maxBackoff)
	}
}

func TestConfigHidesSecrets(t *testing.T) {
	cfg := validConfig()
	cfg.ClientSecret = testClientSecret
	var logs syncBuffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "auth", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), logs.String()} {
		if strings.Contains(s, testClientSecret) || strings.Contains(s, string(keyA)) {
			t.Errorf("secret shown in %s", s)
		}
		if !strings.Contains(s, "redacted") || !strings.Contains(s, testClientID) {
			t.Errorf("want the client id and a redacted secret in %s", s)
		}
	}
	cfg.ClientSecret = ""
	if !strings.Contains(cfg.String(), "(empty)") {
		t.Errorf("an empty secret should say so: %s", cfg)
	}
}

func TestCloseStopsDiscovery(t *testing.T) {
	a := newOfflineAuth(t, nil)
	if a.Ready() {
		t.Fatal("Ready without a provider")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := a.WaitReady(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitReady with a cancelled context: got %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := a.BeginLogin(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/login", nil), "/"); !errors.Is(err, ErrProviderUnavailable) {
		t.Errorf("BeginLogin without discovery: got %v, want ErrProviderUnavailable", err)
	}
}

// A provider whose discovery document is unusable is retried like an unreachable one; one without an
// end_session_endpoint gives no end-session URL.
func TestDiscoveryDocument(t *testing.T) {
	var issuer string
	var complete atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !complete.Load() {
			fmt.Fprintf(w, `{"issuer":%q}`, issuer)
			return
		}
		fmt.Fprintf(w, `{"issuer":%q,"authorization_endpoint":"%[1]s/authorize","token_endpoint":"%[1]s/token",
			"jwks_uri":"%[1]s/keys","code_challenge_methods_supported":["plain"]}`, issuer)
	}))
	t.Cleanup(srv.Close)
	issuer = srv.URL
	var logs syncBuffer
	a, err := New(t.Context(), Config{IssuerURL: issuer, ClientID: testClientID, RedirectURL: "https://gw.example/auth/callback",
		SessionKeys: [][]byte{keyA}, Logger: slog.New(slog.NewTextHandler(&logs, nil)), minBackoff: time.Millisecond, maxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	logs.waitFor(t, "lacks authorization_endpoint")
	if a.Ready() {
		t.Fatal("Ready with an incomplete discovery document")
	}
	complete.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "does not list PKCE S256") {
		t.Errorf("want a warning about PKCE; logs:\n%s", logs.String())
	}
	if u, ok := a.EndSessionURL("https://gw.example/", "hint"); ok || u != "" {
		t.Errorf("got %q, %t; want no end-session URL", u, ok)
	}
}

func TestErrorTexts(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&ProviderError{Code: "access_denied"}, "auth: the provider refused the sign-in: access_denied"},
		{&ProviderError{Code: "server_error", Description: "down"}, "auth: the provider refused the sign-in: server_error: down"},
		{fail(ErrVerification, "verify id token", errors.New("boom")), "auth: verify id token: boom"},
		{fail(ErrNoLoginAttempt, "callback has no state", nil), "auth: callback has no state"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	if err := fail(ErrNoLoginAttempt, "x", nil); !errors.Is(err, ErrNoLoginAttempt) {
		t.Error("a step error without a cause must still match its kind")
	}
}

func TestCleanParam(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"access_denied", 64, "access_denied"},
		{"line\r\nbreak\x00", 64, "linebreak"},
		{"abcdef", 3, "abc…"},
		{"ééé", 3, "é…"}, // a cut rune is dropped, not left broken
	}
	for _, tt := range tests {
		if got := cleanParam(tt.in, tt.max); got != tt.want {
			t.Errorf("cleanParam(%q, %d): got %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
