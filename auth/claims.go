package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Bounds of the mapped claims, decided before anything is provisioned so that a sign-in never fails
// half-way (a Talkio user created, then no session because the cookie would not hold the profile). The
// Partner API documents no maximum; these are the common column sizes and the standards' own limits, and
// together (JSON without HTML escaping, encrypted, twice base64) they keep the session cookie under the
// browsers' 4 KB whatever the values (TestSessionOfLongestClaimsFits).
const (
	// MaxUserIDLength is the longest user id accepted, in bytes; 255 is the common database column size
	// and keeps the URLs that carry it short. Longer: ErrInvalidUserID.
	MaxUserIDLength = 255
	// MaxNameRunes is the longest display name kept, in characters: a longer one is cut on a character
	// boundary (a name is only shown, and a cut name still says who it is).
	MaxNameRunes = 128
	// MaxEmailLength is the longest email accepted, in bytes (RFC 5321's path limit). Longer:
	// ErrInvalidClaim, since a cut address would be another person's.
	MaxEmailLength = 254
	// MaxPhoneLength is the longest phone number accepted, in bytes (E.164 has at most 15 digits; room
	// is left for formatting). Longer: ErrInvalidClaim, like an email.
	MaxPhoneLength = 32
	// MaxLocaleLength is the longest locale kept, in bytes (RFC 5646 §4.4.1's 35 characters); a longer
	// one is dropped: it is a preference, not worth refusing a person for.
	MaxLocaleLength = 35
	// MaxOrganizationLength is the longest organization claim accepted, in bytes. Longer:
	// ErrInvalidClaim (it routes the user; a cut value could route elsewhere).
	MaxOrganizationLength = 255
	// MaxGroups and MaxGroupLength bound the groups claim: more groups, or a longer one, is
	// ErrInvalidClaim, since leaving some out could change what the access policy decides.
	MaxGroups      = 1000
	MaxGroupLength = 1024
)

// claimSet is a JSON object of claims, values left raw until a mapping reads them.
type claimSet map[string]json.RawMessage

// has reports whether the claim is present and not null.
func (c claimSet) has(name string) bool {
	v, ok := c[name]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// missing lists the configured claim names the set lacks.
func (c claimSet) missing(n ClaimNames) []string {
	var out []string
	for _, name := range []string{n.UserID, n.Name, n.Email, n.Phone, n.Groups, n.Locale, n.AccountExpiresAt, n.Organization} {
		if name != "" && !c.has(name) {
			out = append(out, name)
		}
	}
	return out
}

// mapIdentity reads the mapped claims from the ID token and, for those it lacks, from the userinfo
// endpoint — only what is missing, as oauth2-proxy's claim extractor does.
func (a *Authenticator) mapIdentity(ctx context.Context, d *discovered, idt *oidc.IDToken, tok *oauth2.Token) (*Identity, error) {
	var claims claimSet
	if err := idt.Claims(&claims); err != nil {
		return nil, fail(ErrVerification, "read id token claims", err)
	}
	names := a.cfg.Claims
	// Refuse before asking userinfo: Entra ID's userinfo has no groups either, and a userinfo failure
	// would hide the one message that says how to fix the provider.
	if names.Groups != "" && !claims.has(names.Groups) && groupOverage(claims, names.Groups) {
		return nil, ErrGroupOverage
	}
	if missing := claims.missing(names); len(missing) > 0 && d.provider.UserInfoEndpoint() != "" {
		ui, err := d.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, classify("userinfo", err)
		}
		// OpenID Connect Core §5.3.2: the userinfo sub must be the ID token's, else the answer is not
		// about this user.
		if ui.Subject != idt.Subject {
			return nil, fail(ErrVerification, "userinfo", errors.New("its sub differs from the ID token's"))
		}
		var extra claimSet
		if err := ui.Claims(&extra); err != nil {
			return nil, fail(ErrVerification, "userinfo", err)
		}
		for _, name := range missing {
			if extra.has(name) {
				claims[name] = extra[name]
			}
		}
	}
	return mapClaims(claims, names, idt.Subject)
}

// groupOverage reports whether the token says the groups were left out (Microsoft Entra ID: a
// "_claim_names" entry for the groups claim, or "hasgroups": true in implicit-flow tokens).
func groupOverage(c claimSet, groupsClaim string) bool {
	if c.has("_claim_names") {
		var names map[string]json.RawMessage
		if json.Unmarshal(c["_claim_names"], &names) == nil {
			if _, ok := names[groupsClaim]; ok {
				return true
			}
		}
	}
	if groupsClaim == "groups" && c.has("hasgroups") {
		var has bool
		if json.Unmarshal(c["hasgroups"], &has) == nil && has {
			return true
		}
	}
	return false
}

// mapClaims builds the Identity from the merged claims.
func mapClaims(c claimSet, n ClaimNames, subject string) (*Identity, error) {
	id := &Identity{Subject: subject}

	uid, err := claimString(c, n.UserID)
	switch {
	case err != nil:
		return nil, fail(ErrInvalidUserID, "user id", err)
	case uid == "":
		return nil, fail(ErrInvalidUserID, fmt.Sprintf("user id: claim %q is missing or empty", n.UserID), nil)
	case len(uid) > MaxUserIDLength:
		return nil, fail(ErrInvalidUserID, fmt.Sprintf("user id: claim %q is %d bytes; at most %d are accepted", n.UserID, len(uid), MaxUserIDLength), nil)
	case !printable(uid):
		return nil, fail(ErrInvalidUserID, fmt.Sprintf("user id: claim %q holds control characters or invalid UTF-8", n.UserID), nil)
	}
	id.UserID = uid

	for _, f := range []struct {
		name string
		dst  *string
	}{{n.Name, &id.Name}, {n.Email, &id.Email}, {n.Phone, &id.Phone}, {n.Locale, &id.Locale}} {
		if *f.dst, err = claimString(c, f.name); err != nil {
			return nil, fail(ErrInvalidClaim, "map claims", err)
		}
	}
	if id.Organization, err = claimFirstString(c, n.Organization); err != nil {
		return nil, fail(ErrInvalidClaim, "map claims", err)
	}
	if id.Groups, err = claimStrings(c, n.Groups); err != nil {
		return nil, fail(ErrInvalidClaim, "map claims", err)
	}
	if id.AccountExpiresAt, err = claimTime(c, n.AccountExpiresAt); err != nil {
		return nil, fail(ErrInvalidClaim, "map claims", err)
	}
	if err := bound(id, n); err != nil {
		return nil, fail(ErrInvalidClaim, "map claims", err)
	}
	return id, nil
}

// bound applies the claim bounds above: it cuts the name, drops an over-long locale, and refuses what
// cannot be shortened without changing whom or what it names.
func bound(id *Identity, n ClaimNames) error {
	id.Name = truncateRunes(strings.Map(dropControl, id.Name), MaxNameRunes)
	if len(id.Locale) > MaxLocaleLength {
		id.Locale = ""
	}
	for _, f := range []struct {
		claim, value string
		max          int
	}{{n.Email, id.Email, MaxEmailLength}, {n.Phone, id.Phone, MaxPhoneLength}, {n.Organization, id.Organization, MaxOrganizationLength}} {
		if len(f.value) > f.max {
			return fmt.Errorf("claim %q is %d bytes; at most %d are accepted", f.claim, len(f.value), f.max)
		}
		if !printable(f.value) {
			return fmt.Errorf("claim %q holds control characters or invalid UTF-8", f.claim)
		}
	}
	if len(id.Groups) > MaxGroups {
		return fmt.Errorf("claim %q lists %d groups; at most %d are accepted", n.Groups, len(id.Groups), MaxGroups)
	}
	for _, g := range id.Groups {
		if len(g) > MaxGroupLength {
			return fmt.Errorf("claim %q holds a group of %d bytes; at most %d are accepted", n.Groups, len(g), MaxGroupLength)
		}
	}
	return nil
}

// dropControl removes control characters (and, through strings.Map, invalid UTF-8 becomes U+FFFD).
func dropControl(r rune) rune {
	if unicode.IsControl(r) {
		return -1
	}
	return r
}

// truncateRunes cuts s to at most n characters, on a character boundary.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

func printable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// claimString reads a string claim; a number is taken as its decimal text (numeric subject ids). An
// unused name or an absent claim is "".
func claimString(c claimSet, name string) (string, error) {
	if name == "" || !c.has(name) {
		return "", nil
	}
	s, ok := scalar(c[name])
	if !ok {
		return "", fmt.Errorf("claim %q is %s, not a string or number", name, jsonKind(c[name]))
	}
	return s, nil
}

// claimFirstString is claimString that also takes the first element of an array (an organization claim
// may be a list).
func claimFirstString(c claimSet, name string) (string, error) {
	if name == "" || !c.has(name) {
		return "", nil
	}
	var list []json.RawMessage
	if json.Unmarshal(c[name], &list) == nil {
		if len(list) == 0 {
			return "", nil
		}
		return claimString(claimSet{name: list[0]}, name)
	}
	return claimString(c, name)
}

// claimStrings reads a list claim: an array of strings (numbers as their text) or a single string, kept
// as given.
func claimStrings(c claimSet, name string) ([]string, error) {
	if name == "" || !c.has(name) {
		return nil, nil
	}
	if s, ok := scalar(c[name]); ok {
		return []string{s}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(c[name], &list); err != nil {
		return nil, fmt.Errorf("claim %q is %s, not a list of strings", name, jsonKind(c[name]))
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := scalar(v)
		if !ok {
			return nil, fmt.Errorf("claim %q holds %s, not only strings", name, jsonKind(v))
		}
		out = append(out, s)
	}
	return out, nil
}

// claimTime reads a point in time: an RFC 3339 string, or Unix seconds as a number or numeric string.
func claimTime(c claimSet, name string) (*time.Time, error) {
	s, err := claimString(c, name)
	if err != nil || s == "" {
		return nil, err
	}
	var t time.Time
	if p, err := time.Parse(time.RFC3339, s); err == nil {
		t = p.UTC()
	} else if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
		t = time.Unix(sec, 0).UTC()
	} else if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) < 1e15 {
		sec, frac := math.Modf(f)
		t = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	} else {
		return nil, fmt.Errorf("claim %q is neither an RFC 3339 time nor Unix seconds", name)
	}
	// The expiry goes to the Partner API as RFC 3339, which has four-digit years only.
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("claim %q is a time in the year %d; RFC 3339 allows 0 to 9999", name, y)
	}
	return &t, nil
}

// scalar returns a JSON string's value or a JSON number's text.
func scalar(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return "", false
		}
		return n.String(), true
	}
	return "", false
}

func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a scalar"
}
