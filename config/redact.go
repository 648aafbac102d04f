package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// redactedValue is what a secret variable shows: "(not set)", "[redacted]", "[redacted, from file]",
// or with a key count for the session keys, "[redacted, 2 keys]". Never the value itself.
func (c *Config) redactedValue(v Var) string {
	summary := v.show(c) // for secrets, a non-secret summary
	if summary == "" {
		return "(not set)"
	}
	parts := []string{"redacted"}
	if strings.HasSuffix(summary, " keys") || strings.HasSuffix(summary, " tokens") {
		parts = append(parts, summary)
	}
	if c.fromFile[v.Name] {
		parts = append(parts, "from file")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Redacted returns the effective configuration, one attribute per variable named as in the environment,
// for the start-up log line. Secrets are shown as "[redacted]" (or "[redacted, from file]").
func (c *Config) Redacted() []slog.Attr {
	attrs := []slog.Attr{slog.Bool("demo", c.Demo)}
	for _, v := range Vars {
		if c.cliOnly && v.cli == cliIgnored {
			continue
		}
		val := v.show(c)
		if v.Secret {
			val = c.redactedValue(v)
		}
		attrs = append(attrs, slog.String(v.Name, val))
	}
	return attrs
}

// LogValue makes slog log the redacted configuration.
func (c Config) LogValue() slog.Value { return slog.GroupValue(c.Redacted()...) }

// String renders the redacted configuration, so that %v never shows a secret.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("config.Config{")
	for i, a := range c.Redacted() {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(a.Key + "=" + strconv.Quote(a.Value.String()))
	}
	b.WriteString("}")
	return b.String()
}

// GoString makes %#v print the redacted form too.
func (c Config) GoString() string { return c.String() }

// Format routes every verb (%v, %+v, %#v, %s, %d, …) to the redacted form; without it, verbs that
// fmt does not send to String would print the fields.
func (c Config) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// MarshalJSON encodes the redacted configuration as an object of variable names to values.
func (c Config) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	for _, a := range c.Redacted() {
		m[a.Key] = a.Value.Any()
	}
	return json.Marshal(m)
}

// Warnings lists valid but doubtful settings, for main to log at start.
func (c *Config) Warnings() []string {
	var w []string
	if c.AccountTTL > 0 && c.AccountTTL < time.Hour {
		w = append(w, "TALKIO_ACCOUNT_TTL is under an hour: users who pause that long are suspended in Talkio; days (like 720h) are usual")
	}
	if c.PublicURL != nil && c.PublicURL.Scheme != "https" && !isLoopbackHost(c.PublicURL.Hostname()) {
		w = append(w, "GATEWAY_PUBLIC_URL is not https: cookies are sent without Secure; terminate TLS at a proxy and use its https URL")
	}
	for _, u := range []struct {
		name string
		set  bool
		http bool
		host string
	}{
		{"TALKIO_API_URL", c.TalkioAPIURL != nil, c.TalkioAPIURL != nil && c.TalkioAPIURL.Scheme == "http", hostname(c.TalkioAPIURL)},
		{"TALKIO_APP_URL", c.TalkioAppURL != nil, c.TalkioAppURL != nil && c.TalkioAppURL.Scheme == "http", hostname(c.TalkioAppURL)},
	} {
		if u.set && u.http && !isLoopbackHost(u.host) {
			w = append(w, u.name+" is not https: the API key and login tokens would cross the network in clear text")
		}
	}
	if len(c.LTIToolKeys) > 0 && len(c.LTIPlatforms) == 0 {
		w = append(w, "LTI_TOOL_KEY is set but LTI_PLATFORMS is not: LTI stays off")
	}
	if len(c.LTITemplates) > 0 && len(c.LTIPlatforms) == 0 {
		w = append(w, "LTI_TEMPLATES is set but LTI_PLATFORMS is not: LTI stays off")
	}
	if c.IDMode == IDModePseudonymous && c.SendFields != (SendFields{}) {
		w = append(w, "TALKIO_USER_ID_MODE is pseudonymous but TALKIO_SEND_FIELDS sends "+c.SendFields.String()+
			": Talkio can still tell who a person is; send none (or only what the school has agreed to)")
	}
	if contains(c.FrameAncestors, "*") {
		w = append(w, "GATEWAY_FRAME_ANCESTORS allows any site to frame /embed (*); list the portal's origin instead")
	}
	return w
}
