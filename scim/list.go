package scim

import (
	"context"
	"errors"
	"strings"

	lib "github.com/elimity-com/scim"
	filter "github.com/scim2/filter-parser/v2"

	"talkio-gateway/talkio"
)

const supportedFilters = `Supported filters: userName eq "…", externalId eq "…", emails.value eq "…" (or emails[value eq "…"]) and id eq "…".`

// list answers "GET /Users": with a filter, the one user it names (what identity providers ask before
// creating); without, a window of the Partner API's user list.
func (u *users) list(ctx context.Context, params lib.ListRequestParams) (lib.Page, *Error) {
	if params.FilterValidator == nil {
		return u.page(ctx, params.StartIndex, params.Count)
	}
	attr, value, e := equalityFilter(params.FilterValidator.GetFilter())
	if e != nil {
		return lib.Page{}, e
	}
	p, err := u.find(ctx, attr, value)
	if err != nil {
		return lib.Page{}, u.opts.toSCIM(err)
	}
	page := lib.Page{Resources: []lib.Resource{}}
	if p == nil {
		return page, nil
	}
	page.TotalResults = 1
	if params.StartIndex == 1 && params.Count > 0 {
		page.Resources = append(page.Resources, *p)
	}
	return page, nil
}

// equalityFilter reduces the parsed filter to one of the supported forms: attribute (lower-cased,
// "emails" for emails.value) and the compared string.
func equalityFilter(exp filter.Expression) (string, string, *Error) {
	bad := errInvalidFilter(supportedFilters)
	if vp, ok := exp.(*filter.ValuePath); ok { // emails[value eq "…"]
		inner, ok := vp.ValueFilter.(*filter.AttributeExpression)
		if !ok || !strings.EqualFold(vp.AttributePath.AttributeName, "emails") || !strings.EqualFold(inner.AttributePath.AttributeName, "value") {
			return "", "", bad
		}
		exp = &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "emails", SubAttribute: &inner.AttributePath.AttributeName},
			Operator: inner.Operator, CompareValue: inner.CompareValue}
	}
	e, ok := exp.(*filter.AttributeExpression)
	if !ok || e.Operator != filter.EQ {
		return "", "", bad
	}
	value, ok := e.CompareValue.(string)
	if !ok || strings.TrimSpace(value) == "" {
		return "", "", bad
	}
	if uri := e.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, "urn:ietf:params:scim:schemas:core:2.0:User") {
		return "", "", bad
	}
	name, sub := strings.ToLower(e.AttributePath.AttributeName), strings.ToLower(e.AttributePath.SubAttributeName())
	switch {
	case sub == "" && (name == "username" || name == "externalid" || name == "id" || name == "emails"):
	case name == "emails" && sub == "value":
	default:
		return "", "", bad
	}
	return name, value, nil
}

// find looks up the user a supported filter names; nil when there is none.
func (u *users) find(ctx context.Context, attr, value string) (*lib.Resource, error) {
	o := u.opts
	idAttr := strings.ToLower(o.UserIDAttribute)
	var (
		t   *talkio.User
		err error
	)
	switch {
	case attr == idAttr:
		t, _, err = u.getUser(ctx, o.IDRule.UserID(o.Issuer, value))
	case attr == "id":
		t, _, err = u.getUser(ctx, value)
	case attr == "emails" || (attr == "username" && strings.Contains(value, "@")):
		// Talkio keeps no SCIM userName; with the id in externalId, the userName identity providers
		// send is usually the email, and that is how the user is reported.
		t, err = u.byEmail(ctx, value)
	default:
		// externalId while the id comes from userName: Talkio keeps no externalId.
		return nil, nil
	}
	if errors.Is(err, talkio.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := o.personFromTalkio(t)
	if attr == idAttr {
		// The value is what was asked for, even where the id does not reveal it (pseudonymous mode).
		if attr == "username" {
			p.userName, p.userNameKnown = value, true
		} else {
			p.externalID, p.externalIDKnown = value, true
		}
	}
	res := p.resource(t.ID)
	return &res, nil
}

// byEmail finds the active user whose email is value. The Partner API looks up ids and emails alike,
// so the answer must have this email.
func (u *users) byEmail(ctx context.Context, email string) (*talkio.User, error) {
	for _, c := range u.opts.clients() {
		t, err := c.GetUser(ctx, email)
		switch {
		case errors.Is(err, talkio.ErrNotFound):
			continue
		case err != nil:
			return nil, err
		case strings.EqualFold(t.Email, email):
			return t, nil
		}
	}
	return nil, talkio.ErrNotFound
}

// page answers a list without filter: SCIM's 1-based startIndex and count become one or two Partner
// API pages of MaxLimit users (its limit must be 10..100).
func (u *users) page(ctx context.Context, startIndex, count int) (lib.Page, *Error) {
	const limit = talkio.MaxLimit
	out := lib.Page{Resources: []lib.Resource{}}
	first := startIndex - 1 // 0-based
	apiPage := first/limit + 1
	skip := first % limit
	for {
		p, err := u.opts.Talkio.ListUsers(ctx, &talkio.ListUsersOptions{ListOptions: talkio.ListOptions{Page: apiPage, Limit: limit}})
		if err != nil {
			return lib.Page{}, u.opts.toSCIM(err)
		}
		out.TotalResults = p.Total
		for _, t := range p.Users[min(skip, len(p.Users)):] {
			if len(out.Resources) == count {
				break
			}
			t := t
			out.Resources = append(out.Resources, u.opts.personFromTalkio(&t).resource(t.ID))
		}
		skip = 0
		if len(out.Resources) == count || len(p.Users) < limit || (p.TotalPages > 0 && apiPage >= p.TotalPages) {
			return out, nil
		}
		apiPage++
	}
}
