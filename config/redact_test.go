package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func attrMap(attrs []slog.Attr) map[string]string {
	m := map[string]string{}
	for _, a := range attrs {
		m[a.Key] = a.Value.String()
	}
	return m
}

// fullConfig loads a configuration with every variable set, secrets included.
func fullConfig(t *testing.T) *Config {
	t.Helper()
	return mustLoad(t, with(prodEnv(), map[string]string{
		"TALKIO_DEFAULT_SETTINGS":   `{"uiLanguage":"en-US","readAloudSpeed":3}`,
		"TALKIO_ORGANIZATION_CLAIM": "school",
		"TALKIO_ORGANIZATION_MAP":   "b=school-b,a=school-a",
		"TALKIO_ACCOUNT_TTL":        "720h",
		"FACILITATOR_GROUPS":        "teachers,staff",
		"GATEWAY_SESSION_TTL":       "1h30m",
	}))
}

func TestRedacted(t *testing.T) {
	c := fullConfig(t)
	attrs := c.Redacted()
	if len(attrs) != len(Vars)+1 || attrs[0].Key != "demo" {
		t.Fatalf("Redacted() has %d attributes starting with %q, want demo + one per variable (%d)", len(attrs), attrs[0].Key, len(Vars)+1)
	}
	got := attrMap(attrs)
	want := map[string]string{
		"demo":                     "false",
		"GATEWAY_LISTEN":           ":8080",
		"GATEWAY_PUBLIC_URL":       "https://tutor.school.example",
		"GATEWAY_SESSION_SECRET":   "[redacted, 2 keys]",
		"GATEWAY_SESSION_TTL":      "1h30m",
		"OIDC_CLIENT_SECRET":       "[redacted]",
		"OIDC_SCOPES":              "openid profile email",
		"TALKIO_PROVIDER":          "[redacted]",
		"TALKIO_API_KEY":           "[redacted]",
		"TALKIO_TIMEOUT":           "10s",
		"TALKIO_ACCOUNT_TTL":       "720h",
		"TALKIO_DEFAULT_SETTINGS":  `{"uiLanguage":"en-US","readAloudSpeed":3}`,
		"TALKIO_ORGANIZATION_MAP":  "a=school-a,b=school-b",
		"FACILITATOR_GROUPS":       "teachers,staff",
		"GATEWAY_COOKIE_SAMESITE":  "lax",
		"GATEWAY_LOG_LEVEL":        "info",
		"GATEWAY_SHUTDOWN_TIMEOUT": "25s",
		"GATEWAY_METRICS_LISTEN":   ":9090",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("Redacted()[%s] = %q, want %q", k, got[k], w)
		}
	}

	// Unset secrets say so; one session key has no count.
	demo := mustLoad(t, nil)
	if got := attrMap(demo.Redacted()); got["TALKIO_API_KEY"] != "(not set)" || got["demo"] != "true" {
		t.Errorf("demo Redacted() = %v", got)
	}
	one := mustLoad(t, with(prodEnv(), map[string]string{"GATEWAY_SESSION_SECRET": key1}))
	if got := attrMap(one.Redacted())["GATEWAY_SESSION_SECRET"]; got != "[redacted]" {
		t.Errorf("one key shows %q, want [redacted]", got)
	}
}

func TestSameSiteString(t *testing.T) {
	for _, s := range []string{"lax", "strict", "none"} {
		m, err := parseSameSite(s)
		if err != nil || sameSiteString(m) != s {
			t.Errorf("round trip of %q gave %q, %v", s, sameSiteString(m), err)
		}
	}
	if got := sameSiteString(0); got != "" {
		t.Errorf("sameSiteString(default) = %q, want empty", got)
	}
}

// TestSecretsNeverPrinted formats a configuration every way a careless caller might.
func TestSecretsNeverPrinted(t *testing.T) {
	c := fullConfig(t)
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("start", "config", c)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("start", "config", *c)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("start", slog.Any("attrs", c.Redacted()))
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":     c.String(),
		"GoString":   c.GoString(),
		"logs":       logs.String(),
		"json":       string(js),
		"nested %+v": fmt.Sprintf("%+v", struct{ C Config }{*c}),
		"nested %#v": fmt.Sprintf("%#v", struct{ C *Config }{c}),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs["pointer "+verb] = fmt.Sprintf(verb, c)
		outputs["value "+verb] = fmt.Sprintf(verb, *c)
	}
	for what, out := range outputs {
		assertNoSecret(t, what, out)
		if !strings.Contains(out, "redacted") {
			t.Errorf("%s does not show the redacted form: %s", what, out)
		}
	}
	if !strings.HasPrefix(c.String(), `config.Config{demo="false" GATEWAY_LISTEN=":8080"`) {
		t.Errorf("String() = %s", c.String())
	}
	var decoded map[string]any
	if err := json.Unmarshal(js, &decoded); err != nil || decoded["TALKIO_API_KEY"] != "[redacted]" || decoded["demo"] != false {
		t.Errorf("MarshalJSON = %s (%v)", js, err)
	}
}

func TestSettingsString(t *testing.T) {
	var nilSettings *Settings
	if got := nilSettings.String(); got != "" {
		t.Errorf("nil String() = %q", got)
	}
	s, err := parseSettings(`{"hideIntroFlow":true,"defaultTutor":"Emma"}`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), `{"defaultTutor":"Emma","hideIntroFlow":true}`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}
