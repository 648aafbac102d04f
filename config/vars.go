package config

import (
	"strconv"
	"strings"
)

// Groups, in the order Usage and MarkdownTable print them.
const (
	GroupGateway    = "Gateway"
	GroupOIDC       = "OIDC"
	GroupTalkio     = "Talkio"
	GroupClaims     = "Claims"
	GroupLifecycle  = "Lifecycle"
	GroupPrivacy    = "Privacy"
	GroupSCIM       = "SCIM"
	GroupLTI        = "LTI"
	GroupOperations = "Operations"
)

// Role says what setting a variable means for demo mode.
type Role int

const (
	// RoleDeployment variables shape a real deployment (identity, Talkio, session, public URL, claims,
	// access policy, SCIM, LTI): setting any of them means "this is not a demo", so demo mode does not
	// start and every required variable must be set. The zero value, so that a new variable errs on the
	// safe side.
	RoleDeployment Role = iota
	// RoleOperational variables say how the process runs (listen addresses, logs, limits, shutdown);
	// they work in demo mode too.
	RoleOperational
	// RolePrivacy variables choose what personal data goes to Talkio; they work in demo mode too, so a
	// data-protection officer can try them there.
	RolePrivacy
)

// Var describes one environment variable. The names are the gateway's public interface.
type Var struct {
	Name    string
	Group   string // one of the Group constants
	Default string // as shown to users and as parsed when the variable is unset; "" means none
	Example string // a valid value, used in help and in "not set" problems
	Help    string // one line

	// Secret values are never printed, and can also be read from the file named by NAME_FILE.
	Secret bool
	// File variables (not secret, but long, like a JSON document) can also be read from NAME_FILE.
	File bool
	// Required outside demo mode (unless RequiredUnless names a variable that is set).
	Required       bool
	RequiredUnless string
	// Role says whether setting the variable turns demo mode off (RoleDeployment, the zero value).
	Role Role

	cli   cliUse                      // whether LoadTalkio (the admin CLI) reads it
	parse func(*Config, string) error // stores the parsed value; errors.Join for several problems
	show  func(*Config) string        // effective value for Redacted; for secrets a non-secret summary ("" = unset)
}

// cliUse says how LoadTalkio treats a variable.
type cliUse int

const (
	cliIgnored  cliUse = iota // not read by the admin CLI
	cliRead                   // read, and required when Required says so
	cliOptional               // read, never required
)

// Vars is the single declarative table of every configuration variable.
var Vars = []Var{
	// Gateway
	{
		Name: "GATEWAY_LISTEN", Group: GroupGateway, Default: ":8080", Role: RoleOperational,
		Help:  "address the gateway listens on (host:port)",
		parse: func(c *Config, s string) (err error) { c.Listen, err = parseListen(s); return err },
		show:  func(c *Config) string { return c.Listen },
	},
	{
		Name: "GATEWAY_PUBLIC_URL", Group: GroupGateway, Required: true, Example: "https://tutor.example.org",
		Help:  "external URL of the gateway (an origin, no path); the OIDC redirect URI is this + /auth/callback",
		parse: func(c *Config, s string) (err error) { c.PublicURL, err = parsePublicURL(s); return err },
		show:  func(c *Config) string { return urlString(c.PublicURL) },
	},
	{
		Name: "GATEWAY_SESSION_SECRET", Group: GroupGateway, Secret: true, Required: true,
		Example: "$(openssl rand -base64 48)",
		Help:    "cookie keys, each at least 32 bytes; several comma-separated rotate keys (the first signs, all verify)",
		parse:   func(c *Config, s string) (err error) { c.SessionKeys, err = parseSessionKeys(s); return err },
		show:    func(c *Config) string { return secretCount(len(c.SessionKeys), "key") },
	},
	{
		Name: "GATEWAY_SESSION_TTL", Group: GroupGateway, Default: "12h",
		Help:  "how long a gateway session lasts before the user signs in again",
		parse: func(c *Config, s string) (err error) { c.SessionTTL, err = parsePositiveDuration(s); return err },
		show:  func(c *Config) string { return durationString(c.SessionTTL) },
	},
	{
		Name: "GATEWAY_COOKIE_SAMESITE", Group: GroupGateway, Default: "lax",
		Help:  "SameSite of every gateway cookie: lax, strict or none (none adds Partitioned, for a gateway framed by the portal; needs https)",
		parse: func(c *Config, s string) (err error) { c.CookieSameSite, err = parseSameSite(s); return err },
		show:  func(c *Config) string { return sameSiteString(c.CookieSameSite) },
	},
	{
		Name: "GATEWAY_FRAME_ANCESTORS", Group: GroupGateway, Default: "'self'", Example: "'self' https://portal.example.org",
		Help:  "who may frame /embed: a CSP frame-ancestors source list, separated by spaces",
		parse: func(c *Config, s string) (err error) { c.FrameAncestors, err = parseFrameAncestors(s); return err },
		show:  func(c *Config) string { return strings.Join(c.FrameAncestors, " ") },
	},
	{
		Name: "GATEWAY_SUPPORT_CONTACT", Group: GroupGateway, Default: "your administrator", Example: "help@school.example.org",
		Help:  "whom users should ask for help, named on error pages (e.g. an email address)",
		parse: func(c *Config, s string) (err error) { c.SupportContact, err = parseText(s, 200); return err },
		show:  func(c *Config) string { return c.SupportContact },
	},

	// OIDC
	{
		Name: "OIDC_ISSUER", Group: GroupOIDC, Required: true, cli: cliOptional, // pseudonymous ids hash it
		Example: "https://login.example.org/realms/school",
		Help:    "issuer URL of the partner's OpenID Connect provider (https; http only for localhost)",
		parse:   func(c *Config, s string) (err error) { c.OIDCIssuer, err = parseIssuer(s); return err },
		show:    func(c *Config) string { return urlString(c.OIDCIssuer) },
	},
	{
		Name: "OIDC_CLIENT_ID", Group: GroupOIDC, Required: true, Example: "talkio-gateway",
		Help:  "client id registered at the provider",
		parse: func(c *Config, s string) (err error) { c.OIDCClientID, err = parseText(s, 1024); return err },
		show:  func(c *Config) string { return c.OIDCClientID },
	},
	{
		Name: "OIDC_CLIENT_SECRET", Group: GroupOIDC, Secret: true, Required: true,
		Help:  "client secret registered at the provider",
		parse: func(c *Config, s string) (err error) { c.OIDCClientSecret, err = parseHeaderSecret(s); return err },
		show:  func(c *Config) string { return setOrEmpty(c.OIDCClientSecret) },
	},
	{
		Name: "OIDC_SCOPES", Group: GroupOIDC, Default: "openid profile email",
		Help:  "scopes to request, separated by spaces or commas; must include openid",
		parse: func(c *Config, s string) (err error) { c.OIDCScopes, err = parseScopes(s); return err },
		show:  func(c *Config) string { return strings.Join(c.OIDCScopes, " ") },
	},

	// Talkio
	{
		Name: "TALKIO_API_URL", Group: GroupTalkio, Required: true, cli: cliRead,
		Example: "https://api.talkio.example",
		Help:    "Partner API origin, as given by Talkio; /api/partner/v3 is appended automatically",
		parse:   func(c *Config, s string) (err error) { c.TalkioAPIURL, err = parseTalkioAPIURL(s); return err },
		show:    func(c *Config) string { return urlString(c.TalkioAPIURL) },
	},
	{
		Name: "TALKIO_APP_URL", Group: GroupTalkio, Required: true, cli: cliOptional,
		Example: "https://app.school.example.org",
		Help:    "Talkio (white-label) app origin that serves /authentication/partner/",
		parse:   func(c *Config, s string) (err error) { c.TalkioAppURL, err = parseTalkioAppURL(s); return err },
		show:    func(c *Config) string { return urlString(c.TalkioAppURL) },
	},
	{
		Name: "TALKIO_PROVIDER", Group: GroupTalkio, Secret: true, Required: true, cli: cliRead,
		Help:  "partner provider id, sent as x-provider (the Talkio docs ask to keep it confidential)",
		parse: func(c *Config, s string) (err error) { c.TalkioProvider, err = parseHeaderSecret(s); return err },
		show:  func(c *Config) string { return setOrEmpty(c.TalkioProvider) },
	},
	{
		Name: "TALKIO_API_KEY", Group: GroupTalkio, Secret: true, Required: true, cli: cliRead,
		Help:  "partner API key, sent as x-api-key",
		parse: func(c *Config, s string) (err error) { c.TalkioAPIKey, err = parseHeaderSecret(s); return err },
		show:  func(c *Config) string { return setOrEmpty(c.TalkioAPIKey) },
	},
	{
		Name: "TALKIO_ORGANIZATION", Group: GroupTalkio, Required: true, RequiredUnless: "TALKIO_ORGANIZATION_MAP",
		cli: cliRead, Example: "partner-example-school",
		Help:  "organization slug users are created in (with TALKIO_ORGANIZATION_MAP: the admin CLI's default)",
		parse: func(c *Config, s string) (err error) { c.TalkioOrganization, err = parseSlug(s); return err },
		show:  func(c *Config) string { return c.TalkioOrganization },
	},
	{
		Name: "TALKIO_TIMEOUT", Group: GroupTalkio, Default: "10s", cli: cliRead, Role: RoleOperational,
		Help:  "time limit for one Partner API request",
		parse: func(c *Config, s string) (err error) { c.TalkioTimeout, err = parsePositiveDuration(s); return err },
		show:  func(c *Config) string { return durationString(c.TalkioTimeout) },
	},

	// Claims
	claimVar("CLAIM_USER_ID", "sub", "claim holding the Talkio user id", func(c *Config) *string { return &c.Claims.UserID }),
	claimVar("CLAIM_NAME", "name", "claim holding the display name (userName)", func(c *Config) *string { return &c.Claims.Name }),
	claimVar("CLAIM_EMAIL", "email", "claim holding the email address (users without one are fine)", func(c *Config) *string { return &c.Claims.Email }),
	claimVar("CLAIM_PHONE", "phone_number", "claim holding the phone number", func(c *Config) *string { return &c.Claims.Phone }),
	claimVar("CLAIM_GROUPS", "groups", "claim holding the user's groups", func(c *Config) *string { return &c.Claims.Groups }),
	claimVar("CLAIM_LOCALE", "locale", "claim holding the user's locale; a valid BCP 47 tag sets uiLanguage and userLanguage of new users",
		func(c *Config) *string { return &c.Claims.Locale }),
	claimVar("CLAIM_ACCOUNT_EXPIRES_AT", "", "claim with an account end (RFC 3339 or Unix seconds) that caps the sliding expiry; empty: unused",
		func(c *Config) *string { return &c.Claims.AccountExpiresAt }),
	{
		Name: "FACILITATOR_GROUPS", Group: GroupClaims, Example: "teachers,staff",
		Help:  "comma-separated groups whose members are created as facilitator; everyone else as member",
		parse: func(c *Config, s string) error { c.FacilitatorGroups = parseList(s); return nil },
		show:  func(c *Config) string { return strings.Join(c.FacilitatorGroups, ",") },
	},
	{
		Name: "ALLOWED_GROUPS", Group: GroupClaims, Example: "students,teachers",
		Help:  "comma-separated groups allowed through; empty: everyone (Talkio bills by usage)",
		parse: func(c *Config, s string) error { c.AllowedGroups = parseList(s); return nil },
		show:  func(c *Config) string { return strings.Join(c.AllowedGroups, ",") },
	},

	// Lifecycle
	{
		Name: "TALKIO_ACCOUNT_TTL", Group: GroupLifecycle, Example: "720h", cli: cliRead,
		Help:  "sliding expiry: each login sets accountExpiresAt to now + this; empty or 0: none",
		parse: func(c *Config, s string) (err error) { c.AccountTTL, err = parseAccountTTL(s); return err },
		show:  func(c *Config) string { return durationString(c.AccountTTL) },
	},
	{
		Name: "TALKIO_DEFAULT_SETTINGS", Group: GroupLifecycle, cli: cliRead,
		Example: `{"uiLanguage":"en-US","practiceLanguage":"en-GB","showLiveFeedback":true}`,
		Help:    "JSON object of user settings applied once to each new user (any of the ten documented fields)",
		parse:   func(c *Config, s string) (err error) { c.DefaultSettings, err = parseSettings(s); return err },
		show:    func(c *Config) string { return c.DefaultSettings.String() },
	},
	{
		Name: "TALKIO_ORGANIZATION_CLAIM", Group: GroupLifecycle, Example: "school", cli: cliRead,
		Help: "claim whose value chooses the organization through TALKIO_ORGANIZATION_MAP",
		parse: func(c *Config, s string) (err error) {
			c.OrganizationClaim, err = parseClaimName(s)
			c.Claims.Organization = c.OrganizationClaim
			return err
		},
		show: func(c *Config) string { return c.OrganizationClaim },
	},
	{
		Name: "TALKIO_ORGANIZATION_MAP", Group: GroupLifecycle, Example: "north=school-north,south=school-south", cli: cliRead,
		Help:  "comma-separated claimValue=slug pairs; a user whose claim value is not listed is refused",
		parse: func(c *Config, s string) (err error) { c.OrganizationMap, err = parseOrganizationMap(s); return err },
		show:  func(c *Config) string { return mapString(c.OrganizationMap) },
	},

	// Privacy
	{
		Name: "TALKIO_USER_ID_MODE", Group: GroupPrivacy, Default: IDModeClaim, Role: RolePrivacy, cli: cliRead,
		Help: "claim: the Talkio user id is the CLAIM_USER_ID value; pseudonymous: a keyed hash of the issuer and that value (choose once: switching makes new accounts)",
		parse: func(c *Config, s string) (err error) {
			c.IDMode, err = enum(s, IDModeClaim, IDModePseudonymous)
			return err
		},
		show: func(c *Config) string { return c.IDMode },
	},
	{
		Name: "TALKIO_USER_ID_KEY", Group: GroupPrivacy, Secret: true, Role: RolePrivacy, cli: cliRead,
		Help:  "key of the pseudonymous ids, at least 32 bytes (required in pseudonymous mode; demo mode makes one); a new key gives everyone new accounts",
		parse: func(c *Config, s string) (err error) { c.IDKey, err = parseIDKey(s); return err },
		show:  func(c *Config) string { return setOrEmpty(string(c.IDKey)) },
	},
	{
		Name: "TALKIO_SEND_FIELDS", Group: GroupPrivacy, Default: "name,email,phone", Role: RolePrivacy, cli: cliRead, Example: "name",
		Help:  "profile fields sent to Talkio besides the id: any of name, email, phone, or none (without name, a neutral name derived from the id)",
		parse: func(c *Config, s string) (err error) { c.SendFields, err = parseSendFields(s); return err },
		show:  func(c *Config) string { return c.SendFields.String() },
	},

	// SCIM
	{
		Name: "SCIM_TOKEN", Group: GroupSCIM, Secret: true,
		Help:  "bearer token(s) of the identity provider's SCIM client, each at least 32 characters; several comma-separated for rotation; set: /scim/v2 is on",
		parse: func(c *Config, s string) (err error) { c.SCIMTokens, err = parseTokens(s); return err },
		show:  func(c *Config) string { return secretCount(len(c.SCIMTokens), "token") },
	},
	{
		Name: "SCIM_USER_ID_ATTRIBUTE", Group: GroupSCIM, Default: SCIMAttributeExternalID,
		Help: "SCIM attribute that carries the CLAIM_USER_ID value: externalId or userName",
		parse: func(c *Config, s string) (err error) {
			c.SCIMUserIDAttribute, err = enum(s, SCIMAttributeExternalID, SCIMAttributeUserName)
			return err
		},
		show: func(c *Config) string { return c.SCIMUserIDAttribute },
	},
	{
		Name: "SCIM_DEACTIVATE", Group: GroupSCIM, Default: SCIMDeactivateDelete,
		Help: "what active:false and DELETE do: delete (the Talkio user at once) or suspend (accountExpiresAt now; sweep deletes later)",
		parse: func(c *Config, s string) (err error) {
			c.SCIMDeactivate, err = enum(s, SCIMDeactivateDelete, SCIMDeactivateSuspend)
			return err
		},
		show: func(c *Config) string { return c.SCIMDeactivate },
	},
	{
		Name: "SCIM_SIGN_IN_CREATES", Group: GroupSCIM, Default: "false",
		Help:  "with SCIM on, sign-in still creates Talkio users the directory has not pushed (demo mode: true)",
		parse: func(c *Config, s string) (err error) { c.SCIMSignInCreates, err = parseBool(s); return err },
		show:  func(c *Config) string { return strconv.FormatBool(c.SCIMSignInCreates) },
	},

	// LTI
	{
		Name: "LTI_PLATFORMS", Group: GroupLTI, File: true, Example: ltiPlatformsExample,
		Help:  "JSON array of LMS registrations: issuer, client_id, deployment_ids, auth_login_url, jwks_url, optional auth_token_url and organization; set: /lti/ is on",
		parse: func(c *Config, s string) (err error) { c.LTIPlatforms, err = parseLTIPlatforms(s); return err },
		show:  func(c *Config) string { return ltiPlatformsString(c.LTIPlatforms) },
	},
	{
		Name: "LTI_TOOL_KEY", Group: GroupLTI, Secret: true,
		Help:  "the tool's PEM RSA private key(s), at least 2048 bits; several concatenated for rotation, the first signs (required with LTI_PLATFORMS)",
		parse: func(c *Config, s string) (err error) { c.LTIToolKeys, err = parseRSAKeys(s); return err },
		show:  func(c *Config) string { return secretCount(len(c.LTIToolKeys), "key") },
	},
	{
		Name: "LTI_TEMPLATES", Group: GroupLTI, Example: "books-literature=Books & Literature,travel=Travel",
		Help:  "chat templates the deep-linking picker offers, comma-separated slug=Title pairs",
		parse: func(c *Config, s string) (err error) { c.LTITemplates, err = parseLTITemplates(s); return err },
		show:  func(c *Config) string { return ltiTemplatesString(c.LTITemplates) },
	},

	// Operations
	{
		Name: "GATEWAY_METRICS_LISTEN", Group: GroupOperations, Default: ":9090", Role: RoleOperational, Example: "127.0.0.1:9090",
		Help: "host:port of the separate listener for /metrics (the public one answers 404 there); the same value as GATEWAY_LISTEN serves /metrics on it instead",
		parse: func(c *Config, s string) (err error) {
			c.MetricsListen, err = parseListen(s)
			return err
		},
		show: func(c *Config) string {
			if c.MetricsListen == "" && c.Listen != "" {
				return c.Listen // on the main listener
			}
			return c.MetricsListen
		},
	},
	{
		Name: "GATEWAY_LOG_LEVEL", Group: GroupOperations, Default: "info", cli: cliRead, Role: RoleOperational,
		Help:  "debug, info, warn or error",
		parse: func(c *Config, s string) (err error) { c.LogLevel, err = parseLogLevel(s); return err },
		show:  func(c *Config) string { return strings.ToLower(c.LogLevel.String()) },
	},
	{
		Name: "GATEWAY_LOG_FORMAT", Group: GroupOperations, Default: LogFormatAuto, cli: cliRead, Role: RoleOperational,
		Help:  "auto (text on a terminal, JSON otherwise), json or text",
		parse: func(c *Config, s string) (err error) { c.LogFormat, err = parseLogFormat(s); return err },
		show:  func(c *Config) string { return c.LogFormat },
	},
	{
		Name: "GATEWAY_SHUTDOWN_TIMEOUT", Group: GroupOperations, Default: "25s", Role: RoleOperational,
		Help:  "how long in-flight requests may take to finish after SIGTERM",
		parse: func(c *Config, s string) (err error) { c.ShutdownTimeout, err = parsePositiveDuration(s); return err },
		show:  func(c *Config) string { return durationString(c.ShutdownTimeout) },
	},
	{
		Name: "GATEWAY_READY_CHECK_TALKIO", Group: GroupOperations, Default: "false", Role: RoleOperational,
		Help:  "also check the Partner API in /readyz (short timeout, cached a few seconds)",
		parse: func(c *Config, s string) (err error) { c.ReadyCheckTalkio, err = parseBool(s); return err },
		show:  func(c *Config) string { return strconv.FormatBool(c.ReadyCheckTalkio) },
	},
	{
		Name: "GATEWAY_OPEN_BURST", Group: GroupOperations, Default: "10", Role: RoleOperational,
		Help:  "opens (/open, /embed tokens) one user may make at once before the rate limit answers 429",
		parse: func(c *Config, s string) (err error) { c.OpenBurst, err = parseIntRange(s, 1, 10000); return err },
		show:  func(c *Config) string { return strconv.Itoa(c.OpenBurst) },
	},
	{
		Name: "GATEWAY_OPEN_PER_SECOND", Group: GroupOperations, Default: "1", Role: RoleOperational,
		Help:  "how fast a user's allowance of opens refills, per second (a decimal, like 0.5)",
		parse: func(c *Config, s string) (err error) { c.OpenPerSecond, err = parseRate(s); return err },
		show:  func(c *Config) string { return strconv.FormatFloat(c.OpenPerSecond, 'g', -1, 64) },
	},
	{
		Name: "GATEWAY_TRUST_PROXY", Group: GroupOperations, Default: "false", Role: RoleOperational,
		Help:  "the gateway sits behind a proxy the operator trusts: keep a client-sent X-Request-ID instead of making a fresh one",
		parse: func(c *Config, s string) (err error) { c.TrustProxy, err = parseBool(s); return err },
		show:  func(c *Config) string { return strconv.FormatBool(c.TrustProxy) },
	},
}

// claimVar builds the table entry of a claim-name variable.
func claimVar(name, def, help string, field func(*Config) *string) Var {
	return Var{
		Name: name, Group: GroupClaims, Default: def, Help: help,
		parse: func(c *Config, s string) (err error) { *field(c), err = parseClaimName(s); return err },
		show:  func(c *Config) string { return *field(c) },
	}
}

// fileable reports whether v can be read from NAME_FILE.
func (v Var) fileable() bool { return v.Secret || v.File }

// Known reports whether name is a configuration variable, or the _FILE twin of one that can be read
// from a file. The deployment manifests are checked against it.
func Known(name string) bool {
	for _, v := range Vars {
		if name == v.Name || (v.fileable() && name == v.Name+"_FILE") {
			return true
		}
	}
	return false
}

// secretCount is what a secret list shows instead of its values: "" when empty, else "1 key", "2 keys"
// (redactedValue keeps a plural count, so a rotation shows in the start-up line).
func secretCount(n int, noun string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "1 " + noun
	default:
		return strconv.Itoa(n) + " " + noun + "s"
	}
}
