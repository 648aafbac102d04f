package provision

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"talkio-gateway/internal/testutil"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// provisionerEnv is a Provisioner against a simulator, without sign-in. Both
// share the simulator's clock, frozen at t0 (sim.Advance moves both).
type provisionerEnv struct {
	sim  *talkiotest.Server
	p    *Provisioner
	logs *syncBuffer
}

var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func newProvisionerEnv(t *testing.T, modify func(*Options)) *provisionerEnv {
	t.Helper()
	return newProvisionerEnvSim(t, nil, modify)
}

// newProvisionerEnvSim also adjusts the simulator's options.
// wantRefusedFree signs id in and requires the refusal want, classified as class, decided before any
// Partner API call: a refused person costs nothing.
func (e *provisionerEnv) wantRefusedFree(t *testing.T, id *Identity, want error, class Outcome) {
	t.Helper()
	_, err := e.p.Provision(t.Context(), id, SignIn)
	if !errors.Is(err, want) || Classify(err) != class {
		t.Errorf("got %v (%v), want %v (%v)", err, Classify(err), want, class)
	}
	if n := e.sim.CallCount("*"); n != 0 {
		t.Errorf("a refused person cost %d Partner API calls", n)
	}
}

// newTwoOrgEnv is a provisioner for two organizations of the partner, org-a and org-b, which the
// organization claims "a" and "b" route to; modify (may be nil) changes the options further.
func newTwoOrgEnv(t *testing.T, modify func(*Options)) *provisionerEnv {
	t.Helper()
	return newProvisionerEnvSim(t, func(o *talkiotest.Options) {
		o.Organizations = []talkiotest.Organization{{Slug: "org-a", Partner: testProvider}, {Slug: "org-b", Partner: testProvider}}
	}, func(o *Options) {
		o.OrganizationMap = map[string]string{"a": "org-a", "b": "org-b"}
		if modify != nil {
			modify(o)
		}
	})
}

func newProvisionerEnvSim(t *testing.T, simOpts func(*talkiotest.Options), modify func(*Options)) *provisionerEnv {
	t.Helper()
	so := talkiotest.Options{Provider: testProvider, APIKey: "k", Organizations: []talkiotest.Organization{{Slug: testOrg}}}
	if simOpts != nil {
		simOpts(&so)
	}
	sim := talkiotest.NewServer(so)
	t.Cleanup(sim.Close)
	sim.SetNow(t0)
	c, err := talkio.NewClient(sim.URL, testProvider, "k", talkio.WithOrganization(so.Organizations[0].Slug),
		talkio.WithRetryPolicy(talkio.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	o := Options{Talkio: c, Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: sim.Now, SignInCreates: true}
	if modify != nil {
		modify(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &provisionerEnv{sim: sim, p: p, logs: logs}
}

// mustProvision provisions id through SignIn and fails the test on an error.
func (e *provisionerEnv) mustProvision(t *testing.T, id *Identity) *Provisioned {
	t.Helper()
	res, err := e.p.Provision(t.Context(), id, SignIn)
	if err != nil {
		t.Fatalf("provision %s: %v", id.UserID, err)
	}
	return res
}

// bodies are the JSON bodies the simulator received at an endpoint, decoded.
func (e *provisionerEnv) bodies(t *testing.T, endpoint string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, c := range e.sim.Calls() {
		if c.Endpoint != endpoint {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(c.Body, &m); err != nil {
			t.Fatalf("%s body %q: %v", endpoint, c.Body, err)
		}
		out = append(out, m)
	}
	return out
}

// endpoints lists the endpoints of the recorded calls, in order.
func (e *provisionerEnv) endpoints() []string {
	var out []string
	for _, c := range e.sim.Calls() {
		out = append(out, c.Endpoint)
	}
	return out
}

func (e *provisionerEnv) addUser(t *testing.T, u talkiotest.User) {
	t.Helper()
	if err := e.sim.AddUser(testOrg, u); err != nil {
		t.Fatal(err)
	}
}

func TestUserName(t *testing.T) {
	tests := []struct {
		id   Identity
		want string
	}{
		{Identity{UserID: "u1", Name: " Ada Lovelace ", Email: "ada@example.com"}, "Ada Lovelace"},
		{Identity{UserID: "u1", Email: "ada@example.com"}, "ada"},
		{Identity{UserID: "u1", Email: "@example.com"}, "u1"},
		{Identity{UserID: "u1"}, "u1"},
	}
	for _, tt := range tests {
		if got := UserName(&tt.id); got != tt.want {
			t.Errorf("userName(%+v): got %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestNewProvisionerRefuses(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("accepted a nil client")
	}
	c, err := talkio.NewClient("http://127.0.0.1:1", "p", "k", talkio.WithOrganization("o"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Talkio: c, OrganizationMap: map[string]string{"x": ""}}); err == nil {
		t.Error("accepted an empty slug")
	}
}

func TestProvisionCreatedConcurrentlyElsewhere(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, nil)
	if err := e.sim.AddUser(testOrg, talkiotest.User{ID: "u1", UserName: "Ada", UserType: "member"}); err != nil {
		t.Fatal(err)
	}
	// Another process creates the user between our lookup and our create.
	e.sim.Inject(talkiotest.EndpointGetUser, talkiotest.Fault{Status: http.StatusNotFound, FailFirst: 1})
	if _, err := e.p.Provision(t.Context(), &Identity{UserID: "u1", Name: "Ada"}, SignIn); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.CallCount(talkiotest.EndpointCreateUser); n != 1 {
		t.Errorf("creates: got %d, want the one that conflicted", n)
	}
	if u, _ := e.sim.User(testOrg, "u1"); u.UserName != "Ada" {
		t.Errorf("user %+v", u)
	}
}

func TestProvisionSharedEmail(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, nil)
	if err := e.sim.AddUser(testOrg, talkiotest.User{ID: "parent", UserName: "Parent", UserType: "member", Email: "family@example.com"}); err != nil {
		t.Fatal(err)
	}
	id := &Identity{UserID: "child", Name: "Child", Email: "family@example.com"}
	e.mustProvision(t, id)
	if u, ok := e.sim.User(testOrg, "child"); !ok || u.Email != "" {
		t.Errorf("child: %+v", u)
	}
	if !strings.Contains(e.logs.String(), "email belongs to another Talkio user") {
		t.Error("not logged")
	}

	// At the next login the email still conflicts: the rest is updated.
	id.Name = "Child Renamed"
	if _, err := e.p.Provision(t.Context(), id, SignIn); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.sim.User(testOrg, "child"); u.UserName != "Child Renamed" || u.Email != "" {
		t.Errorf("child after update: %+v", u)
	}
	// Only the email changed and it conflicts: nothing else is sent.
	e.sim.ResetCalls()
	if _, err := e.p.Provision(t.Context(), id, SignIn); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.CallCount(talkiotest.EndpointUpdateUser); n != 1 {
		t.Errorf("updates: got %d, want the one refused", n)
	}
}

func TestProvisionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault string
		setup func(*provisionerEnv)
		want  func(error) bool
	}{
		{name: "lookup fails", fault: talkiotest.EndpointGetUser, want: isTalkio},
		{name: "create fails", fault: talkiotest.EndpointCreateUser, want: isTalkio},
		{name: "expired lookup fails", fault: talkiotest.EndpointGetExpiredUser, setup: func(e *provisionerEnv) {
			e.sim.Inject(talkiotest.EndpointCreateUser, talkiotest.Fault{Status: http.StatusConflict})
		}, want: isTalkio},
		{name: "conflict without a user", setup: func(e *provisionerEnv) {
			e.sim.Inject(talkiotest.EndpointCreateUser, talkiotest.Fault{Status: http.StatusConflict})
		}, want: func(err error) bool { return err != nil }},
		{name: "update fails", fault: talkiotest.EndpointUpdateUser, setup: func(e *provisionerEnv) {
			_ = e.sim.AddUser(testOrg, talkiotest.User{ID: "u1", UserName: "Old", UserType: "member"})
		}, want: isTalkio},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newProvisionerEnv(t, nil)
			if tt.setup != nil {
				tt.setup(e)
			}
			if tt.fault != "" {
				e.sim.Inject(tt.fault, talkiotest.Fault{Status: http.StatusInternalServerError})
			}
			_, err := e.p.Provision(t.Context(), &Identity{UserID: "u1", Name: "Ada", Email: "ada@example.com"}, SignIn)
			if !tt.want(err) {
				t.Errorf("got %v", err)
			}
		})
	}
}

func TestProvisionSettingsFailureIsLogged(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) {
		o.DefaultSettings = &talkio.Settings{HideIntroFlow: talkio.Ptr(true)}
	})
	e.sim.Inject(talkiotest.EndpointUpdateSettings, talkiotest.Fault{Status: http.StatusBadRequest})
	e.mustProvision(t, &Identity{UserID: "u1", Name: "Ada"})
	if _, ok := e.sim.User(testOrg, "u1"); !ok {
		t.Error("not created")
	}
	if !strings.Contains(e.logs.String(), "apply default settings") {
		t.Error("settings failure not logged")
	}
}

func TestProvisionKeepsTalkioUserType(t *testing.T) {
	t.Parallel()
	e := newProvisionerEnv(t, func(o *Options) { o.FacilitatorGroups = []string{"teachers"} })
	if err := e.sim.AddUser(testOrg, talkiotest.User{ID: "u1", UserName: "Ada", UserType: "facilitator"}); err != nil {
		t.Fatal(err)
	}
	res, err := e.p.Provision(t.Context(), &Identity{UserID: "u1", Name: "Ada", Groups: []string{"pupils"}}, SignIn)
	if err != nil || res.UserType != talkio.UserTypeFacilitator {
		t.Errorf("got %+v, %v; want the Talkio user's type", res, err)
	}
}

func TestDefaultSettings(t *testing.T) {
	tests := []struct {
		name     string
		defaults *talkio.Settings
		locale   string
		wantNil  bool
		wantUI   string
		wantUser string
	}{
		{name: "nothing", wantNil: true},
		{name: "invalid locale", locale: "??", wantNil: true},
		{name: "undetermined", locale: "und", wantNil: true},
		{name: "locale", locale: "pt_BR", wantUI: "pt-BR", wantUser: "pt-BR"},
		{name: "defaults win", defaults: &talkio.Settings{UILanguage: talkio.Ptr("en-US")}, locale: "de", wantUI: "en-US", wantUser: "de"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := defaultSettings(tt.defaults, tt.locale)
			if (s == nil) != tt.wantNil {
				t.Fatalf("got %+v, want nil %v", s, tt.wantNil)
			}
			if s == nil {
				return
			}
			if got := deref(s.UILanguage); got != tt.wantUI {
				t.Errorf("uiLanguage: got %q, want %q", got, tt.wantUI)
			}
			if got := deref(s.UserLanguage); got != tt.wantUser {
				t.Errorf("userLanguage: got %q, want %q", got, tt.wantUser)
			}
			if tt.defaults != nil && tt.defaults.UserLanguage != nil {
				t.Error("defaults were modified")
			}
		})
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

const (
	testOrg      = "demo-school"
	testProvider = "acme-partner"
)

func isTalkio(err error) bool {
	return errors.As(err, new(*talkio.Error)) || errors.Is(err, talkio.ErrUnavailable)
}

// syncBuffer is the shared test buffer, safe for a logger used from several goroutines.
type syncBuffer = testutil.Buffer
