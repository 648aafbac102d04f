// Package provision turns a person, as an entry point knows them (OIDC sign-in, LTI launch, SCIM push,
// admin CLI), into a Talkio user: the access policy (allowed groups, organization routing), create once,
// settings defaults, profile sync, sliding expiry and the organization preference. It knows nothing of
// HTTP servers, Echo or OpenID Connect; its input is a mapped Identity.
//
// Provision applies the policy and makes the Talkio user match the identity; Token fetches a login
// token for a signed-in user; Open does both for a sign-in that goes on into the tutor, with the
// fewest calls on the waiting path. Their errors are the refusals of errors.go or Partner API
// errors, and Classify says which: the web layer's pages and the sign-in metrics both read it.
package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/text/language"

	"talkio-gateway/talkio"
)

// Options configure a Provisioner (the gateway maps the configuration onto them in gateway/parts.go).
type Options struct {
	// Talkio is the Partner API client for the default organization; the
	// other organizations of OrganizationMap are reached with ForOrganization.
	Talkio *talkio.Client
	// FacilitatorGroups: a member of any is created as a facilitator.
	FacilitatorGroups []string
	// AllowedGroups: when set, only members of one of them get through.
	AllowedGroups []string
	// AccountTTL is the sliding expiry: each login sets accountExpiresAt to
	// now + AccountTTL (capped by the identity's expiry claim). 0 = none.
	AccountTTL time.Duration
	// DefaultSettings are applied once to a user right after creating it.
	DefaultSettings *talkio.Settings
	// OrganizationMap maps the organization claim's value to a Talkio
	// organization slug; empty means every user goes to Talkio's organization.
	OrganizationMap map[string]string
	// Logger receives what the operator should know (never personal data
	// beyond the Talkio id); default slog.Default().
	Logger *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// SendFields are the profile fields sent to Talkio besides the id (TALKIO_SEND_FIELDS); the zero
	// value sends all. Without FieldName the userName is NeutralName(id). A field left out is never
	// sent, at creation or in profile sync; what Talkio already holds stays (erase it with the CLI).
	SendFields Fields
	// SignInCreates lets a sign-in (EntryPoint SignIn) create a Talkio user. The wiring sets it true
	// unless SCIM is the source of truth (SCIM_TOKEN set, SCIM_SIGN_IN_CREATES not), where a person the directory has not pushed
	// gets ErrNotProvisioned, so a deprovisioned person cannot come back by signing in. LTI, SCIM and
	// CLI always create: see mayCreate.
	SignInCreates bool
}

// Identity is a person as an entry point maps them.
type Identity struct {
	UserID           string // the Talkio user id (from IDRule); never empty
	Name, Email      string // Email is optional (pupils often have none)
	Phone            string
	Locale           string // as the provider gave it (BCP 47 expected)
	Organization     string // the organization claim's value, for OrganizationMap
	Groups           []string
	AccountExpiresAt *time.Time // the person's own expiry (a claim); nil = none
	// UserType, when set, is the type the entry point decided (an LTI launch's roles) instead of
	// FacilitatorGroups.
	UserType string
	// OrganizationSlug, when set, is the Talkio organization the entry point decided (an LTI
	// platform's registration) instead of the organization routing.
	OrganizationSlug string
}

// Provisioner applies the access policy to a signed-in identity and makes its
// Talkio account match it: created on first login (with settings defaults),
// profile and sliding expiry updated on later logins.
type Provisioner struct {
	opts    Options
	clients map[string]*talkio.Client // organization slug → client
	multi   bool                      // OrganizationMap names several organizations
	flight  singleflight.Group
}

// Provisioned is the outcome of a login's provisioning.
type Provisioned struct {
	// Organization is the Talkio organization slug the user belongs to.
	Organization string
	// UserType is the user's Talkio type (member or facilitator).
	UserType string
}

// New checks the options and prepares a client per organization.
func New(o Options) (*Provisioner, error) {
	if o.Talkio == nil {
		return nil, errors.New("provision: Talkio is nil")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Provisioner{opts: o, clients: map[string]*talkio.Client{o.Talkio.Organization(): o.Talkio}}
	slugs := map[string]bool{}
	for value, slug := range o.OrganizationMap {
		if value == "" || slug == "" {
			return nil, fmt.Errorf("provision: OrganizationMap has an empty claim value or slug")
		}
		slugs[slug] = true
		if _, ok := p.clients[slug]; !ok {
			p.clients[slug] = o.Talkio.ForOrganization(slug)
		}
	}
	p.multi = len(slugs) > 1
	return p, nil
}

// Client returns the Partner API client of an organization, or nil for one
// the configuration does not know (e.g. a session from before a change).
func (p *Provisioner) Client(slug string) *talkio.Client {
	return p.clients[slug]
}

// clientFor is the client of an organization the configuration or an entry point decided (an LTI
// registration's organization need not be in OrganizationMap).
func (p *Provisioner) clientFor(slug string) *talkio.Client {
	if c := p.clients[slug]; c != nil {
		return c
	}
	return p.opts.Talkio.ForOrganization(slug)
}

// mayCreate is the rule for who creates Talkio users. A sign-in creates unless SCIM is the source of
// truth. An LTI launch always creates: a learning platform's roster is not pushed over SCIM, and the
// launch is signed by a platform the operator registered for an organization, which is the
// operator's consent to its users; refusing them would leave LTI unusable beside SCIM. SCIM creates
// by definition, and the CLI is the operator acting.
func (p *Provisioner) mayCreate(via EntryPoint) bool {
	return via != SignIn || p.opts.SignInCreates
}

// SignInCreates reports whether a sign-in may create a Talkio user (false when the directory, SCIM, is
// the source of truth): then a person Talkio no longer has was removed, not merely never seen.
func (p *Provisioner) SignInCreates() bool { return p.opts.SignInCreates }

// Token fetches a fresh login token for the user of organization org; it is used once, right away,
// and never kept or logged. When Talkio refuses with 403, 404 or 410 it explains the refusal (see
// explain): ErrAccountExpired, ErrNoUser (deleted since), or the API's error.
func (p *Provisioner) Token(ctx context.Context, org, userID string) (*talkio.Token, error) {
	if org == "" {
		return nil, errors.New("provision: token: no organization")
	}
	c := p.clientFor(org)
	tok, err := c.UserToken(ctx, userID)
	if err != nil {
		return nil, p.explain(ctx, c, userID, err)
	}
	return tok, nil
}

// explain turns a 403, 404 or 410 from a token or user call into what it means, by asking the
// expired-users endpoint: ErrAccountExpired when Talkio holds the id as expired or suspended; else
// ErrNoUser (wrapping err) for a 404 or 410; else err itself (a 403 for a user that is not expired
// is the API refusing the gateway, a Partner API failure). Any other error is returned as is.
func (p *Provisioner) explain(ctx context.Context, c *talkio.Client, userID string, err error) error {
	status, ok := goneStatus(err)
	if !ok {
		return err
	}
	expired, xerr := p.expired(ctx, c, userID)
	switch {
	case xerr != nil:
		p.opts.Logger.Warn("cannot tell whether the Talkio account expired", "user_id", userID, "error", xerr)
		return err
	case expired:
		return fmt.Errorf("%w (Talkio answered %d)", ErrAccountExpired, status)
	case status == http.StatusForbidden:
		return err
	}
	return fmt.Errorf("%w: %w", ErrNoUser, err)
}

// expired reports whether Talkio holds the id as an expired or suspended user. The endpoint also
// resolves emails, so a record with another id (a user whose email is this id) does not count.
func (p *Provisioner) expired(ctx context.Context, c *talkio.Client, userID string) (bool, error) {
	u, err := c.GetExpiredUser(ctx, userID)
	switch {
	case err == nil:
		return p.sameID(u.ID, userID), nil
	case errors.Is(err, talkio.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("look up expired user: %w", err)
}

// sameID guards every lookup by id: GET /users/{id} and /expired-users/{id} also resolve emails, so a
// person whose id claim is another user's email would otherwise act on that user's record and role.
// A record with another id is "not found". The log names the id asked for, nothing of the record.
func (p *Provisioner) sameID(got, want string) bool {
	if got == want {
		return true
	}
	p.opts.Logger.Warn("Talkio answered a lookup by id with another user's record (the id is that user's email); treating it as not found",
		"user_id", want)
	return false
}

// Provision applies the policy (allowed groups, organization routing) and
// then creates or updates the user's Talkio account. Concurrent logins of the
// same user in this process share one provisioning; across processes a
// conflict on create means the user exists, which is success.
func (p *Provisioner) Provision(ctx context.Context, id *Identity, via EntryPoint) (*Provisioned, error) {
	d, err := p.decide(id, via)
	if err != nil {
		return nil, err
	}
	// The first caller's context may end (its browser gave up) while others
	// wait on the same flight; the Talkio client's own timeout still bounds it.
	fctx := context.WithoutCancel(ctx)
	v, err, _ := p.flight.Do(d.key("provision"), func() (any, error) {
		return p.provision(fctx, d, id)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Provisioned), nil
}

// decision is what the policy decides about an identity before any Partner API call.
type decision struct {
	client   *talkio.Client // of the person's organization
	userType string         // for a creation
	expires  *time.Time     // the sliding expiry; nil: none
	renew    bool           // an existing user's expiry slides too (a sign-in or launch; not a directory edit)
	create   bool           // the entry point may create
	userID   string
}

// renewal is the expiry an existing user's update sends: the sliding one, unless this entry point does
// not renew (nil: the expiry stays as it is).
func (d *decision) renewal() *time.Time {
	if !d.renew {
		return nil
	}
	return d.expires
}

// key names a flight of this person in this organization; entry points that differ in whether
// they create do not share one.
func (d *decision) key(op string) string {
	return op + "\x00" + d.client.Organization() + "\x00" + d.userID + "\x00" + strconv.FormatBool(d.create)
}

// decide applies the access policy (allowed groups, organization routing, the expiry claim) and
// works out the user type and expiry.
func (p *Provisioner) decide(id *Identity, via EntryPoint) (*decision, error) {
	// An LTI launch carries no groups: the platform's registration (LTI_PLATFORMS) is the access
	// policy there, and the course roster decides who launches.
	if via != LTI && strings.HasPrefix(id.UserID, ltiPrefix) {
		return nil, ErrReservedID
	}
	if len(p.opts.AllowedGroups) > 0 && via != LTI && !memberOfAny(id.Groups, p.opts.AllowedGroups) {
		return nil, ErrNotAllowed
	}
	slug := p.opts.Talkio.Organization()
	if id.OrganizationSlug != "" {
		slug = id.OrganizationSlug
	} else if len(p.opts.OrganizationMap) > 0 {
		var ok bool
		if slug, ok = p.opts.OrganizationMap[id.Organization]; !ok {
			return nil, ErrNoOrganization
		}
	}
	userType := talkio.UserTypeMember
	switch {
	case id.UserType != "":
		userType = id.UserType
	case memberOfAny(id.Groups, p.opts.FacilitatorGroups):
		userType = talkio.UserTypeFacilitator
	}
	expires, err := p.accountExpiry(id, p.opts.Now())
	if err != nil {
		return nil, err
	}
	// The expiry slides with use: a sign-in or a launch. A directory edit (SCIM) is not use, so it sets the
	// expiry of a user it creates but never pushes an existing one's forward.
	renew := via != SCIM
	return &decision{client: p.clientFor(slug), userType: userType, expires: expires, renew: renew, create: p.mayCreate(via), userID: id.UserID}, nil
}

// accountExpiry is now + AccountTTL, capped by the identity's own expiry
// claim; nil when neither is configured. An expiry claim already in the past
// refuses the login.
func (p *Provisioner) accountExpiry(id *Identity, now time.Time) (*time.Time, error) {
	var exp *time.Time
	if p.opts.AccountTTL > 0 {
		t := now.Add(p.opts.AccountTTL)
		exp = &t
	}
	if c := id.AccountExpiresAt; c != nil {
		if !c.After(now) {
			return nil, fmt.Errorf("account expiry claim %s has passed: %w", c.UTC().Format(time.RFC3339), ErrAccountExpired)
		}
		if exp == nil || c.Before(*exp) {
			t := *c
			exp = &t
		}
	}
	if exp != nil {
		// The wire carries milliseconds; whole seconds keep comparisons stable.
		t := exp.UTC().Truncate(time.Second)
		exp = &t
	}
	return exp, nil
}

func (p *Provisioner) provision(ctx context.Context, d *decision, id *Identity) (*Provisioned, error) {
	c := d.client
	res := &Provisioned{Organization: c.Organization(), UserType: d.userType}
	u, err := p.lookup(ctx, c, id.UserID, d.create)
	switch {
	case err != nil:
		return nil, err
	case u != nil:
		res.UserType = p.keepType(u, d.userType)
		if err := p.update(ctx, c, u, id, d.renewal()); err != nil {
			return nil, err
		}
	case !d.create:
		return nil, ErrNotProvisioned
	default:
		if err := p.create(ctx, c, id, d.userType, d.expires); err != nil {
			return nil, err
		}
	}
	p.setPreference(ctx, c, id.UserID)
	return res, nil
}

// lookup finds the active user with the id: nil without error when there is none. When the caller
// may create, a 404 is taken as "none" at once (a create that conflicts then explains it, which
// costs a call only in the rare case); otherwise a 403, 404 or 410 is explained.
func (p *Provisioner) lookup(ctx context.Context, c *talkio.Client, userID string, create bool) (*talkio.User, error) {
	u, err := c.GetUser(ctx, userID)
	switch {
	case err == nil:
		if !p.sameID(u.ID, userID) {
			return nil, nil
		}
		return u, nil
	case create && errors.Is(err, talkio.ErrNotFound):
		return nil, nil
	}
	err = p.explain(ctx, c, userID, err)
	if errors.Is(err, ErrNoUser) {
		return nil, nil
	}
	if errors.Is(err, ErrAccountExpired) {
		return nil, err
	}
	return nil, fmt.Errorf("look up user: %w", err)
}

// keepType is the type the user has: the Partner API cannot change a user's type, so when the groups
// now say otherwise Talkio's stays, and the operator is told.
func (p *Provisioner) keepType(u *talkio.User, userType string) string {
	if u.UserType == "" || u.UserType == userType {
		return userType
	}
	p.opts.Logger.Warn("user type differs from the groups' type; Talkio keeps the existing one",
		"user_id", u.ID, "talkio_type", u.UserType, "groups_type", userType)
	return u.UserType
}

// create creates the user, then applies the settings defaults. A conflict
// means the id exists already (created meanwhile by another gateway process:
// success; or held as expired/suspended: refused), or, when no user has the
// id, that another user has the email: the user is then created without it,
// since people may share an address (siblings, a family's).
func (p *Provisioner) create(ctx context.Context, c *talkio.Client, id *Identity, userType string, expires *time.Time) error {
	created, err := p.createUser(ctx, c, id, userType, expires)
	if err != nil || !created {
		return err
	}
	p.applyDefaults(ctx, c, id)
	return nil
}

// createUser is create without the settings; it reports whether this call created the user.
func (p *Provisioner) createUser(ctx context.Context, c *talkio.Client, id *Identity, userType string, expires *time.Time) (bool, error) {
	req := &talkio.CreateUserRequest{
		ID:               id.UserID,
		UserName:         p.userName(id),
		UserType:         userType,
		AccountExpiresAt: expires,
	}
	if p.opts.SendFields.Has(FieldEmail) {
		req.Email = id.Email
	}
	if p.opts.SendFields.Has(FieldPhone) {
		req.PhoneNumber = id.Phone
	}
	_, err := c.CreateUser(ctx, req)
	if errors.Is(err, talkio.ErrConflict) {
		exists, terr := p.idTaken(ctx, c, id.UserID)
		if terr != nil || exists {
			return false, terr
		}
		if req.Email == "" {
			return false, fmt.Errorf("create user: conflict, yet no user has the id")
		}
		p.opts.Logger.Warn("email belongs to another Talkio user; creating the user without it", "user_id", id.UserID)
		req.Email = ""
		_, err = c.CreateUser(ctx, req)
	}
	if err != nil {
		return false, fmt.Errorf("create user: %w", err)
	}
	return true, nil
}

// idTaken explains a conflict on create: it reports whether a user with the
// id exists (true: created meanwhile), ErrAccountExpired when Talkio holds it
// as expired or suspended, and false when no user has the id.
func (p *Provisioner) idTaken(ctx context.Context, c *talkio.Client, userID string) (bool, error) {
	expired, err := p.expired(ctx, c, userID)
	switch {
	case err != nil:
		return false, fmt.Errorf("after a conflict: %w", err)
	case expired:
		return false, ErrAccountExpired
	}
	u, err := c.GetUser(ctx, userID)
	switch {
	case err == nil:
		return p.sameID(u.ID, userID), nil
	case errors.Is(err, talkio.ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("look up user after a conflict: %w", err)
	}
}

// applyDefaults applies the settings defaults once, right after creation,
// with uiLanguage/userLanguage from the locale claim when the defaults leave
// them open. A failure is logged, not fatal: the account works without them.
func (p *Provisioner) applyDefaults(ctx context.Context, c *talkio.Client, id *Identity) {
	s := defaultSettings(p.opts.DefaultSettings, id.Locale)
	if s == nil {
		return
	}
	if _, err := c.UpdateSettings(ctx, id.UserID, s); err != nil {
		p.opts.Logger.Error("apply default settings to a new user", "user_id", id.UserID, "error", err)
	}
}

// defaultSettings merges the configured defaults with the locale claim; nil
// when there is nothing to send.
func defaultSettings(defaults *talkio.Settings, locale string) *talkio.Settings {
	var s talkio.Settings
	if defaults != nil {
		s = *defaults
	}
	if tag, err := language.Parse(locale); locale != "" && err == nil && tag != language.Und {
		l := tag.String()
		if s.UILanguage == nil {
			s.UILanguage = &l
		}
		if s.UserLanguage == nil {
			s.UserLanguage = &l
		}
	}
	if s.PracticeLanguage == nil && s.UserLanguage == nil && s.UILanguage == nil && s.PracticeLanguageProficiency == nil &&
		s.DefaultTutor == nil && s.ReadAloudSpeed == nil && s.ShowChatTranslations == nil && s.ShowChatRomanization == nil &&
		s.ShowLiveFeedback == nil && s.HideIntroFlow == nil && len(s.Extra) == 0 {
		return nil
	}
	return &s
}

// update sends only what changed: the profile fields that are sent
// (SendFields) as the provider now has them (an empty claim never clears a
// value), and the sliding expiry.
func (p *Provisioner) update(ctx context.Context, c *talkio.Client, u *talkio.User, id *Identity, expires *time.Time) error {
	var req talkio.UpdateUserRequest
	changed := false
	set := func(dst **string, have, want string) {
		if want != "" && want != have {
			*dst = &want
			changed = true
		}
	}
	// userName is always the one to send: the name, or the neutral one, which
	// also replaces a name sent before the name was withheld.
	set(&req.UserName, u.UserName, p.userName(id))
	if p.opts.SendFields.Has(FieldEmail) {
		set(&req.Email, u.Email, id.Email)
	}
	if p.opts.SendFields.Has(FieldPhone) {
		set(&req.PhoneNumber, u.PhoneNumber, id.Phone)
	}
	if expires != nil && (u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(*expires)) {
		req.AccountExpiresAt = expires
		changed = true
	}
	if !changed {
		return nil
	}
	_, err := c.UpdateUser(ctx, id.UserID, &req)
	if errors.Is(err, talkio.ErrConflict) && req.Email != nil {
		// The new email belongs to another Talkio user; keep the old one.
		p.opts.Logger.Warn("email belongs to another Talkio user; updating without it", "user_id", id.UserID)
		req.Email = nil
		if req == (talkio.UpdateUserRequest{}) {
			return nil
		}
		_, err = c.UpdateUser(ctx, id.UserID, &req)
	}
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return nil
}

// setPreference points the user's organization preference at the
// organization they signed in through, when the partner has several. It is a
// convenience for the user, so a failure is logged and the login goes on.
func (p *Provisioner) setPreference(ctx context.Context, c *talkio.Client, userID string) {
	if !p.multi {
		return
	}
	if err := c.SetOrganizationPreference(ctx, userID, c.Organization()); err != nil {
		p.opts.Logger.Warn("set organization preference", "user_id", userID, "organization", c.Organization(), "error", err)
	}
}

// userName is the userName sent to Talkio: UserName when the name is sent
// (without the email's local part unless the email is sent too), else the
// neutral NeutralName.
func (p *Provisioner) userName(id *Identity) string {
	f := p.opts.SendFields
	switch {
	case !f.Has(FieldName):
		return NeutralName(id.UserID)
	case !f.Has(FieldEmail) && strings.TrimSpace(id.Name) == "":
		return id.UserID
	}
	return UserName(id)
}

// UserName is the person's display name as the gateway shows it: the name
// claim, else the email's local part, else the user id. What Talkio receives
// also depends on Options.SendFields.
func UserName(id *Identity) string {
	if n := strings.TrimSpace(id.Name); n != "" {
		return n
	}
	if local, _, ok := strings.Cut(id.Email, "@"); ok && local != "" {
		return local
	}
	return id.UserID
}

func memberOfAny(groups, wanted []string) bool {
	for _, g := range groups {
		if slices.Contains(wanted, g) {
			return true
		}
	}
	return false
}
