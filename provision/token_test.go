package provision

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

func TestToken(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, nil)
	e.addUser(t, talkiotest.User{ID: "u1"})
	tok, err := e.p.Token(t.Context(), testOrg, "u1")
	if err != nil || tok.Token == "" {
		t.Fatalf("got %v, %v", tok, err)
	}
	if got := e.endpoints(); !slices.Equal(got, []string{talkiotest.EndpointUserToken}) {
		t.Errorf("calls %v, want only the token", got)
	}
	if _, err := e.p.Token(t.Context(), "", "u1"); err == nil {
		t.Error("accepted an empty organization")
	}
}

// Whatever status the token endpoint answers for an expired account, Token asks the expired-users
// endpoint and says ErrAccountExpired; for a user that is simply gone it says ErrNoUser.
func TestTokenExplainsExpiry(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusGone} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			e := newProvisionerEnvSim(t, func(o *talkiotest.Options) {
				o.ExpiredStatus = map[string]int{talkiotest.EndpointUserToken: status}
			}, nil)
			past := t0.Add(-time.Hour)
			e.addUser(t, talkiotest.User{ID: "old", AccountExpiresAt: &past})
			_, err := e.p.Token(t.Context(), testOrg, "old")
			if !errors.Is(err, ErrAccountExpired) || Classify(err) != Expired {
				t.Errorf("expired: got %v, want ErrAccountExpired", err)
			}
			if got, want := e.endpoints(), []string{talkiotest.EndpointUserToken, talkiotest.EndpointGetExpiredUser}; !slices.Equal(got, want) {
				t.Errorf("calls %v, want %v", got, want)
			}

			_, err = e.p.Token(t.Context(), testOrg, "nobody")
			if !errors.Is(err, ErrNoUser) || !errors.Is(err, talkio.ErrNotFound) {
				t.Errorf("unknown user: got %v, want ErrNoUser wrapping the 404", err)
			}
		})
	}
}

func TestTokenFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults map[string]talkiotest.Fault
		want   Outcome
		noUser bool
	}{
		// A 403 for a user who is not expired is the API refusing the gateway.
		{"403, not expired", map[string]talkiotest.Fault{talkiotest.EndpointUserToken: {Status: http.StatusForbidden}}, TalkioFailed, false},
		// A 410 for a user who is not expired: gone.
		{"410, not expired", map[string]talkiotest.Fault{talkiotest.EndpointUserToken: {Status: http.StatusGone}}, TalkioFailed, true},
		// The expired lookup fails: the token's own failure stands.
		{"expired lookup fails", map[string]talkiotest.Fault{
			talkiotest.EndpointUserToken:      {Status: http.StatusForbidden},
			talkiotest.EndpointGetExpiredUser: {Status: http.StatusInternalServerError},
		}, TalkioFailed, false},
		{"busy", map[string]talkiotest.Fault{talkiotest.EndpointUserToken: {Status: http.StatusServiceUnavailable}}, TalkioBusy, false},
		{"500", map[string]talkiotest.Fault{talkiotest.EndpointUserToken: {Status: http.StatusInternalServerError}}, TalkioFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newProvisionerEnv(t, nil)
			e.addUser(t, talkiotest.User{ID: "u1"})
			for ep, f := range tt.faults {
				e.sim.Inject(ep, f)
			}
			_, err := e.p.Token(t.Context(), testOrg, "u1")
			if got := Classify(err); got != tt.want {
				t.Errorf("got %v (%v), want %v", got, err, tt.want)
			}
			if errors.Is(err, ErrAccountExpired) || errors.Is(err, ErrNoUser) != tt.noUser {
				t.Errorf("got %v, want no expiry and ErrNoUser %v", err, tt.noUser)
			}
		})
	}
}

// GET /users/{id} and /expired-users/{id} also resolve emails: a person whose id claim is a teacher's
// email gets an account of their own, never the teacher's record or role.
func TestIDThatIsAnotherUsersEmail(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) { o.FacilitatorGroups = []string{"teachers"} })
	e.addUser(t, talkiotest.User{ID: "teacher-1", UserName: "Ms Teacher", UserType: talkio.UserTypeFacilitator, Email: "teacher@school.example"})

	res := e.mustProvision(t, &Identity{UserID: "teacher@school.example", Name: "Mallory"})
	if res.UserType != talkio.UserTypeMember {
		t.Errorf("got the teacher's type: %+v", res)
	}
	if u, ok := e.sim.User(testOrg, "teacher@school.example"); !ok || u.UserName != "Mallory" || u.UserType != talkio.UserTypeMember {
		t.Errorf("own account: %+v %v", u, ok)
	}
	if u, _ := e.sim.User(testOrg, "teacher-1"); u.UserName != "Ms Teacher" {
		t.Errorf("the teacher's record was changed: %+v", u)
	}
	if e.sim.CallCount(talkiotest.EndpointUpdateUser) != 0 {
		t.Error("updated a record")
	}
	// The log names the id asked for, nothing of the other record.
	logs := e.logs.String()
	if !strings.Contains(logs, "another user's record") || strings.Contains(logs, "teacher-1") || strings.Contains(logs, "Ms Teacher") {
		t.Errorf("log: %s", logs)
	}
}

// The same when the teacher's account has expired: Token must not call the person expired.
func TestExpiredLookupByEmailIsNotTheUser(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) { o.SignInCreates = false })
	past := t0.Add(-time.Hour)
	e.addUser(t, talkiotest.User{ID: "teacher-1", Email: "teacher@school.example", AccountExpiresAt: &past})
	if _, err := e.p.Token(t.Context(), testOrg, "teacher@school.example"); !errors.Is(err, ErrNoUser) {
		t.Errorf("token: got %v, want ErrNoUser", err)
	}
	if _, err := e.p.Provision(t.Context(), &Identity{UserID: "teacher@school.example"}, SignIn); !errors.Is(err, ErrNotProvisioned) {
		t.Errorf("sign-in: got %v, want ErrNotProvisioned", err)
	}
	// With creation allowed, the conflict's explanation does not take the teacher's expiry either.
	e2 := newProvisionerEnv(t, nil)
	e2.addUser(t, talkiotest.User{ID: "teacher-1", Email: "teacher@school.example", AccountExpiresAt: &past})
	e2.sim.Inject(talkiotest.EndpointCreateUser, talkiotest.Fault{Status: http.StatusConflict, FailFirst: 1})
	if _, err := e2.p.Provision(t.Context(), &Identity{UserID: "teacher@school.example", Name: "M", Email: "m@example.com"}, SignIn); err != nil {
		t.Errorf("sign-in after a conflict: %v", err)
	}
}
