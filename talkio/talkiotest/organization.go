package talkiotest

import (
	"net/http"
)

type wirePreference struct {
	OrganizationSlug *string `json:"organizationSlug"`
}

// getOrgPreference handles "GET /users/{id}/organization-preference".
func (h *Handler) getOrgPreference(rc *reqCtx) reply {
	u, bad := rc.activeUser(false)
	if bad != nil {
		return *bad
	}
	var pref wirePreference
	if slug, ok := h.prefs[prefKey(rc.org.Partner, u.ID)]; ok {
		pref.OrganizationSlug = &slug
	}
	return reply{status: http.StatusOK, body: pref}
}

// setOrgPreference handles "PUT /users/{id}/organization-preference". The target must belong to the same
// partner and the user must be an active member of it (400 otherwise); null clears the preference.
func (h *Handler) setOrgPreference(rc *reqCtx) reply {
	u, bad := rc.activeUser(false)
	if bad != nil {
		return *bad
	}
	o, bad := decodeObject(rc.r, rc.body, "organizationSlug")
	if bad != nil {
		return *bad
	}
	key := prefKey(rc.org.Partner, u.ID)
	if o.isNull("organizationSlug") {
		delete(h.prefs, key)
		return reply{status: http.StatusOK, body: wirePreference{}}
	}
	slug := o.requiredStr("organizationSlug")
	if bad := o.err(); bad != nil {
		return *bad
	}
	target, ok := h.orgs[slug]
	if !ok || target.Partner != rc.org.Partner {
		return errorReply(http.StatusBadRequest, "organization %q does not belong to the same partner", slug)
	}
	if m, ok := target.byID[u.ID]; !ok || !m.Active(rc.now) {
		return errorReply(http.StatusBadRequest, "user %q is not a member of organization %q", u.ID, slug)
	}
	h.prefs[key] = slug
	return reply{status: http.StatusOK, body: wirePreference{OrganizationSlug: &slug}}
}
