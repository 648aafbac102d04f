package provision

import "errors"

// Refusals decided by the gateway's own policy.
var (
	// ErrNotAllowed: ALLOWED_GROUPS is set and the user is in none of them.
	ErrNotAllowed = errors.New("provision: user is in none of the allowed groups")
	// ErrNoOrganization: organization routing is on and the user's claim maps
	// to no Talkio organization.
	ErrNoOrganization = errors.New("provision: user's organization claim maps to no Talkio organization")
	// ErrAccountExpired: Talkio holds the user as expired or suspended, or the
	// user's own expiry claim has passed.
	ErrAccountExpired = errors.New("provision: user's Talkio account is expired")
)
