// Package config loads, defaults and validates the gateway's configuration from the environment.
//
// Every variable is described once, in [Vars]; [Load] reads them all and reports every problem in one
// [Error], never only the first. Secrets are never printed: [Config.Redacted], String, GoString,
// LogValue and MarshalJSON all show them as "[redacted]". An empty variable counts as unset.
//
// The package knows nothing of HTTP beyond the http.SameSite type of one field.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Log formats accepted by GATEWAY_LOG_FORMAT.
const (
	LogFormatAuto = "auto" // text on a terminal, JSON otherwise
	LogFormatJSON = "json"
	LogFormatText = "text"
)

// maxSecretFile bounds what a NAME_FILE may hold, so a mistyped path (say, a log file) fails clearly.
const maxSecretFile = 64 << 10

// Config is the validated, typed configuration. Durations, URLs and lists are parsed; defaults applied.
type Config struct {
	// Demo is true when none of the DemoSupplied variables was set. Main fills in the demo's URLs and keys;
	// those fields are left zero by Load.
	Demo bool

	Listen      string
	PublicURL   *url.URL // origin only: no path, query or fragment
	SessionKeys [][]byte // each ≥ 32 bytes, distinct; the first signs, all verify
	SessionTTL  time.Duration

	OIDCIssuer       *url.URL // exactly as given (it must equal the ID tokens' iss)
	OIDCClientID     string
	OIDCClientSecret string
	OIDCScopes       []string // includes "openid"; duplicates dropped

	TalkioAPIURL       *url.URL // origin, maybe with a proxy path; no trailing slash; no /api/partner/v3
	TalkioAppURL       *url.URL // origin, maybe with a path; no trailing slash
	TalkioProvider     string
	TalkioAPIKey       string
	TalkioOrganization string
	TalkioTimeout      time.Duration

	Claims            Claims
	FacilitatorGroups []string
	AllowedGroups     []string

	AccountTTL        time.Duration     // 0: no sliding expiry
	DefaultSettings   *Settings         // nil: none
	OrganizationClaim string            // same as Claims.Organization
	OrganizationMap   map[string]string // claim value → organization slug; nil unless set

	CookieSameSite http.SameSite // Lax, Strict or None
	FrameAncestors []string      // CSP frame-ancestors sources
	SupportContact string

	MetricsListen    string // "" = on Listen
	LogLevel         slog.Level
	LogFormat        string // LogFormatAuto, LogFormatJSON or LogFormatText
	ShutdownTimeout  time.Duration
	ReadyCheckTalkio bool

	cliOnly  bool            // loaded by LoadTalkio: only the admin CLI's variables were read
	fromFile map[string]bool // secret variables read from NAME_FILE
}

// Claims names the ID token (or userinfo) claims the gateway maps; "" means unused.
type Claims struct {
	UserID, Name, Email, Phone, Groups, Locale, AccountExpiresAt, Organization string
}

// RedirectURL is the OAuth 2.0 redirect URI to register at the provider.
func (c *Config) RedirectURL() string {
	if c.PublicURL == nil {
		return ""
	}
	return c.PublicURL.String() + "/auth/callback"
}

// Error lists every configuration problem, one per line, each naming its variable.
type Error struct {
	Problems []string
	Note     string // context after the list, e.g. why demo mode did not start
}

func (e *Error) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("configuration: 1 problem:")
	} else {
		fmt.Fprintf(&b, "configuration: %d problems:", len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	if e.Note != "" {
		b.WriteString("\n")
		b.WriteString(e.Note)
	}
	return b.String()
}

// Load reads the gateway's configuration through getenv (os.Getenv when nil); NAME_FILE twins are read
// with os.ReadFile. See [Loader] to inject the file reader.
func Load(getenv func(string) string) (*Config, error) {
	return Loader{Getenv: getenv}.Load()
}

// LoadTalkio reads only what the admin CLI needs to call the Partner API; see [Loader.LoadTalkio].
func LoadTalkio(getenv func(string) string) (*Config, error) {
	return Loader{Getenv: getenv}.LoadTalkio()
}

// Loader reads configuration through injectable functions, so tests need neither environment nor files.
type Loader struct {
	Getenv   func(string) string          // nil: os.Getenv
	ReadFile func(string) ([]byte, error) // nil: os.ReadFile
}

// Load reads, defaults and validates every variable. With none of the DemoSupplied variables set it
// returns a demo configuration (Demo true, those fields zero) after validating the others. Otherwise every
// Required variable must be set. The error, an *Error, lists every problem.
func (l Loader) Load() (*Config, error) { return l.load(false) }

// LoadTalkio reads TALKIO_API_URL, TALKIO_PROVIDER, TALKIO_API_KEY, TALKIO_ORGANIZATION (or the
// organization map), TALKIO_TIMEOUT, the other TALKIO_ variables when set, and the log settings; OIDC and
// gateway variables are ignored. There is no demo mode.
func (l Loader) LoadTalkio() (*Config, error) { return l.load(true) }

func (l Loader) load(cliOnly bool) (*Config, error) {
	getenv, readFile := l.Getenv, l.ReadFile
	if getenv == nil {
		getenv = os.Getenv
	}
	if readFile == nil {
		readFile = os.ReadFile
	}
	c := &Config{cliOnly: cliOnly, fromFile: map[string]bool{}}
	var problems []string

	// Read raw values first: demo detection and RequiredUnless need to know what is set.
	raw := map[string]string{}
	failed := map[string]bool{} // a _FILE problem was reported; "not set" would be noise
	for _, v := range Vars {
		if cliOnly && v.cli == cliIgnored {
			continue
		}
		val, fromFile, problem := lookup(v, getenv, readFile)
		if problem != "" {
			problems = append(problems, problem)
			failed[v.Name] = true
			continue
		}
		raw[v.Name] = val
		c.fromFile[v.Name] = fromFile
	}

	var setDemo []string
	for _, v := range Vars {
		if !v.DemoSupplied || (cliOnly && v.cli == cliIgnored) {
			continue
		}
		if raw[v.Name] != "" || failed[v.Name] {
			setDemo = append(setDemo, v.Name)
		}
	}
	c.Demo = !cliOnly && len(setDemo) == 0

	missingDemo := false
	for _, v := range Vars {
		if (cliOnly && v.cli == cliIgnored) || failed[v.Name] {
			continue
		}
		s := raw[v.Name]
		if s == "" {
			if isRequired(v, cliOnly, c.Demo) && (v.RequiredUnless == "" || raw[v.RequiredUnless] == "") {
				problems = append(problems, missing(v))
				missingDemo = missingDemo || v.DemoSupplied
			}
			if v.Default == "" {
				continue
			}
			s = v.Default
		}
		if err := v.parse(c, s); err != nil {
			label := v.Name
			if c.fromFile[v.Name] {
				label += " (from " + v.Name + "_FILE)"
			}
			for _, e := range splitJoined(err) {
				problems = append(problems, label+": "+e.Error())
			}
		}
	}
	problems = append(problems, crossCheck(c, raw)...)

	if len(problems) > 0 {
		e := &Error{Problems: problems}
		if missingDemo && !cliOnly {
			e.Note = "Demo mode starts only when none of " + strings.Join(demoNames(), ", ") +
				" (nor their _FILE twins) is set; set here: " + strings.Join(setDemo, ", ") + "."
		}
		return nil, e
	}
	return c, nil
}

func isRequired(v Var, cliOnly, demo bool) bool {
	switch {
	case cliOnly:
		return v.Required && v.cli == cliRead
	case demo:
		return false
	default:
		return v.Required
	}
}

// lookup returns a variable's raw value, from NAME or, for secrets, from the file NAME_FILE names.
// A problem never contains a secret's value.
func lookup(v Var, getenv func(string) string, readFile func(string) ([]byte, error)) (val string, fromFile bool, problem string) {
	if !v.Secret {
		if getenv(v.Name+"_FILE") != "" {
			// Silently ignoring it would leave the variable unset (or the gateway in demo mode).
			var secrets []string
			for _, s := range Vars {
				if s.Secret {
					secrets = append(secrets, s.Name)
				}
			}
			return "", false, v.Name + "_FILE: only secrets (" + strings.Join(secrets, ", ") + ") can be read from a file; set " +
				v.Name + " itself"
		}
		return strings.TrimSpace(getenv(v.Name)), false, ""
	}
	val = strings.TrimRight(getenv(v.Name), "\r\n")
	path := strings.TrimSpace(getenv(v.Name + "_FILE"))
	if path == "" {
		return val, false, ""
	}
	if val != "" {
		return "", false, v.Name + " and " + v.Name + "_FILE are both set: set only one of them"
	}
	b, err := readFile(path)
	if err != nil {
		return "", false, v.Name + "_FILE: cannot read " + path + ": " + fileError(err)
	}
	if len(b) > maxSecretFile {
		return "", false, fmt.Sprintf("%s_FILE: %s is %d bytes, more than a secret file should hold (%d); is it the right file?",
			v.Name, path, len(b), maxSecretFile)
	}
	val = strings.TrimRight(string(b), "\r\n")
	if val == "" {
		return "", false, v.Name + "_FILE: " + path + " is empty"
	}
	return val, true, ""
}

// fileError describes a read failure without repeating the path (the problem names it already).
func fileError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func missing(v Var) string {
	var b strings.Builder
	b.WriteString(v.Name + ": not set; " + v.Help)
	if v.RequiredUnless != "" {
		b.WriteString(" (required unless " + v.RequiredUnless + " is set)")
	}
	if v.Example != "" {
		b.WriteString("; e.g. " + v.Example)
	}
	if v.Secret {
		b.WriteString("; or put it in a file named by " + v.Name + "_FILE")
	}
	return b.String()
}

// splitJoined undoes errors.Join so that each problem gets its own line.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// crossCheck validates rules that involve more than one variable. raw tells what was set.
func crossCheck(c *Config, raw map[string]string) []string {
	var problems []string
	// Equal addresses ask for /metrics on the main listener (package gateway); overlapping ones are a mistake.
	if c.MetricsListen != "" && c.Listen != "" && c.MetricsListen != c.Listen && sameListener(c.Listen, c.MetricsListen) {
		problems = append(problems, fmt.Sprintf(
			"GATEWAY_METRICS_LISTEN: must differ from GATEWAY_LISTEN (both %q); leave it empty to serve /metrics on GATEWAY_LISTEN",
			c.MetricsListen))
	}
	if raw["TALKIO_ORGANIZATION_MAP"] != "" && raw["TALKIO_ORGANIZATION_CLAIM"] == "" {
		problems = append(problems,
			"TALKIO_ORGANIZATION_CLAIM: not set, but TALKIO_ORGANIZATION_MAP is; name the claim whose values the map lists, e.g. school")
	}
	if raw["TALKIO_ORGANIZATION_CLAIM"] != "" && raw["TALKIO_ORGANIZATION_MAP"] == "" {
		problems = append(problems,
			"TALKIO_ORGANIZATION_MAP: not set, but TALKIO_ORGANIZATION_CLAIM is; list claimValue=slug pairs, e.g. north=school-north,south=school-south")
	}
	if c.CookieSameSite == http.SameSiteNoneMode && c.PublicURL != nil && c.PublicURL.Scheme != "https" {
		problems = append(problems,
			"GATEWAY_COOKIE_SAMESITE: none needs an https GATEWAY_PUBLIC_URL (browsers drop SameSite=None cookies that are not Secure); use lax or serve the gateway over https")
	}
	return problems
}
