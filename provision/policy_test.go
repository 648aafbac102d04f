package provision

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// The policy scenarios, as unit tests against the simulator: what each sign-in sends to Talkio.

var eleanor = Identity{
	UserID: "demo-eleanor", Name: "Eleanor Hughes", Email: "eleanor.hughes@school.example",
	Phone: "+442079460321", Locale: "en-GB", Groups: []string{"teachers"},
}

func TestFirstSignInCreatesOnce(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, nil)
	id := eleanor
	res := e.mustProvision(t, &id)
	if res.Organization != testOrg || res.UserType != talkio.UserTypeMember {
		t.Errorf("result %+v", res)
	}
	// The locale claim makes a settings call (TestLocaleBecomesLanguages).
	if got, want := e.endpoints(), []string{talkiotest.EndpointGetUser, talkiotest.EndpointCreateUser, talkiotest.EndpointUpdateSettings}; !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
	want := map[string]any{
		"id": "demo-eleanor", "userName": "Eleanor Hughes", "userType": "member",
		"email": "eleanor.hughes@school.example", "phoneNumber": "+442079460321",
	}
	if got := e.bodies(t, talkiotest.EndpointCreateUser); len(got) != 1 || !sameMap(got[0], want) {
		t.Errorf("create bodies %v, want one %v", got, want)
	}
	if u, ok := e.sim.User(testOrg, "demo-eleanor"); !ok || u.AccountExpiresAt != nil {
		t.Errorf("Talkio user %+v", u)
	}

	// A second sign-in creates nothing and, with nothing changed, only looks up.
	e.sim.ResetCalls()
	e.mustProvision(t, &id)
	if got := e.endpoints(); !slices.Equal(got, []string{talkiotest.EndpointGetUser}) {
		t.Errorf("returning sign-in: calls %v, want only the lookup", got)
	}
}

func TestConcurrentFirstSignInsCreateOnce(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, nil)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			id := eleanor
			if _, err := e.p.Provision(t.Context(), &id, SignIn); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.sim.CallCount(talkiotest.EndpointCreateUser); got != 1 {
		t.Errorf("creates for %d simultaneous first sign-ins: got %d, want 1", n, got)
	}
	if got := len(e.sim.Users(testOrg)); got != 1 {
		t.Errorf("Talkio users: got %d, want 1", got)
	}
}

func TestGroupsPolicy(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) {
		o.AllowedGroups = []string{"teachers", "class-7b"}
		o.FacilitatorGroups = []string{"teachers"}
	})
	if res := e.mustProvision(t, &Identity{UserID: "t1", Name: "T", Groups: []string{"staff", "teachers"}}); res.UserType != talkio.UserTypeFacilitator {
		t.Errorf("teacher: %+v", res)
	}
	if u, _ := e.sim.User(testOrg, "t1"); u.UserType != talkio.UserTypeFacilitator {
		t.Errorf("teacher in Talkio: %+v", u)
	}
	if res := e.mustProvision(t, &Identity{UserID: "p1", Name: "P", Groups: []string{"class-7b"}}); res.UserType != talkio.UserTypeMember {
		t.Errorf("pupil: %+v", res)
	}
	// An entry point's own decision (an LTI launch's roles) wins over the groups.
	if res := e.mustProvision(t, &Identity{UserID: "l1", Name: "L", Groups: []string{"class-7b"}, UserType: talkio.UserTypeFacilitator}); res.UserType != talkio.UserTypeFacilitator {
		t.Errorf("entry point's type: %+v", res)
	}

	// Not in ALLOWED_GROUPS.
	e.sim.ResetCalls()
	e.wantRefusedFree(t, &Identity{UserID: "m1", Name: "M", Groups: []string{"class-8a"}}, ErrNotAllowed, RefusedGroup)
}

func TestExpiredInTalkio(t *testing.T) {
	t.Parallel()
	// Whatever the user endpoint answers for an expired account, sign-in says "expired".
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusGone} {
		for _, creates := range []bool{true, false} {
			t.Run(http.StatusText(status)+map[bool]string{true: "", false: " without create"}[creates], func(t *testing.T) {
				e := newProvisionerEnvSim(t, func(o *talkiotest.Options) {
					o.ExpiredStatus = map[string]int{talkiotest.EndpointGetUser: status, talkiotest.EndpointUserToken: status}
				}, func(o *Options) { o.SignInCreates = creates })
				past := t0.Add(-time.Hour)
				e.addUser(t, talkiotest.User{ID: "u1", UserName: "Old", AccountExpiresAt: &past})
				_, err := e.p.Provision(t.Context(), &Identity{UserID: "u1", Name: "Ada"}, SignIn)
				if !errors.Is(err, ErrAccountExpired) || Classify(err) != Expired {
					t.Fatalf("got %v, want ErrAccountExpired", err)
				}
				if u := e.sim.ExpiredUsers(testOrg); len(u) != 1 || u[0].UserName != "Old" {
					t.Errorf("expired user changed: %+v", u)
				}
			})
		}
	}
}

func TestExpiryClaimPassed(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, nil)
	past := t0.Add(-time.Minute)
	e.wantRefusedFree(t, &Identity{UserID: "u1", Name: "Ada", AccountExpiresAt: &past}, ErrAccountExpired, Expired)
}

func TestSlidingExpiry(t *testing.T) {
	t.Parallel()
	const ttl = 720 * time.Hour
	e := newProvisionerEnv(t, func(o *Options) { o.AccountTTL = ttl })
	id := Identity{UserID: "u1", Name: "Ada"}
	e.mustProvision(t, &id)
	if u, _ := e.sim.User(testOrg, "u1"); u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(t0.Add(ttl)) {
		t.Fatalf("first sign-in expiry: got %v, want %v", u.AccountExpiresAt, t0.Add(ttl))
	}

	e.sim.Advance(24 * time.Hour)
	e.sim.ResetCalls()
	e.mustProvision(t, &id)
	want := t0.Add(24*time.Hour + ttl)
	if u, _ := e.sim.User(testOrg, "u1"); u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(want) {
		t.Errorf("next sign-in expiry: got %v, want %v", u.AccountExpiresAt, want)
	}
	if b := e.bodies(t, talkiotest.EndpointUpdateUser); len(b) != 1 || len(b[0]) != 1 || b[0]["accountExpiresAt"] == nil {
		t.Errorf("update bodies %v, want one with only accountExpiresAt", b)
	}

	// An expiry claim before now+TTL caps it.
	capAt := e.sim.Now().Add(48 * time.Hour)
	id.AccountExpiresAt = &capAt
	e.mustProvision(t, &id)
	if u, _ := e.sim.User(testOrg, "u1"); u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(capAt) {
		t.Errorf("capped expiry: got %v, want %v", u.AccountExpiresAt, capAt)
	}
	// One after it does not.
	later := e.sim.Now().Add(2 * ttl)
	id.AccountExpiresAt = &later
	e.mustProvision(t, &id)
	if u, _ := e.sim.User(testOrg, "u1"); u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(e.sim.Now().Add(ttl)) {
		t.Errorf("claim after the TTL: got %v, want now+TTL", u.AccountExpiresAt)
	}
}

func TestExpiryClaimWithoutTTL(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, nil)
	capAt := t0.Add(72 * time.Hour)
	e.mustProvision(t, &Identity{UserID: "u1", Name: "Ada", AccountExpiresAt: &capAt})
	if u, _ := e.sim.User(testOrg, "u1"); u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(capAt) {
		t.Errorf("expiry from the claim alone: got %v, want %v", u.AccountExpiresAt, capAt)
	}
	// Without TTL or claim no expiry is sent at all.
	e.mustProvision(t, &Identity{UserID: "u2", Name: "Bo"})
	for _, b := range e.bodies(t, talkiotest.EndpointCreateUser) {
		if _, has := b["accountExpiresAt"]; has && b["id"] == "u2" {
			t.Errorf("create without TTL or claim sent an expiry: %v", b)
		}
	}
}

func TestSettingsDefaultsOnce(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) {
		o.DefaultSettings = &talkio.Settings{PracticeLanguage: talkio.Ptr("es-ES"), UILanguage: talkio.Ptr("en-GB")}
	})
	id := Identity{UserID: "maya", Name: "Maya", Locale: "sv-SE"}
	e.mustProvision(t, &id)
	want := map[string]any{"practiceLanguage": "es-ES", "uiLanguage": "en-GB", "userLanguage": "sv-SE"}
	if got := e.bodies(t, talkiotest.EndpointUpdateSettings); len(got) != 1 || !sameMap(got[0], want) {
		t.Fatalf("settings bodies %v, want one %v", got, want)
	}
	if s, _ := e.sim.UserSettings(testOrg, "maya"); s.PracticeLanguage != "es-ES" || s.UserLanguage != "sv-SE" || s.UILanguage != "en-GB" {
		t.Errorf("stored settings %+v", s)
	}
	// Once: a returning person gets none.
	e.mustProvision(t, &id)
	// Only for people the gateway creates: one created elsewhere gets none either.
	e.addUser(t, talkiotest.User{ID: "jonas", UserName: "Jonas"})
	e.mustProvision(t, &Identity{UserID: "jonas", Name: "Jonas", Locale: "de"})
	if n := e.sim.CallCount(talkiotest.EndpointUpdateSettings); n != 1 {
		t.Errorf("settings calls: got %d, want 1", n)
	}
}

func TestLocaleBecomesLanguages(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, nil)
	e.mustProvision(t, &Identity{UserID: "u1", Name: "A", Locale: "pt_BR"})
	want := map[string]any{"uiLanguage": "pt-BR", "userLanguage": "pt-BR"}
	if got := e.bodies(t, talkiotest.EndpointUpdateSettings); len(got) != 1 || !sameMap(got[0], want) {
		t.Errorf("settings bodies %v, want one %v", got, want)
	}
	// No defaults and a locale that is not one: no settings call.
	e.mustProvision(t, &Identity{UserID: "u2", Name: "B", Locale: "not a locale!"})
	if n := e.sim.CallCount(talkiotest.EndpointUpdateSettings); n != 1 {
		t.Errorf("settings calls: got %d, want 1", n)
	}
}

func TestProfileSyncSendsOnlyChanges(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, nil)
	id := eleanor
	e.mustProvision(t, &id)

	e.sim.ResetCalls()
	id.Name = "Eleanor Hughes-Park"
	id.Phone = "+442079460999"
	e.mustProvision(t, &id)
	want := map[string]any{"userName": "Eleanor Hughes-Park", "phoneNumber": "+442079460999"}
	if got := e.bodies(t, talkiotest.EndpointUpdateUser); len(got) != 1 || !sameMap(got[0], want) {
		t.Fatalf("update bodies %v, want one %v", got, want)
	}
	if u, _ := e.sim.User(testOrg, id.UserID); u.UserName != "Eleanor Hughes-Park" || u.Email != eleanor.Email {
		t.Errorf("Talkio user after sync: %+v", u)
	}

	// An empty claim never erases what Talkio holds.
	e.sim.ResetCalls()
	id.Email, id.Phone = "", ""
	e.mustProvision(t, &id)
	if n := e.sim.CallCount(talkiotest.EndpointUpdateUser); n != 0 {
		t.Errorf("empty claims: %d updates, want 0", n)
	}
	if u, _ := e.sim.User(testOrg, id.UserID); u.Email != eleanor.Email || u.PhoneNumber != "+442079460999" {
		t.Errorf("erased: %+v", u)
	}
}

func TestOrganizationRoutingAndPreference(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnvSim(t, func(o *talkiotest.Options) {
		o.Organizations = []talkiotest.Organization{{Slug: "acme-school", Partner: testProvider}, {Slug: "acme-college", Partner: testProvider}}
	}, func(o *Options) {
		o.OrganizationMap = map[string]string{"school": "acme-school", "college": "acme-college"}
	})
	// Maya is in the school already; she signs in through the college.
	if err := e.sim.AddUser("acme-school", talkiotest.User{ID: "maya", UserName: "Maya"}); err != nil {
		t.Fatal(err)
	}
	res := e.mustProvision(t, &Identity{UserID: "maya", Name: "Maya", Organization: "college"})
	if res.Organization != "acme-college" {
		t.Errorf("organization %q", res.Organization)
	}
	if _, ok := e.sim.User("acme-college", "maya"); !ok {
		t.Fatal("not created in acme-college")
	}
	if pref, ok := e.sim.OrganizationPreference("acme-school", "maya"); !ok || pref != "acme-college" {
		t.Errorf("preference: got %q %v, want acme-college", pref, ok)
	}
	if e.p.Client("acme-college") == nil || e.p.Client("elsewhere") != nil {
		t.Error("Client: wrong organizations")
	}
	// Her token comes from the organization she signed in through.
	e.sim.ResetCalls()
	if _, err := e.p.Token(t.Context(), res.Organization, "maya"); err != nil {
		t.Fatal(err)
	}
	if calls := e.sim.Calls(); len(calls) != 1 || !strings.Contains(calls[0].Path, "/organizations/acme-college/") {
		t.Errorf("token call went to %v", calls)
	}

	if res := e.mustProvision(t, &Identity{UserID: "jonas", Name: "Jonas", Organization: "school"}); res.Organization != "acme-school" {
		t.Errorf("jonas: %+v", res)
	}
	// An entry point's own organization (an LTI registration's) wins over the claim.
	if res := e.mustProvision(t, &Identity{UserID: "lee", Name: "Lee", Organization: "school", OrganizationSlug: "acme-college"}); res.Organization != "acme-college" {
		t.Errorf("lee: %+v", res)
	}

	// An unmapped organization.
	e.sim.ResetCalls()
	e.wantRefusedFree(t, &Identity{UserID: "x", Name: "X", Organization: "elsewhere"}, ErrNoOrganization, RefusedOrganization)
}

func TestPreferenceFailureIsLoggedNotFatal(t *testing.T) {
	t.Parallel()
	e := newTwoOrgEnv(t, nil)
	e.sim.Inject(talkiotest.EndpointSetOrgPreference, talkiotest.Fault{Status: http.StatusBadRequest})
	e.mustProvision(t, &Identity{UserID: "u1", Name: "A", Organization: "a"})
	if !strings.Contains(e.logs.String(), "set organization preference") {
		t.Error("the preference failure is not logged")
	}
}

// A single organization needs no preference call.
func TestNoPreferenceWithOneOrganization(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) { o.OrganizationMap = map[string]string{"a": testOrg, "b": testOrg} })
	e.mustProvision(t, &Identity{UserID: "u1", Name: "A", Organization: "b"})
	if n := e.sim.CallCount(talkiotest.EndpointSetOrgPreference); n != 0 {
		t.Errorf("%d preference calls", n)
	}
}

// sameMap compares decoded JSON objects of strings.
func sameMap(got, want map[string]any) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// The expiry slides with use (a sign-in, a launch), not with a directory edit: a user the directory
// pushes gets now + TTL at creation, and a later SCIM update leaves it alone, so an account nobody uses
// still expires.
func TestSCIMUpdatesDoNotRenewTheExpiry(t *testing.T) {
	t.Parallel()
	const ttl = 720 * time.Hour
	e := newProvisionerEnv(t, func(o *Options) { o.AccountTTL = ttl })
	id := Identity{UserID: "u1", Name: "Ada"}
	if _, err := e.p.Provision(t.Context(), &id, SCIM); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.sim.User(testOrg, "u1"); u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(t0.Add(ttl)) {
		t.Fatalf("created by SCIM: expiry %v, want %v", u.AccountExpiresAt, t0.Add(ttl))
	}
	e.sim.Advance(24 * time.Hour)
	id.Name = "Ada Lovelace"
	if _, err := e.p.Provision(t.Context(), &id, SCIM); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.sim.User(testOrg, "u1"); u.UserName != "Ada Lovelace" || !u.AccountExpiresAt.Equal(t0.Add(ttl)) {
		t.Errorf("after a SCIM update: %q, expiry %v; want the new name and the same expiry", u.UserName, u.AccountExpiresAt)
	}
	e.mustProvision(t, &id) // a sign-in renews it
	if u, _ := e.sim.User(testOrg, "u1"); !u.AccountExpiresAt.Equal(t0.Add(24*time.Hour + ttl)) {
		t.Errorf("after a sign-in: expiry %v, want %v", u.AccountExpiresAt, t0.Add(24*time.Hour+ttl))
	}
}
