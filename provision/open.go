package provision

import (
	"context"
	"sync"

	"talkio-gateway/talkio"
)

// Open is Provision for a sign-in that goes on into the tutor: it provisions the person and fetches
// their login token with the fewest Partner API calls on the waiting path.
//
//   - A returning person (the common case): the token and the profile check (GET, then PUT only if
//     something changed) run concurrently; the wait is one call's latency when nothing changed.
//   - A first sign-in: the token and the lookup both answer "not found" (404, or 403/410 explained
//     as for Token); then create, and then the token, the settings defaults and the organization
//     preference concurrently.
//
// Both branches finish every call before returning. Concurrent first sign-ins of one person create
// once (the creation is a shared flight; each caller gets its own single-use token). A failure of
// the settings or the preference is logged (and counted by the client's call metrics) and never
// fails the sign-in; a failed lookup or profile update does, as in Provision. Refusals and errors
// are those of Provision and Token.
func (p *Provisioner) Open(ctx context.Context, id *Identity, via EntryPoint) (*Provisioned, *talkio.Token, error) {
	d, err := p.decide(id, via)
	if err != nil {
		return nil, nil, err
	}
	c := d.client
	fctx := context.WithoutCancel(ctx)

	// The profile check of concurrent sign-ins of one person is shared, like Provision.
	var (
		wg       sync.WaitGroup
		u        *talkio.User
		lookErr  error
		tok      *talkio.Token
		tokenErr error
	)
	wg.Go(func() {
		v, err, _ := p.flight.Do(d.key("open-profile"), func() (any, error) {
			u, err := p.lookup(fctx, c, id.UserID, d.create)
			if err != nil || u == nil {
				return u, err
			}
			if err := p.update(fctx, c, u, id, d.renewal()); err != nil {
				return nil, err
			}
			p.setPreference(fctx, c, id.UserID)
			return u, nil
		})
		lookErr = err
		u, _ = v.(*talkio.User)
	})
	tok, tokenErr = c.UserToken(ctx, id.UserID)
	wg.Wait()

	res := &Provisioned{Organization: c.Organization(), UserType: d.userType}
	switch {
	case lookErr != nil:
		return nil, nil, lookErr
	case u != nil:
		res.UserType = p.keepType(u, d.userType)
		if _, gone := goneStatus(tokenErr); gone {
			// The token was asked before a concurrent sign-in created the
			// user that the lookup then found: ask again (Token explains a
			// second refusal).
			tok, tokenErr = p.Token(ctx, c.Organization(), id.UserID)
		}
		if tokenErr != nil {
			return nil, nil, tokenErr
		}
		return res, tok, nil
	case tokenErr == nil:
		// The lookup found no user with the id, yet the token came: a user
		// created meanwhile. The token is good; its profile is synced next time.
		return res, tok, nil
	case !d.create:
		return nil, nil, ErrNotProvisioned
	}
	if _, ok := goneStatus(tokenErr); !ok {
		return nil, nil, tokenErr
	}

	// A first sign-in. The flight's function runs in one caller only (the
	// leader), which fetches its token there, beside the settings and the
	// preference; the other callers fetch theirs once the user exists.
	leader := false
	tok, tokenErr = nil, nil
	_, err, _ = p.flight.Do(d.key("open-create"), func() (any, error) {
		leader = true
		created, err := p.createUser(fctx, c, id, d.userType, d.expires)
		if err != nil {
			return nil, err
		}
		var side sync.WaitGroup
		if created {
			side.Go(func() { p.applyDefaults(fctx, c, id) })
		}
		side.Go(func() { p.setPreference(fctx, c, id.UserID) })
		tok, tokenErr = c.UserToken(ctx, id.UserID)
		side.Wait()
		return nil, nil
	})
	switch {
	case err != nil:
		return nil, nil, err
	case !leader:
		tok, err = p.Token(ctx, c.Organization(), id.UserID)
	case tokenErr != nil:
		err = p.explain(ctx, c, id.UserID, tokenErr)
	}
	if err != nil {
		return nil, nil, err
	}
	return res, tok, nil
}
