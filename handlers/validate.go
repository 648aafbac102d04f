package handlers

import (
	"net/url"
	"strings"

	"talkio-gateway/auth"
)

// InputError is a mistake in what the browser sent (a link's path, template or
// return address). Field and Problem are fixed texts written here, never a copy
// of the input, so the error page may show them.
type InputError struct {
	Field   string
	Problem string
}

func (e *InputError) Error() string { return "handlers: " + e.Field + ": " + e.Problem }

// maxReturnToLen is what fits in auth's login-attempt cookie; an /embed link
// with a 512-byte path, fully percent-encoded, still fits.
const maxReturnToLen = auth.MaxReturnToLength

// returnToPaths are the gateway pages a sign-in may come back to. Listing them
// (rather than accepting any local path) makes an open redirect impossible by
// construction: every other page is either an action or the login itself.
var returnToPaths = map[string]bool{"/": true, "/open": true, "/embed": true}

// ValidateReturnTo checks where a sign-in may come back to: one of this
// gateway's pages ("/", "/open", "/embed"), optionally with a well-formed query,
// printable ASCII only. Empty means "/".
func ValidateReturnTo(s string) (string, error) {
	if s == "" {
		return "/", nil
	}
	if len(s) > maxReturnToLen {
		return "", &InputError{"return_to", "the return address is too long"}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' {
			return "", &InputError{"return_to", "the return address has a character that is not allowed"}
		}
	}
	p, q, _ := strings.Cut(s, "?")
	if !returnToPaths[p] {
		return "", &InputError{"return_to", "the return address is not a page of this gateway"}
	}
	if _, err := url.ParseQuery(q); err != nil {
		return "", &InputError{"return_to", "the return address has a malformed query"}
	}
	return s, nil
}
