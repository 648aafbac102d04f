package scim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"talkio-gateway/provision"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

func TestNewRefuses(t *testing.T) {
	c, err := talkio.NewClient("http://127.0.0.1:1", "p", "k", talkio.WithOrganization("o"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := provision.New(provision.Options{Talkio: c})
	if err != nil {
		t.Fatal(err)
	}
	ok := Options{Tokens: []string{"t"}, Provisioner: p, Talkio: c}
	tests := []struct {
		name   string
		modify func(*Options)
	}{
		{"no token", func(o *Options) { o.Tokens = nil }},
		{"empty token", func(o *Options) { o.Tokens = []string{"t", " "} }},
		{"no provisioner", func(o *Options) { o.Provisioner = nil }},
		{"no client", func(o *Options) { o.Talkio = nil }},
		{"id attribute", func(o *Options) { o.UserIDAttribute = "email" }},
		{"deactivate", func(o *Options) { o.Deactivate = "disable" }},
	}
	for _, tt := range tests {
		o := ok
		tt.modify(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if _, err := New(ok); err != nil {
		t.Errorf("refused %v", err)
	}
}

// Requests that are refused before any work: the RFC's error answer and no Partner API call at all.
func TestRefusedRequestsMakeNoAPICall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options, _ *provision.Options) { o.MaxBodyBytes = 4096 })
	if err := e.sim.AddUser(testOrg, talkiotest.User{ID: "u1", UserName: "Ada", UserType: "member"}); err != nil {
		t.Fatal(err)
	}
	patch := func(ops string) string {
		return `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [` + ops + `]}`
	}
	user := `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "x1", "userName": "x1"`
	tests := []struct {
		name, method, path, body, auth string
		status                         int
		scimType                       string
	}{
		{name: "no token", method: "GET", path: "/Users/u1", auth: "-", status: 401},
		{name: "wrong token", method: "GET", path: "/Users/u1", auth: "Bearer nope", status: 401},
		{name: "token prefix", method: "GET", path: "/Users/u1", auth: "Bearer " + testToken[:10], status: 401},
		{name: "basic", method: "GET", path: "/Users/u1", auth: "Basic " + testToken, status: 401},
		{name: "wrong token on create", method: "POST", path: "/Users", body: user + "}", auth: "Bearer x", status: 401},
		{name: "malformed JSON", method: "POST", path: "/Users", body: `{"schemas": [`, status: 400, scimType: "invalidSyntax"},
		{name: "not an object", method: "POST", path: "/Users", body: `[1,2]`, status: 400, scimType: "invalidSyntax"},
		{name: "no schemas", method: "POST", path: "/Users", body: `{"externalId": "x1", "userName": "x1"}`, status: 400, scimType: "invalidSyntax"},
		{name: "unknown attribute", method: "POST", path: "/Users", body: user + `, "favouriteColour": "red"}`, status: 400, scimType: "invalidSyntax"},
		{name: "unknown extension", method: "POST", path: "/Users", body: user + `, "urn:example:ext:1.0:User": {"x": 1}}`, status: 400, scimType: "invalidSyntax"},
		{name: "unknown attribute on PUT", method: "PUT", path: "/Users/u1", body: user + `, "usrName": "typo"}`, status: 400, scimType: "invalidSyntax"},
		{name: "wrong type", method: "POST", path: "/Users", body: user + `, "active": "maybe"}`, status: 400, scimType: "invalidValue"},
		{name: "no id attribute", method: "POST", path: "/Users", body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x1"}`, status: 400, scimType: "invalidValue"},
		{name: "no userName", method: "POST", path: "/Users", body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "x1"}`, status: 400, scimType: "invalidValue"},
		{name: "oversized body", method: "POST", path: "/Users", body: user + `, "displayName": "` + strings.Repeat("a", 5000) + `"}`, status: 413},
		{name: "oversized patch", method: "PATCH", path: "/Users/u1", body: patch(`{"op": "replace", "path": "displayName", "value": "` + strings.Repeat("a", 5000) + `"}`), status: 413},
		{name: "unsupported filter", method: "GET", path: "/Users" + filterQuery(`displayName eq "Ada"`), status: 400, scimType: "invalidFilter"},
		{name: "unsupported operator", method: "GET", path: "/Users" + filterQuery(`userName co "a"`), status: 400, scimType: "invalidFilter"},
		{name: "compound filter", method: "GET", path: "/Users" + filterQuery(`userName eq "a" or userName eq "b"`), status: 400, scimType: "invalidFilter"},
		{name: "filter syntax", method: "GET", path: "/Users" + filterQuery(`userName eq`), status: 400, scimType: "invalidFilter"},
		{name: "filter on unknown attribute", method: "GET", path: "/Users" + filterQuery(`colour eq "red"`), status: 400, scimType: "invalidFilter"},
		{name: "bad count", method: "GET", path: "/Users?count=many", status: 400},
		{name: "group filter", method: "GET", path: "/Groups" + filterQuery(`externalId eq "x"`), status: 400, scimType: "invalidFilter"},
		{name: "patch unknown path", method: "PATCH", path: "/Users/u1", body: patch(`{"op": "replace", "path": "colour", "value": "red"}`), status: 400, scimType: "invalidPath"},
		{name: "patch unknown attribute without path", method: "PATCH", path: "/Users/u1", body: patch(`{"op": "replace", "value": {"colour": "red"}}`), status: 400},
		{name: "patch bad op", method: "PATCH", path: "/Users/u1", body: patch(`{"op": "move", "path": "displayName", "value": "x"}`), status: 400},
		{name: "patch without operations", method: "PATCH", path: "/Users/u1", body: patch(``), status: 400},
		{name: "patch remove without path", method: "PATCH", path: "/Users/u1", body: patch(`{"op": "remove"}`), status: 400},
		{name: "patch malformed", method: "PATCH", path: "/Users/u1", body: `{"Operations": `, status: 400, scimType: "invalidSyntax"},
		{name: "unknown endpoint", method: "GET", path: "/Widgets", status: 404},
		{name: "unknown group", method: "GET", path: "/Groups/nope", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.ResetCalls()
			auth := "Bearer " + testToken
			switch tt.auth {
			case "-":
				auth = ""
			case "":
			default:
				auth = tt.auth
			}
			r := e.doWith(tt.method, tt.path, tt.body, auth).want(t, tt.status)
			if tt.scimType != "" && r.scimType() != tt.scimType {
				t.Errorf("scimType %q, want %q: %s", r.scimType(), tt.scimType, r.raw)
			}
			if tt.status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate: %q", r.header.Get("WWW-Authenticate"))
			}
			if n := e.apiCalls(); n != 0 {
				t.Errorf("%d Partner API calls: %+v", n, e.sim.Calls())
			}
		})
	}
	if n := e.metrics.count("user_get unauthorized"); n != 4 {
		t.Errorf("unauthorized requests counted: %d", n)
	}
}

func TestTokenRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options, _ *provision.Options) { o.Tokens = []string{"old-token", "new-token"} })
	for _, tok := range []string{"old-token", "new-token"} {
		e.doWith(http.MethodGet, "/ServiceProviderConfig", "", "Bearer "+tok).want(t, http.StatusOK)
	}
	e.doWith(http.MethodGet, "/ServiceProviderConfig", "", "Bearer "+testToken).want(t, http.StatusUnauthorized)
}

// Partner API failures become the SCIM statuses an identity provider acts on correctly.
func TestUpstreamFailures(t *testing.T) {
	t.Parallel()
	const body = `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "n1", "userName": "n1@example.com"}`
	tests := []struct {
		name       string
		fault      talkiotest.Fault
		endpoint   string
		method     string
		path       string
		body       string
		status     int
		retryAfter string // "" = none
	}{
		// Talkio's own Retry-After goes on to the identity provider; without one, the default 30 s.
		{"rate limited lookup", talkiotest.Fault{Status: 429, RetryAfter: "7"}, talkiotest.EndpointGetUser, "GET", "/Users/u1", "", 429, "7"},
		{"rate limited create", talkiotest.Fault{Status: 429}, talkiotest.EndpointCreateUser, "POST", "/Users", body, 429, "30"},
		{"unavailable", talkiotest.Fault{Status: 503}, talkiotest.EndpointListUsers, "GET", "/Users", "", 503, "30"},
		{"bad gateway", talkiotest.Fault{Status: 502}, talkiotest.EndpointDeleteUser, "DELETE", "/Users/u1", "", 503, "30"},
		{"gateway's key refused", talkiotest.Fault{Status: 401}, talkiotest.EndpointGetUser, "GET", "/Users/u1", "", 502, ""},
		{"gateway's key forbidden", talkiotest.Fault{Status: 403}, talkiotest.EndpointUpdateUser, "PATCH", "/Users/u1",
			`{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "B"}]}`, 502, ""},
		{"server error", talkiotest.Fault{Status: 500}, talkiotest.EndpointGetUser, "GET", "/Users/u1", "", 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			if err := e.sim.AddUser(testOrg, talkiotest.User{ID: "u1", UserName: "Ada", UserType: "member"}); err != nil {
				t.Fatal(err)
			}
			e.sim.Inject(tt.endpoint, tt.fault)
			r := e.do(tt.method, tt.path, tt.body).want(t, tt.status)
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if strings.Contains(r.raw, "talkio:") || strings.Contains(r.raw, "/users/") {
				t.Errorf("the answer leaks the Partner API error: %s", r.raw)
			}
		})
	}
}

func TestCreateExistingUserIsConflictAndUnchanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	if err := e.sim.AddUser(testOrg, talkiotest.User{ID: "u1", UserName: "Ada", UserType: "member", Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	r := e.do(http.MethodPost, "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "u1", "userName": "ada", "displayName": "Someone Else"}`).want(t, http.StatusConflict)
	if r.scimType() != "uniqueness" {
		t.Errorf("scimType %q", r.scimType())
	}
	if u := e.user("u1"); u.UserName != "Ada" {
		t.Errorf("changed: %+v", u)
	}
	// The id must equal: another user's email is not this id.
	r = e.do(http.MethodGet, "/Users/ada@example.com", "").want(t, http.StatusNotFound)
	_ = r
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for i := 1; i <= 150; i++ {
		if err := e.sim.AddUser(testOrg, talkiotest.User{ID: fmt.Sprintf("u%03d", i), UserName: "U", UserType: "member"}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query       string
		first, n    int
		apiRequests int
	}{
		{"", 1, 100, 1},
		{"?startIndex=95&count=10", 95, 10, 2},
		{"?startIndex=101&count=100", 101, 50, 1},
		{"?startIndex=1&count=0", 0, 0, 1},
		{"?startIndex=149&count=5", 149, 2, 1},
		{"?startIndex=200", 0, 0, 1},
		{"?startIndex=-3&count=2", 1, 2, 1},
		{"?count=1000", 1, 100, 1},
	}
	for _, tt := range tests {
		e.sim.ResetCalls()
		r := e.do(http.MethodGet, "/Users"+tt.query, "").want(t, http.StatusOK)
		res, _ := r.body["Resources"].([]any)
		if len(res) != tt.n || r.body["totalResults"] != 150.0 {
			t.Errorf("%s: %d resources of %v", tt.query, len(res), r.body["totalResults"])
			continue
		}
		if tt.n > 0 && res[0].(map[string]any)["id"] != fmt.Sprintf("u%03d", tt.first) {
			t.Errorf("%s: first %v", tt.query, res[0].(map[string]any)["id"])
		}
		if n := e.sim.CallCount(talkiotest.EndpointListUsers); n != tt.apiRequests {
			t.Errorf("%s: %d list calls", tt.query, n)
		}
		for _, c := range e.sim.Calls() {
			if !strings.Contains(c.RawQuery, "limit=100") {
				t.Errorf("%s: query %q", tt.query, c.RawQuery)
			}
		}
	}
}

func TestGroupsDecideTypeAndAccessAtCreation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(_ *Options, p *provision.Options) {
		p.FacilitatorGroups = []string{"teachers"}
		p.AllowedGroups = []string{"teachers", "pupils"}
	})
	create := func(id, roles string) response {
		return e.do(http.MethodPost, "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "`+id+`", "userName": "`+id+`", "roles": [`+roles+`]}`)
	}
	create("t1", `{"value": "teachers"}`).want(t, http.StatusCreated)
	if u := e.user("t1"); u.UserType != "facilitator" {
		t.Errorf("teacher: %+v", u)
	}
	create("p1", `{"display": "pupils", "value": "6a1c"}`).want(t, http.StatusCreated)
	if u := e.user("p1"); u.UserType != "member" {
		t.Errorf("pupil: %+v", u)
	}
	e.sim.ResetCalls()
	create("x1", ``).want(t, http.StatusForbidden)
	create("x2", `{"value": "parents"}`).want(t, http.StatusForbidden)
	if n := e.sim.CallCount(talkiotest.EndpointCreateUser); n != 0 {
		t.Errorf("%d creates for users outside the allowed groups", n)
	}
	// A later PATCH that says nothing of groups keeps the user; a group change does not change the type.
	e.do(http.MethodPatch, "/Users/p1", `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "Pupil One"}]}`).want(t, http.StatusOK)
	e.do(http.MethodPatch, "/Users/p1", `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "roles", "value": [{"value": "teachers"}]}]}`).want(t, http.StatusOK)
	if u := e.user("p1"); u.UserName != "Pupil One" || u.UserType != "member" {
		t.Errorf("after PATCH: %+v", u)
	}
	// /Groups without a filter lists the groups the configuration names.
	r := e.do(http.MethodGet, "/Groups", "").want(t, http.StatusOK)
	if r.body["totalResults"] != 2.0 {
		t.Errorf("groups: %s", r.raw)
	}
}

func TestPseudonymousIDs(t *testing.T) {
	t.Parallel()
	rule := provision.IDRule{Key: []byte(strings.Repeat("k", 32))}
	e := newEnv(t, func(o *Options, _ *provision.Options) { o.IDRule = rule })
	r := e.do(http.MethodPost, "/Users", oktaCreateUser).want(t, http.StatusCreated)
	id := rule.UserID(testIssuer, oktaID)
	if r.body["id"] != id || !strings.HasPrefix(id, provision.PseudonymPrefix) {
		t.Fatalf("id %v, want %s", r.body["id"], id)
	}
	e.user(id)
	r = e.do(http.MethodGet, "/Users"+filterQuery(`externalId eq "`+oktaID+`"`), "").want(t, http.StatusOK)
	res, _ := r.body["Resources"].([]any)
	if len(res) != 1 || res[0].(map[string]any)["externalId"] != oktaID {
		t.Errorf("filter: %s", r.raw)
	}
	// A plain GET cannot know the externalId: Talkio holds only the pseudonym.
	r = e.do(http.MethodGet, "/Users/"+id, "").want(t, http.StatusOK)
	if _, ok := r.body["externalId"]; ok {
		t.Errorf("externalId invented: %s", r.raw)
	}
}

func TestUserNameAsID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options, _ *provision.Options) { o.UserIDAttribute = AttributeUserName })
	e.do(http.MethodPost, "/Users", entraCreateUser).want(t, http.StatusCreated)
	const id = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
	e.user(id)
	r := e.do(http.MethodGet, "/Users"+filterQuery(`userName eq "`+id+`"`), "").want(t, http.StatusOK)
	if r.body["totalResults"] != 1.0 {
		t.Errorf("query: %s", r.raw)
	}
	// Changing the id attribute would change the Talkio id: refused, nothing sent.
	e.sim.ResetCalls()
	r = e.do(http.MethodPatch, "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "userName", "value": "someone.else"}]}`).want(t, http.StatusBadRequest)
	if r.scimType() != "mutability" || e.sim.CallCount(talkiotest.EndpointUpdateUser) != 0 {
		t.Errorf("%s", r.raw)
	}
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do(http.MethodGet, "/ServiceProviderConfig", "").want(t, http.StatusOK)
	supported := func(k string) any { m, _ := r.body[k].(map[string]any); return m["supported"] }
	if supported("filter") != true || supported("patch") != true || supported("bulk") != false || supported("sort") != false || supported("etag") != false {
		t.Errorf("config: %s", r.raw)
	}
	if f, _ := r.body["filter"].(map[string]any); f["maxResults"] != 100.0 {
		t.Errorf("maxResults: %s", r.raw)
	}
	r = e.do(http.MethodGet, "/ResourceTypes", "").want(t, http.StatusOK)
	if r.body["totalResults"] != 2.0 {
		t.Errorf("resource types: %s", r.raw)
	}
	e.do(http.MethodGet, "/ResourceTypes/User", "").want(t, http.StatusOK)
	r = e.do(http.MethodGet, "/Schemas", "").want(t, http.StatusOK)
	if !strings.Contains(r.raw, "urn:ietf:params:scim:schemas:core:2.0:User") || !strings.Contains(r.raw, enterpriseSchema) {
		t.Errorf("schemas: %.300s", r.raw)
	}
	e.do(http.MethodGet, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", "").want(t, http.StatusOK)
	if n := e.apiCalls(); n != 0 {
		t.Errorf("discovery made %d Partner API calls", n)
	}
}

// The request log names operations and outcomes, never a person's data or the token.
func TestLogsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.do(http.MethodGet, "/Users"+filterQuery(`userName eq "test.user@okta.local"`), "").want(t, http.StatusOK)
	e.do(http.MethodPost, "/Users", oktaCreateUser).want(t, http.StatusCreated)
	e.do(http.MethodPut, "/Users/"+oktaID, strings.Replace(oktaCreateUser, "Test User", "Renamed Person", 1)).want(t, http.StatusOK)
	e.doWith(http.MethodGet, "/Users/"+oktaID, "", "Bearer wrong-"+testToken).want(t, http.StatusUnauthorized)
	e.do(http.MethodDelete, "/Users/"+oktaID, "").want(t, http.StatusNoContent)
	logs := e.logs.String()
	for _, secret := range []string{"test.user", "Test User", "Renamed", "Test", "1mz050nq", testToken, "en-US"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs hold %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "operation=user_create") || !strings.Contains(logs, "outcome=unauthorized") {
		t.Errorf("logs lack the request lines:\n%s", logs)
	}
}

func TestOtherFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	if err := e.sim.AddUser(testOrg, talkiotest.User{ID: "u1", UserName: "Ada", UserType: "member", Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	// u2's id is u1's email: a lookup by email must never answer with the record of another id.
	if err := e.sim.AddUser(testOrg, talkiotest.User{ID: "grace@example.com", UserName: "Grace", UserType: "member"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		filter string
		want   string // id, "" for none
	}{
		{`emails.value eq "ada@example.com"`, "u1"},
		{`emails[value eq "ADA@example.com"]`, "u1"},
		{`emails eq "ada@example.com"`, "u1"},
		{`id eq "u1"`, "u1"},
		{`userName eq "ada@example.com"`, "u1"},
		{`emails.value eq "grace@example.com"`, ""},
		{`id eq "ada@example.com"`, ""},
		{`externalId eq "u1"`, "u1"},
		{`externalId eq "nobody"`, ""},
	}
	for _, tt := range tests {
		r := e.do(http.MethodGet, "/Users"+filterQuery(tt.filter), "").want(t, http.StatusOK)
		res, _ := r.body["Resources"].([]any)
		got := ""
		if len(res) == 1 {
			got, _ = res[0].(map[string]any)["id"].(string)
		}
		if got != tt.want || (tt.want == "") != (r.body["totalResults"] == 0.0) {
			t.Errorf("%s: got %q (%s), want %q", tt.filter, got, r.raw, tt.want)
		}
	}
	// startIndex past the one match, and count=0, keep totalResults.
	r := e.do(http.MethodGet, "/Users"+filterQuery(`id eq "u1"`)+"&startIndex=2", "").want(t, http.StatusOK)
	if res, _ := r.body["Resources"].([]any); len(res) != 0 || r.body["totalResults"] != 1.0 {
		t.Errorf("startIndex 2: %s", r.raw)
	}
}

func TestPrometheusMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := PrometheusMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Request("user_create", "ok")
	m.Deprovisioned(DeactivateDelete)
	if _, err := PrometheusMetrics(reg); err == nil {
		t.Error("registered twice")
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	if strings.Join(names, ",") != "gateway_scim_requests_total,gateway_scim_users_deprovisioned_total" {
		t.Errorf("families %v", names)
	}
}

func TestLocationIsAbsoluteWithBaseURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options, _ *provision.Options) { o.BaseURL = "https://gateway.example/scim/v2" })
	r := e.do(http.MethodPost, "/Users", oktaCreateUser).want(t, http.StatusCreated)
	if loc := r.header.Get("Location"); loc != "https://gateway.example/scim/v2/Users/"+oktaID {
		t.Errorf("Location %q", loc)
	}
}

func TestDeactivationPaths(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{DeactivateDelete, DeactivateSuspend} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *Options, _ *provision.Options) { o.Deactivate = mode })
			gone := func(id string) {
				t.Helper()
				if _, active := find(e.sim.Users(testOrg), id); active {
					t.Errorf("%s still active", id)
				}
				if _, suspended := find(e.sim.ExpiredUsers(testOrg), id); suspended != (mode == DeactivateSuspend) {
					t.Errorf("%s: suspended %v in mode %s", id, suspended, mode)
				}
				e.do(http.MethodGet, "/Users/"+id, "").want(t, http.StatusNotFound)
			}
			for _, id := range []string{"a", "b", "c"} {
				e.do(http.MethodPost, "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "`+id+`", "userName": "`+id+`"}`).want(t, http.StatusCreated)
			}
			// PUT active:false.
			r := e.do(http.MethodPut, "/Users/a", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "a", "userName": "a", "active": false}`).want(t, http.StatusOK)
			if r.body["active"] != false {
				t.Errorf("PUT answered %s", r.raw)
			}
			gone("a")
			// PATCH "active": "False" without path.
			e.do(http.MethodPatch, "/Users/b", `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "value": {"active": "False"}}]}`).want(t, http.StatusOK)
			gone("b")
			// DELETE.
			e.do(http.MethodDelete, "/Users/c", "").want(t, http.StatusNoContent)
			gone("c")
			// Leavers of leavers and strangers are not found; nothing is counted twice.
			e.do(http.MethodDelete, "/Users/nobody", "").want(t, http.StatusNotFound)
			e.do(http.MethodPatch, "/Users/nobody", `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}]}`).want(t, http.StatusNotFound)
			if n := e.metrics.count(mode); n != 3 {
				t.Errorf("deprovisioned %d", n)
			}
			// A user pushed as inactive gets no account.
			e.do(http.MethodPost, "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "d", "userName": "d", "active": false}`).want(t, http.StatusCreated)
			if _, ok := e.sim.User(testOrg, "d"); ok {
				t.Error("an inactive push created a user")
			}
			if n := e.sim.CallCount(talkiotest.EndpointCreateUser); n != 3 {
				t.Errorf("%d creates", n)
			}
		})
	}
}

func find(users []talkiotest.User, id string) (talkiotest.User, bool) {
	for _, u := range users {
		if u.ID == id {
			return u, true
		}
	}
	return talkiotest.User{}, false
}

func TestOrganizations(t *testing.T) {
	t.Parallel()
	sim := talkiotest.NewServer(talkiotest.Options{Provider: testProvider, APIKey: "k",
		Organizations: []talkiotest.Organization{{Slug: testOrg}, {Slug: "north-school"}}})
	t.Cleanup(sim.Close)
	c, err := talkio.NewClient(sim.URL, testProvider, "k", talkio.WithOrganization(testOrg))
	if err != nil {
		t.Fatal(err)
	}
	p, err := provision.New(provision.Options{Talkio: c, OrganizationMap: map[string]string{"North": "north-school", "Main": testOrg}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Tokens: []string{testToken}, Provisioner: p, Talkio: c, Organizations: []*talkio.Client{p.Client("north-school")}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, path, body string, want int) {
		t.Helper()
		r := httptest.NewRequest(method, "/scim/v2"+path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+testToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, w.Code, w.Body, want)
		}
	}
	send("POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "n1", "userName": "n1",
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"organization": "North"}}`, 201)
	if _, ok := sim.User("north-school", "n1"); !ok {
		t.Fatal("not created in the organization its claim maps to")
	}
	send("POST", "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "n2", "userName": "n2"}`, 400)
	send("GET", "/Users/n1", "", 200)
	send("PATCH", "/Users/n1", `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "North One"}]}`, 200)
	if u, _ := sim.User("north-school", "n1"); u.UserName != "North One" {
		t.Errorf("after PATCH: %+v", u)
	}
	send("DELETE", "/Users/n1", "", 204)
	if _, ok := sim.User("north-school", "n1"); ok {
		t.Error("not deleted")
	}
}
