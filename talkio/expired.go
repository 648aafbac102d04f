package talkio

import (
	"context"
	"encoding/json"
	"iter"
	"time"
)

// ExpiredUser is a suspended user: its accountExpiresAt passed. Its usage stays readable and it can
// still be deleted with DeleteUser.
type ExpiredUser struct {
	User
	ExpiredAt  time.Time // "expiredAt"
	MemberType string    // "memberType"
}

// UnmarshalJSON decodes the documented fields and keeps the rest in Extra.
func (u *ExpiredUser) UnmarshalJSON(data []byte) error {
	*u = ExpiredUser{}
	targets := u.User.decodeTargets()
	targets["expiredAt"] = &zeroTime{&u.ExpiredAt}
	targets["memberType"] = &u.MemberType
	extra, err := decodeFields(data, targets)
	u.Extra = extra
	return err
}

// MarshalJSON writes the documented fields (empty ones omitted) and Extra.
func (u ExpiredUser) MarshalJSON() ([]byte, error) {
	values := u.User.encodeValues()
	if !u.ExpiredAt.IsZero() {
		values["expiredAt"] = apiTime(u.ExpiredAt)
	}
	values["memberType"] = u.MemberType
	return encodeFields(u.Extra, values)
}

// ExpiredUserPage is one page of ListExpiredUsers.
type ExpiredUserPage struct {
	ExpiredUsers []ExpiredUser `json:"expiredUsers"`
	Pagination
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON accepts {"expiredUsers": […], "page": …} (or "data"/"items") and a bare array.
func (p *ExpiredUserPage) UnmarshalJSON(data []byte) (err error) {
	*p = ExpiredUserPage{}
	p.Extra, err = decodeList(data, "expiredUsers", &p.ExpiredUsers, &p.Pagination)
	return err
}

// ListExpiredUsers fetches one page of suspended/expired users.
func (c *Client) ListExpiredUsers(ctx context.Context, opts *ListOptions) (*ExpiredUserPage, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return get[ExpiredUserPage](c, ctx, "/expired-users", nil, addOptions(nil, opts))
}

// ListExpiredUsersIter iterates over every expired user, like ListUsersIter. Deleting users while
// iterating shifts the later pages under the iterator: collect the ids first, then delete.
func (c *Client) ListExpiredUsersIter(ctx context.Context, opts *ListOptions) iter.Seq2[ExpiredUser, error] {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	return func(yield func(ExpiredUser, error) bool) {
		o := o
		paginate(&o, func() ([]ExpiredUser, Pagination, error) {
			p, err := c.ListExpiredUsers(ctx, &o)
			if err != nil {
				return nil, Pagination{}, err
			}
			return p.ExpiredUsers, p.Pagination, nil
		}, yield)
	}
}

// GetExpiredUser fetches one expired user by partner id or email.
func (c *Client) GetExpiredUser(ctx context.Context, idOrEmail string) (*ExpiredUser, error) {
	if err := checkSegment("id", idOrEmail); err != nil {
		return nil, err
	}
	return get[ExpiredUser](c, ctx, "/expired-users/{id}", []string{idOrEmail}, nil)
}
