package provision

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// EntryPoint is the way a person reached the provisioning core; the policy differs slightly between
// them (e.g. with SCIM on, a sign-in does not create users) and the metrics count them apart.
type EntryPoint string

// The entry points.
const (
	SignIn EntryPoint = "oidc" // OpenID Connect sign-in (the callback)
	LTI    EntryPoint = "lti"  // an LTI 1.3 launch from a learning platform
	SCIM   EntryPoint = "scim" // a SCIM 2.0 push from the partner's directory
	CLI    EntryPoint = "cli"  // an operator's admin command
)

// PseudonymPrefix starts every pseudonymous Talkio id, so that an operator can tell the mode from an id.
const PseudonymPrefix = "p_"

// MinIDKeyLength is the shortest TALKIO_USER_ID_KEY accepted, in bytes.
const MinIDKeyLength = 32

// IDRule turns the identifier an entry point knows a person by (the provider's issuer and the
// CLAIM_USER_ID value, an LTI platform's issuer and sub, a SCIM attribute with the OIDC issuer) into
// the Talkio user id. It is the one place that rule lives: sign-in, LTI, SCIM and the admin CLI all
// use it, so that the same person is one Talkio user whichever way they come in.
//
// With a Key (TALKIO_USER_ID_MODE=pseudonymous) the id is a keyed hash, HMAC-SHA-256 under Key of the
// issuer and subject: stable across sign-ins and replicas, different under another key, and not
// reversible by Talkio. Without one (claim mode) it is the subject itself.
type IDRule struct {
	Key []byte // nil: claim mode
}

// Pseudonymous reports whether the rule hashes ids.
func (r IDRule) Pseudonymous() bool { return len(r.Key) > 0 }

// UserID is the Talkio id of the person the issuer knows as subject.
func (r IDRule) UserID(issuer, subject string) string {
	if !r.Pseudonymous() {
		return subject
	}
	return PseudonymPrefix + r.hash(issuer, subject)
}

// ScopedUserID is the Talkio id of a subject that is only unique within its issuer (an LTI platform's
// sub): pseudonymous mode is scoped already; claim mode prefixes a short digest of the issuer, so the
// same sub from two platforms never collides while the id stays readable.
func (r IDRule) ScopedUserID(issuer, subject string) string {
	if r.Pseudonymous() {
		return r.UserID(issuer, subject)
	}
	sum := sha256.Sum256([]byte(issuer))
	return ltiPrefix + strings.ToLower(b32.EncodeToString(sum[:5])) + "_" + subject
}

// ltiPrefix starts every claim-mode LTI id; the core refuses it from the other entry points.
const ltiPrefix = "lti_"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// hash is the keyed digest of (issuer, subject): 20 bytes (160 bits, far beyond collision reach for
// any school), lower-case base32 so that it is URL-safe and case-insensitive.
func (r IDRule) hash(issuer, subject string) string {
	m := hmac.New(sha256.New, r.Key)
	// Length-prefix the issuer so that ("ab","c") and ("a","bc") differ.
	var n [4]byte
	n[0], n[1], n[2], n[3] = byte(len(issuer)>>24), byte(len(issuer)>>16), byte(len(issuer)>>8), byte(len(issuer))
	m.Write(n[:])
	m.Write([]byte(issuer))
	m.Write([]byte(subject))
	return strings.ToLower(b32.EncodeToString(m.Sum(nil)[:20]))
}
