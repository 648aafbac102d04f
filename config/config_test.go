package config

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Secret values used by the tests, recognisable so leak checks can search for them.
const (
	key1           = "first-session-key-0123456789abcdef-LEAK1"
	key2           = "second-session-key-0123456789abcdef-LEAK2"
	clientSecret   = "oidc-client-secret-LEAK3"
	providerSecret = "provider-id-LEAK4"
	apiKeySecret   = "talkio-api-key-LEAK5"
)

var secretValues = []string{key1, key2, clientSecret, providerSecret, apiKeySecret, "LEAK"}

// prodEnv is a complete, valid production configuration.
func prodEnv() map[string]string {
	return map[string]string{
		"GATEWAY_PUBLIC_URL":     "https://tutor.school.example",
		"GATEWAY_SESSION_SECRET": key1 + "," + key2,
		"OIDC_ISSUER":            "https://login.school.example/realms/school",
		"OIDC_CLIENT_ID":         "talkio-gateway",
		"OIDC_CLIENT_SECRET":     clientSecret,
		"TALKIO_API_URL":         "https://api.talkio.example",
		"TALKIO_APP_URL":         "https://app.school.example",
		"TALKIO_PROVIDER":        providerSecret,
		"TALKIO_API_KEY":         apiKeySecret,
		"TALKIO_ORGANIZATION":    "partner-example-school",
	}
}

// with returns a copy of env with the overrides applied; an empty value deletes the variable.
func with(env map[string]string, overrides map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for k, v := range overrides {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// files is an in-memory ReadFile.
func files(m map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		s, ok := m[name]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return []byte(s), nil
	}
}

func mustLoad(t *testing.T, env map[string]string) *Config {
	t.Helper()
	c, err := Load(getenv(env))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func problems(t *testing.T, err error) []string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want *Error", err, err)
	}
	return e.Problems
}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range secretValues {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains secret %q:\n%s", what, secret, s)
		}
	}
}

func TestLoadProduction(t *testing.T) {
	c := mustLoad(t, prodEnv())
	if c.Demo {
		t.Error("Demo = true, want false")
	}
	if got, want := c.PublicURL.String(), "https://tutor.school.example"; got != want {
		t.Errorf("PublicURL = %q, want %q", got, want)
	}
	if got, want := c.RedirectURL(), "https://tutor.school.example/auth/callback"; got != want {
		t.Errorf("RedirectURL() = %q, want %q", got, want)
	}
	if got, want := c.SessionKeys, [][]byte{[]byte(key1), []byte(key2)}; !reflect.DeepEqual(got, want) {
		t.Errorf("SessionKeys = %q, want %q", got, want)
	}
	if got, want := c.OIDCIssuer.String(), "https://login.school.example/realms/school"; got != want {
		t.Errorf("OIDCIssuer = %q, want %q", got, want)
	}
	if c.OIDCClientID != "talkio-gateway" || c.OIDCClientSecret != clientSecret {
		t.Errorf("OIDC client = %q/%q", c.OIDCClientID, c.OIDCClientSecret)
	}
	if c.TalkioAPIURL.String() != "https://api.talkio.example" || c.TalkioAppURL.String() != "https://app.school.example" {
		t.Errorf("Talkio URLs = %v %v", c.TalkioAPIURL, c.TalkioAppURL)
	}
	if c.TalkioProvider != providerSecret || c.TalkioAPIKey != apiKeySecret || c.TalkioOrganization != "partner-example-school" {
		t.Errorf("Talkio credentials/org = %q %q %q", c.TalkioProvider, c.TalkioAPIKey, c.TalkioOrganization)
	}
	if len(c.Warnings()) != 0 {
		t.Errorf("Warnings() = %q, want none", c.Warnings())
	}
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, prodEnv())
	want := Config{
		Listen:          ":8080",
		SessionTTL:      12 * time.Hour,
		OIDCScopes:      []string{"openid", "profile", "email"},
		TalkioTimeout:   10 * time.Second,
		Claims:          Claims{UserID: "sub", Name: "name", Email: "email", Phone: "phone_number", Groups: "groups", Locale: "locale"},
		CookieSameSite:  http.SameSiteLaxMode,
		FrameAncestors:  []string{"'self'"},
		SupportContact:  "your administrator",
		LogLevel:        slog.LevelInfo,
		LogFormat:       LogFormatAuto,
		ShutdownTimeout: 25 * time.Second,
		MetricsListen:   ":9090",
		IDMode:          IDModeClaim,
		SendFields:      SendFields{Name: true, Email: true, Phone: true},

		SCIMUserIDAttribute: SCIMAttributeExternalID,
		SCIMDeactivate:      SCIMDeactivateDelete,
		OpenBurst:           10,
		OpenPerSecond:       1,
	}
	got := *c
	// Fields with no default, or set by prodEnv, are compared elsewhere.
	got.PublicURL, got.SessionKeys, got.OIDCIssuer, got.OIDCClientID, got.OIDCClientSecret = nil, nil, nil, "", ""
	got.TalkioAPIURL, got.TalkioAppURL, got.TalkioProvider, got.TalkioAPIKey, got.TalkioOrganization = nil, nil, "", "", ""
	got.fromFile = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %#v\nwant %#v", fieldsOf(got), fieldsOf(want))
	}
	if c.AccountTTL != 0 || c.DefaultSettings != nil || c.OrganizationMap != nil || c.FacilitatorGroups != nil ||
		c.AllowedGroups != nil || c.ReadyCheckTalkio || c.IDKey != nil || c.SCIMEnabled() || c.SCIMSignInCreates ||
		c.LTIEnabled() || c.LTIToolKeys != nil || c.LTITemplates != nil || c.TrustProxy {
		t.Errorf("optional fields set without their variables: %+v", fieldsOf(*c))
	}
}

// fieldsOf shows a Config's fields for test failures (its own String redacts them); test values only.
func fieldsOf(c Config) map[string]any {
	m := map[string]any{}
	v := reflect.ValueOf(c)
	for i := 0; i < v.NumField(); i++ {
		if f := v.Type().Field(i); f.IsExported() {
			m[f.Name] = v.Field(i).Interface()
		}
	}
	return m
}

func TestLoadOptionalValues(t *testing.T) {
	c := mustLoad(t, with(prodEnv(), map[string]string{
		"GATEWAY_LISTEN":             "127.0.0.1:9000",
		"GATEWAY_PUBLIC_URL":         "https://tutor.school.example/",
		"GATEWAY_SESSION_SECRET":     " " + key1 + " ,, " + key2 + ",",
		"GATEWAY_SESSION_TTL":        "90m",
		"GATEWAY_COOKIE_SAMESITE":    "None",
		"GATEWAY_FRAME_ANCESTORS":    "'SELF'  https://portal.school.example *.school.example https: http://localhost:3000/app",
		"GATEWAY_SUPPORT_CONTACT":    "help@school.example",
		"OIDC_ISSUER":                "http://localhost:5556/dex",
		"OIDC_SCOPES":                "openid,profile  email,groups openid",
		"TALKIO_API_URL":             "https://proxy.school.example/talkio/",
		"TALKIO_APP_URL":             "https://app.school.example/",
		"TALKIO_TIMEOUT":             "2s",
		"CLAIM_USER_ID":              "oid",
		"CLAIM_NAME":                 "preferred_username",
		"CLAIM_EMAIL":                "mail",
		"CLAIM_PHONE":                "mobile",
		"CLAIM_GROUPS":               "https://school.example/claims/groups",
		"CLAIM_LOCALE":               "lang",
		"CLAIM_ACCOUNT_EXPIRES_AT":   "subscription_end",
		"FACILITATOR_GROUPS":         " teachers , staff,,teachers ",
		"ALLOWED_GROUPS":             "students,teachers,staff",
		"TALKIO_ACCOUNT_TTL":         "720h",
		"TALKIO_DEFAULT_SETTINGS":    `{"practiceLanguage":"en-GB","userLanguage":"de","uiLanguage":"pt-BR","practiceLanguageProficiency":"elementary","readAloudSpeed":2.5,"defaultTutor":"Emma","showChatTranslations":true,"showChatRomanization":false,"showLiveFeedback":true,"hideIntroFlow":false}`,
		"TALKIO_ORGANIZATION_CLAIM":  "school",
		"TALKIO_ORGANIZATION_MAP":    "north=school-north, south = school-south,b64==school_b.1",
		"GATEWAY_METRICS_LISTEN":     "127.0.0.1:9090",
		"GATEWAY_LOG_LEVEL":          "DEBUG",
		"GATEWAY_LOG_FORMAT":         "JSON",
		"GATEWAY_SHUTDOWN_TIMEOUT":   "1m",
		"GATEWAY_READY_CHECK_TALKIO": "yes",
	}))
	str := func(s string) *string { return &s }
	f64 := func(f float64) *float64 { return &f }
	boolp := func(b bool) *bool { return &b }
	checks := []struct {
		name      string
		got, want any
	}{
		{"Listen", c.Listen, "127.0.0.1:9000"},
		{"PublicURL", c.PublicURL.String(), "https://tutor.school.example"},
		{"RedirectURL", c.RedirectURL(), "https://tutor.school.example/auth/callback"},
		{"SessionKeys", c.SessionKeys, [][]byte{[]byte(key1), []byte(key2)}},
		{"SessionTTL", c.SessionTTL, 90 * time.Minute},
		{"CookieSameSite", c.CookieSameSite, http.SameSiteNoneMode},
		{"FrameAncestors", c.FrameAncestors, []string{"'self'", "https://portal.school.example", "*.school.example", "https:", "http://localhost:3000/app"}},
		{"SupportContact", c.SupportContact, "help@school.example"},
		{"OIDCIssuer", c.OIDCIssuer.String(), "http://localhost:5556/dex"},
		{"OIDCScopes", c.OIDCScopes, []string{"openid", "profile", "email", "groups"}},
		{"TalkioAPIURL", c.TalkioAPIURL.String(), "https://proxy.school.example/talkio"},
		{"TalkioAppURL", c.TalkioAppURL.String(), "https://app.school.example"},
		{"TalkioTimeout", c.TalkioTimeout, 2 * time.Second},
		{"Claims", c.Claims, Claims{UserID: "oid", Name: "preferred_username", Email: "mail", Phone: "mobile",
			Groups: "https://school.example/claims/groups", Locale: "lang", AccountExpiresAt: "subscription_end", Organization: "school"}},
		{"FacilitatorGroups", c.FacilitatorGroups, []string{"teachers", "staff"}},
		{"AllowedGroups", c.AllowedGroups, []string{"students", "teachers", "staff"}},
		{"AccountTTL", c.AccountTTL, 720 * time.Hour},
		{"DefaultSettings", c.DefaultSettings, &Settings{
			PracticeLanguage: str("en-GB"), UserLanguage: str("de"), UILanguage: str("pt-BR"),
			PracticeLanguageProficiency: str("elementary"), ReadAloudSpeed: f64(2.5), DefaultTutor: str("Emma"),
			ShowChatTranslations: boolp(true), ShowChatRomanization: boolp(false), ShowLiveFeedback: boolp(true), HideIntroFlow: boolp(false),
		}},
		{"OrganizationClaim", c.OrganizationClaim, "school"},
		{"OrganizationMap", c.OrganizationMap, map[string]string{"north": "school-north", "south": "school-south", "b64=": "school_b.1"}},
		{"MetricsListen", c.MetricsListen, "127.0.0.1:9090"},
		{"LogLevel", c.LogLevel, slog.LevelDebug},
		{"LogFormat", c.LogFormat, LogFormatJSON},
		{"ShutdownTimeout", c.ShutdownTimeout, time.Minute},
		{"ReadyCheckTalkio", c.ReadyCheckTalkio, true},
	}
	for _, tc := range checks {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}

func TestEnumsAndBools(t *testing.T) {
	tests := []struct {
		env   map[string]string
		check func(*Config) bool
	}{
		{map[string]string{"GATEWAY_COOKIE_SAMESITE": "STRICT"}, func(c *Config) bool { return c.CookieSameSite == http.SameSiteStrictMode }},
		{map[string]string{"GATEWAY_COOKIE_SAMESITE": "lax"}, func(c *Config) bool { return c.CookieSameSite == http.SameSiteLaxMode }},
		{map[string]string{"GATEWAY_LOG_LEVEL": "warn"}, func(c *Config) bool { return c.LogLevel == slog.LevelWarn }},
		{map[string]string{"GATEWAY_LOG_LEVEL": "error"}, func(c *Config) bool { return c.LogLevel == slog.LevelError }},
		{map[string]string{"GATEWAY_LOG_FORMAT": "text"}, func(c *Config) bool { return c.LogFormat == LogFormatText }},
		{map[string]string{"GATEWAY_READY_CHECK_TALKIO": "1"}, func(c *Config) bool { return c.ReadyCheckTalkio }},
		{map[string]string{"GATEWAY_READY_CHECK_TALKIO": "Off"}, func(c *Config) bool { return !c.ReadyCheckTalkio }},
		{map[string]string{"TALKIO_ACCOUNT_TTL": "0"}, func(c *Config) bool { return c.AccountTTL == 0 }},
		{map[string]string{"GATEWAY_FRAME_ANCESTORS": "'none'"}, func(c *Config) bool { return reflect.DeepEqual(c.FrameAncestors, []string{"'none'"}) }},
		{map[string]string{"GATEWAY_FRAME_ANCESTORS": "* https://*.school.example:* school.example:8443"}, func(c *Config) bool { return len(c.FrameAncestors) == 3 }},
		{map[string]string{"TALKIO_DEFAULT_SETTINGS": " { } "}, func(c *Config) bool { return c.DefaultSettings == nil }},
		{map[string]string{"OIDC_ISSUER": "http://127.0.0.1:5556"}, func(c *Config) bool { return c.OIDCIssuer.Host == "127.0.0.1:5556" }},
		{map[string]string{"OIDC_ISSUER": "https://login.example/"}, func(c *Config) bool { return c.OIDCIssuer.String() == "https://login.example/" }},
		{map[string]string{"GATEWAY_METRICS_LISTEN": "localhost:0", "GATEWAY_LISTEN": "127.0.0.1:0"}, func(c *Config) bool { return c.MetricsListen == "localhost:0" }},
		{map[string]string{"GATEWAY_METRICS_LISTEN": ":8080"}, func(c *Config) bool { return c.MetricsListen == "" }},
		{map[string]string{"GATEWAY_METRICS_LISTEN": "127.0.0.1:0", "GATEWAY_LISTEN": "127.0.0.1:0"}, func(c *Config) bool { return c.MetricsListen == "127.0.0.1:0" }}, // port 0: two listeners
		{map[string]string{"GATEWAY_METRICS_LISTEN": "127.0.0.1:8080", "GATEWAY_LISTEN": "127.0.0.2:8080"}, func(c *Config) bool { return true }},
		{map[string]string{"TALKIO_PROVIDER": providerSecret + "\r\n"}, func(c *Config) bool { return c.TalkioProvider == providerSecret }},
	}
	for _, tc := range tests {
		c := mustLoad(t, with(prodEnv(), tc.env))
		if !tc.check(c) {
			t.Errorf("%v: unexpected result %+v", tc.env, fieldsOf(*c))
		}
	}
}

// TestValidation has one case per rule; each wantErr names the variable.
func TestValidation(t *testing.T) {
	long := strings.Repeat("x", 201)
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"listen without port", map[string]string{"GATEWAY_LISTEN": "8080"}, "GATEWAY_LISTEN: must be host:port"},
		{"listen bad port", map[string]string{"GATEWAY_LISTEN": ":99999"}, "GATEWAY_LISTEN: port must be a number"},
		{"listen bad host", map[string]string{"GATEWAY_LISTEN": "a/b:80"}, "GATEWAY_LISTEN: host must be"},
		{"public url relative", map[string]string{"GATEWAY_PUBLIC_URL": "tutor.example"}, "GATEWAY_PUBLIC_URL: must be an absolute http or https URL"},
		{"public url scheme", map[string]string{"GATEWAY_PUBLIC_URL": "ftp://tutor.example"}, "GATEWAY_PUBLIC_URL: must be an absolute"},
		{"public url unparsable", map[string]string{"GATEWAY_PUBLIC_URL": "https://tu tor.example"}, "GATEWAY_PUBLIC_URL: must be an absolute"},
		{"public url credentials", map[string]string{"GATEWAY_PUBLIC_URL": "https://u:pw@tutor.example"}, "GATEWAY_PUBLIC_URL: must not contain user:password@"},
		{"public url query", map[string]string{"GATEWAY_PUBLIC_URL": "https://tutor.example/?a=1"}, "GATEWAY_PUBLIC_URL: must not have a query or fragment"},
		{"public url empty query", map[string]string{"GATEWAY_PUBLIC_URL": "https://tutor.example?"}, "GATEWAY_PUBLIC_URL: must not have a query"},
		{"public url fragment", map[string]string{"GATEWAY_PUBLIC_URL": "https://tutor.example/#x"}, "GATEWAY_PUBLIC_URL: must not have a query or fragment"},
		{"public url path", map[string]string{"GATEWAY_PUBLIC_URL": "https://portal.example/tutor"}, "GATEWAY_PUBLIC_URL: must be an origin without a path"},
		{"public url wildcard", map[string]string{"GATEWAY_PUBLIC_URL": "https://*.example"}, "GATEWAY_PUBLIC_URL: host must not contain a wildcard"},
		{"session key short", map[string]string{"GATEWAY_SESSION_SECRET": "twelve-bytes"}, "GATEWAY_SESSION_SECRET: must be at least 32 bytes (got 12); generate one with: openssl rand -base64 48"},
		{"session key short of two", map[string]string{"GATEWAY_SESSION_SECRET": key1 + ",short"}, "GATEWAY_SESSION_SECRET: key 2 of 2 must be at least 32 bytes (got 5)"},
		{"session key duplicate", map[string]string{"GATEWAY_SESSION_SECRET": key1 + "," + key1}, "GATEWAY_SESSION_SECRET: key 2 repeats key 1"},
		{"session key none", map[string]string{"GATEWAY_SESSION_SECRET": " , "}, "GATEWAY_SESSION_SECRET: holds no key"},
		{"session ttl syntax", map[string]string{"GATEWAY_SESSION_TTL": "12"}, `GATEWAY_SESSION_TTL: must be a duration like 90s, 30m or 12h (got "12")`},
		{"session ttl zero", map[string]string{"GATEWAY_SESSION_TTL": "0s"}, "GATEWAY_SESSION_TTL: must be positive"},
		{"session ttl negative", map[string]string{"GATEWAY_SESSION_TTL": "-1h"}, "GATEWAY_SESSION_TTL: must be positive"},
		{"samesite unknown", map[string]string{"GATEWAY_COOKIE_SAMESITE": "relaxed"}, "GATEWAY_COOKIE_SAMESITE: must be one of lax, strict, none"},
		{"samesite none over http", map[string]string{"GATEWAY_COOKIE_SAMESITE": "none", "GATEWAY_PUBLIC_URL": "http://tutor.example"}, "GATEWAY_COOKIE_SAMESITE: none needs an https GATEWAY_PUBLIC_URL"},
		{"frame ancestors comma", map[string]string{"GATEWAY_FRAME_ANCESTORS": "'self',https://portal.example"}, "GATEWAY_FRAME_ANCESTORS: source \"'self',https://portal.example\" is not allowed: separate sources with spaces"},
		{"frame ancestors semicolon", map[string]string{"GATEWAY_FRAME_ANCESTORS": "'self'; script-src *"}, "GATEWAY_FRAME_ANCESTORS: source \"'self';\" is not allowed"},
		{"frame ancestors keyword", map[string]string{"GATEWAY_FRAME_ANCESTORS": "'unsafe-inline'"}, "GATEWAY_FRAME_ANCESTORS: source \"'unsafe-inline'\" is not allowed"},
		{"frame ancestors double quote", map[string]string{"GATEWAY_FRAME_ANCESTORS": `"self"`}, "GATEWAY_FRAME_ANCESTORS: source"},
		{"frame ancestors none plus", map[string]string{"GATEWAY_FRAME_ANCESTORS": "'none' 'self'"}, "GATEWAY_FRAME_ANCESTORS: 'none' must be the only source"},
		{"frame ancestors bad port", map[string]string{"GATEWAY_FRAME_ANCESTORS": "https://portal.example:ab"}, "GATEWAY_FRAME_ANCESTORS: source \"https://portal.example:ab\" is not a CSP source"},
		{"frame ancestors empty port", map[string]string{"GATEWAY_FRAME_ANCESTORS": "https://portal.example:"}, "is not a CSP source"},
		{"frame ancestors javascript", map[string]string{"GATEWAY_FRAME_ANCESTORS": "javascript:alert(1)"}, "is not a CSP source"},
		{"frame ancestors bad scheme", map[string]string{"GATEWAY_FRAME_ANCESTORS": "1http://portal.example"}, "is not a CSP source"},
		{"frame ancestors empty label", map[string]string{"GATEWAY_FRAME_ANCESTORS": "https://portal..example"}, "is not a CSP source"},
		{"frame ancestors bare wildcard label", map[string]string{"GATEWAY_FRAME_ANCESTORS": "*."}, "is not a CSP source"},
		{"frame ancestors underscore", map[string]string{"GATEWAY_FRAME_ANCESTORS": "https://por_tal.example"}, "is not a CSP source"},
		{"frame ancestors non-ascii path", map[string]string{"GATEWAY_FRAME_ANCESTORS": "https://portal.example/é"}, "is not a CSP source"},
		{"support contact control", map[string]string{"GATEWAY_SUPPORT_CONTACT": "a\tb"}, "GATEWAY_SUPPORT_CONTACT: must be one line of text"},
		{"support contact long", map[string]string{"GATEWAY_SUPPORT_CONTACT": long}, "GATEWAY_SUPPORT_CONTACT: must be at most 200 characters (got 201)"},
		{"issuer http", map[string]string{"OIDC_ISSUER": "http://login.example"}, "OIDC_ISSUER: must use https (http only for localhost)"},
		{"issuer query", map[string]string{"OIDC_ISSUER": "https://login.example/?tenant=1"}, "OIDC_ISSUER: must not have a query"},
		{"issuer relative", map[string]string{"OIDC_ISSUER": "/realms/school"}, "OIDC_ISSUER: must be an absolute"},
		{"client id control", map[string]string{"OIDC_CLIENT_ID": "a\x01b"}, "OIDC_CLIENT_ID: must be one line of text"},
		{"client secret space", map[string]string{"OIDC_CLIENT_SECRET": "has space"}, "OIDC_CLIENT_SECRET: must be printable ASCII without spaces"},
		{"scopes without openid", map[string]string{"OIDC_SCOPES": "profile email"}, `OIDC_SCOPES: must include openid, like "openid profile email" (got "profile email")`},
		{"scopes quote", map[string]string{"OIDC_SCOPES": `openid "x`}, `OIDC_SCOPES: scope "\"x" has a character RFC 6749 does not allow`},
		{"scopes backslash", map[string]string{"OIDC_SCOPES": `openid a\b`}, "OIDC_SCOPES: scope"},
		{"scopes non-ascii", map[string]string{"OIDC_SCOPES": "openid profilé"}, "OIDC_SCOPES: scope \"profilé\" has a character"},
		{"api url with base path", map[string]string{"TALKIO_API_URL": "https://api.talkio.example/api/partner/v3"}, "TALKIO_API_URL: must be the API origin without /api/partner/v3, which is appended automatically"},
		{"api url with base path slash", map[string]string{"TALKIO_API_URL": "https://api.talkio.example/api/partner/v3/"}, "appended automatically"},
		{"api url with org path", map[string]string{"TALKIO_API_URL": "https://api.talkio.example/API/partner/v3/organizations/x"}, "TALKIO_API_URL: must be the API origin"},
		{"api url not url", map[string]string{"TALKIO_API_URL": "api.talkio.example"}, "TALKIO_API_URL: must be an absolute http or https URL"},
		{"app url with login path", map[string]string{"TALKIO_APP_URL": "https://app.school.example/authentication/partner/"}, "TALKIO_APP_URL: must be the app origin without /authentication/partner/"},
		{"app url query", map[string]string{"TALKIO_APP_URL": "https://app.school.example/?token=x"}, "TALKIO_APP_URL: must not have a query"},
		{"app url not url", map[string]string{"TALKIO_APP_URL": "mailto:x@example"}, "TALKIO_APP_URL: must be an absolute"},
		{"provider newline", map[string]string{"TALKIO_PROVIDER": "pro\nvider"}, "TALKIO_PROVIDER: must be printable ASCII without spaces"},
		{"api key space", map[string]string{"TALKIO_API_KEY": "key with space"}, "TALKIO_API_KEY: must be printable ASCII"},
		{"api key non-ascii", map[string]string{"TALKIO_API_KEY": "kéy"}, "TALKIO_API_KEY: must be printable ASCII"},
		{"organization slash", map[string]string{"TALKIO_ORGANIZATION": "school/north"}, `TALKIO_ORGANIZATION: must be an organization slug of letters, digits, '-', '_' or '.', like partner-example-school (got "school/north")`},
		{"organization dotdot", map[string]string{"TALKIO_ORGANIZATION": ".."}, "TALKIO_ORGANIZATION: must be an organization slug"},
		{"timeout unitless", map[string]string{"TALKIO_TIMEOUT": "10"}, "TALKIO_TIMEOUT: must be a duration"},
		{"timeout zero", map[string]string{"TALKIO_TIMEOUT": "0"}, "TALKIO_TIMEOUT: must be positive"},
		{"claim with space", map[string]string{"CLAIM_USER_ID": "user id"}, "CLAIM_USER_ID: must be a claim name without spaces"},
		{"claim groups control", map[string]string{"CLAIM_GROUPS": "gr\x00oups"}, "CLAIM_GROUPS: must be a claim name"},
		{"claim expiry space", map[string]string{"CLAIM_ACCOUNT_EXPIRES_AT": "a b"}, "CLAIM_ACCOUNT_EXPIRES_AT: must be a claim name"},
		{"account ttl negative", map[string]string{"TALKIO_ACCOUNT_TTL": "-720h"}, "TALKIO_ACCOUNT_TTL: must not be negative"},
		{"account ttl tiny", map[string]string{"TALKIO_ACCOUNT_TTL": "30s"}, "TALKIO_ACCOUNT_TTL: must be at least 1m"},
		{"account ttl syntax", map[string]string{"TALKIO_ACCOUNT_TTL": "30 days"}, "TALKIO_ACCOUNT_TTL: must be a duration"},
		{"settings array", map[string]string{"TALKIO_DEFAULT_SETTINGS": `[1]`}, "TALKIO_DEFAULT_SETTINGS: must be a JSON object like"},
		{"settings not json", map[string]string{"TALKIO_DEFAULT_SETTINGS": `uiLanguage=en`}, "TALKIO_DEFAULT_SETTINGS: must be a JSON object like"},
		{"settings truncated", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"uiLanguage":"en"`}, "TALKIO_DEFAULT_SETTINGS: must be a JSON object"},
		{"settings bad value", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"uiLanguage":en}`}, "TALKIO_DEFAULT_SETTINGS: must be a JSON object"},
		{"settings numeric key", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{1:2}`}, "TALKIO_DEFAULT_SETTINGS: must be a JSON object"},
		{"settings trailing", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{} {}`}, "TALKIO_DEFAULT_SETTINGS: must be a JSON object like {\"uiLanguage\":\"en-US\",\"showLiveFeedback\":true} (invalid JSON: unexpected text after the object)"},
		{"settings unknown", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"theme":"dark"}`}, `TALKIO_DEFAULT_SETTINGS: unknown field "theme"; known fields: practiceLanguage, userLanguage, uiLanguage,`},
		{"settings wrong case", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"UILanguage":"en-US"}`}, `TALKIO_DEFAULT_SETTINGS: unknown field "UILanguage"; did you mean "uiLanguage"?`},
		{"settings twice", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"hideIntroFlow":true,"hideIntroFlow":false}`}, `TALKIO_DEFAULT_SETTINGS: field "hideIntroFlow" appears twice`},
		{"settings null", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"defaultTutor":null}`}, `TALKIO_DEFAULT_SETTINGS: field "defaultTutor" is null; leave it out instead`},
		{"settings language type", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"uiLanguage":1}`}, `TALKIO_DEFAULT_SETTINGS: field "uiLanguage" must be a string`},
		{"settings language unknown", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"practiceLanguage":"english"}`}, `TALKIO_DEFAULT_SETTINGS: field "practiceLanguage" must be a BCP 47 language tag like en-US or pt-BR (got "english")`},
		{"settings language underscore", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"userLanguage":"en_US"}`}, `field "userLanguage" must be a BCP 47 language tag`},
		{"settings language und", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"userLanguage":"und"}`}, `field "userLanguage" must be a BCP 47 language tag`},
		{"settings tutor empty", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"defaultTutor":" "}`}, `field "defaultTutor" must not be empty`},
		{"settings proficiency type", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"practiceLanguageProficiency":true}`}, `field "practiceLanguageProficiency" must be a string`},
		{"settings speed type", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"readAloudSpeed":"fast"}`}, `field "readAloudSpeed" must be a number, like 3`},
		{"settings speed zero", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"readAloudSpeed":0}`}, `field "readAloudSpeed" must be a positive number`},
		{"settings speed huge", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"readAloudSpeed":1e999}`}, `field "readAloudSpeed" must be a number`},
		{"settings bool type", map[string]string{"TALKIO_DEFAULT_SETTINGS": `{"showLiveFeedback":"yes"}`}, `field "showLiveFeedback" must be true or false`},
		{"org claim bad", map[string]string{"TALKIO_ORGANIZATION_CLAIM": "a b", "TALKIO_ORGANIZATION_MAP": "a=b"}, "TALKIO_ORGANIZATION_CLAIM: must be a claim name"},
		{"org claim without map", map[string]string{"TALKIO_ORGANIZATION_CLAIM": "school"}, "TALKIO_ORGANIZATION_MAP: not set, but TALKIO_ORGANIZATION_CLAIM is"},
		{"org map without claim", map[string]string{"TALKIO_ORGANIZATION_MAP": "a=b"}, "TALKIO_ORGANIZATION_CLAIM: not set, but TALKIO_ORGANIZATION_MAP is"},
		{"org map no equals", map[string]string{"TALKIO_ORGANIZATION_CLAIM": "school", "TALKIO_ORGANIZATION_MAP": "north"}, `TALKIO_ORGANIZATION_MAP: pair "north" must be claimValue=slug`},
		{"org map empty key", map[string]string{"TALKIO_ORGANIZATION_CLAIM": "school", "TALKIO_ORGANIZATION_MAP": "=school-north"}, `TALKIO_ORGANIZATION_MAP: pair "=school-north" has an empty side`},
		{"org map empty slug", map[string]string{"TALKIO_ORGANIZATION_CLAIM": "school", "TALKIO_ORGANIZATION_MAP": "north= "}, "TALKIO_ORGANIZATION_MAP: pair \"north=\" has an empty side"},
		{"org map duplicate", map[string]string{"TALKIO_ORGANIZATION_CLAIM": "school", "TALKIO_ORGANIZATION_MAP": "north=a,north=b"}, `TALKIO_ORGANIZATION_MAP: claim value "north" is listed twice`},
		{"org map bad slug", map[string]string{"TALKIO_ORGANIZATION_CLAIM": "school", "TALKIO_ORGANIZATION_MAP": "north=a/b"}, `TALKIO_ORGANIZATION_MAP: pair "north=a/b": slug must be an organization slug`},
		{"org map empty", map[string]string{"TALKIO_ORGANIZATION_CLAIM": "school", "TALKIO_ORGANIZATION_MAP": " , "}, "TALKIO_ORGANIZATION_MAP: lists no pair"},
		{"metrics listen syntax", map[string]string{"GATEWAY_METRICS_LISTEN": "9090"}, "GATEWAY_METRICS_LISTEN: must be host:port"},
		{"metrics listen overlapping", map[string]string{"GATEWAY_METRICS_LISTEN": "127.0.0.1:8080"}, `GATEWAY_METRICS_LISTEN: "127.0.0.1:8080" collides with GATEWAY_LISTEN (":8080"); use another port, or exactly ":8080"`},
		{"metrics listen default collides", map[string]string{"GATEWAY_LISTEN": "0.0.0.0:9090"}, `GATEWAY_METRICS_LISTEN: ":9090" collides with GATEWAY_LISTEN ("0.0.0.0:9090")`},
		{"metrics listen default equals", map[string]string{"GATEWAY_LISTEN": ":9090"}, `GATEWAY_METRICS_LISTEN: ":9090" collides with GATEWAY_LISTEN (":9090")`},
		{"log level", map[string]string{"GATEWAY_LOG_LEVEL": "verbose"}, `GATEWAY_LOG_LEVEL: must be one of debug, info, warn, error (got "verbose")`},
		{"log format", map[string]string{"GATEWAY_LOG_FORMAT": "xml"}, "GATEWAY_LOG_FORMAT: must be one of auto, json, text"},
		{"shutdown timeout", map[string]string{"GATEWAY_SHUTDOWN_TIMEOUT": "-5s"}, "GATEWAY_SHUTDOWN_TIMEOUT: must be positive"},
		{"ready check", map[string]string{"GATEWAY_READY_CHECK_TALKIO": "maybe"}, "GATEWAY_READY_CHECK_TALKIO: must be one of true, false"},
		{"missing public url", map[string]string{"GATEWAY_PUBLIC_URL": ""}, "GATEWAY_PUBLIC_URL: not set; external URL of the gateway"},
		{"missing secret", map[string]string{"OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET: not set; client secret registered at the provider; or put it in a file named by OIDC_CLIENT_SECRET_FILE"},
		{"missing organization", map[string]string{"TALKIO_ORGANIZATION": ""}, "TALKIO_ORGANIZATION: not set; organization slug users are created in (with TALKIO_ORGANIZATION_MAP: the admin CLI's default) (required unless TALKIO_ORGANIZATION_MAP is set); e.g. partner-example-school"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(getenv(with(prodEnv(), tc.env)))
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tc.wantErr)
			}
			ps := problems(t, err)
			found := false
			for _, p := range ps {
				found = found || strings.Contains(p, tc.wantErr)
			}
			if !found {
				t.Errorf("got problems\n%s\nwant one containing %q", strings.Join(ps, "\n"), tc.wantErr)
			}
			if len(ps) != 1 {
				t.Errorf("got %d problems, want 1:\n%s", len(ps), strings.Join(ps, "\n"))
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	_, err := Load(getenv(with(prodEnv(), map[string]string{
		"GATEWAY_LISTEN":          "nope",
		"GATEWAY_PUBLIC_URL":      "",
		"GATEWAY_SESSION_SECRET":  "short-LEAK",
		"OIDC_ISSUER":             "http://login.example",
		"OIDC_SCOPES":             "profile",
		"TALKIO_API_URL":          "https://api.talkio.example/api/partner/v3",
		"TALKIO_API_KEY":          "",
		"TALKIO_ACCOUNT_TTL":      "-1h",
		"TALKIO_DEFAULT_SETTINGS": `{"uiLanguage":"xx_1","readAloudSpeed":"fast"}`,
		"GATEWAY_LOG_LEVEL":       "loud",
	})))
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	ps := problems(t, err)
	want := []string{
		"GATEWAY_LISTEN: ", "GATEWAY_PUBLIC_URL: not set", "GATEWAY_SESSION_SECRET: must be at least 32 bytes",
		"OIDC_ISSUER: ", "OIDC_SCOPES: ", "TALKIO_API_URL: ", "TALKIO_API_KEY: not set", "TALKIO_ACCOUNT_TTL: ",
		`TALKIO_DEFAULT_SETTINGS: field "uiLanguage"`, `TALKIO_DEFAULT_SETTINGS: field "readAloudSpeed"`, "GATEWAY_LOG_LEVEL: ",
	}
	if len(ps) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(ps), len(want), strings.Join(ps, "\n"))
	}
	for _, w := range want {
		found := false
		for _, p := range ps {
			found = found || strings.HasPrefix(p, w)
		}
		if !found {
			t.Errorf("no problem starts with %q in\n%s", w, strings.Join(ps, "\n"))
		}
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "configuration: 11 problems:\n  ") {
		t.Errorf("Error() starts %q, want \"configuration: 11 problems:\\n  …\"", msg[:40])
	}
	if got := strings.Count(msg, "\n  "); got != len(ps) {
		t.Errorf("Error() has %d indented lines, want one per problem (%d)", got, len(ps))
	}
	assertNoSecret(t, "error", msg)
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Problems: []string{"A: bad"}}, "configuration: 1 problem:\n  A: bad"},
		{Error{Problems: []string{"A: bad", "B: worse"}, Note: "note"}, "configuration: 2 problems:\n  A: bad\n  B: worse\nnote"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestDemoMode(t *testing.T) {
	c := mustLoad(t, map[string]string{})
	if !c.Demo {
		t.Fatal("Demo = false with an empty environment, want true")
	}
	if c.Listen != ":8080" || c.SessionTTL != 12*time.Hour || c.LogLevel != slog.LevelInfo || c.Claims.UserID != "sub" {
		t.Errorf("demo defaults not applied: %+v", fieldsOf(*c))
	}
	if c.OIDCIssuer != nil || c.TalkioAPIURL != nil || c.SessionKeys != nil || c.PublicURL != nil {
		t.Errorf("demo-supplied fields filled: %+v", fieldsOf(*c))
	}

	// Operational and privacy settings work in demo mode, and are validated.
	c = mustLoad(t, map[string]string{"GATEWAY_LISTEN": ":9999", "GATEWAY_METRICS_LISTEN": ":9998", "GATEWAY_LOG_FORMAT": "json",
		"GATEWAY_SHUTDOWN_TIMEOUT": "3s", "TALKIO_USER_ID_MODE": "pseudonymous", "TALKIO_SEND_FIELDS": "none", "GATEWAY_OPEN_BURST": "3"})
	if !c.Demo || c.Listen != ":9999" || c.IDMode != IDModePseudonymous || c.IDKey != nil || c.SendFields != (SendFields{}) ||
		c.OpenBurst != 3 {
		t.Errorf("got %+v", fieldsOf(*c))
	}
	_, err := Load(getenv(map[string]string{"GATEWAY_LISTEN": "8080", "GATEWAY_LOG_LEVEL": "chatty"}))
	ps := problems(t, err)
	if len(ps) != 2 || !strings.HasPrefix(ps[0], "GATEWAY_LISTEN: ") || !strings.HasPrefix(ps[1], "GATEWAY_LOG_LEVEL: ") {
		t.Errorf("got problems %q, want GATEWAY_LISTEN and GATEWAY_LOG_LEVEL", ps)
	}
	if strings.Contains(err.Error(), "Demo mode starts only") {
		t.Errorf("demo-mode problems explain partial configuration: %v", err)
	}
}

// validValue is a valid value of each variable, for tests that set one at a time.
func validValue(t *testing.T, v Var) string {
	t.Helper()
	if s, ok := prodEnv()[v.Name]; ok {
		return s
	}
	switch v.Name {
	case "SCIM_TOKEN":
		return scimToken1
	case "LTI_TOOL_KEY":
		return pemKey(t, testKey2048(t))
	case "TALKIO_USER_ID_KEY":
		return idKey
	case "CLAIM_ACCOUNT_EXPIRES_AT":
		return "subscription_end"
	}
	if v.Example != "" {
		return v.Example
	}
	if v.Default != "" {
		return v.Default
	}
	t.Fatalf("no valid value for %s", v.Name)
	return ""
}

// Any variable of a real deployment turns demo mode off: the start stops, naming what is set and
// what is missing. Issue 11 A9: GATEWAY_PUBLIC_URL or ALLOWED_GROUPS alone started a password-less demo.
func TestPartialConfigurationIsNotDemo(t *testing.T) {
	for _, v := range Vars {
		if v.Role != RoleDeployment {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			env := map[string]string{v.Name: validValue(t, v)}
			_, err := Load(getenv(env), "")
			if err == nil {
				t.Fatalf("Load with only %s succeeded, want missing variables", v.Name)
			}
			ps := problems(t, err)
			var missingNames []string
			for _, p := range ps {
				n, rest, _ := strings.Cut(p, ": ")
				if strings.HasPrefix(rest, "not set;") {
					missingNames = append(missingNames, n)
				} else if !strings.HasPrefix(rest, "not set, ") {
					t.Errorf("unexpected problem %q", p)
				}
			}
			var want []string
			for _, w := range Vars {
				if w.Required && w.Name != v.Name && !(w.RequiredUnless != "" && w.RequiredUnless == v.Name) {
					want = append(want, w.Name)
				}
			}
			if !reflect.DeepEqual(missingNames, want) {
				t.Errorf("missing = %q, want %q", missingNames, want)
			}
			if !strings.Contains(err.Error(), "\nDemo mode starts only when no variable of a real deployment is set (only GATEWAY_LISTEN, ") ||
				!strings.Contains(err.Error(), "; set here: "+v.Name+"; missing for a real deployment: "+strings.Join(want, ", ")+".") {
				t.Errorf("error does not explain why demo mode is off:\n%v", err)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

// The operational and privacy variables are exactly those the issue lets work in demo mode.
func TestDemoKeeps(t *testing.T) {
	want := "GATEWAY_LISTEN TALKIO_TIMEOUT TALKIO_USER_ID_MODE TALKIO_USER_ID_KEY TALKIO_SEND_FIELDS GATEWAY_METRICS_LISTEN GATEWAY_LOG_LEVEL " +
		"GATEWAY_LOG_FORMAT GATEWAY_SHUTDOWN_TIMEOUT GATEWAY_READY_CHECK_TALKIO GATEWAY_OPEN_BURST GATEWAY_OPEN_PER_SECOND GATEWAY_TRUST_PROXY"
	if got := strings.Join(demoKeeps(), " "); got != want {
		t.Errorf("demoKeeps = %s\nwant %s", got, want)
	}
	for _, name := range demoKeeps() {
		env := map[string]string{name: validValue(t, varNamed(t, name))}
		if name == "TALKIO_USER_ID_KEY" {
			env["TALKIO_USER_ID_MODE"] = IDModePseudonymous
		}
		if c, err := Load(getenv(env), ""); err != nil || !c.Demo {
			t.Errorf("%s alone: got %v, want demo mode", name, err)
		}
	}
}

func varNamed(t *testing.T, name string) Var {
	t.Helper()
	for _, v := range Vars {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no variable %s", name)
	return Var{}
}

func TestOrganizationMapReplacesOrganization(t *testing.T) {
	c := mustLoad(t, with(prodEnv(), map[string]string{
		"TALKIO_ORGANIZATION": "", "TALKIO_ORGANIZATION_CLAIM": "school", "TALKIO_ORGANIZATION_MAP": "north=school-north",
	}))
	if c.TalkioOrganization != "" || c.OrganizationMap["north"] != "school-north" || c.Claims.Organization != "school" {
		t.Errorf("got org %q map %v claim %q", c.TalkioOrganization, c.OrganizationMap, c.Claims.Organization)
	}
}

func TestSecretFiles(t *testing.T) {
	base := with(prodEnv(), map[string]string{"GATEWAY_SESSION_SECRET": "", "TALKIO_API_KEY": ""})
	t.Run("read and trimmed", func(t *testing.T) {
		env := with(base, map[string]string{
			"GATEWAY_SESSION_SECRET_FILE": "/run/secrets/session",
			"TALKIO_API_KEY_FILE":         " /run/secrets/key ",
		})
		c, err := Loader{Getenv: getenv(env), ReadFile: files(map[string]string{
			"/run/secrets/session": key1 + "," + key2 + "\n",
			"/run/secrets/key":     apiKeySecret + "\r\n",
		})}.Load()
		if err != nil {
			t.Fatal(err)
		}
		if c.TalkioAPIKey != apiKeySecret || len(c.SessionKeys) != 2 || string(c.SessionKeys[1]) != key2 {
			t.Errorf("got key %q, session keys %q", c.TalkioAPIKey, c.SessionKeys)
		}
		got := attrMap(c.Redacted())
		if got["TALKIO_API_KEY"] != "[redacted, from file]" || got["GATEWAY_SESSION_SECRET"] != "[redacted, 2 keys, from file]" ||
			got["TALKIO_PROVIDER"] != "[redacted]" {
			t.Errorf("Redacted() = %v", got)
		}
	})
	tests := []struct {
		name    string
		env     map[string]string
		files   map[string]string
		readErr error
		wantErr string
	}{
		{"both set", map[string]string{"TALKIO_PROVIDER_FILE": "/p"}, map[string]string{"/p": "x"}, nil,
			"TALKIO_PROVIDER and TALKIO_PROVIDER_FILE are both set: set only one of them"},
		{"missing file", map[string]string{"TALKIO_API_KEY_FILE": "/run/secrets/nope"}, nil, nil,
			"TALKIO_API_KEY_FILE: cannot read /run/secrets/nope: no such file"},
		{"permission", map[string]string{"TALKIO_API_KEY_FILE": "/k"}, nil, &fs.PathError{Op: "open", Path: "/k", Err: fs.ErrPermission},
			"TALKIO_API_KEY_FILE: cannot read /k: permission denied"},
		{"is a directory", map[string]string{"TALKIO_API_KEY_FILE": "/k"}, nil, &fs.PathError{Op: "read", Path: "/k", Err: errors.New("is a directory")},
			"TALKIO_API_KEY_FILE: cannot read /k: is a directory"},
		{"other error", map[string]string{"TALKIO_API_KEY_FILE": "/k"}, nil, errors.New("vault sealed"),
			"TALKIO_API_KEY_FILE: cannot read /k: vault sealed"},
		{"empty file", map[string]string{"TALKIO_API_KEY_FILE": "/k"}, map[string]string{"/k": "\n"}, nil,
			"TALKIO_API_KEY_FILE: /k is empty"},
		{"huge file", map[string]string{"TALKIO_API_KEY_FILE": "/k"}, map[string]string{"/k": strings.Repeat("LEAK", 20000)}, nil,
			"TALKIO_API_KEY_FILE: /k is 80000 bytes, more than a secret file should hold"},
		{"bad content", map[string]string{"GATEWAY_SESSION_SECRET_FILE": "/s"}, map[string]string{"/s": "short-LEAK\n"}, nil,
			"GATEWAY_SESSION_SECRET (from GATEWAY_SESSION_SECRET_FILE): must be at least 32 bytes (got 10)"},
		{"bad header content", map[string]string{"TALKIO_API_KEY_FILE": "/k"}, map[string]string{"/k": "two\nLEAK lines\n"}, nil,
			"TALKIO_API_KEY (from TALKIO_API_KEY_FILE): must be printable ASCII"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := with(with(base, map[string]string{"GATEWAY_SESSION_SECRET": key1, "TALKIO_API_KEY": apiKeySecret}), tc.env)
			for name := range tc.env {
				delete(env, strings.TrimSuffix(name, "_FILE")) // the twin alone, except where "both set" is tested
			}
			if tc.name == "both set" {
				env["TALKIO_PROVIDER"] = providerSecret
			}
			read := files(tc.files)
			if tc.readErr != nil {
				read = func(string) ([]byte, error) { return nil, tc.readErr }
			}
			_, err := Loader{Getenv: getenv(env), ReadFile: read}.Load()
			if err == nil {
				t.Fatalf("Load succeeded, want %q", tc.wantErr)
			}
			ps := problems(t, err)
			if len(ps) != 1 || !strings.Contains(ps[0], tc.wantErr) {
				t.Errorf("got problems %q, want exactly one containing %q", ps, tc.wantErr)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

func TestSecretFileOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client-secret")
	if err := os.WriteFile(path, []byte(clientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := with(prodEnv(), map[string]string{"OIDC_CLIENT_SECRET": "", "OIDC_CLIENT_SECRET_FILE": path})
	c, err := Load(getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.OIDCClientSecret != clientSecret {
		t.Errorf("OIDCClientSecret not read from %s", path)
	}
}

func TestSecretFileTwinTurnsDemoOff(t *testing.T) {
	_, err := Loader{Getenv: getenv(map[string]string{"TALKIO_API_KEY_FILE": "/k"}), ReadFile: files(map[string]string{"/k": apiKeySecret})}.Load()
	if err == nil || !strings.Contains(err.Error(), "OIDC_ISSUER: not set") || !strings.Contains(err.Error(), "set here: TALKIO_API_KEY;") {
		t.Errorf("got %v, want the missing variables", err)
	}
	// An unreadable twin counts as set too.
	_, err = Loader{Getenv: getenv(map[string]string{"TALKIO_API_KEY_FILE": "/k"}), ReadFile: files(nil)}.Load()
	if err == nil || !strings.Contains(err.Error(), "OIDC_ISSUER: not set") || strings.Contains(err.Error(), "TALKIO_API_KEY: not set") {
		t.Errorf("got %v, want the missing variables but not the unreadable one", err)
	}
}

func TestFileTwinOfNonSecret(t *testing.T) {
	for _, env := range []map[string]string{{"OIDC_ISSUER_FILE": "/x"}, with(prodEnv(), map[string]string{"GATEWAY_LISTEN_FILE": "/x"})} {
		_, err := Loader{Getenv: getenv(env), ReadFile: files(nil)}.Load()
		if err == nil || !strings.Contains(err.Error(), "_FILE: only GATEWAY_SESSION_SECRET, OIDC_CLIENT_SECRET, TALKIO_PROVIDER, TALKIO_API_KEY, TALKIO_USER_ID_KEY, SCIM_TOKEN, LTI_PLATFORMS, LTI_TOOL_KEY can be read from a file; set ") {
			t.Errorf("%v: got %v, want the _FILE twin refused", env, err)
		}
	}
}

func TestQuoteShortensLongValues(t *testing.T) {
	if got, want := quote(strings.Repeat("é", 70)), `"`+strings.Repeat("é", 64)+`…"`; got != want {
		t.Errorf("quote = %s, want %s", got, want)
	}
	if _, err := parseFrameAncestors(" "); err == nil {
		t.Error("parseFrameAncestors(blank) succeeded, want an error")
	}
	if hostname(nil) != "" {
		t.Error("hostname(nil) not empty")
	}
}

func TestLoadUsesProcessEnvironment(t *testing.T) {
	t.Setenv("GATEWAY_LOG_LEVEL", "bogus")
	_, err := Load(nil)
	if err == nil || !strings.Contains(err.Error(), "GATEWAY_LOG_LEVEL: must be one of") {
		t.Errorf("Load(nil) = %v, want the process environment read", err)
	}
}

func TestLoadTalkio(t *testing.T) {
	cliEnv := map[string]string{
		"TALKIO_API_URL":      "https://api.talkio.example",
		"TALKIO_PROVIDER":     providerSecret,
		"TALKIO_API_KEY":      apiKeySecret,
		"TALKIO_ORGANIZATION": "partner-example-school",
		// Ignored by the CLI, even when wrong.
		"OIDC_CLIENT_SECRET": "not a secret",
		"GATEWAY_LISTEN":     "nope",
		"GATEWAY_PUBLIC_URL": "nope",
	}
	c, err := LoadTalkio(getenv(cliEnv))
	if err != nil {
		t.Fatal(err)
	}
	if c.Demo || c.TalkioAPIURL.String() != "https://api.talkio.example" || c.TalkioOrganization != "partner-example-school" ||
		c.TalkioTimeout != 10*time.Second || c.LogFormat != LogFormatAuto || c.Listen != "" || c.OIDCIssuer != nil || c.TalkioAppURL != nil {
		t.Errorf("LoadTalkio = %+v", fieldsOf(*c))
	}
	red := attrMap(c.Redacted())
	if _, ok := red["GATEWAY_LISTEN"]; ok {
		t.Errorf("Redacted() of a CLI configuration lists GATEWAY_LISTEN: %v", red)
	}
	if red["TALKIO_API_KEY"] != "[redacted]" || red["GATEWAY_LOG_LEVEL"] != "info" {
		t.Errorf("Redacted() = %v", red)
	}

	// Nothing set: exactly the four Partner API variables are missing, and no demo-mode note.
	_, err = LoadTalkio(getenv(nil))
	ps := problems(t, err)
	var names []string
	for _, p := range ps {
		n, _, _ := strings.Cut(p, ": ")
		names = append(names, n)
	}
	if want := []string{"TALKIO_API_URL", "TALKIO_PROVIDER", "TALKIO_API_KEY", "TALKIO_ORGANIZATION"}; !reflect.DeepEqual(names, want) {
		t.Errorf("missing = %q, want %q", names, want)
	}
	if strings.Contains(err.Error(), "Demo") {
		t.Errorf("CLI error mentions demo mode: %v", err)
	}

	// The map replaces the organization; the app URL and the TALKIO_ extras are validated when set.
	c, err = LoadTalkio(getenv(with(cliEnv, map[string]string{
		"TALKIO_ORGANIZATION": "", "TALKIO_ORGANIZATION_CLAIM": "school", "TALKIO_ORGANIZATION_MAP": "a=school-a",
		"TALKIO_APP_URL": "https://app.school.example", "TALKIO_TIMEOUT": "3s", "GATEWAY_LOG_LEVEL": "debug",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if c.OrganizationMap["a"] != "school-a" || c.TalkioAppURL == nil || c.TalkioTimeout != 3*time.Second || c.LogLevel != slog.LevelDebug {
		t.Errorf("LoadTalkio = %+v", fieldsOf(*c))
	}
	_, err = Loader{Getenv: getenv(with(cliEnv, map[string]string{
		"TALKIO_APP_URL": "app", "TALKIO_DEFAULT_SETTINGS": "[]", "TALKIO_ACCOUNT_TTL": "-1s", "TALKIO_API_KEY": "", "TALKIO_API_KEY_FILE": "/k",
	}))}.LoadTalkio()
	ps = problems(t, err)
	if len(ps) != 4 {
		t.Errorf("got %d problems, want 4 (app URL, settings, TTL, key file):\n%s", len(ps), strings.Join(ps, "\n"))
	}
}

func TestRedirectURLWithoutPublicURL(t *testing.T) {
	if got := (&Config{}).RedirectURL(); got != "" {
		t.Errorf("RedirectURL() = %q, want empty", got)
	}
}

func TestKnown(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"GATEWAY_LISTEN", true},
		{"TALKIO_API_KEY", true},
		{"TALKIO_API_KEY_FILE", true},
		{"GATEWAY_SESSION_SECRET_FILE", true},
		{"OIDC_ISSUER_FILE", false}, // only secrets have file twins
		{"GATEWAY_LISTENER", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := Known(tc.name); got != tc.want {
			t.Errorf("Known(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWarnings(t *testing.T) {
	c := mustLoad(t, with(prodEnv(), map[string]string{
		"TALKIO_ACCOUNT_TTL":      "30m",
		"GATEWAY_PUBLIC_URL":      "http://tutor.school.example",
		"TALKIO_API_URL":          "http://api.talkio.example",
		"TALKIO_APP_URL":          "http://app.school.example",
		"GATEWAY_FRAME_ANCESTORS": "*",
	}))
	w := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{"TALKIO_ACCOUNT_TTL is under an hour", "GATEWAY_PUBLIC_URL is not https", "TALKIO_API_URL is not https",
		"TALKIO_APP_URL is not https", "GATEWAY_FRAME_ANCESTORS allows any site"} {
		if !strings.Contains(w, want) {
			t.Errorf("Warnings() lacks %q:\n%s", want, w)
		}
	}
	// Loopback over http is normal in development.
	c = mustLoad(t, with(prodEnv(), map[string]string{"GATEWAY_PUBLIC_URL": "http://localhost:8080", "TALKIO_API_URL": "http://127.0.0.1:9000"}))
	if len(c.Warnings()) != 0 {
		t.Errorf("Warnings() = %q, want none for loopback", c.Warnings())
	}
}
