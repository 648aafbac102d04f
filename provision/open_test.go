package provision

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// The calls of Open, asserted by order and count from what the simulator received (never by time).
// Calls that run concurrently are compared as sets; what must come after what is checked by position.

// wantPhases checks the recorded calls in phases: each phase is the set of endpoints (with status)
// of the next len(phase) calls, in any order among themselves.
func wantPhases(t *testing.T, e *provisionerEnv, phases ...[]string) {
	t.Helper()
	if diff := talkiotest.CheckPhases(e.sim.Calls(), phases...); diff != "" {
		t.Fatal(diff)
	}
}

const (
	tok200      = talkiotest.EndpointUserToken + " 200"
	tok404      = talkiotest.EndpointUserToken + " 404"
	get200      = talkiotest.EndpointGetUser + " 200"
	get404      = talkiotest.EndpointGetUser + " 404"
	put200      = talkiotest.EndpointUpdateUser + " 200"
	create201   = talkiotest.EndpointCreateUser + " 201"
	settings200 = talkiotest.EndpointUpdateSettings + " 200"
	pref200     = talkiotest.EndpointSetOrgPreference + " 200"
)

func TestOpenReturningPerson(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) { o.FacilitatorGroups = []string{"teachers"} })
	e.addUser(t, talkiotest.User{ID: "u1", UserName: "Ada", UserType: talkio.UserTypeFacilitator})

	// Nothing changed: the token and the lookup, concurrently, and nothing else.
	res, tok, err := e.p.Open(t.Context(), &Identity{UserID: "u1", Name: "Ada"}, SignIn)
	if err != nil || tok == nil || tok.Token == "" {
		t.Fatalf("got %v, %v", tok, err)
	}
	if res.UserType != talkio.UserTypeFacilitator || res.Organization != testOrg {
		t.Errorf("result %+v, want Talkio's type", res)
	}
	wantPhases(t, e, []string{tok200, get200})

	// The name changed: the update follows the lookup, beside the token.
	e.sim.ResetCalls()
	if _, _, err := e.p.Open(t.Context(), &Identity{UserID: "u1", Name: "Ada L."}, SignIn); err != nil {
		t.Fatal(err)
	}
	calls := e.sim.Calls()
	if len(calls) != 3 {
		t.Fatalf("calls %v, want token, lookup, update", calls)
	}
	iGet := slices.IndexFunc(calls, func(c talkiotest.Call) bool { return c.Endpoint == talkiotest.EndpointGetUser })
	iPut := slices.IndexFunc(calls, func(c talkiotest.Call) bool { return c.Endpoint == talkiotest.EndpointUpdateUser })
	if iGet < 0 || iPut < iGet || e.sim.CallCount(talkiotest.EndpointUserToken) != 1 {
		t.Errorf("calls %v: want the update after the lookup, and one token", calls)
	}
	if u, _ := e.sim.User(testOrg, "u1"); u.UserName != "Ada L." {
		t.Errorf("not synced: %+v", u)
	}
}

func TestOpenFirstSignIn(t *testing.T) {
	t.Parallel()
	e := newTwoOrgEnv(t, func(o *Options) {
		o.DefaultSettings = &talkio.Settings{HideIntroFlow: talkio.Ptr(true)}
	})
	res, tok, err := e.p.Open(t.Context(), &Identity{UserID: "u1", Name: "Ada", Organization: "b"}, SignIn)
	if err != nil || tok == nil || res.Organization != "org-b" {
		t.Fatalf("got %+v, %v, %v", res, tok, err)
	}
	// Token and lookup say "not found"; create; then the token beside the settings and the preference.
	wantPhases(t, e, []string{tok404, get404}, []string{create201}, []string{tok200, settings200, pref200})
	if u, ok := e.sim.User("org-b", "u1"); !ok || u.UserName != "Ada" {
		t.Errorf("user %+v", u)
	}
	if pref, _ := e.sim.OrganizationPreference("org-a", "u1"); pref != "org-b" {
		t.Errorf("preference %q", pref)
	}
}

func TestOpenConcurrentFirstSignInsCreateOnce(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) {
		o.DefaultSettings = &talkio.Settings{HideIntroFlow: talkio.Ptr(true)}
	})
	const n = 50
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		tokens = map[string]bool{}
	)
	for range n {
		wg.Go(func() {
			_, tok, err := e.p.Open(t.Context(), &Identity{UserID: "u1", Name: "Ada"}, SignIn)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			tokens[tok.Token] = true
		})
	}
	wg.Wait()
	if len(tokens) != n {
		t.Errorf("%d distinct tokens for %d sign-ins, want one each", len(tokens), n)
	}
	created := 0
	for _, c := range e.sim.Calls() {
		if c.Endpoint == talkiotest.EndpointCreateUser && c.StatusCode == http.StatusCreated {
			created++
		}
	}
	if created != 1 || len(e.sim.Users(testOrg)) != 1 {
		t.Errorf("%d creates succeeded, %d users; want 1 and 1", created, len(e.sim.Users(testOrg)))
	}
	if got := e.sim.CallCount(talkiotest.EndpointUpdateSettings); got != 1 {
		t.Errorf("settings calls: got %d, want 1", got)
	}
}

func TestOpenNonEssentialFailures(t *testing.T) {
	t.Parallel()
	e := newTwoOrgEnv(t, func(o *Options) {
		o.DefaultSettings = &talkio.Settings{HideIntroFlow: talkio.Ptr(true)}
	})
	e.sim.Inject(talkiotest.EndpointUpdateSettings, talkiotest.Fault{Status: http.StatusBadRequest})
	e.sim.Inject(talkiotest.EndpointSetOrgPreference, talkiotest.Fault{Status: http.StatusInternalServerError})
	if _, tok, err := e.p.Open(t.Context(), &Identity{UserID: "u1", Name: "Ada", Organization: "a"}, SignIn); err != nil || tok == nil {
		t.Fatalf("got %v, %v; want a token", tok, err)
	}
	for _, want := range []string{"apply default settings", "set organization preference"} {
		if !strings.Contains(e.logs.String(), want) {
			t.Errorf("not logged: %q", want)
		}
	}
}

func TestOpenExpired(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusGone} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			e := newProvisionerEnvSim(t, func(o *talkiotest.Options) {
				o.ExpiredStatus = map[string]int{talkiotest.EndpointGetUser: status, talkiotest.EndpointUserToken: status}
			}, nil)
			past := t0.Add(-time.Hour)
			e.addUser(t, talkiotest.User{ID: "u1", AccountExpiresAt: &past})
			_, tok, err := e.p.Open(t.Context(), &Identity{UserID: "u1", Name: "Ada"}, SignIn)
			if !errors.Is(err, ErrAccountExpired) || tok != nil {
				t.Errorf("got %v, %v; want ErrAccountExpired", tok, err)
			}
			if len(e.sim.Users(testOrg)) != 0 {
				t.Error("a new user was created")
			}
		})
	}
}

func TestOpenRefusals(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) { o.SignInCreates = false })
	_, _, err := e.p.Open(t.Context(), &Identity{UserID: "u1", Name: "Ada"}, SignIn)
	if !errors.Is(err, ErrNotProvisioned) || e.sim.CallCount(talkiotest.EndpointCreateUser) != 0 {
		t.Errorf("not pushed: got %v after %v", err, e.endpoints())
	}
	// Via SCIM it creates.
	if _, tok, err := e.p.Open(t.Context(), &Identity{UserID: "u1", Name: "Ada"}, SCIM); err != nil || tok == nil {
		t.Errorf("SCIM: %v", err)
	}

	e2 := newProvisionerEnv(t, func(o *Options) { o.AllowedGroups = []string{"teachers"} })
	if _, _, err := e2.p.Open(t.Context(), &Identity{UserID: "u1"}, SignIn); !errors.Is(err, ErrNotAllowed) || e2.sim.CallCount("*") != 0 {
		t.Errorf("not allowed: %v after %d calls", err, e2.sim.CallCount("*"))
	}
}

func TestOpenFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing bool
		fault    string
		status   int
		want     Outcome
	}{
		{"lookup fails", true, talkiotest.EndpointGetUser, http.StatusInternalServerError, TalkioFailed},
		{"update fails", true, talkiotest.EndpointUpdateUser, http.StatusInternalServerError, TalkioFailed},
		{"token busy", true, talkiotest.EndpointUserToken, http.StatusServiceUnavailable, TalkioBusy},
		{"create fails", false, talkiotest.EndpointCreateUser, http.StatusInternalServerError, TalkioFailed},
		// A token failure that is not "not found" creates nothing: nothing is left half-done.
		{"token fails on a first sign-in", false, talkiotest.EndpointUserToken, http.StatusInternalServerError, TalkioFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newProvisionerEnv(t, nil)
			if tt.existing {
				e.addUser(t, talkiotest.User{ID: "u1", UserName: "Old"})
			}
			e.sim.Inject(tt.fault, talkiotest.Fault{Status: tt.status})
			_, tok, err := e.p.Open(t.Context(), &Identity{UserID: "u1", Name: "Ada"}, SignIn)
			if Classify(err) != tt.want || tok != nil {
				t.Errorf("got %v (%v), want %v", err, Classify(err), tt.want)
			}
			if !tt.existing && tt.fault != talkiotest.EndpointCreateUser && e.sim.CallCount(talkiotest.EndpointCreateUser) != 0 {
				t.Error("created a user")
			}
		})
	}
}
