package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	lib "github.com/elimity-com/scim"

	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

// users is the /Users resource handler. Every answer comes from the Partner API; the SCIM id is the
// Talkio user id.
type users struct{ opts *Options }

var _ lib.ResourceHandler = (*users)(nil)

// errSuspendedUpdate answers a PUT or PATCH that would reactivate a user Talkio holds as suspended.
var errSuspendedUpdate = &Error{Status: http.StatusBadRequest, ScimType: "mutability", Detail: errSuspended.Detail}

// Create handles "POST /Users": the Talkio id comes from the id attribute through the id rule; the
// user is created through the provisioning core (access policy, type from groups, settings defaults,
// TALKIO_SEND_FIELDS). A user who exists already is a 409 and is left unchanged.
func (u *users) Create(r *http.Request, a lib.ResourceAttributes) (lib.Resource, error) {
	ctx := r.Context()
	p := personFromAttributes(a)
	value := p.idValue(u.opts.UserIDAttribute)
	if value == "" {
		return lib.Resource{}, fail(r, errInvalidValue(fmt.Sprintf(
			"%s is required: the gateway derives the Talkio user id from it (SCIM_USER_ID_ATTRIBUTE).", u.opts.UserIDAttribute)))
	}
	id := u.opts.IDRule.UserID(u.opts.Issuer, value)
	if !p.active {
		// A user pushed as inactive gets no account (Talkio bills by seat); it reads as not found.
		return p.resource(id), nil
	}
	switch _, _, err := u.getUser(ctx, id); {
	case err == nil:
		return lib.Resource{}, fail(r, &Error{Status: http.StatusConflict, ScimType: "uniqueness",
			Detail: fmt.Sprintf("A user with this %s exists already.", u.opts.UserIDAttribute)})
	case !errors.Is(err, talkio.ErrNotFound):
		return lib.Resource{}, fail(r, u.opts.toSCIM(err))
	}
	if _, err := u.opts.Provisioner.Provision(ctx, p.identity(id), provision.SCIM); err != nil {
		if errors.Is(err, provision.ErrAccountExpired) {
			return lib.Resource{}, fail(r, errSuspended)
		}
		return lib.Resource{}, fail(r, u.opts.toSCIM(err))
	}
	return p.resource(id), nil
}

// Get handles "GET /Users/{id}". A suspended user reads as not found, as a deleted one does.
func (u *users) Get(r *http.Request, id string) (lib.Resource, error) {
	t, _, err := u.getUser(r.Context(), id)
	if err != nil {
		return lib.Resource{}, fail(r, u.opts.toSCIM(err))
	}
	return u.opts.personFromTalkio(t).resource(id), nil
}

// GetAll handles "GET /Users" (see list.go).
func (u *users) GetAll(r *http.Request, params lib.ListRequestParams) (lib.Page, error) {
	page, e := u.list(r.Context(), params)
	if e != nil {
		return lib.Page{}, fail(r, e)
	}
	return page, nil
}

// Replace handles "PUT /Users/{id}": the body is the whole user; active:false deactivates.
func (u *users) Replace(r *http.Request, id string, a lib.ResourceAttributes) (lib.Resource, error) {
	p := personFromAttributes(a)
	if value := p.idValue(u.opts.UserIDAttribute); value != "" && u.opts.IDRule.UserID(u.opts.Issuer, value) != id {
		return lib.Resource{}, fail(r, errIDChange(u.opts.UserIDAttribute))
	}
	return u.update(r, id, p, func(*person) *Error { return nil })
}

// Patch handles "PATCH /Users/{id}": the operations apply to the user as Talkio holds it.
func (u *users) Patch(r *http.Request, id string, ops []lib.PatchOperation) (lib.Resource, error) {
	return u.update(r, id, nil, func(p *person) *Error {
		for _, op := range ops {
			if e := p.apply(op); e != nil {
				return e
			}
		}
		if value := p.idValue(u.opts.UserIDAttribute); value != "" && u.opts.IDRule.UserID(u.opts.Issuer, value) != id {
			return errIDChange(u.opts.UserIDAttribute)
		}
		return nil
	})
}

// update is PUT (next given) and PATCH (next nil: the Talkio user, changed by change). Nothing is sent
// before the whole request is known to be valid.
func (u *users) update(r *http.Request, id string, next *person, change func(*person) *Error) (lib.Resource, error) {
	ctx := r.Context()
	t, c, err := u.getUser(ctx, id)
	if err != nil {
		if !errors.Is(err, talkio.ErrNotFound) {
			return lib.Resource{}, fail(r, u.opts.toSCIM(err))
		}
		// Not active: say why a reactivation cannot happen, else not found.
		p := next
		if p == nil {
			p = &person{active: false}
			if e := change(p); e != nil {
				return lib.Resource{}, fail(r, e)
			}
		}
		if p.active {
			if suspended, serr := u.suspended(ctx, id); serr != nil {
				return lib.Resource{}, fail(r, u.opts.toSCIM(serr))
			} else if suspended {
				return lib.Resource{}, fail(r, errSuspendedUpdate)
			}
		}
		return lib.Resource{}, fail(r, errNotFound("User"))
	}
	p := next
	if p == nil {
		p = u.opts.personFromTalkio(t)
	}
	if e := change(p); e != nil {
		return lib.Resource{}, fail(r, e)
	}
	if !p.active {
		if err := u.deactivate(ctx, c, id); err != nil {
			return lib.Resource{}, fail(r, u.opts.toSCIM(err))
		}
		return p.resource(id), nil
	}
	ident := p.identity(id)
	// Talkio cannot change a user's type, nor move a user to another organization, so an update keeps
	// both (and needs no organization claim, which a PATCH seldom carries).
	ident.UserType = t.UserType
	ident.OrganizationSlug = c.Organization()
	if !p.rolesKnown && len(u.opts.AllowedGroups) > 0 {
		// The user exists, so it passed the access policy when it was created; a PATCH that says
		// nothing of groups does not change its membership.
		ident.Groups = u.opts.AllowedGroups
	}
	if _, err := u.opts.Provisioner.Provision(ctx, ident, provision.SCIM); err != nil {
		return lib.Resource{}, fail(r, u.opts.toSCIM(err))
	}
	return p.resource(id), nil
}

// Delete handles "DELETE /Users/{id}" according to Deactivate.
func (u *users) Delete(r *http.Request, id string) error {
	ctx := r.Context()
	if u.opts.Deactivate == DeactivateSuspend {
		// Only an active user can be suspended; a suspended one reads as not found.
		_, c, err := u.getUser(ctx, id)
		if err == nil {
			err = u.deactivate(ctx, c, id)
		}
		if err != nil {
			return fail(r, u.opts.toSCIM(err))
		}
		return nil
	}
	// The Partner API deletes active and suspended users alike; the first organization that has the
	// id is the user's.
	for _, c := range u.opts.clients() {
		err := u.deactivate(ctx, c, id)
		if !errors.Is(err, talkio.ErrNotFound) {
			if err != nil {
				return fail(r, u.opts.toSCIM(err))
			}
			return nil
		}
	}
	return fail(r, errNotFound("User"))
}

// deactivate removes the user's access at once: deleted (the default, as the Partner API docs ask,
// since billing follows usage) or suspended (accountExpiresAt now; usage stays readable until sweep).
func (u *users) deactivate(ctx context.Context, c *talkio.Client, id string) error {
	var err error
	if u.opts.Deactivate == DeactivateSuspend {
		now := u.opts.Now().UTC()
		_, err = c.UpdateUser(ctx, id, &talkio.UpdateUserRequest{AccountExpiresAt: &now})
	} else {
		err = c.DeleteUser(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("deactivate user: %w", err)
	}
	u.opts.Metrics.Deprovisioned(u.opts.Deactivate)
	u.opts.Logger.Info("scim: user deprovisioned", "user_id", id, "mode", u.opts.Deactivate)
	return nil
}

// getUser fetches the active user whose id is exactly id, and the client of its organization: the
// Partner API also answers by email, and a record with another id must never be acted on.
func (u *users) getUser(ctx context.Context, id string) (*talkio.User, *talkio.Client, error) {
	for _, c := range u.opts.clients() {
		t, err := c.GetUser(ctx, id)
		switch {
		case errors.Is(err, talkio.ErrNotFound):
			continue
		case err != nil:
			return nil, nil, err
		case t.ID == id:
			return t, c, nil
		}
	}
	return nil, nil, talkio.ErrNotFound
}

// suspended reports whether Talkio holds the id as an expired (suspended) user.
func (u *users) suspended(ctx context.Context, id string) (bool, error) {
	for _, c := range u.opts.clients() {
		t, err := c.GetExpiredUser(ctx, id)
		switch {
		case errors.Is(err, talkio.ErrNotFound):
			continue
		case err != nil:
			return false, err
		case t.ID == id:
			return true, nil
		}
	}
	return false, nil
}

// clients are the organizations' clients, Talkio's first.
func (o *Options) clients() []*talkio.Client {
	return append([]*talkio.Client{o.Talkio}, o.Organizations...)
}

func errIDChange(attr string) *Error {
	return &Error{Status: http.StatusBadRequest, ScimType: "mutability", Detail: fmt.Sprintf(
		"The new %s would give the user another Talkio id (SCIM_USER_ID_ATTRIBUTE); Talkio ids cannot change. Delete the user and create it again instead.", attr)}
}
