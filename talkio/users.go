package talkio

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// User types accepted by the API.
const (
	UserTypeMember      = "member"
	UserTypeFacilitator = "facilitator"
)

// User is an active user of an organization.
type User struct {
	ID               string     // "id": the partner's own user id
	UserName         string     // "userName"
	UserType         string     // "userType": UserTypeMember or UserTypeFacilitator
	Email            string     // "email"
	PhoneNumber      string     // "phoneNumber"
	ProductID        string     // "productId"
	AccountExpiresAt *time.Time // "accountExpiresAt"; nil when the account does not expire

	// Extra holds the fields the docs do not list, exactly as received.
	Extra map[string]json.RawMessage
}

func (u *User) decodeTargets() map[string]any {
	return map[string]any{
		"id": &u.ID, "userName": &u.UserName, "userType": &u.UserType, "email": &u.Email,
		"phoneNumber": &u.PhoneNumber, "productId": &u.ProductID, "accountExpiresAt": &optTime{&u.AccountExpiresAt},
	}
}

func (u *User) encodeValues() map[string]any {
	return map[string]any{
		"id": u.ID, "userName": u.UserName, "userType": u.UserType, "email": u.Email,
		"phoneNumber": u.PhoneNumber, "productId": u.ProductID, "accountExpiresAt": timePtr(u.AccountExpiresAt),
	}
}

// UnmarshalJSON decodes the documented fields and keeps the rest in Extra.
func (u *User) UnmarshalJSON(data []byte) error {
	*u = User{}
	extra, err := decodeFields(data, u.decodeTargets())
	u.Extra = extra
	return err
}

// MarshalJSON writes the documented fields (empty ones omitted) and Extra.
func (u User) MarshalJSON() ([]byte, error) { return encodeFields(u.Extra, u.encodeValues()) }

// CreateUserRequest is the body of CreateUser. ID, UserName and UserType are required.
type CreateUserRequest struct {
	ID               string
	UserName         string
	UserType         string // UserTypeMember or UserTypeFacilitator
	Email            string // optional
	PhoneNumber      string // optional
	ProductID        string // optional
	AccountExpiresAt *time.Time
}

func (r *CreateUserRequest) validate() error {
	if r == nil {
		return &ValidationError{Field: "request", Problem: "is required"}
	}
	if err := checkRequired("id", r.ID); err != nil {
		return err
	}
	if err := checkRequired("userName", r.UserName); err != nil {
		return err
	}
	if err := checkUserType("userType", r.UserType, false); err != nil {
		return err
	}
	return checkTime("accountExpiresAt", r.AccountExpiresAt)
}

// MarshalJSON writes the request with the API's names; empty optional fields are not sent.
func (r CreateUserRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID               string   `json:"id"`
		UserName         string   `json:"userName"`
		UserType         string   `json:"userType"`
		Email            string   `json:"email,omitempty"`
		PhoneNumber      string   `json:"phoneNumber,omitempty"`
		AccountExpiresAt *apiTime `json:"accountExpiresAt,omitempty"`
		ProductID        string   `json:"productId,omitempty"`
	}{r.ID, r.UserName, r.UserType, r.Email, r.PhoneNumber, timePtr(r.AccountExpiresAt), r.ProductID})
}

// UpdateUserRequest is the body of UpdateUser. Only non-nil fields are sent; use Ptr to set one
// (Ptr("") sends an empty string).
type UpdateUserRequest struct {
	UserName         *string
	Email            *string
	PhoneNumber      *string
	ProductID        *string
	AccountExpiresAt *time.Time
}

// MarshalJSON writes the fields that are set.
func (r UpdateUserRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		UserName         *string  `json:"userName,omitempty"`
		Email            *string  `json:"email,omitempty"`
		PhoneNumber      *string  `json:"phoneNumber,omitempty"`
		AccountExpiresAt *apiTime `json:"accountExpiresAt,omitempty"`
		ProductID        *string  `json:"productId,omitempty"`
	}{r.UserName, r.Email, r.PhoneNumber, timePtr(r.AccountExpiresAt), r.ProductID})
}

// InviteUserRequest is the body of InviteUser. Email is required.
type InviteUserRequest struct {
	Email            string
	AccountExpiresAt *time.Time
}

// MarshalJSON writes the request with the API's names.
func (r InviteUserRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Email            string   `json:"email"`
		AccountExpiresAt *apiTime `json:"accountExpiresAt,omitempty"`
	}{r.Email, timePtr(r.AccountExpiresAt)})
}

// Invitation is the answer to InviteUser. The docs give no schema: the fields below are decoded when
// present and everything else is kept in Extra.
type Invitation struct {
	ID               string     // "id"
	Email            string     // "email"
	AccountExpiresAt *time.Time // "accountExpiresAt"
	Extra            map[string]json.RawMessage
}

// UnmarshalJSON decodes the known fields and keeps the rest in Extra.
func (inv *Invitation) UnmarshalJSON(data []byte) error {
	*inv = Invitation{}
	extra, err := decodeFields(data, map[string]any{"id": &inv.ID, "email": &inv.Email,
		"accountExpiresAt": &optTime{&inv.AccountExpiresAt}})
	inv.Extra = extra
	return err
}

// MarshalJSON writes the known fields and Extra.
func (inv Invitation) MarshalJSON() ([]byte, error) {
	return encodeFields(inv.Extra, map[string]any{"id": inv.ID, "email": inv.Email,
		"accountExpiresAt": timePtr(inv.AccountExpiresAt)})
}

// Token is a short-lived login token. Its String, GoString and LogValue redact the token and the login
// link (which embeds it); read the fields directly to use them, and never log or store them.
type Token struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	// LoginLink is the API's ready-made login URL (…/authentication/partner/?token=…).
	LoginLink string `json:"loginLink,omitempty"`
}

func (t Token) String() string {
	return fmt.Sprintf("talkio.Token{Token: %s, ExpiresAt: %s, LoginLink: %s}",
		redacted(t.Token), t.ExpiresAt.Format(time.RFC3339), redacted(t.LoginLink))
}

// GoString is String, so %#v redacts too.
func (t Token) GoString() string { return t.String() }

// LogValue keeps the token out of slog output.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token", redacted(t.Token)), slog.Time("expiresAt", t.ExpiresAt),
		slog.String("loginLink", redacted(t.LoginLink)))
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// ListOptions selects a page of a list endpoint. Zero values are not sent, so the API's defaults
// apply (page 1, limit 10).
type ListOptions struct {
	Page  int `url:"page,omitempty"`  // 1-based
	Limit int `url:"limit,omitempty"` // MinLimit..MaxLimit
}

// ListUsersOptions selects a page of ListUsers.
type ListUsersOptions struct {
	ListOptions
	UserType string `url:"userType,omitempty"` // "", UserTypeMember or UserTypeFacilitator
}

func (o *ListUsersOptions) validate() error {
	if o == nil {
		return nil
	}
	if err := o.ListOptions.validate(); err != nil {
		return err
	}
	return checkUserType("userType", o.UserType, true)
}

// Pagination is the page information of a list response; fields the API did not send are zero.
type Pagination struct {
	Page       int `json:"page,omitempty"`
	Limit      int `json:"limit,omitempty"`
	Total      int `json:"total,omitempty"`
	TotalPages int `json:"totalPages,omitempty"`
}

// UserPage is one page of ListUsers.
type UserPage struct {
	Users []User `json:"users"`
	Pagination
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON accepts {"users": […], "page": …} (or "data"/"items" for the list) and a bare array.
func (p *UserPage) UnmarshalJSON(data []byte) (err error) {
	*p = UserPage{}
	p.Extra, err = decodeList(data, "users", &p.Users, &p.Pagination)
	return err
}

// CreateUser creates a member or facilitator.
//
// POST /users is never retried by the client, since a blind repeat could act twice. Create stays safe
// because ids are the partner's own: when a create fails in transport or with ErrUnavailable, the
// caller may send it again (or GetUser first), and treats errors.Is(err, ErrConflict) — "this id
// exists" — as success, fetching the user with GetUser if it needs it.
func (c *Client) CreateUser(ctx context.Context, req *CreateUserRequest) (*User, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	return send[User](c, ctx, http.MethodPost, "/users", nil, nil, req)
}

// InviteUser creates an email invitation (the user then signs in with Talkio's own login form).
// Like CreateUser it is a POST and is never retried by the client.
func (c *Client) InviteUser(ctx context.Context, req *InviteUserRequest) (*Invitation, error) {
	if req == nil {
		return nil, &ValidationError{Field: "request", Problem: "is required"}
	}
	if err := checkRequired("email", req.Email); err != nil {
		return nil, err
	}
	if err := checkTime("accountExpiresAt", req.AccountExpiresAt); err != nil {
		return nil, err
	}
	return send[Invitation](c, ctx, http.MethodPost, "/users/invite", nil, nil, req)
}

// GetUser fetches an active user by partner id or email. An expired user is not found here; see
// GetExpiredUser.
func (c *Client) GetUser(ctx context.Context, idOrEmail string) (*User, error) {
	if err := checkSegment("id", idOrEmail); err != nil {
		return nil, err
	}
	return get[User](c, ctx, "/users/{id}", []string{idOrEmail}, nil)
}

// ListUsers fetches one page of active users.
func (c *Client) ListUsers(ctx context.Context, opts *ListUsersOptions) (*UserPage, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return get[UserPage](c, ctx, "/users", nil, addOptions(nil, opts))
}

// ListUsersIter iterates over every active user, fetching page after page from opts.Page (default 1)
// with opts' limit and filter. opts is copied. It stops after a short page or the last page, or at the
// first error, which it yields.
func (c *Client) ListUsersIter(ctx context.Context, opts *ListUsersOptions) iter.Seq2[User, error] {
	var o ListUsersOptions
	if opts != nil {
		o = *opts
	}
	return func(yield func(User, error) bool) {
		o := o // each iteration starts afresh
		paginate(&o.ListOptions, func() ([]User, Pagination, error) {
			p, err := c.ListUsers(ctx, &o)
			if err != nil {
				return nil, Pagination{}, err
			}
			return p.Users, p.Pagination, nil
		}, yield)
	}
}

// UpdateUser changes an active user. Only the fields set in req are sent.
func (c *Client) UpdateUser(ctx context.Context, id string, req *UpdateUserRequest) (*User, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, &ValidationError{Field: "request", Problem: "is required"}
	}
	if err := checkTime("accountExpiresAt", req.AccountExpiresAt); err != nil {
		return nil, err
	}
	return send[User](c, ctx, http.MethodPut, "/users/{id}", []string{id}, nil, req)
}

// DeleteUser deletes a user, active or expired. Deleting users who should no longer have access keeps
// billing accurate.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	if err := checkSegment("id", id); err != nil {
		return err
	}
	r, err := c.newRequest(ctx, http.MethodDelete, "/users/{id}", []string{id}, nil, nil)
	if err != nil {
		return err
	}
	return c.do(r, nil)
}

// UserToken returns a fresh login token for an active user. Tokens are short-lived: fetch one right
// before redirecting, and never cache or log it.
func (c *Client) UserToken(ctx context.Context, id string) (*Token, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	return get[Token](c, ctx, "/users/{id}/token", []string{id}, nil)
}

// get fetches the JSON object at tmpl (placeholders filled by args, already validated) into a new T.
func get[T any](c *Client, ctx context.Context, tmpl string, args []string, q url.Values) (*T, error) {
	return send[T](c, ctx, http.MethodGet, tmpl, args, q, nil)
}

// send makes one call with an optional JSON body and decodes the JSON answer into a new T.
func send[T any](c *Client, ctx context.Context, method, tmpl string, args []string, q url.Values, body any) (*T, error) {
	r, err := c.newRequest(ctx, method, tmpl, args, q, body)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := c.do(r, v); err != nil {
		return nil, err
	}
	return v, nil
}

// paginate drives a list endpoint page by page for the iterators.
func paginate[T any](lo *ListOptions, fetch func() ([]T, Pagination, error), yield func(T, error) bool) {
	if lo.Page == 0 {
		lo.Page = 1 // a negative page is left for ListUsers to refuse
	}
	for {
		items, p, err := fetch()
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
		limit := cmp.Or(p.Limit, lo.Limit, MinLimit)
		switch {
		case len(items) < limit: // a short or empty page is the last
			return
		case p.TotalPages > 0 && lo.Page >= p.TotalPages:
			return
		case p.TotalPages == 0 && p.Total > 0 && lo.Page*limit >= p.Total:
			return
		}
		lo.Page++
	}
}
