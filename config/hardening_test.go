package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const (
	scimToken1 = "scim-token-one-0123456789abcdef-LEAK6"
	scimToken2 = "scim-token-two-0123456789abcdef-LEAK7"
	idKey      = "pseudonym-key-0123456789abcdefghij-LEAK8"
)

var (
	keysOnce           sync.Once
	key2048a, key2048b *rsa.PrivateKey
	key1024            *rsa.PrivateKey
)

func testKeys(t *testing.T) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if key2048a, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if key2048b, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if key1024, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
	})
}

func testKey2048(t *testing.T) *rsa.PrivateKey { testKeys(t); return key2048a }

// pemKey encodes k as PKCS #8 PEM.
func pemKey(t *testing.T, k *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func pemKeyPKCS1(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// loadProblems loads prodEnv with overrides and no unknown-name check, and returns the problems.
func loadProblems(t *testing.T, overrides map[string]string) []string {
	t.Helper()
	_, err := Load(getenv(with(prodEnv(), overrides)), "")
	if err == nil {
		return nil
	}
	return problems(t, err)
}

// wantProblems fails unless the problems are exactly want (each want a prefix of its problem, in order).
func wantProblems(t *testing.T, got []string, want ...string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("got problems\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestPrivacyVariables(t *testing.T) {
	c := mustLoad(t, with(prodEnv(), map[string]string{"TALKIO_USER_ID_MODE": "Pseudonymous", "TALKIO_USER_ID_KEY": idKey, "TALKIO_SEND_FIELDS": " email , name "}))
	if c.IDMode != IDModePseudonymous || string(c.IDKey) != idKey || c.SendFields != (SendFields{Name: true, Email: true}) {
		t.Errorf("got mode %q key %q fields %+v", c.IDMode, c.IDKey, c.SendFields)
	}
	if got := attrMap(c.Redacted()); got["TALKIO_USER_ID_KEY"] != "[redacted]" || got["TALKIO_SEND_FIELDS"] != "name,email" {
		t.Errorf("Redacted() = %v", got)
	}
	c = mustLoad(t, with(prodEnv(), map[string]string{"TALKIO_SEND_FIELDS": "NONE"}))
	if c.SendFields != (SendFields{}) || c.SendFields.String() != "none" {
		t.Errorf("none: got %+v", c.SendFields)
	}

	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"pseudonymous without key", map[string]string{"TALKIO_USER_ID_MODE": "pseudonymous"},
			[]string{"TALKIO_USER_ID_KEY: not set, but TALKIO_USER_ID_MODE is pseudonymous"}},
		{"key without mode", map[string]string{"TALKIO_USER_ID_KEY": idKey},
			[]string{"TALKIO_USER_ID_KEY: set, but TALKIO_USER_ID_MODE is claim"}},
		{"short key", map[string]string{"TALKIO_USER_ID_MODE": "pseudonymous", "TALKIO_USER_ID_KEY": "short-LEAK"},
			[]string{"TALKIO_USER_ID_KEY: must be at least 32 bytes (got 10)"}},
		{"unknown mode", map[string]string{"TALKIO_USER_ID_MODE": "hashed"},
			[]string{`TALKIO_USER_ID_MODE: must be one of claim, pseudonymous (got "hashed")`}},
		{"unknown field", map[string]string{"TALKIO_SEND_FIELDS": "name,address,mail"},
			[]string{`TALKIO_SEND_FIELDS: field "address" is not one of name, email, phone, or none`, `TALKIO_SEND_FIELDS: field "mail" is not`}},
		{"none and name", map[string]string{"TALKIO_SEND_FIELDS": "none,name"}, []string{"TALKIO_SEND_FIELDS: none must stand alone"}},
		{"no field", map[string]string{"TALKIO_SEND_FIELDS": " , "}, []string{"TALKIO_SEND_FIELDS: lists no field"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := loadProblems(t, tc.env)
			wantProblems(t, ps, tc.want...)
			assertNoSecret(t, "problems", strings.Join(ps, "\n"))
		})
	}
}

func TestSCIMVariables(t *testing.T) {
	c := mustLoad(t, prodEnv())
	if c.SCIMEnabled() || c.SCIMSignInCreates || c.SCIMUserIDAttribute != "externalId" || c.SCIMDeactivate != "delete" {
		t.Errorf("defaults: %+v", fieldsOf(*c))
	}
	c = mustLoad(t, with(prodEnv(), map[string]string{"SCIM_TOKEN": scimToken1 + ", " + scimToken2, "SCIM_USER_ID_ATTRIBUTE": "username",
		"SCIM_DEACTIVATE": "Suspend", "SCIM_SIGN_IN_CREATES": "true"}))
	if !c.SCIMEnabled() || !reflect.DeepEqual(c.SCIMTokens, []string{scimToken1, scimToken2}) || c.SCIMUserIDAttribute != "userName" ||
		c.SCIMDeactivate != SCIMDeactivateSuspend || !c.SCIMSignInCreates {
		t.Errorf("got %+v", fieldsOf(*c))
	}
	red := attrMap(c.Redacted())
	if red["SCIM_TOKEN"] != "[redacted, 2 tokens]" {
		t.Errorf("Redacted SCIM_TOKEN = %q", red["SCIM_TOKEN"])
	}
	assertNoSecret(t, "String()", c.String())

	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"short token", map[string]string{"SCIM_TOKEN": "short-LEAK"}, []string{"SCIM_TOKEN: must be at least 32 characters (got 10)"}},
		{"second short", map[string]string{"SCIM_TOKEN": scimToken1 + ",short-LEAK"}, []string{"SCIM_TOKEN: token 2 of 2 must be at least 32 characters"}},
		{"repeat", map[string]string{"SCIM_TOKEN": scimToken1 + "," + scimToken1}, []string{"SCIM_TOKEN: token 2 repeats token 1"}},
		{"non-ascii", map[string]string{"SCIM_TOKEN": strings.Repeat("é", 20) + "LEAK"}, []string{"SCIM_TOKEN: must be printable ASCII without spaces"}},
		{"none", map[string]string{"SCIM_TOKEN": " ,"}, []string{"SCIM_TOKEN: holds no token"}},
		{"attribute", map[string]string{"SCIM_USER_ID_ATTRIBUTE": "id"}, []string{`SCIM_USER_ID_ATTRIBUTE: must be one of externalId, userName (got "id")`}},
		{"deactivate", map[string]string{"SCIM_DEACTIVATE": "disable"}, []string{`SCIM_DEACTIVATE: must be one of delete, suspend`}},
		{"creates", map[string]string{"SCIM_SIGN_IN_CREATES": "sometimes"}, []string{`SCIM_SIGN_IN_CREATES: must be one of true, false`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := loadProblems(t, tc.env)
			wantProblems(t, ps, tc.want...)
			assertNoSecret(t, "problems", strings.Join(ps, "\n"))
		})
	}
}

func TestRateLimitAndProxyVariables(t *testing.T) {
	c := mustLoad(t, with(prodEnv(), map[string]string{"GATEWAY_OPEN_BURST": "25", "GATEWAY_OPEN_PER_SECOND": "0.25", "GATEWAY_TRUST_PROXY": "on"}))
	if c.OpenBurst != 25 || c.OpenPerSecond != 0.25 || !c.TrustProxy {
		t.Errorf("got %+v", fieldsOf(*c))
	}
	for _, tc := range []struct{ env, want string }{
		{"GATEWAY_OPEN_BURST=0", `GATEWAY_OPEN_BURST: must be a whole number from 1 to 10000 (got "0")`},
		{"GATEWAY_OPEN_BURST=2.5", `GATEWAY_OPEN_BURST: must be a whole number`},
		{"GATEWAY_OPEN_PER_SECOND=0", `GATEWAY_OPEN_PER_SECOND: must be a number above 0 and at most 1000`},
		{"GATEWAY_OPEN_PER_SECOND=NaN", `GATEWAY_OPEN_PER_SECOND: must be a number above 0`},
		{"GATEWAY_OPEN_PER_SECOND=-1", `GATEWAY_OPEN_PER_SECOND: must be a number above 0`},
		{"GATEWAY_OPEN_PER_SECOND=Inf", `GATEWAY_OPEN_PER_SECOND: must be a number above 0`},
		{"GATEWAY_TRUST_PROXY=maybe", `GATEWAY_TRUST_PROXY: must be one of true, false`},
	} {
		k, v, _ := strings.Cut(tc.env, "=")
		wantProblems(t, loadProblems(t, map[string]string{k: v}), tc.want)
	}
}

// ltiPlatform is a valid registration as JSON, with overrides (a nil value deletes the key).
func ltiPlatform(overrides map[string]any) map[string]any {
	p := map[string]any{
		"issuer": "https://canvas.instructure.com", "client_id": "10000000000001", "deployment_ids": []string{"1:abc"},
		"auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect", "jwks_url": "https://sso.canvaslms.com/api/lti/security/jwks",
	}
	for k, v := range overrides {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return p
}

func ltiJSON(t *testing.T, ps ...map[string]any) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("[")
	for i, p := range ps {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(mustJSON(t, p))
	}
	return b.String() + "]"
}

func TestLTIVariables(t *testing.T) {
	testKeys(t)
	env := with(prodEnv(), map[string]string{
		"TALKIO_ORGANIZATION": "", "TALKIO_ORGANIZATION_CLAIM": "school", "TALKIO_ORGANIZATION_MAP": "north=school-north,south=school-south",
	})
	env["TALKIO_ORGANIZATION"] = "partner-example-school"
	env["LTI_PLATFORMS"] = ltiJSON(t,
		ltiPlatform(nil),
		ltiPlatform(map[string]any{"issuer": "https://moodle.school.example", "client_id": "abc", "deployment_ids": []string{"1", "2"},
			"auth_login_url": "https://moodle.school.example/mod/lti/auth.php", "jwks_url": "https://moodle.school.example/mod/lti/certs.php",
			"auth_token_url": "https://moodle.school.example/mod/lti/token.php", "organization": "school-north"}),
		ltiPlatform(map[string]any{"issuer": "http://localhost:8081", "auth_login_url": "http://127.0.0.1:8081/auth?x=1", "jwks_url": "http://[::1]:8081/jwks"}),
	)
	env["LTI_TOOL_KEY"] = pemKey(t, key2048a) + "\n" + pemKeyPKCS1(key2048b)
	env["LTI_TEMPLATES"] = "books-literature=Books & Literature, travel = Travel ,x_1=A=B"
	c := mustLoad(t, env)
	if !c.LTIEnabled() || len(c.LTIPlatforms) != 3 {
		t.Fatalf("platforms: %+v", c.LTIPlatforms)
	}
	p0, p1, p2 := c.LTIPlatforms[0], c.LTIPlatforms[1], c.LTIPlatforms[2]
	if p0.Issuer != "https://canvas.instructure.com" || p0.ClientID != "10000000000001" || !reflect.DeepEqual(p0.DeploymentIDs, []string{"1:abc"}) ||
		p0.AuthLoginURL.String() != "https://sso.canvaslms.com/api/lti/authorize_redirect" || p0.JWKSURL.Host != "sso.canvaslms.com" ||
		p0.AuthTokenURL != nil || p0.Organization != "partner-example-school" {
		t.Errorf("platform 0 = %+v", p0)
	}
	if p1.Organization != "school-north" || p1.AuthTokenURL.String() != "https://moodle.school.example/mod/lti/token.php" || len(p1.DeploymentIDs) != 2 {
		t.Errorf("platform 1 = %+v", p1)
	}
	if p2.AuthLoginURL.RawQuery != "x=1" || p2.Issuer != "http://localhost:8081" {
		t.Errorf("platform 2 = %+v", p2)
	}
	if len(c.LTIToolKeys) != 2 || !c.LTIToolKeys[0].Equal(key2048a) || !c.LTIToolKeys[1].Equal(key2048b) {
		t.Errorf("tool keys: %d, first signs? %v", len(c.LTIToolKeys), len(c.LTIToolKeys) > 0 && c.LTIToolKeys[0].Equal(key2048a))
	}
	if want := []LTITemplate{{"books-literature", "Books & Literature"}, {"travel", "Travel"}, {"x_1", "A=B"}}; !reflect.DeepEqual(c.LTITemplates, want) {
		t.Errorf("templates = %+v, want %+v", c.LTITemplates, want)
	}
	red := attrMap(c.Redacted())
	if red["LTI_TOOL_KEY"] != "[redacted, 2 keys]" || !strings.HasPrefix(red["LTI_PLATFORMS"], "https://canvas.instructure.com (10000000000001), ") {
		t.Errorf("Redacted() = %v", red)
	}
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, "PRIVATE KEY") || strings.Contains(s, key2048a.D.String()[:20]) {
		t.Error("the configuration prints the tool key")
	}
}

func TestLTIProblems(t *testing.T) {
	testKeys(t)
	key := pemKey(t, key2048a)
	base := map[string]string{"LTI_TOOL_KEY": key}
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"every field problem named with its index", map[string]string{"LTI_PLATFORMS": ltiJSON(t,
			ltiPlatform(nil),
			ltiPlatform(map[string]any{"client_id": "2", "jwks_url": "http://platform.example/jwks", "auth_login_url": "https://u:p@platform.example/auth",
				"auth_token_url": "/token", "organization": "a/b", "deployment_ids": []string{}, "issuer": "canvas", "extra": 1, "Issuer": "x"}),
			ltiPlatform(map[string]any{"client_id": "3", "issuer": nil, "deployment_ids": []any{"1", "1", ""}, "jwks_url": 5}),
		)}, []string{
			`LTI_PLATFORMS[1]: unknown key "Issuer"; the keys are issuer, client_id, deployment_ids, auth_login_url, jwks_url, auth_token_url, organization`,
			`LTI_PLATFORMS[1]: unknown key "extra"`,
			`LTI_PLATFORMS[1].issuer: must be an absolute https URL (got "canvas")`,
			`LTI_PLATFORMS[1].deployment_ids: is empty; list at least one deployment id`,
			`LTI_PLATFORMS[1].auth_login_url: must not contain user:password@`,
			`LTI_PLATFORMS[1].jwks_url: must be https (http only for localhost) (got "http://platform.example/jwks")`,
			`LTI_PLATFORMS[1].auth_token_url: must be an absolute https URL (got "/token")`,
			`LTI_PLATFORMS[1].organization: must be an organization slug`,
			`LTI_PLATFORMS[2].issuer: not set`,
			`LTI_PLATFORMS[2].deployment_ids[1]: repeats "1"`,
			`LTI_PLATFORMS[2].deployment_ids[2]: is empty`,
			`LTI_PLATFORMS[2].jwks_url: must be a string`,
		}},
		{"duplicate issuer and client", map[string]string{"LTI_PLATFORMS": ltiJSON(t, ltiPlatform(nil), ltiPlatform(map[string]any{"deployment_ids": []string{"2"}}))},
			[]string{"LTI_PLATFORMS[1]: repeats the issuer and client_id of [0]"}},
		{"missing keys", map[string]string{"LTI_PLATFORMS": `[{}]`}, []string{
			"LTI_PLATFORMS[0].issuer: not set", "LTI_PLATFORMS[0].client_id: not set", "LTI_PLATFORMS[0].deployment_ids: not set",
			"LTI_PLATFORMS[0].auth_login_url: not set", "LTI_PLATFORMS[0].jwks_url: not set"}},
		{"not an object", map[string]string{"LTI_PLATFORMS": `[1, null]`}, []string{"LTI_PLATFORMS[0]: must be a JSON object", "LTI_PLATFORMS[1]: must be a JSON object"}},
		{"object not array", map[string]string{"LTI_PLATFORMS": `{"issuer":"x"}`}, []string{"LTI_PLATFORMS: must be a JSON array of registrations, like [{"}},
		{"truncated", map[string]string{"LTI_PLATFORMS": `[{"issuer":`}, []string{"LTI_PLATFORMS: must be a JSON array of registrations, like [{\"issuer\":\"https://canvas.instructure.com\",\"client_id\":\"10000000000001\",\"deployment_ids\":[\"1:abc\"],\"auth_login_url\":\"https://sso.canvaslms.com/api/lti/authorize_redirect\",\"jwks_url\":\"https://sso.canvaslms.com/api/lti/security/jwks\"}] (the JSON ends too early)"}},
		{"empty array", map[string]string{"LTI_PLATFORMS": `[]`}, []string{"LTI_PLATFORMS: lists no registration"}},
		{"two documents", map[string]string{"LTI_PLATFORMS": ltiJSON(t, ltiPlatform(nil)) + "[]"}, []string{"LTI_PLATFORMS: holds more than one JSON value"}},
		{"organization not served", map[string]string{"LTI_PLATFORMS": ltiJSON(t, ltiPlatform(map[string]any{"organization": "elsewhere"}))},
			[]string{`LTI_PLATFORMS[0].organization: "elsewhere" is not an organization the gateway serves; name one of partner-example-school`}},
		{"no key", map[string]string{"LTI_PLATFORMS": ltiJSON(t, ltiPlatform(nil)), "LTI_TOOL_KEY": ""},
			[]string{"LTI_TOOL_KEY: not set, but LTI_PLATFORMS is"}},
		{"small key", map[string]string{"LTI_PLATFORMS": ltiJSON(t, ltiPlatform(nil)), "LTI_TOOL_KEY": pemKey(t, key1024)},
			[]string{"LTI_TOOL_KEY: PEM block 1: an RSA key of 1024 bits; at least 2048 are needed"}},
		{"repeated key", map[string]string{"LTI_PLATFORMS": ltiJSON(t, ltiPlatform(nil)), "LTI_TOOL_KEY": key + pemKeyPKCS1(key2048a)},
			[]string{"LTI_TOOL_KEY: PEM block 2 repeats key 1"}},
		{"not pem", map[string]string{"LTI_PLATFORMS": ltiJSON(t, ltiPlatform(nil)), "LTI_TOOL_KEY": "LEAK-not-a-key"},
			[]string{"LTI_TOOL_KEY: holds text that is not a PEM block", "LTI_TOOL_KEY: holds no PEM block"}},
		{"public key", map[string]string{"LTI_PLATFORMS": ltiJSON(t, ltiPlatform(nil)), "LTI_TOOL_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("LEAK")}))},
			[]string{`LTI_TOOL_KEY: PEM block 1: is a "PUBLIC KEY", not a private key`}},
		{"broken key", map[string]string{"LTI_PLATFORMS": ltiJSON(t, ltiPlatform(nil)), "LTI_TOOL_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("LEAK")}))},
			[]string{"LTI_TOOL_KEY: PEM block 1: is not a valid private key"}},
		{"encrypted key", map[string]string{"LTI_PLATFORMS": ltiJSON(t, ltiPlatform(nil)), "LTI_TOOL_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte("LEAK")}))},
			[]string{"LTI_TOOL_KEY: PEM block 1: is encrypted"}},
		{"templates", map[string]string{"LTI_TEMPLATES": "Travel=Travel,a=,=b,ok=OK,ok=Again,c=" + "x\x01"}, []string{
			`LTI_TEMPLATES: template "Travel": a template name has only lower-case letters, digits, - and _ (at most 100)`,
			`LTI_TEMPLATES: pair "a=" must be slug=Title`, `LTI_TEMPLATES: pair "=b" must be slug=Title`,
			`LTI_TEMPLATES: template "ok" is listed twice`, `LTI_TEMPLATES: title of "c" must be one line of text`}},
		{"templates empty", map[string]string{"LTI_TEMPLATES": ","}, []string{"LTI_TEMPLATES: lists no template"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := with(base, tc.env)
			if tc.env["LTI_TOOL_KEY"] == "" && tc.env["LTI_PLATFORMS"] == "" {
				delete(env, "LTI_TOOL_KEY")
			}
			ps := loadProblems(t, env)
			wantProblems(t, ps, tc.want...)
			assertNoSecret(t, "problems", strings.Join(ps, "\n"))
			if strings.Contains(strings.Join(ps, "\n"), "MII") { // the start of every DER key in base64

				t.Error("a problem shows the key")
			}
		})
	}

	// From a file, and the organization default missing with an organization map.
	env := with(prodEnv(), map[string]string{"TALKIO_ORGANIZATION": "", "TALKIO_ORGANIZATION_CLAIM": "school", "TALKIO_ORGANIZATION_MAP": "n=school-n",
		"LTI_PLATFORMS_FILE": "/etc/lti.json", "LTI_TOOL_KEY_FILE": "/run/secrets/lti"})
	_, err := Loader{Getenv: getenv(env), Environ: []string{}, ReadFile: files(map[string]string{
		"/etc/lti.json":    ltiJSON(t, ltiPlatform(map[string]any{"jwks_url": "ftp://x"}), ltiPlatform(map[string]any{"client_id": "2", "organization": "school-n"})) + "\n",
		"/run/secrets/lti": key,
	})}.Load()
	wantProblems(t, problems(t, err),
		`LTI_PLATFORMS[0].jwks_url (from LTI_PLATFORMS_FILE): must be an absolute https URL (got "ftp://x")`,
		"LTI_PLATFORMS[0].organization: not set, and TALKIO_ORGANIZATION (its default) is not set either")
}

func TestLTIWarnings(t *testing.T) {
	testKeys(t)
	c := mustLoad(t, with(prodEnv(), map[string]string{"LTI_TOOL_KEY": pemKey(t, key2048a), "LTI_TEMPLATES": "travel=Travel",
		"TALKIO_USER_ID_MODE": "pseudonymous", "TALKIO_USER_ID_KEY": idKey}))
	w := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{"LTI_TOOL_KEY is set but LTI_PLATFORMS is not", "LTI_TEMPLATES is set but LTI_PLATFORMS is not",
		"TALKIO_USER_ID_MODE is pseudonymous but TALKIO_SEND_FIELDS sends name,email,phone"} {
		if !strings.Contains(w, want) {
			t.Errorf("Warnings() lacks %q:\n%s", want, w)
		}
	}
}

// Issue 11 A8: a misspelled variable stops the start (and demo mode), naming the nearest known one.
func TestUnknownVariablesStopTheStart(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"near miss without prefix", []string{"ALLOWED_GROUP=teachers"}, []string{"ALLOWED_GROUP: not a variable of the gateway; did you mean ALLOWED_GROUPS?"}},
		{"near miss facilitator", []string{"FACILITATOR_GROUP=staff", "FACILITATORS_GROUPS=x"},
			[]string{"FACILITATORS_GROUPS: not a variable of the gateway; did you mean FACILITATOR_GROUPS?", "FACILITATOR_GROUP: not a variable of the gateway; did you mean FACILITATOR_GROUPS?"}},
		{"prefix far from anything", []string{"OIDC_ISSUER_URL=https://login.example"}, []string{"OIDC_ISSUER_URL: not a variable of the gateway; did you mean OIDC_ISSUER?"}},
		{"transposition", []string{"GATEWAY_LSITEN=:80"}, []string{"GATEWAY_LSITEN: not a variable of the gateway; did you mean GATEWAY_LISTEN?"}},
		{"misspelled prefix", []string{"TALKO_API_KEY=x"}, []string{"TALKO_API_KEY: not a variable of the gateway; did you mean TALKIO_API_KEY?"}},
		{"lower case", []string{"allowed_groups=x"}, []string{"allowed_groups: not a variable of the gateway; did you mean ALLOWED_GROUPS?"}},
		{"file twin of an unknown", []string{"SCIM_TOKENS_FILE=/x"}, []string{"SCIM_TOKENS_FILE: not a variable of the gateway; did you mean SCIM_TOKEN_FILE?"}},
		{"empty value counts", []string{"CLAIM_USERID="}, []string{"CLAIM_USERID: not a variable of the gateway; did you mean CLAIM_USER_ID?"}},
		{"control character", []string{"LTI_\x1b[2J=x"}, []string{`"LTI_\x1b[2J": not a variable of the gateway`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, env := range []map[string]string{{}, prodEnv()} { // demo mode and a real deployment alike
				_, err := Loader{Getenv: getenv(env), Environ: tc.environ}.Load()
				if err == nil {
					t.Fatalf("Load succeeded with %q, want it refused", tc.environ)
				}
				ps := problems(t, err)
				wantProblems(t, ps, tc.want...)
			}
			// The admin CLI checks the same way.
			_, err := Loader{Getenv: getenv(prodEnv()), Environ: tc.environ}.LoadTalkio()
			if err == nil {
				t.Fatalf("LoadTalkio succeeded with %q, want it refused", tc.environ)
			}
		})
	}

	// Known names, file twins, the process's ordinary variables and Kubernetes service links pass.
	environ := []string{"PATH=/usr/bin", "HOME=/home/x", "HOSTNAME=talkio-gateway-7d9", "KUBERNETES_SERVICE_HOST=10.0.0.1",
		"TALKIO_GATEWAY_SERVICE_HOST=10.0.0.11", "TALKIO_GATEWAY_SERVICE_PORT=80", "TALKIO_GATEWAY_SERVICE_PORT_HTTP=80",
		"TALKIO_GATEWAY_PORT=tcp://10.0.0.11:80", "TALKIO_GATEWAY_PORT_80_TCP=tcp://10.0.0.11:80", "TALKIO_GATEWAY_PORT_80_TCP_PROTO=tcp",
		"TALKIO_GATEWAY_PORT_80_TCP_PORT=80", "TALKIO_GATEWAY_PORT_80_TCP_ADDR=10.0.0.11", "GATEWAY_LISTEN=:8080", "TALKIO_API_KEY_FILE=",
		"LTI_PLATFORMS_FILE=", "LANG=C.UTF-8", "=weird", "NOEQUALS"}
	if _, err := (Loader{Getenv: getenv(prodEnv()), Environ: environ}).Load(); err != nil {
		t.Errorf("Load refused an ordinary environment: %v", err)
	}
	// A prefixed name shaped like a service link but with another value is still a typo.
	_, err := Loader{Getenv: getenv(prodEnv()), Environ: []string{"GATEWAY_PORT=8080"}}.Load()
	wantProblems(t, problems(t, err), "GATEWAY_PORT: not a variable of the gateway; did you mean")
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"ALLOWED_GROUP", "ALLOWED_GROUPS", 1}, {"ab", "ba", 1},
		{"GATEWAY_LSITEN", "GATEWAY_LISTEN", 1}, {"kitten", "sitting", 3}, {"PATH", "ALLOWED_GROUPS", 14},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The admin CLI reads the id mode, its key and the issuer, so that it can find people by provider id.
func TestLoadTalkioPseudonymous(t *testing.T) {
	cliEnv := map[string]string{
		"TALKIO_API_URL": "https://api.talkio.example", "TALKIO_PROVIDER": providerSecret, "TALKIO_API_KEY": apiKeySecret,
		"TALKIO_ORGANIZATION": "partner-example-school", "TALKIO_USER_ID_MODE": "pseudonymous",
	}
	_, err := Loader{Getenv: getenv(cliEnv), Environ: []string{}}.LoadTalkio()
	wantProblems(t, problems(t, err),
		"TALKIO_USER_ID_KEY: not set, but TALKIO_USER_ID_MODE is pseudonymous",
		"OIDC_ISSUER: not set, but TALKIO_USER_ID_MODE is pseudonymous; the admin commands need the gateway's issuer")
	cliEnv["TALKIO_USER_ID_KEY"] = idKey
	cliEnv["OIDC_ISSUER"] = "https://login.school.example/realms/school"
	c, err := Loader{Getenv: getenv(cliEnv), Environ: []string{}}.LoadTalkio()
	if err != nil {
		t.Fatal(err)
	}
	if c.IDMode != IDModePseudonymous || string(c.IDKey) != idKey || c.OIDCIssuer.String() != cliEnv["OIDC_ISSUER"] || c.SendFields.String() != "name,email,phone" {
		t.Errorf("LoadTalkio = %+v", fieldsOf(*c))
	}
}

// Without an explicit environ, Load checks the process's own environment, so main needs no change to
// get the check.
func TestLoadChecksProcessEnvironmentNames(t *testing.T) {
	t.Setenv("ALLOWED_GROUP", "teachers")
	_, err := Load(nil)
	if err == nil || !strings.Contains(err.Error(), "ALLOWED_GROUP: not a variable of the gateway; did you mean ALLOWED_GROUPS?") {
		t.Errorf("Load(nil) = %v, want ALLOWED_GROUP refused", err)
	}
	_, err = LoadTalkio(getenv(nil))
	if err == nil || !strings.Contains(err.Error(), "ALLOWED_GROUP: not a variable") {
		t.Errorf("LoadTalkio = %v, want ALLOWED_GROUP refused", err)
	}
}
