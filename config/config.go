// Package config loads, defaults and validates the gateway's configuration from the environment.
//
// Every variable is described once, in [Vars]; [Load] reads them all and reports every problem in one
// [Error], never only the first. Secrets are never printed: [Config.Redacted], String, GoString,
// LogValue and MarshalJSON all show them as "[redacted]". An empty variable counts as unset.
//
// The package knows nothing of HTTP beyond the http.SameSite type of one field; it borrows the chat
// template rule from package talkio (checkTemplate), so that rule lives in one place.
package config

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sort"
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
	// Demo is true when no RoleDeployment variable was set. Main fills in the demo's URLs and keys (and
	// IDKey in pseudonymous mode when none was given); those fields are left zero by Load.
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

	// IDMode is IDModeClaim or IDModePseudonymous. IDKey is TALKIO_USER_ID_KEY: set (≥ 32 bytes) exactly
	// in pseudonymous mode, except in demo mode, where it is nil unless given and main makes one.
	IDMode     string
	IDKey      []byte
	SendFields SendFields // profile fields sent to Talkio besides the id

	// SCIMTokens are the accepted bearer tokens (each ≥ 32 characters, distinct); nil means SCIM is
	// off (see SCIMEnabled).
	SCIMTokens          []string
	SCIMUserIDAttribute string // SCIMAttributeExternalID or SCIMAttributeUserName
	SCIMDeactivate      string // SCIMDeactivateDelete or SCIMDeactivateSuspend
	// SCIMSignInCreates keeps creating Talkio users at sign-in while SCIM is on (demo mode sets the
	// variable in its own configuration).
	SCIMSignInCreates bool

	// LTIPlatforms are the LMS registrations; nil means LTI is off. Each has its Organization filled in
	// (TALKIO_ORGANIZATION when the registration names none).
	LTIPlatforms []LTIPlatform
	LTIToolKeys  []*rsa.PrivateKey // ≥ 2048 bits, distinct; the first signs, all are published; set iff LTIPlatforms is
	LTITemplates []LTITemplate     // the deep-linking picker's templates, in the order given

	// MetricsListen is where /metrics is served on its own listener (default ":9090"); "" means on
	// Listen, which is what setting GATEWAY_METRICS_LISTEN to GATEWAY_LISTEN's exact value asks for. The
	// main listener answers 404 for /metrics whenever MetricsListen is not "".
	MetricsListen    string
	LogLevel         slog.Level
	LogFormat        string // LogFormatAuto, LogFormatJSON or LogFormatText
	ShutdownTimeout  time.Duration
	ReadyCheckTalkio bool
	OpenBurst        int     // per-user token bucket for opens: size …
	OpenPerSecond    float64 // … and refill rate (> 0)
	TrustProxy       bool    // keep a client-sent X-Request-ID

	cliOnly  bool            // loaded by LoadTalkio: only the admin CLI's variables were read
	fromFile map[string]bool // secret variables read from NAME_FILE
}

// Claims names the ID token (or userinfo) claims the gateway maps; "" means unused.
type Claims struct {
	UserID, Name, Email, Phone, Groups, Locale, AccountExpiresAt, Organization string
}

// SCIMEnabled reports whether /scim/v2 is on: SCIM_TOKEN is set.
func (c *Config) SCIMEnabled() bool { return len(c.SCIMTokens) > 0 }

// LTIEnabled reports whether /lti/ is on: LTI_PLATFORMS is set.
func (c *Config) LTIEnabled() bool { return len(c.LTIPlatforms) > 0 }

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
// with os.ReadFile. environ lists the environment's NAME=value entries, as os.Environ returns them, so
// that a misspelled variable stops the start; when none is given, os.Environ() is used (a map-backed
// getenv in a test is then checked against the test process's environment, which holds no gateway
// variables). See [Loader] to inject everything.
func Load(getenv func(string) string, environ ...string) (*Config, error) {
	return Loader{Getenv: getenv, Environ: environ}.Load()
}

// LoadTalkio reads only what the admin CLI needs to call the Partner API; see [Loader.LoadTalkio].
// environ is as for [Load].
func LoadTalkio(getenv func(string) string, environ ...string) (*Config, error) {
	return Loader{Getenv: getenv, Environ: environ}.LoadTalkio()
}

// Loader reads configuration through injectable functions, so tests need neither environment nor files.
type Loader struct {
	Getenv func(string) string // nil: os.Getenv
	// Environ is the environment's NAME=value entries, checked for unknown names; nil: os.Environ(),
	// empty: nothing to check.
	Environ  []string
	ReadFile func(string) ([]byte, error) // nil: os.ReadFile
}

// Load reads, defaults and validates every variable. With no RoleDeployment variable set it returns a
// demo configuration (Demo true, the demo-supplied fields zero) after validating the others. Otherwise
// every Required variable must be set. Any variable of the environment that looks like the gateway's
// but is not one of [Vars] is a problem too. The error, an *Error, lists every problem.
func (l Loader) Load() (*Config, error) { return l.load(false) }

// LoadTalkio reads TALKIO_API_URL, TALKIO_PROVIDER, TALKIO_API_KEY, TALKIO_ORGANIZATION (or the
// organization map), TALKIO_TIMEOUT, the other TALKIO_ variables when set, OIDC_ISSUER when set (the
// pseudonymous ids hash it), and the log settings; the other variables are ignored but their names are
// checked as for Load. There is no demo mode.
func (l Loader) LoadTalkio() (*Config, error) { return l.load(true) }

func (l Loader) load(cliOnly bool) (*Config, error) {
	getenv, readFile, environ := l.Getenv, l.ReadFile, l.Environ
	if getenv == nil {
		getenv = os.Getenv
	}
	if readFile == nil {
		readFile = os.ReadFile
	}
	if environ == nil {
		environ = os.Environ()
	}
	c := &Config{cliOnly: cliOnly, fromFile: map[string]bool{}}
	problems := unknownNames(environ)

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

	var setDeployment []string
	for _, v := range Vars {
		if v.Role != RoleDeployment || (cliOnly && v.cli == cliIgnored) {
			continue
		}
		if raw[v.Name] != "" || failed[v.Name] {
			setDeployment = append(setDeployment, v.Name)
		}
	}
	c.Demo = !cliOnly && len(setDeployment) == 0

	var missingNames []string
	for _, v := range Vars {
		if (cliOnly && v.cli == cliIgnored) || failed[v.Name] {
			continue
		}
		s := raw[v.Name]
		if s == "" {
			if isRequired(v, cliOnly, c.Demo) && (v.RequiredUnless == "" || raw[v.RequiredUnless] == "") {
				problems = append(problems, missing(v))
				missingNames = append(missingNames, v.Name)
			}
			if v.Default == "" {
				continue
			}
			s = v.Default
		}
		if err := v.parse(c, s); err != nil {
			suffix := ""
			if c.fromFile[v.Name] {
				suffix = " (from " + v.Name + "_FILE)"
			}
			for _, e := range splitJoined(err) {
				var at *atError
				if errors.As(e, &at) {
					problems = append(problems, v.Name+at.path+suffix+": "+at.err.Error())
					continue
				}
				problems = append(problems, v.Name+suffix+": "+e.Error())
			}
		}
	}
	problems = append(problems, crossCheck(c, raw, cliOnly)...)

	if len(problems) > 0 {
		e := &Error{Problems: problems}
		if len(missingNames) > 0 && !cliOnly {
			e.Note = "Demo mode starts only when no variable of a real deployment is set (only " +
				strings.Join(demoKeeps(), ", ") + " may be); set here: " + strings.Join(setDeployment, ", ") +
				"; missing for a real deployment: " + strings.Join(missingNames, ", ") + "."
		}
		return nil, e
	}
	return c, nil
}

// atError is a problem inside a structured value (an element of LTI_PLATFORMS); path, like
// "[1].jwks_url", follows the variable's name in the problem.
type atError struct {
	path string
	err  error
}

func (e *atError) Error() string { return e.path + ": " + e.err.Error() }

func at(path string, format string, a ...any) error {
	return &atError{path: path, err: fmt.Errorf(format, a...)}
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
	if !v.fileable() {
		if getenv(v.Name+"_FILE") != "" {
			// Silently ignoring it would leave the variable unset (or the gateway in demo mode).
			var secrets []string
			for _, s := range Vars {
				if s.fileable() {
					secrets = append(secrets, s.Name)
				}
			}
			return "", false, v.Name + "_FILE: only " + strings.Join(secrets, ", ") + " can be read from a file; set " +
				v.Name + " itself"
		}
		return strings.TrimSpace(getenv(v.Name)), false, ""
	}
	val = strings.TrimRight(getenv(v.Name), "\r\n")
	if !v.Secret {
		val = strings.TrimSpace(val)
	}
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
	if v.fileable() {
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
func crossCheck(c *Config, raw map[string]string, cliOnly bool) []string {
	var problems []string
	if c.MetricsListen != "" && c.Listen != "" {
		switch {
		case c.MetricsListen == c.Listen && raw["GATEWAY_METRICS_LISTEN"] != "" && !strings.HasSuffix(c.Listen, ":0"):
			// Asked for: /metrics on the main listener. Only when GATEWAY_METRICS_LISTEN itself says so:
			// GATEWAY_LISTEN=:9090 alone meets the default and must not publish the metrics. Two port-0
			// addresses are two listeners (tests).
			c.MetricsListen = ""
		case sameListener(c.Listen, c.MetricsListen):
			problems = append(problems, fmt.Sprintf(
				"GATEWAY_METRICS_LISTEN: %q collides with GATEWAY_LISTEN (%q); use another port, or exactly %q to serve /metrics on the main listener",
				c.MetricsListen, c.Listen, c.Listen))
		}
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
	problems = append(problems, checkIDMode(c, raw, cliOnly)...)
	if !cliOnly {
		problems = append(problems, checkLTI(c, raw)...)
	}
	return problems
}

// checkIDMode ties TALKIO_USER_ID_KEY to the pseudonymous mode.
func checkIDMode(c *Config, raw map[string]string, cliOnly bool) []string {
	var problems []string
	switch {
	case c.IDMode == IDModePseudonymous && raw["TALKIO_USER_ID_KEY"] == "" && !c.Demo:
		problems = append(problems, "TALKIO_USER_ID_KEY: not set, but TALKIO_USER_ID_MODE is pseudonymous; "+
			"give a key of at least 32 bytes, e.g. $(openssl rand -base64 48), and keep it: another key gives everyone new accounts; "+
			"or put it in a file named by TALKIO_USER_ID_KEY_FILE")
	case c.IDMode == IDModeClaim && raw["TALKIO_USER_ID_KEY"] != "":
		// An error, not a warning: a key without the mode most likely means the operator believes the
		// ids are pseudonymous while the provider's ids go to Talkio as they are.
		problems = append(problems, "TALKIO_USER_ID_KEY: set, but TALKIO_USER_ID_MODE is claim, which sends the CLAIM_USER_ID value to Talkio as it is; "+
			"set TALKIO_USER_ID_MODE=pseudonymous, or unset the key")
	}
	if cliOnly && c.IDMode == IDModePseudonymous && raw["OIDC_ISSUER"] == "" {
		problems = append(problems, "OIDC_ISSUER: not set, but TALKIO_USER_ID_MODE is pseudonymous; the admin commands need the gateway's issuer to find people by their provider id")
	}
	return problems
}

// checkLTI fills in the registrations' default organization and checks they name one the gateway
// serves, and that a tool key is given with the registrations.
func checkLTI(c *Config, raw map[string]string) []string {
	var problems []string
	if raw["LTI_PLATFORMS"] != "" && raw["LTI_TOOL_KEY"] == "" {
		problems = append(problems, "LTI_TOOL_KEY: not set, but LTI_PLATFORMS is; give the tool's RSA private key in PEM, "+
			"e.g. from: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048; or put it in a file named by LTI_TOOL_KEY_FILE")
	}
	served := map[string]bool{}
	if c.TalkioOrganization != "" {
		served[c.TalkioOrganization] = true
	}
	for _, slug := range c.OrganizationMap {
		served[slug] = true
	}
	for i := range c.LTIPlatforms {
		p := &c.LTIPlatforms[i]
		switch {
		case p.Organization == "" && c.TalkioOrganization == "":
			if raw["TALKIO_ORGANIZATION"] == "" { // else TALKIO_ORGANIZATION's own problem says it all
				problems = append(problems, fmt.Sprintf("LTI_PLATFORMS[%d].organization: not set, and TALKIO_ORGANIZATION (its default) is not set either; "+
					"name the organization slug this platform's users belong to", i))
			}
		case p.Organization == "":
			p.Organization = c.TalkioOrganization
		case len(served) > 0 && !served[p.Organization]:
			problems = append(problems, fmt.Sprintf("LTI_PLATFORMS[%d].organization: %s is not an organization the gateway serves; name one of %s",
				i, quote(p.Organization), strings.Join(sortedKeys(served), ", ")))
		}
	}
	return problems
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
