package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"talkio-gateway/talkio/spec"
)

// Parsers return problems without the variable's name (the loader adds it). Only parsers of
// non-secret values may quote the value, and always through quote.

// minKeyLen is the shortest session key accepted: 256 bits.
const minKeyLen = 32

// quote shows a (non-secret) value in a problem, escaped and shortened.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return strconv.Quote(s)
}

func parseListen(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("must be host:port, like :8080 or 127.0.0.1:8080 (got %s)", quote(s))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("port must be a number from 0 to 65535, like :8080 (got %s)", quote(s))
	}
	if strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == '/' || r >= utf8.RuneSelf }) {
		return "", fmt.Errorf("host must be an IP address or host name, like 127.0.0.1:8080 (got %s)", quote(s))
	}
	return s, nil
}

// sameListener reports whether two listen addresses would collide: same non-zero port, and the same
// host or a wildcard host on either side.
func sameListener(a, b string) bool {
	ha, pa, _ := net.SplitHostPort(a)
	hb, pb, _ := net.SplitHostPort(b)
	if pa != pb || pa == "0" {
		return false
	}
	wildcard := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || wildcard(ha) || wildcard(hb)
}

// parseHTTPURL accepts an absolute http(s) URL without credentials, query or fragment.
func parseHTTPURL(s, example string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("must be an absolute http or https URL, like %s (got %s)", example, quote(s))
	}
	if u.User != nil {
		// Don't echo the value: it holds credentials.
		return nil, fmt.Errorf("must not contain user:password@, like %s", example)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return nil, fmt.Errorf("must not have a query or fragment, like %s (got %s)", example, quote(s))
	}
	if strings.Contains(u.Host, "*") {
		return nil, fmt.Errorf("host must not contain a wildcard, like %s (got %s)", example, quote(s))
	}
	return u, nil
}

func parsePublicURL(s string) (*url.URL, error) {
	const example = "https://tutor.example.org"
	u, err := parseHTTPURL(s, example)
	if err != nil {
		return nil, err
	}
	// The routes are served at the root; a path prefix would break the redirect URI and cookie paths.
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("must be an origin without a path, like %s (got %s); serve the gateway at the root of its host", example, quote(s))
	}
	u.Path, u.RawPath = "", ""
	return u, nil
}

// isLoopbackHost reports whether host (without port) names this machine.
func isLoopbackHost(host string) bool {
	host = strings.ToLower(host)
	return host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasSuffix(host, ".localhost")
}

func parseIssuer(s string) (*url.URL, error) {
	const example = "https://login.example.org/realms/school"
	u, err := parseHTTPURL(s, example)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" && !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("must use https (http only for localhost), like %s (got %s)", example, quote(s))
	}
	return u, nil // kept exactly as given: the ID token's iss must match it
}

func parseTalkioAPIURL(s string) (*url.URL, error) {
	const example = "https://api.talkio.example"
	u, err := parseHTTPURL(s, example)
	if err != nil {
		return nil, err
	}
	if strings.Contains(strings.ToLower(u.Path), "/api/partner") {
		return nil, fmt.Errorf("must be the API origin without /api/partner/v3, which is appended automatically, like %s (got %s)", example, quote(s))
	}
	trimPath(u)
	return u, nil
}

func parseTalkioAppURL(s string) (*url.URL, error) {
	const example = "https://app.school.example.org"
	u, err := parseHTTPURL(s, example)
	if err != nil {
		return nil, err
	}
	if strings.Contains(strings.ToLower(u.Path), "/authentication/partner") {
		return nil, fmt.Errorf("must be the app origin without /authentication/partner/, which is appended automatically, like %s (got %s)", example, quote(s))
	}
	trimPath(u)
	return u, nil
}

// trimPath drops trailing slashes so that callers can append "/api/…" or "/authentication/…".
func trimPath(u *url.URL) {
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
}

func parseSessionKeys(s string) ([][]byte, error) {
	const gen = "generate one with: openssl rand -base64 48"
	var items []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	if len(items) == 0 {
		return nil, errors.New("holds no key; " + gen)
	}
	var errs []error
	keys := make([][]byte, 0, len(items))
	seen := map[string]int{}
	for i, item := range items {
		what := "must be"
		if len(items) > 1 {
			what = fmt.Sprintf("key %d of %d must be", i+1, len(items))
		}
		if len(item) < minKeyLen {
			errs = append(errs, fmt.Errorf("%s at least %d bytes (got %d); %s", what, minKeyLen, len(item), gen))
		}
		if j, dup := seen[item]; dup {
			errs = append(errs, fmt.Errorf("key %d repeats key %d; each key must be different", i+1, j+1))
		}
		seen[item] = i
		keys = append(keys, []byte(item))
	}
	return keys, errors.Join(errs...)
}

// parseHeaderSecret accepts a value that can travel in an HTTP header or form as is.
func parseHeaderSecret(s string) (string, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return "", errors.New("must be printable ASCII without spaces (check for stray quotes, spaces or line breaks)")
		}
	}
	return s, nil
}

// parseText accepts one line of text of at most max characters.
func parseText(s string, max int) (string, error) {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", fmt.Errorf("must be one line of text without control characters (got %s)", quote(s))
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", fmt.Errorf("must be at most %d characters (got %d)", max, n)
	}
	return s, nil
}

// isScopeChar reports whether b may appear in an RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E.
func isScopeChar(b byte) bool {
	return b == 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e)
}

func parseScopes(s string) ([]string, error) {
	var scopes []string
	var errs []error
	hasOpenID := false
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		valid := true
		for i := 0; i < len(tok); i++ {
			valid = valid && isScopeChar(tok[i])
		}
		if !valid {
			errs = append(errs, fmt.Errorf("scope %s has a character RFC 6749 does not allow (no quotes, backslashes or non-ASCII)", quote(tok)))
			continue
		}
		hasOpenID = hasOpenID || tok == "openid"
		if !contains(scopes, tok) {
			scopes = append(scopes, tok)
		}
	}
	if !hasOpenID {
		errs = append(errs, fmt.Errorf("must include openid, like \"openid profile email\" (got %s)", quote(s)))
	}
	return scopes, errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseSlug accepts an organization slug by the one slug rule (spec.CheckOrganization, which says why).
func parseSlug(s string) (string, error) {
	if err := spec.CheckOrganization(s); err != nil {
		return "", fmt.Errorf("%w (got %s)", err, quote(s))
	}
	return s, nil
}

// parseClaimName accepts a claim name: no spaces or control characters (URL-style names are fine).
func parseClaimName(s string) (string, error) {
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) || len(s) > 256 {
		return "", fmt.Errorf("must be a claim name without spaces, like groups or https://example.org/claims/groups (got %s)", quote(s))
	}
	return s, nil
}

// parseList splits a comma-separated list, trimming items and dropping empty ones and repeats.
func parseList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" && !contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("must be a duration like 90s, 30m or 12h (got %s)", quote(s))
	}
	return d, nil
}

func parsePositiveDuration(s string) (time.Duration, error) {
	d, err := parseDuration(s)
	if err == nil && d <= 0 {
		err = fmt.Errorf("must be positive, like 30s or 12h (got %s)", quote(s))
	}
	return d, err
}

// parseAccountTTL accepts 0 (no sliding expiry) or at least a minute; shorter would expire users
// between two page loads.
func parseAccountTTL(s string) (time.Duration, error) {
	d, err := parseDuration(s)
	switch {
	case err != nil:
		return 0, err
	case d < 0:
		return 0, fmt.Errorf("must not be negative; use a duration like 720h (30 days), or leave it empty for no expiry (got %s)", quote(s))
	case d > 0 && d < time.Minute:
		return 0, fmt.Errorf("must be at least 1m, and usually days, like 720h (got %s)", quote(s))
	}
	return d, nil
}

// enum matches s case-insensitively against choices.
func enum(s string, choices ...string) (string, error) {
	for _, c := range choices {
		if strings.EqualFold(s, c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("must be one of %s (got %s)", strings.Join(choices, ", "), quote(s))
}

func parseSameSite(s string) (http.SameSite, error) {
	v, err := enum(s, "lax", "strict", "none")
	switch v {
	case "strict":
		return http.SameSiteStrictMode, nil
	case "none":
		return http.SameSiteNoneMode, nil
	}
	return http.SameSiteLaxMode, err
}

func sameSiteString(m http.SameSite) string {
	switch m {
	case http.SameSiteStrictMode:
		return "strict"
	case http.SameSiteNoneMode:
		return "none"
	case http.SameSiteLaxMode:
		return "lax"
	}
	return ""
}

func parseLogLevel(s string) (slog.Level, error) {
	v, err := enum(s, "debug", "info", "warn", "error")
	var l slog.Level
	if err == nil {
		err = l.UnmarshalText([]byte(v))
	}
	return l, err
}

func parseLogFormat(s string) (string, error) {
	return enum(s, LogFormatAuto, LogFormatJSON, LogFormatText)
}

func parseBool(s string) (bool, error) {
	v, err := enum(s, "true", "false", "1", "0", "yes", "no", "on", "off")
	return v == "true" || v == "1" || v == "yes" || v == "on", err
}

// parseFrameAncestors validates a CSP frame-ancestors source list (CSP3 §6.4.2): 'self', 'none' (alone),
// scheme sources like https:, and host sources like https://portal.example.org or *.example.org.
func parseFrameAncestors(s string) ([]string, error) {
	var out []string
	var errs []error
	for _, tok := range strings.Fields(s) {
		switch lower := strings.ToLower(tok); {
		case lower == "'self'" || lower == "'none'":
			out = append(out, lower)
		case strings.ContainsAny(tok, ";,'\""):
			errs = append(errs, fmt.Errorf("source %s is not allowed: separate sources with spaces; the only quoted values are 'self' and 'none'", quote(tok)))
		case isSchemeSource(tok) || isHostSource(tok):
			out = append(out, tok)
		default:
			errs = append(errs, fmt.Errorf("source %s is not a CSP source; use 'self', 'none', a scheme like https:, or a host like https://portal.example.org", quote(tok)))
		}
	}
	if contains(out, "'none'") && len(out) > 1 {
		errs = append(errs, errors.New("'none' must be the only source"))
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("must list at least one source, like 'self'"))
	}
	return out, errors.Join(errs...)
}

// isScheme reports whether s matches ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlpha(s[i]) && !isDigit(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.' {
			return false
		}
	}
	return true
}

func isAlpha(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isSchemeSource(s string) bool {
	return strings.HasSuffix(s, ":") && isScheme(s[:len(s)-1])
}

// isHostSource matches [ scheme "://" ] host [ ":" port ] [ path ], where host is "*" or
// [ "*." ] labels of letters, digits and '-', port is digits or "*", and path starts with '/'.
func isHostSource(s string) bool {
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		if !isScheme(scheme) {
			return false
		}
		s = rest
	}
	hostPort, path := s, ""
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hostPort, path = s[:i], s[i:]
	}
	if strings.ContainsFunc(path, func(r rune) bool { return r <= ' ' || r >= utf8.RuneSelf }) {
		return false
	}
	host, port, hasPort := strings.Cut(hostPort, ":")
	if hasPort {
		if port == "" || (port != "*" && strings.ContainsFunc(port, func(r rune) bool { return r < '0' || r > '9' })) {
			return false
		}
	}
	if host == "*" {
		return true
	}
	host = strings.TrimPrefix(host, "*.")
	if host == "" {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlpha(label[i]) && !isDigit(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

// parseOrganizationMap parses "claimValue=slug,…". The last '=' separates the sides, so a claim value
// may itself contain '='; commas cannot be expressed.
func parseOrganizationMap(s string) (map[string]string, error) {
	m := map[string]string{}
	var errs []error
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		i := strings.LastIndexByte(item, '=')
		if i < 0 {
			errs = append(errs, fmt.Errorf("pair %s must be claimValue=slug, like north=school-north", quote(item)))
			continue
		}
		key, slug := strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+1:])
		switch {
		case key == "" || slug == "":
			errs = append(errs, fmt.Errorf("pair %s has an empty side; write claimValue=slug, like north=school-north", quote(item)))
		case m[key] != "":
			errs = append(errs, fmt.Errorf("claim value %s is listed twice; each value maps to one organization", quote(key)))
		default:
			if _, err := parseSlug(slug); err != nil {
				errs = append(errs, fmt.Errorf("pair %s: slug %w", quote(item), err))
				continue
			}
			m[key] = slug
		}
	}
	if len(m) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("lists no pair; write claimValue=slug,…, like north=school-north,south=school-south"))
	}
	return m, errors.Join(errs...)
}

func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// durationString writes d the way people write it: 12h rather than 12h0m0s.
func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func setOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return "set"
}

// mapString renders a map as sorted key=value pairs, the way TALKIO_ORGANIZATION_MAP is written.
func mapString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + m[k]
	}
	return strings.Join(pairs, ",")
}
