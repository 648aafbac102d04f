package talkiotest

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

type wireUser struct {
	ID               string  `json:"id"`
	UserName         string  `json:"userName"`
	UserType         string  `json:"userType"`
	Email            *string `json:"email"`
	PhoneNumber      *string `json:"phoneNumber"`
	AccountExpiresAt *string `json:"accountExpiresAt"`
	ProductID        *string `json:"productId"`
	CreatedAt        string  `json:"createdAt"`
}

type wireExpiredUser struct {
	wireUser
	ExpiredAt  string `json:"expiredAt"`
	MemberType string `json:"memberType"`
}

func toWireUser(u User) wireUser {
	return wireUser{
		ID:               u.ID,
		UserName:         u.UserName,
		UserType:         u.UserType,
		Email:            strPtr(u.Email),
		PhoneNumber:      strPtr(u.PhoneNumber),
		AccountExpiresAt: fmtTimePtr(u.AccountExpiresAt),
		ProductID:        strPtr(u.ProductID),
		CreatedAt:        fmtTime(u.CreatedAt),
	}
}

func toWireExpired(u User) wireExpiredUser {
	return wireExpiredUser{wireUser: toWireUser(u), ExpiredAt: fmtTime(*u.AccountExpiresAt), MemberType: u.UserType}
}

type pageInfo struct {
	Page       int `json:"page"`
	Limit      int `json:"limit"`
	Total      int `json:"total"`
	TotalPages int `json:"totalPages"`
}

type usersPage struct {
	Users []wireUser `json:"users"`
	pageInfo
}

type expiredUsersPage struct {
	ExpiredUsers []wireExpiredUser `json:"expiredUsers"`
	pageInfo
}

func userNotFound(id string) reply { return errorReply(http.StatusNotFound, "user %q not found", id) }

// activeUser finds an active user by id (or email when byEmail), else the 404 reply, or for an expired
// user the status Options.ExpiredStatus chose for this endpoint.
func (rc *reqCtx) activeUser(byEmail bool) (*userRec, *reply) {
	id := rc.params["id"]
	u := rc.org.lookup(id, byEmail)
	if u != nil && !u.Active(rc.now) {
		if status, ok := rc.expiredStatus[faultKey(rc.endpoint)]; ok && status != http.StatusNotFound {
			rep := errorReply(status, "user %q is no longer active", id)
			return nil, &rep
		}
	}
	if u == nil || !u.Active(rc.now) {
		rep := userNotFound(id)
		return nil, &rep
	}
	return u, nil
}

// anyUser finds a user by id, active or expired.
func (rc *reqCtx) anyUser() (*userRec, *reply) {
	id := rc.params["id"]
	u := rc.org.lookup(id, false)
	if u == nil {
		rep := userNotFound(id)
		return nil, &rep
	}
	return u, nil
}

// createUser handles "POST /users".
func (h *Handler) createUser(rc *reqCtx) reply {
	o, bad := decodeObject(rc.r, rc.body, "id", "userName", "userType", "email", "phoneNumber", "accountExpiresAt", "productId")
	if bad != nil {
		return *bad
	}
	u := User{CreatedAt: rc.now}
	u.ID = o.requiredStr("id")
	u.UserName = o.requiredStr("userName")
	u.UserType = o.requiredStr("userType")
	if u.UserType != "" && !validUserType(u.UserType) {
		o.fail("userType must be one of: member, facilitator")
	}
	u.Email, _ = o.email("email")
	u.PhoneNumber, _ = o.str("phoneNumber")
	u.ProductID, _ = o.str("productId")
	if t, ok := o.timestamp("accountExpiresAt"); ok {
		u.AccountExpiresAt = &t
	}
	if bad := o.err(); bad != nil {
		return *bad
	}
	if _, dup := rc.org.byID[u.ID]; dup {
		return errorReply(http.StatusConflict, "user %q already exists", u.ID)
	}
	if u.Email != "" && rc.org.emailTaken(u.Email, "") {
		return errorReply(http.StatusConflict, "email already belongs to another user")
	}
	rec := h.insertUser(rc.org, u)
	return reply{status: http.StatusCreated, body: toWireUser(rec.User)}
}

type wireInvitation struct {
	ID               string  `json:"id"`
	Email            string  `json:"email"`
	AccountExpiresAt *string `json:"accountExpiresAt"`
	OrganizationSlug string  `json:"organizationSlug"`
	Status           string  `json:"status"`
	CreatedAt        string  `json:"createdAt"`
}

// inviteUser handles "POST /users/invite".
func (h *Handler) inviteUser(rc *reqCtx) reply {
	o, bad := decodeObject(rc.r, rc.body, "email", "accountExpiresAt")
	if bad != nil {
		return *bad
	}
	email := o.requiredStr("email")
	if email != "" && !validEmail(email) {
		o.fail("email must be an email address")
	}
	inv := Invitation{ID: "inv_" + randomHex(8), Email: email, CreatedAt: rc.now}
	if t, ok := o.timestamp("accountExpiresAt"); ok {
		inv.AccountExpiresAt = &t
	}
	if bad := o.err(); bad != nil {
		return *bad
	}
	if rc.org.emailTaken(email, "") {
		return errorReply(http.StatusConflict, "a user with this email already exists")
	}
	for _, have := range rc.org.invitations {
		if strings.EqualFold(have.Email, email) {
			return errorReply(http.StatusConflict, "an invitation for this email is pending")
		}
	}
	rc.org.invitations = append(rc.org.invitations, inv)
	return reply{status: http.StatusCreated, body: wireInvitation{
		ID: inv.ID, Email: inv.Email, AccountExpiresAt: fmtTimePtr(inv.AccountExpiresAt),
		OrganizationSlug: rc.org.Slug, Status: "pending", CreatedAt: fmtTime(inv.CreatedAt),
	}}
}

// getUser handles "GET /users/{id}"; the id may be an email.
func (h *Handler) getUser(rc *reqCtx) reply {
	u, bad := rc.activeUser(true)
	if bad != nil {
		return *bad
	}
	return reply{status: http.StatusOK, body: toWireUser(u.User)}
}

// listUsers handles "GET /users".
func (h *Handler) listUsers(rc *reqCtx) reply {
	q := newQuery(rc.r)
	page, limit := q.paging()
	userType := q.v.Get("userType")
	if q.v.Has("userType") && !validUserType(userType) {
		q.fail("userType must be one of: member, facilitator")
	}
	if bad := q.err(); bad != nil {
		return *bad
	}
	var all []wireUser
	for _, u := range rc.org.users {
		if u.Active(rc.now) && (userType == "" || u.UserType == userType) {
			all = append(all, toWireUser(u.User))
		}
	}
	items, total, pages := paginate(all, page, limit)
	return reply{status: http.StatusOK, body: usersPage{Users: items, pageInfo: pageInfo{page, limit, total, pages}}}
}

// updateUser handles "PUT /users/{id}": absent fields stay, null or "" clears optional ones.
func (h *Handler) updateUser(rc *reqCtx) reply {
	u, bad := rc.activeUser(false)
	if bad != nil {
		return *bad
	}
	o, bad := decodeObject(rc.r, rc.body, "userName", "email", "phoneNumber", "accountExpiresAt", "productId")
	if bad != nil {
		return *bad
	}
	next := cloneUser(u.User)
	if o.has("userName") {
		next.UserName = o.requiredStr("userName")
	}
	if o.has("email") {
		next.Email, _ = o.email("email")
	}
	if o.has("phoneNumber") {
		next.PhoneNumber, _ = o.str("phoneNumber")
	}
	if o.has("productId") {
		next.ProductID, _ = o.str("productId")
	}
	if o.has("accountExpiresAt") {
		next.AccountExpiresAt = nil
		if t, ok := o.timestamp("accountExpiresAt"); ok {
			next.AccountExpiresAt = &t
		}
	}
	if bad := o.err(); bad != nil {
		return *bad
	}
	if next.Email != "" && rc.org.emailTaken(next.Email, u.ID) {
		return errorReply(http.StatusConflict, "email already belongs to another user")
	}
	u.User = next
	return reply{status: http.StatusOK, body: toWireUser(u.User)}
}

// deleteUser handles "DELETE /users/{id}", for active and expired users alike.
func (h *Handler) deleteUser(rc *reqCtx) reply {
	u, bad := rc.anyUser()
	if bad != nil {
		return *bad
	}
	h.removeUser(rc.org, u)
	return reply{status: http.StatusNoContent}
}

type wireToken struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
	LoginLink string `json:"loginLink"`
}

// userToken handles "GET /users/{id}/token".
func (h *Handler) userToken(rc *reqCtx) reply {
	u, bad := rc.activeUser(false)
	if bad != nil {
		return *bad
	}
	tok := newToken()
	exp := rc.now.Add(h.opts.TokenTTL)
	h.tokens[tok] = &tokenRec{org: rc.org.Slug, userID: u.ID, expiresAt: exp}
	h.issued++
	link := h.appBase(rc.r) + "/authentication/partner/?token=" + url.QueryEscape(tok)
	return reply{status: http.StatusOK, body: wireToken{Token: tok, ExpiresAt: fmtTime(exp), LoginLink: link}}
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// listExpiredUsers handles "GET /expired-users".
func (h *Handler) listExpiredUsers(rc *reqCtx) reply {
	q := newQuery(rc.r)
	page, limit := q.paging()
	if bad := q.err(); bad != nil {
		return *bad
	}
	var all []wireExpiredUser
	for _, u := range rc.org.users {
		if !u.Active(rc.now) {
			all = append(all, toWireExpired(u.User))
		}
	}
	items, total, pages := paginate(all, page, limit)
	return reply{status: http.StatusOK, body: expiredUsersPage{ExpiredUsers: items, pageInfo: pageInfo{page, limit, total, pages}}}
}

// getExpiredUser handles "GET /expired-users/{id}"; the id may be an email.
func (h *Handler) getExpiredUser(rc *reqCtx) reply {
	id := rc.params["id"]
	u := rc.org.lookup(id, true)
	if u == nil || u.Active(rc.now) {
		return errorReply(http.StatusNotFound, "expired user %q not found", id)
	}
	return reply{status: http.StatusOK, body: toWireExpired(u.User)}
}
