package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// TALKIO_USER_ID_MODE values.
const (
	IDModeClaim        = "claim"        // the Talkio id is the CLAIM_USER_ID value
	IDModePseudonymous = "pseudonymous" // the Talkio id is a keyed hash of the issuer and that value
)

// SCIM_USER_ID_ATTRIBUTE and SCIM_DEACTIVATE values.
const (
	SCIMAttributeExternalID = "externalId"
	SCIMAttributeUserName   = "userName"
	SCIMDeactivateDelete    = "delete"
	SCIMDeactivateSuspend   = "suspend"
)

// minTokenLen is the shortest SCIM token accepted: 32 characters. A bearer token is a password that an
// identity provider sends on every push and an attacker may guess at will over the network; 32
// characters of a generated token (openssl rand -base64 32 gives 44) is beyond any guessing, the same
// bar as the session keys, and every identity provider's secret-token field takes that much.
const minTokenLen = 32

// SendFields says which profile fields go to Talkio besides the id (TALKIO_SEND_FIELDS).
type SendFields struct {
	Name, Email, Phone bool
}

// String writes the fields the way TALKIO_SEND_FIELDS is written: "name,email,phone" or "none".
func (f SendFields) String() string {
	var out []string
	if f.Name {
		out = append(out, "name")
	}
	if f.Email {
		out = append(out, "email")
	}
	if f.Phone {
		out = append(out, "phone")
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ",")
}

func parseSendFields(s string) (SendFields, error) {
	var f SendFields
	var errs []error
	items := parseList(strings.ToLower(s))
	for _, item := range items {
		switch item {
		case "name":
			f.Name = true
		case "email":
			f.Email = true
		case "phone":
			f.Phone = true
		case "none":
			if len(items) > 1 {
				errs = append(errs, errors.New("none must stand alone; list the fields to send, or none"))
			}
		default:
			errs = append(errs, fmt.Errorf("field %s is not one of name, email, phone, or none", quote(item)))
		}
	}
	if len(items) == 0 {
		errs = append(errs, errors.New("lists no field; write any of name, email, phone, or none"))
	}
	return f, errors.Join(errs...)
}

// parseIDKey accepts the pseudonymous ids' key: any bytes, at least 32 of them.
func parseIDKey(s string) ([]byte, error) {
	if len(s) < minKeyLen {
		return nil, fmt.Errorf("must be at least %d bytes (got %d); generate one with: openssl rand -base64 48", minKeyLen, len(s))
	}
	return []byte(s), nil
}

// parseTokens accepts comma-separated bearer tokens, each header-safe, at least minTokenLen long and
// different from the others. A problem never shows a token.
func parseTokens(s string) ([]string, error) {
	const gen = "generate one with: openssl rand -base64 32"
	var items []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	if len(items) == 0 {
		return nil, errors.New("holds no token; " + gen)
	}
	var errs []error
	seen := map[string]int{}
	for i, item := range items {
		what := "must be"
		if len(items) > 1 {
			what = fmt.Sprintf("token %d of %d must be", i+1, len(items))
		}
		if len(item) < minTokenLen {
			errs = append(errs, fmt.Errorf("%s at least %d characters (got %d); %s", what, minTokenLen, len(item), gen))
		}
		if _, err := parseHeaderSecret(item); err != nil {
			errs = append(errs, fmt.Errorf("%s printable ASCII without spaces", what))
		}
		if j, dup := seen[item]; dup {
			errs = append(errs, fmt.Errorf("token %d repeats token %d; each token must be different", i+1, j+1))
		}
		seen[item] = i
	}
	return items, errors.Join(errs...)
}

// parseIntRange accepts a whole number from lo to hi.
func parseIntRange(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("must be a whole number from %d to %d (got %s)", lo, hi, quote(s))
	}
	return n, nil
}

// parseRate accepts a positive, finite number of events per second, at most 1000.
func parseRate(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f <= 1000) {
		return 0, fmt.Errorf("must be a number above 0 and at most 1000, like 1 or 0.5 (got %s)", quote(s))
	}
	return f, nil
}
