package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"talkio-gateway/demo/idp"
	"talkio-gateway/internal/testutil"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// An account that expired in Talkio gets the 403 "your access has ended" page naming the support
// contact on /open, /embed and at sign-in, whatever status the token and user endpoints answer for it
// (the documentation does not say): never a 502, never a loop back to the sign-in.
func TestExpiredAccountWhateverTheAPIAnswers(t *testing.T) {
	t.Parallel()
	statuses := []struct{ token, user int }{
		{http.StatusForbidden, http.StatusForbidden},
		{http.StatusNotFound, http.StatusNotFound},
		{http.StatusGone, http.StatusGone},
		{http.StatusGone, http.StatusForbidden},
		{http.StatusForbidden, http.StatusNotFound},
	}
	for _, st := range statuses {
		t.Run(fmt.Sprintf("token %d, user %d", st.token, st.user), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{simOptions: func(o *talkiotest.Options) {
				o.ExpiredStatus = map[string]int{talkiotest.EndpointUserToken: st.token, talkiotest.EndpointGetUser: st.user}
			}})
			b := e.browser("jonas")
			b.signIn()
			past := e.clock.Now().Add(-1)
			if _, err := e.talkio.UpdateUser(t.Context(), "demo-jonas", &talkio.UpdateUserRequest{AccountExpiresAt: &past}); err != nil {
				t.Fatal(err)
			}

			for _, route := range []string{"/open", "/embed?template=books-literature"} {
				e.sim.ResetCalls()
				r := b.get(route)
				wantAccessEnded(t, route, r)
				if n := e.callsTo(talkiotest.EndpointGetExpiredUser); n != 1 {
					t.Errorf("%s: %d expired-user lookups, want 1", route, n)
				}
			}
			if testutil.ByID(t, b.get("/").body, "sign-out") == nil {
				t.Error("the session was dropped; the person would bounce through the sign-in")
			}

			// A new sign-in of the same person.
			r := e.browser("jonas").mustVisit("/login")
			wantAccessEnded(t, "sign-in", r)
			if active, expired := e.sim.Users(testOrg), e.sim.ExpiredUsers(testOrg); len(active) != 0 || len(expired) != 1 {
				t.Errorf("Talkio users: %d active, %d expired; want the one expired", len(active), len(expired))
			}
		})
	}
}

func wantAccessEnded(t *testing.T, where string, r *response) {
	t.Helper()
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("%s: got %d, want 403: %s", where, r.StatusCode, errorText(r.body))
		return
	}
	if msg := errorText(r.body); !strings.Contains(msg, "expired") || !strings.Contains(msg, "the school office") {
		t.Errorf("%s: message %q, want the expiry and the support contact", where, msg)
	}
}

// A user deleted in Talkio (not expired) since the session began is still sent to sign in again,
// whether the token endpoint says 404 or 410.
func TestDeletedUserSignsInAgainOn410(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()
	e.sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: http.StatusGone, FailFirst: 1})
	r := b.get("/open")
	if r.StatusCode != http.StatusFound || !e.startsSignIn(r.location()) {
		t.Errorf("410 for a user who is not expired: got %d %q, want a new sign-in", r.StatusCode, r.location())
	}
}

// GET /users/{id} also resolves emails: a person whose id claim is a teacher's email signs in to an
// account of their own, never the teacher's record or role, at sign-in and on /open.
func TestIDClaimThatIsAnotherUsersEmail(t *testing.T) {
	t.Parallel()
	users := append(idp.DemoUsers(), idp.User{ID: "eleanor.hughes@school.example", Username: "mallory", Name: "Mallory Pupil"})
	e := newEnv(t, envConfig{users: users, provision: func(o *provision.Options) { o.FacilitatorGroups = []string{"teachers"} }})
	e.browser("eleanor").signIn()

	b := e.browser("mallory")
	b.signIn()
	home := b.get("/")
	if got := testutil.Text(testutil.ByID(t, home.body, "profile-type")); got != talkio.UserTypeMember {
		t.Errorf("profile type %q, want member", got)
	}
	app := b.get(b.get("/open").location())
	if got := testutil.Text(testutil.ByID(t, app.body, "user-id")); got != "eleanor.hughes@school.example" {
		t.Errorf("Talkio app signed in %q", got)
	}
	if u, _ := e.sim.User(testOrg, "demo-eleanor"); u.UserName != "Eleanor Hughes" || u.UserType != talkio.UserTypeFacilitator {
		t.Errorf("the teacher's record changed: %+v", u)
	}
	if u, ok := e.sim.User(testOrg, "eleanor.hughes@school.example"); !ok || u.UserName != "Mallory Pupil" || u.UserType != talkio.UserTypeMember {
		t.Errorf("own account: %+v %v", u, ok)
	}
}
