package config

import (
	"bytes"
	"strings"
	"testing"
)

// TestTable checks the table's own invariants: these are what -h, the README and the loader rely on.
func TestTable(t *testing.T) {
	knownGroups := []string{GroupGateway, GroupOIDC, GroupTalkio, GroupClaims, GroupLifecycle, GroupPrivacy, GroupSCIM, GroupLTI, GroupOperations}
	if got := groups(); strings.Join(got, ",") != strings.Join(knownGroups, ",") {
		t.Errorf("groups() = %q, want %q", got, knownGroups)
	}
	seen := map[string]bool{}
	for _, v := range Vars {
		if seen[v.Name] {
			t.Errorf("%s listed twice", v.Name)
		}
		seen[v.Name] = true
		if v.Name == "" || strings.ToUpper(v.Name) != v.Name || strings.ContainsAny(v.Name, " -") || strings.HasSuffix(v.Name, "_FILE") {
			t.Errorf("bad name %q", v.Name)
		}
		if !contains(knownGroups, v.Group) {
			t.Errorf("%s: unknown group %q", v.Name, v.Group)
		}
		if v.Help == "" || strings.Contains(v.Help, "\n") {
			t.Errorf("%s: help must be one line", v.Name)
		}
		if v.parse == nil || v.show == nil {
			t.Fatalf("%s: no parse or show function", v.Name)
		}
		if v.Required && v.Role != RoleDeployment {
			t.Errorf("%s: required, but demo mode may start with it set", v.Name)
		}
		if v.Secret && v.File {
			t.Errorf("%s: Secret implies File; set only Secret", v.Name)
		}
		if v.Required && v.Default != "" {
			t.Errorf("%s: required with a default", v.Name)
		}
		if v.RequiredUnless != "" && !Known(v.RequiredUnless) {
			t.Errorf("%s: RequiredUnless names unknown %s", v.Name, v.RequiredUnless)
		}
		// Every default and example must be a valid value, and show must render what parse stored.
		for what, s := range map[string]string{"default": v.Default, "example": v.Example} {
			if s == "" || (v.Secret && what == "example") {
				continue
			}
			c := &Config{}
			if err := v.parse(c, s); err != nil {
				t.Errorf("%s: %s %q does not parse: %v", v.Name, what, s, err)
			}
			if v.show(c) == "" {
				t.Errorf("%s: show() empty after parsing %s %q", v.Name, what, s)
			}
		}
	}
	for _, name := range []string{ // the names CONTRACTS.md promises
		"GATEWAY_LISTEN", "GATEWAY_PUBLIC_URL", "GATEWAY_SESSION_SECRET", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET",
		"OIDC_SCOPES", "TALKIO_API_URL", "TALKIO_APP_URL", "TALKIO_PROVIDER", "TALKIO_API_KEY", "TALKIO_ORGANIZATION",
		"CLAIM_USER_ID", "CLAIM_NAME", "CLAIM_EMAIL", "CLAIM_PHONE", "CLAIM_GROUPS", "FACILITATOR_GROUPS", "ALLOWED_GROUPS",
		"TALKIO_ACCOUNT_TTL", "GATEWAY_COOKIE_SAMESITE", "GATEWAY_FRAME_ANCESTORS", "CLAIM_LOCALE", "CLAIM_ACCOUNT_EXPIRES_AT",
		"TALKIO_DEFAULT_SETTINGS", "TALKIO_ORGANIZATION_CLAIM", "TALKIO_ORGANIZATION_MAP", "GATEWAY_SESSION_TTL",
		"GATEWAY_SUPPORT_CONTACT", "GATEWAY_METRICS_LISTEN", "GATEWAY_LOG_LEVEL", "GATEWAY_LOG_FORMAT",
		"GATEWAY_SHUTDOWN_TIMEOUT", "GATEWAY_READY_CHECK_TALKIO", "TALKIO_TIMEOUT",
		// issues 11, 13 and 14
		"TALKIO_USER_ID_MODE", "TALKIO_USER_ID_KEY", "TALKIO_SEND_FIELDS", "SCIM_TOKEN", "SCIM_USER_ID_ATTRIBUTE",
		"SCIM_DEACTIVATE", "SCIM_SIGN_IN_CREATES", "LTI_PLATFORMS", "LTI_TOOL_KEY", "LTI_TEMPLATES",
		"GATEWAY_OPEN_BURST", "GATEWAY_OPEN_PER_SECOND", "GATEWAY_TRUST_PROXY",
	} {
		if !seen[name] {
			t.Errorf("%s missing from Vars", name)
		}
		delete(seen, name)
	}
	for name := range seen {
		t.Errorf("%s is in Vars but not in the contract list; add it there and to CONTRACTS.md", name)
	}
	wantSecret := "GATEWAY_SESSION_SECRET OIDC_CLIENT_SECRET TALKIO_PROVIDER TALKIO_API_KEY TALKIO_USER_ID_KEY SCIM_TOKEN LTI_TOOL_KEY"
	var secrets []string
	for _, v := range Vars {
		if v.Secret {
			secrets = append(secrets, v.Name)
		}
	}
	if got := strings.Join(secrets, " "); got != wantSecret {
		t.Errorf("secrets = %s, want %s", got, wantSecret)
	}
}

func TestUsage(t *testing.T) {
	var b bytes.Buffer
	Usage(&b)
	out := b.String()
	lines := strings.Split(out, "\n")
	for _, v := range Vars {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), v.Name+" ") && strings.Contains(l, v.Help) &&
				(v.Default == "" || strings.Contains(l, "  "+v.Default+"  ")) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line for %s with its default %q and help", v.Name, v.Default)
		}
	}
	for _, want := range []string{"\nGateway\n", "\nOperations\n", "GATEWAY_SESSION_SECRET *!", "TALKIO_ORGANIZATION !",
		"required unless TALKIO_ORGANIZATION_MAP is set", "starts in demo mode", "(or from the file named by TALKIO_API_KEY_FILE)",
		"(or from the file named by GATEWAY_SESSION_SECRET_FILE)", "(or from the file named by LTI_PLATFORMS_FILE)",
		"With no variable set but GATEWAY_LISTEN, TALKIO_TIMEOUT, ", "a prefix GATEWAY_ OIDC_ TALKIO_ CLAIM_ SCIM_ LTI_"} {
		if !strings.Contains(out, want) {
			t.Errorf("Usage lacks %q", want)
		}
	}
}

func TestMarkdownTable(t *testing.T) {
	md := MarkdownTable()
	for _, v := range Vars {
		if !strings.Contains(md, "| `"+v.Name+"` |") {
			t.Errorf("MarkdownTable lacks a row for %s", v.Name)
		}
	}
	for _, want := range []string{
		"**Gateway**\n\n| variable | default | description |\n|---|---|---|\n| `GATEWAY_LISTEN` | `:8080` | address the gateway listens on",
		"| `TALKIO_API_KEY` | — | *required, secret*; ",
		"| `TALKIO_ORGANIZATION` | — | *required unless `TALKIO_ORGANIZATION_MAP` is set*; ",
		"`TALKIO_API_KEY_FILE=/run/secrets/talkio-api-key`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("MarkdownTable lacks %q", want)
		}
	}
	// Each table row has exactly four unescaped pipes.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| `") {
			if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != 4 {
				t.Errorf("row has %d cell separators, want 4: %s", n, line)
			}
		}
	}
	if got := code("a|b"); got != "`a\\|b`" {
		t.Errorf("code(a|b) = %s", got)
	}
}
