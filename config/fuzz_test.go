package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// fuzzedVars are the free-form variables FuzzLoad sets, in the order of its arguments.
var fuzzedVars = []string{
	"TALKIO_ORGANIZATION_MAP", "TALKIO_DEFAULT_SETTINGS", "GATEWAY_FRAME_ANCESTORS", "OIDC_SCOPES",
	"GATEWAY_SESSION_SECRET", "TALKIO_ACCOUNT_TTL",
}

// FuzzLoad sets the free-form variables on top of a valid production environment. Load must either
// return an *Error whose every problem names a fuzzed variable — exactly those whose own parser refuses
// their value — or a Config whose parsed values keep their invariants and re-parse to themselves. The
// session secret never shows: not in the error, not in Redacted or any fmt verb (checked by loading a
// second time with the secret's letters and digits rotated: nothing but the secret may change).
func FuzzLoad(f *testing.F) {
	type seed struct{ orgMap, settings, frame, scopes, secret, ttl string }
	for _, s := range []seed{
		{"", "", "", "", key1 + "," + key2, ""},
		{"north=school-north,south=school-south", `{"uiLanguage":"en-US","practiceLanguage":"en-GB","showLiveFeedback":true}`,
			"'self' https://portal.example.org", "openid profile email groups", key1, "720h"},
		{"a=b=c, x = y ,", `{"readAloudSpeed":1.5,"defaultTutor":"Emma","hideIntroFlow":false}`, "*.example.org:* https:", "openid,openid", key1, "0"},
		{"north", `{"uiLanguage":"en_US"}`, "'none' 'self'", "profile", "short-LEAK-secret", "30s"},
		{"=x,y=", `{"uilanguage":"en"}`, "https://x.example;script-src", `openid "quoted"`, key1 + "," + key1, "-1h"},
		{"n=../x", `{"readAloudSpeed":null}`, "javascript:", "openid\u00e9", "\n" + key2 + "\r\n", "1e9h"},
		{"a=b,a=c", `{"showLiveFeedback":true,"showLiveFeedback":false}`, "'unsafe-inline'", "openid\tprofile", " , ", "9999999999h"},
		{"k=" + strings.Repeat("s", 201), `[1]`, "http://[::1]:8080", "openid\x00", "LEAK" + strings.Repeat("x", 40) + ",LEAK", "1m"},
		{"é=ü", `{"readAloudSpeed":1e400}`, "*", "\u2028openid", strings.Repeat("é", 16), "59s"},
	} {
		f.Add(s.orgMap, s.settings, s.frame, s.scopes, s.secret, s.ttl)
	}
	f.Fuzz(func(t *testing.T, orgMap, settings, frame, scopes, secret, ttl string) {
		env := fuzzEnv(orgMap, settings, frame, scopes, secret, ttl)
		c, err := Load(getenv(env))

		// The secret may shape the result (key count, "too short", "repeats key 2") but never show:
		// rotating its letters and digits keeps lengths, separators and repeats, so every other byte of
		// the output must stay the same.
		rotEnv := fuzzEnv(orgMap, settings, frame, scopes, rot(secret), ttl)
		rc, rerr := Load(getenv(rotEnv))
		if (err == nil) != (rerr == nil) {
			t.Fatalf("the secret's letters decide validity: %v / %v", err, rerr)
		}
		if err != nil {
			if got, want := err.Error(), rerr.Error(); got != want {
				t.Fatalf("the error shows the session secret:\n%s\nwith the secret rotated:\n%s", got, want)
			}
			checkLoadError(t, env, err)
			return
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if got, want := fmt.Sprintf(verb, c), fmt.Sprintf(verb, rc); got != want {
				t.Fatalf("%s shows the session secret:\n%s\nwith the secret rotated:\n%s", verb, got, want)
			}
		}
		for _, a := range c.Redacted() {
			if a.Key == "GATEWAY_SESSION_SECRET" && !strings.HasPrefix(a.Value.String(), "[redacted") {
				t.Fatalf("Redacted shows GATEWAY_SESSION_SECRET as %q", a.Value.String())
			}
		}
		checkLoaded(t, c, orgMap)
	})
}

func fuzzEnv(orgMap, settings, frame, scopes, secret, ttl string) map[string]string {
	env := prodEnv()
	for i, v := range []string{orgMap, settings, frame, scopes, secret, ttl} {
		env[fuzzedVars[i]] = v // "" counts as unset, as in the real environment
	}
	if strings.TrimSpace(orgMap) != "" {
		// The map needs its claim; without it the cross-check names TALKIO_ORGANIZATION_CLAIM.
		env["TALKIO_ORGANIZATION_CLAIM"] = "school"
	}
	return env
}

// rot maps ASCII letters and digits to other letters and digits, one to one, and keeps every other byte:
// lengths, spaces, commas, UTF-8 and repeats are unchanged.
func rot(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = 'a' + (c-'a'+13)%26
		case c >= 'A' && c <= 'Z':
			b[i] = 'A' + (c-'A'+13)%26
		case c >= '0' && c <= '9':
			b[i] = '0' + (c-'0'+5)%10
		}
	}
	return string(b)
}

// checkLoadError: the error is an *Error, and its problems name exactly the fuzzed variables whose own
// parser refuses their value (the rest of the environment is valid).
func checkLoadError(t *testing.T, env map[string]string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) == 0 {
		t.Fatalf("got %v (%T), want an *Error with problems", err, err)
	}
	named := map[string]bool{}
	for _, p := range e.Problems {
		name, _, ok := strings.Cut(p, ": ")
		if !ok || !slices.Contains(fuzzedVars, name) {
			t.Fatalf("problem %q names none of the fuzzed variables", p)
		}
		named[name] = true
	}
	for _, name := range fuzzedVars {
		if bad := refuses(name, env[name]); bad != named[name] {
			t.Fatalf("%s=%q: its parser refuses it: %v; named in the error: %v\n%v", name, env[name], bad, named[name], err)
		}
	}
}

// refuses reports whether the variable's value alone is a problem, the way Load reads it.
func refuses(name, val string) bool {
	v := Vars[slices.IndexFunc(Vars, func(v Var) bool { return v.Name == name })]
	if v.Secret {
		val = strings.TrimRight(val, "\r\n")
	} else {
		val = strings.TrimSpace(val)
	}
	if val == "" {
		if v.Required {
			return true
		}
		if val = v.Default; val == "" {
			return false
		}
	}
	return v.parse(&Config{}, val) != nil
}

// checkLoaded checks the fuzzed values of a valid Config: each keeps its invariants, and its rendering
// (what Redacted shows) parses back to the same value.
func checkLoaded(t *testing.T, c *Config, orgMap string) {
	t.Helper()
	if strings.TrimSpace(orgMap) == "" {
		if c.OrganizationMap != nil {
			t.Fatalf("no TALKIO_ORGANIZATION_MAP, but a map: %v", c.OrganizationMap)
		}
	} else {
		if len(c.OrganizationMap) == 0 {
			t.Fatalf("TALKIO_ORGANIZATION_MAP=%q accepted as an empty map", orgMap)
		}
		for k, v := range c.OrganizationMap {
			if k == "" || k != strings.TrimSpace(k) || strings.Contains(k, ",") {
				t.Fatalf("TALKIO_ORGANIZATION_MAP=%q: claim value %q", orgMap, k)
			}
			if _, err := parseSlug(v); err != nil || v == "" {
				t.Fatalf("TALKIO_ORGANIZATION_MAP=%q: %q maps to slug %q (%v)", orgMap, k, v, err)
			}
		}
		m, err := parseOrganizationMap(mapString(c.OrganizationMap))
		if err != nil || !reflect.DeepEqual(m, c.OrganizationMap) {
			t.Fatalf("TALKIO_ORGANIZATION_MAP=%q: %v re-parses to %v (%v)", orgMap, c.OrganizationMap, m, err)
		}
	}

	if !slices.Contains(c.OIDCScopes, "openid") {
		t.Fatalf("scopes %q lack openid", c.OIDCScopes)
	}
	for i, s := range c.OIDCScopes {
		if s == "" || slices.Contains(c.OIDCScopes[:i], s) || strings.IndexFunc(s, func(r rune) bool { return r > 0x7e || !isScopeChar(byte(r)) }) >= 0 {
			t.Fatalf("scopes %q: bad or repeated scope %q", c.OIDCScopes, s)
		}
	}
	if s, err := parseScopes(strings.Join(c.OIDCScopes, " ")); err != nil || !slices.Equal(s, c.OIDCScopes) {
		t.Fatalf("scopes %q re-parse to %q (%v)", c.OIDCScopes, s, err)
	}

	if len(c.FrameAncestors) == 0 || (slices.Contains(c.FrameAncestors, "'none'") && len(c.FrameAncestors) > 1) {
		t.Fatalf("frame ancestors %q", c.FrameAncestors)
	}
	for _, src := range c.FrameAncestors {
		if src == "" || strings.ContainsAny(src, ";, \t\r\n\"") {
			t.Fatalf("frame ancestors %q: source %q would break the CSP header", c.FrameAncestors, src)
		}
	}
	if fa, err := parseFrameAncestors(strings.Join(c.FrameAncestors, " ")); err != nil || !slices.Equal(fa, c.FrameAncestors) {
		t.Fatalf("frame ancestors %q re-parse to %q (%v)", c.FrameAncestors, fa, err)
	}

	if len(c.SessionKeys) == 0 {
		t.Fatal("no session key")
	}
	for i, k := range c.SessionKeys {
		if len(k) < minKeyLen {
			t.Fatalf("session key %d is %d bytes", i+1, len(k))
		}
		for _, prev := range c.SessionKeys[:i] {
			if string(prev) == string(k) {
				t.Fatalf("session key %d repeats an earlier one", i+1)
			}
		}
	}

	if d := c.AccountTTL; d < 0 || (d > 0 && d < time.Minute) {
		t.Fatalf("account TTL %v", d)
	}
	if c.AccountTTL > 0 {
		if d, err := parseAccountTTL(durationString(c.AccountTTL)); err != nil || d != c.AccountTTL {
			t.Fatalf("account TTL %v shown as %q re-parses to %v (%v)", c.AccountTTL, durationString(c.AccountTTL), d, err)
		}
	}

	if s := c.DefaultSettings; s != nil {
		if s.ReadAloudSpeed != nil && !(*s.ReadAloudSpeed > 0) {
			t.Fatalf("settings %s: readAloudSpeed %v", s, *s.ReadAloudSpeed)
		}
		back, err := parseSettings(s.String())
		if err != nil || !reflect.DeepEqual(back, s) {
			t.Fatalf("settings %s re-parse to %s (%v)", s, back, err)
		}
	}
}
