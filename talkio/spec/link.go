package spec

import (
	"net/url"
	"regexp"
	"strings"
)

// The tutor-link rule, in one place for every entry point (/open, /embed, LTI launches, "users link"):
// which intents may become a path inside the Talkio app, and the shape of the app's partner login URL.

// LinkError is a refused path or template. Field and Problem are fixed texts
// written here, never a copy of the input, so a page may show them.
type LinkError struct {
	Field   string
	Problem string
}

func (e *LinkError) Error() string { return e.Field + ": " + e.Problem }

// MaxPathLen bounds the path forwarded to the Talkio app (README, "Deep links").
const MaxPathLen = 512

// decodeRounds is how many layers of percent-encoding AppPath looks
// through; anything still encoded after that is refused.
const decodeRounds = 3

// templatePattern is the shape of a Talkio prompt template slug. The docs' only example is
// "books-literature"; lower case, digits, - and _ is what a slug is, and keeps it a literal value
// inside the app path's query (no &, =, ? or escapes).
var templatePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,99}$`)

// TemplateProblem is what a refused template slug is told, for every entry point.
const TemplateProblem = "a template name has only lower-case letters, digits, - and _ (at most 100)"

// ValidTemplate reports whether t is a prompt template slug ("books-literature"), the form the
// template parameter of /open and /embed, "users link --template" and "conversations --template" take.
func ValidTemplate(t string) bool { return templatePattern.MatchString(t) }

// AppPath turns the path or template of an /open or /embed link into the
// path given to the Talkio app. A template t means "app/chat?t=t". A path is
// relative inside the Talkio app: letters, digits and / - _ . ? = & % only, no
// leading slash, no "//", no ".." segment, at most MaxPathLen bytes, and no
// percent-encoding (even doubled) that decodes to a slash, a backslash, a colon,
// a control character, a non-ASCII byte or a ".." segment. An empty result
// means "no path" (the Talkio dashboard).
func AppPath(path, template string) (string, error) {
	switch {
	case path != "" && template != "":
		return "", &LinkError{"path", "give either a path or a template, not both"}
	case template != "":
		if !ValidTemplate(template) {
			return "", &LinkError{"template", TemplateProblem}
		}
		return "app/chat?t=" + template, nil
	case path == "":
		return "", nil
	}
	if len(path) > MaxPathLen {
		return "", &LinkError{"path", "the path is longer than 512 characters"}
	}
	for i := 0; i < len(path); i++ {
		if !pathByte(path[i]) {
			return "", &LinkError{"path", "the path has a character that is not allowed (only letters, digits and / - _ . ? = & %)"}
		}
	}
	if path[0] == '/' {
		return "", &LinkError{"path", "the path must be relative to the Talkio app, without a leading slash"}
	}
	s := path
	for round := 0; ; round++ {
		if problem := pathShape(s); problem != "" {
			return "", &LinkError{"path", problem}
		}
		if !strings.Contains(s, "%") {
			return path, nil
		}
		if round == decodeRounds {
			return "", &LinkError{"path", "the path is percent-encoded too many times"}
		}
		d, ok := decodePath(s)
		if !ok {
			return "", &LinkError{"path", "the path has a percent-encoding that is not allowed"}
		}
		s = d
	}
}

// pathByte reports whether b may appear as is in a path (README, "Deep links").
func pathByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("/-_.?=&%", b) >= 0
}

// pathShape checks one decoding of a path for what could leave the Talkio app
// or climb out of it; it returns the problem or "".
func pathShape(s string) string {
	if strings.HasPrefix(s, "/") {
		return "the path must be relative to the Talkio app, without a leading slash"
	}
	if strings.Contains(s, "//") {
		return "the path must not contain //"
	}
	for seg := range strings.FieldsFuncSeq(s, func(r rune) bool { return strings.ContainsRune("/?&=", r) }) {
		if seg == ".." {
			return "the path must not contain .. segments"
		}
	}
	return ""
}

// decodePath undoes one layer of percent-encoding, refusing malformed escapes
// and escapes of bytes that would change the path's meaning downstream.
func decodePath(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		c = unhex(s[i+1])<<4 | unhex(s[i+2])
		if c < 0x20 || c >= 0x7f || strings.IndexByte("/\\:<>\"`", c) >= 0 {
			return "", false
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// LoginURL builds the Talkio app's partner login URL for a token, with every
// value query-escaped: app + "/authentication/partner/?token=…&path=…[&hide-chat-sidebar=true]",
// in the order of the Talkio docs' examples. It holds the fixed prefix,
// computed once, so that building a URL on every open is a single allocation
// plus the path's escaping.
type LoginURL string

// NewLoginURL prepares the login URLs of the Talkio (white-label) app at app.
func NewLoginURL(app *url.URL) LoginURL {
	u := url.URL{
		Scheme: app.Scheme,
		Host:   app.Host,
		Path:   strings.TrimSuffix(app.Path, "/") + "/authentication/partner/",
	}
	return LoginURL(u.String() + "?token=")
}

// Build returns the login URL for a token and an app path (from AppPath; ""
// for the dashboard).
func (p LoginURL) Build(token, path string, hideChatSidebar bool) string {
	token, path = url.QueryEscape(token), url.QueryEscape(path)
	const pathParam, hideParam = "&path=", "&hide-chat-sidebar=true"
	var b strings.Builder
	b.Grow(len(p) + len(token) + len(pathParam) + len(path) + len(hideParam))
	b.WriteString(string(p))
	b.WriteString(token)
	if path != "" {
		b.WriteString(pathParam)
		b.WriteString(path)
	}
	if hideChatSidebar {
		b.WriteString(hideParam)
	}
	return b.String()
}
