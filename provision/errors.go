package provision

import (
	"errors"
	"net/http"

	"talkio-gateway/talkio"
)

// Refusals decided by the gateway's own policy, and the two answers of Talkio that the core explains.
var (
	// ErrNotAllowed: ALLOWED_GROUPS is set and the user is in none of them.
	ErrNotAllowed = errors.New("provision: user is in none of the allowed groups")
	// ErrNoOrganization: organization routing is on and the user's claim maps
	// to no Talkio organization.
	ErrNoOrganization = errors.New("provision: user's organization claim maps to no Talkio organization")
	// ErrAccountExpired: Talkio holds the user as expired or suspended, or the
	// user's own expiry claim has passed.
	ErrAccountExpired = errors.New("provision: user's Talkio account is expired")
	// ErrNotProvisioned: no Talkio user has the id, and this entry point may not create one
	// (Options.SignInCreates is false: the partner's directory pushes users over SCIM).
	ErrNotProvisioned = errors.New("provision: user has no Talkio account and may not be given one at sign-in")
	// ErrNoUser: Talkio refused a token because no user has the id (deleted since the session
	// began), and not because the account expired. It wraps the API's error.
	ErrNoUser = errors.New("provision: no Talkio user has the id")
	// ErrReservedID: an id of another entry point's form (an LTI id, "lti_…") reached the core from
	// sign-in, SCIM or the CLI. In claim mode a person who can choose their CLAIM_USER_ID value (a
	// username, an email) could otherwise pick an LTI learner's id and be given that account.
	ErrReservedID = errors.New("provision: the user id has the form reserved for LTI launches")
)

// Outcome is what an error from this package (or from the Partner API beneath it) means for the person
// and the operator. It is the one classification: the web layer's error pages and the sign-in metrics
// both read it, so that a page and a counter never disagree about what happened.
type Outcome int

// The outcomes. String names one (messages, tests); the sign-in metrics map them to their own words
// (handlers/metrics.go), since two outcomes share "upstream_error" there.
const (
	// Unclassified: not an error of provisioning or of the Partner API (e.g. a sign-in failure).
	Unclassified Outcome = iota
	// Success: no error.
	Success
	// RefusedGroup: ErrNotAllowed.
	RefusedGroup
	// RefusedOrganization: ErrNoOrganization.
	RefusedOrganization
	// NotProvisioned: ErrNotProvisioned.
	NotProvisioned
	// ReservedID: ErrReservedID.
	ReservedID
	// Expired: ErrAccountExpired.
	Expired
	// TalkioBusy: the Partner API answered 429 or 503 (after the client's retries); waiting helps.
	TalkioBusy
	// TalkioFailed: any other Partner API failure: an unexpected answer, a request the client refused
	// to send, or no answer at all.
	TalkioFailed
)

var outcomeWords = [...]string{
	Unclassified:        "unclassified",
	Success:             "success",
	RefusedGroup:        "refused_group",
	RefusedOrganization: "refused_organization",
	NotProvisioned:      "not_provisioned",
	ReservedID:          "reserved_id",
	Expired:             "expired",
	TalkioBusy:          "talkio_busy",
	TalkioFailed:        "talkio_error",
}

func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeWords) {
		return outcomeWords[o]
	}
	return "unclassified"
}

// Refused reports whether the outcome is a decision about the person (the policy or Talkio said no),
// which trying again does not change.
func (o Outcome) Refused() bool {
	switch o {
	case RefusedGroup, RefusedOrganization, NotProvisioned, Expired, ReservedID:
		return true
	}
	return false
}

// Upstream reports whether the Partner API failed (trying again may help).
func (o Outcome) Upstream() bool { return o == TalkioBusy || o == TalkioFailed }

// Classify says what err means. The refusals are checked first: an ErrAccountExpired that explains a
// Talkio 403 is an expiry, not a Partner API failure.
func Classify(err error) Outcome {
	switch {
	case err == nil:
		return Success
	case errors.Is(err, ErrNotAllowed):
		return RefusedGroup
	case errors.Is(err, ErrNoOrganization):
		return RefusedOrganization
	case errors.Is(err, ErrNotProvisioned):
		return NotProvisioned
	case errors.Is(err, ErrReservedID):
		return ReservedID
	case errors.Is(err, ErrAccountExpired):
		return Expired
	}
	var te *talkio.Error
	if errors.As(err, &te) {
		if te.StatusCode == http.StatusServiceUnavailable || te.StatusCode == http.StatusTooManyRequests {
			return TalkioBusy
		}
		return TalkioFailed
	}
	var ve *talkio.ValidationError
	if errors.As(err, &ve) || errors.Is(err, talkio.ErrUnavailable) {
		return TalkioFailed
	}
	return Unclassified
}

// goneStatus reports whether err is a Partner API answer that may mean "this account expired": the
// documentation does not say what the token and user endpoints answer for an expired account, and
// 403, 404 and 410 are all plausible.
func goneStatus(err error) (int, bool) {
	var te *talkio.Error
	if !errors.As(err, &te) {
		return 0, false
	}
	switch te.StatusCode {
	case http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		return te.StatusCode, true
	}
	return 0, false
}
