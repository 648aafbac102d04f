package handlers

// Access and provisioning policy as the web layer shows it: groups, expiry, Talkio outages, settings,
// profile sync, organizations.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"talkio-gateway/demo/idp"
	"talkio-gateway/internal/testutil"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

func TestGroupsPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{provision: func(o *provision.Options) {
		o.AllowedGroups = []string{"teachers", "class-7b"}
		o.FacilitatorGroups = []string{"teachers"}
	}})
	e.browser("eleanor").signIn()
	if u, ok := e.sim.User(testOrg, "demo-eleanor"); !ok || u.UserType != talkio.UserTypeFacilitator {
		t.Errorf("teacher: got %+v, want a facilitator", u)
	}
	e.browser("jonas").signIn()
	if u, ok := e.sim.User(testOrg, "demo-jonas"); !ok || u.UserType != talkio.UserTypeMember {
		t.Errorf("pupil: got %+v, want a member", u)
	}

	e2 := newEnv(t, envConfig{provision: func(o *provision.Options) { o.AllowedGroups = []string{"teachers"} }})
	r := e2.browser("maya").mustVisit("/login")
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("not in ALLOWED_GROUPS: got %d, want 403", r.StatusCode)
	}
	msg := errorText(r.body)
	if !strings.Contains(msg, "not in a group that has access") || !strings.Contains(msg, "the school office") || strings.Contains(msg, "teachers") {
		t.Errorf("refusal message %q", msg)
	}
	if e2.callsTo("*") != 0 {
		t.Errorf("a refused user cost Partner API calls: %v", endpoints(e2.sim.Calls()))
	}
	if testutil.ByID(t, e2.browser("maya").get("/").body, "sign-in") == nil {
		t.Error("refused user got a session")
	}
}

func TestTalkioUnavailableThenOK(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	e.sim.Inject(talkiotest.EndpointGetUser, talkiotest.Fault{Status: http.StatusServiceUnavailable, FailFirst: 1})
	b := e.browser("jonas")
	b.signIn()
	e.sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: http.StatusServiceUnavailable, FailFirst: 1})
	r := b.get("/open")
	if r.StatusCode != http.StatusFound {
		t.Fatalf("/open after one 503: got %d: %s", r.StatusCode, errorText(r.body))
	}
	e.tokenFrom(r.location())
	last := e.logLines()[len(e.logLines())-1]
	if !strings.Contains(last, "upstream_calls=2") {
		t.Errorf("log line %q: want upstream_calls=2", last)
	}
}

func TestTalkioDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()

	e.sim.Inject("*", talkiotest.Fault{DropConnection: true})
	r := b.get("/open")
	if r.StatusCode != http.StatusBadGateway {
		t.Fatalf("Talkio down: got %d, want 502", r.StatusCode)
	}
	rid := r.Header.Get("X-Request-ID")
	if rid == "" || testutil.Text(testutil.ByID(t, r.body, "request-id")) != rid {
		t.Errorf("502 page request id %q, header %q", testutil.Text(testutil.ByID(t, r.body, "request-id")), rid)
	}
	if strings.Contains(r.body, "goroutine") || strings.Contains(r.body, "talkio:") || strings.Contains(r.body, "EOF") {
		t.Error("502 page shows internal detail")
	}

	// JSON when asked for it.
	jr, err := b.do(http.MethodGet, "/open", nil, http.Header{"Accept": {"application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error     string `json:"error"`
		Status    int    `json:"status"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(jr.body), &body); err != nil || body.Status != 502 || body.RequestID == "" || body.Error == "" {
		t.Errorf("JSON error: got %s (%v)", jr.body, err)
	}

	// Talkio answering 503 throughout: 503, and the sign-in page says so.
	e.sim.ClearFaults()
	e.sim.Inject("*", talkiotest.Fault{Status: http.StatusServiceUnavailable})
	if r := b.get("/open"); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("Talkio 503: got %d, want 503", r.StatusCode)
	}
	r = e.browser("maya").mustVisit("/login")
	if r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("sign-in while Talkio answers 503: got %d, want 503", r.StatusCode)
	}
	if a := testutil.ByID(t, r.body, "error-action"); a == nil || testutil.Attr(a, "href") != "/login" {
		t.Errorf("sign-in failure page offers no retry: %v", a)
	}
}

func TestOrganizationRouting(t *testing.T) {
	t.Parallel()
	users := idp.DemoUsers()
	users[0].Extra = map[string]any{"org": "college"}
	users[1].Extra = map[string]any{"org": "school"}
	users[2].Extra = map[string]any{"org": "elsewhere"}
	e := newEnv(t, envConfig{
		users: users,
		orgs: []talkiotest.Organization{
			{Slug: "acme-school", Partner: testProvider},
			{Slug: "acme-college", Partner: testProvider},
		},
		provision: func(o *provision.Options) {
			o.OrganizationMap = map[string]string{"school": "acme-school", "college": "acme-college"}
		},
	})

	// Maya is also in the school already; she signs in through the college.
	if err := e.sim.AddUser("acme-school", talkiotest.User{ID: "demo-maya", UserName: "Maya Lindqvist", UserType: "member"}); err != nil {
		t.Fatal(err)
	}
	maya := e.browser("maya")
	maya.signIn()
	if _, ok := e.sim.User("acme-college", "demo-maya"); !ok {
		t.Fatal("Maya not created in acme-college")
	}
	if pref, ok := e.sim.OrganizationPreference("acme-school", "demo-maya"); !ok || pref != "acme-college" {
		t.Errorf("Maya's organization preference: got %q %v, want acme-college", pref, ok)
	}
	if got := testutil.Text(testutil.ByID(t, maya.get("/").body, "profile-org")); got != "acme-college" {
		t.Errorf("home shows organization %q", got)
	}
	e.sim.ResetCalls()
	e.tokenFrom(maya.get("/open").location())
	if calls := e.sim.Calls(); len(calls) != 1 || !strings.Contains(calls[0].Path, "/organizations/acme-college/") {
		t.Errorf("Maya's token call went to %v", calls)
	}

	jonas := e.browser("jonas")
	jonas.signIn()
	if _, ok := e.sim.User("acme-school", "demo-jonas"); !ok {
		t.Error("Jonas not created in acme-school")
	}

	r := e.browser("eleanor").mustVisit("/login")
	if r.StatusCode != http.StatusForbidden || !strings.Contains(errorText(r.body), "organization") {
		t.Errorf("unmapped organization: got %d %q, want 403", r.StatusCode, errorText(r.body))
	}
}

func TestUserDeletedSinceLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	b.signIn()
	if err := e.talkio.DeleteUser(t.Context(), "demo-jonas"); err != nil {
		t.Fatal(err)
	}
	r := b.get("/open?template=books-literature")
	if r.StatusCode != http.StatusFound || !e.startsSignIn(r.location()) {
		t.Fatalf("deleted user's /open: got %d %q", r.StatusCode, r.location())
	}
	if testutil.ByID(t, b.get("/").body, "sign-in") == nil {
		t.Error("session not cleared")
	}
	// Signing in again recreates the user and lands in Talkio.
	r = b.mustVisit(r.location())
	if r.StatusCode != http.StatusFound {
		t.Fatalf("after signing in again: %d %s", r.StatusCode, errorText(r.body))
	}
	e.tokenFrom(r.location())
	if n := e.callsTo(talkiotest.EndpointCreateUser); n != 2 {
		t.Errorf("CreateUser calls: got %d, want 2", n)
	}
}
