package talkiotest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"talkio-gateway/talkio/talkiotest"
)

// A user with a future accountExpiresAt moves from the active endpoints to the expired ones when the
// clock passes it.
func TestExpiryTransition(t *testing.T) {
	s := newServer(t)
	mustStatus(t, api(t, s, "POST", orgA, "/users", `{"id":"u1","userName":"U","userType":"facilitator","email":"u1@example.com","accountExpiresAt":"2026-03-04T11:00:00.000Z"}`), 201)
	mustStatus(t, api(t, s, "POST", orgB, "/users", `{"id":"u1","userName":"U","userType":"member"}`), 201)

	type check struct {
		method, rest, body string
		active, expired    int
	}
	checks := []check{
		{"GET", "/users/u1", "", 200, 404},
		{"GET", "/users/u1%40example.com", "", 200, 404},
		{"PUT", "/users/u1", `{"userName":"V"}`, 200, 404},
		{"GET", "/users/u1/token", "", 200, 404},
		{"GET", "/users/u1/settings", "", 200, 404},
		{"PUT", "/users/u1/settings", `{"hideIntroFlow":true}`, 200, 404},
		{"GET", "/users/u1/conversations", "", 200, 404},
		{"GET", "/users/u1/organization-preference", "", 200, 404},
		{"PUT", "/users/u1/organization-preference", `{"organizationSlug":"acme-college"}`, 200, 404},
		{"GET", "/expired-users/u1", "", 404, 200},
		{"GET", "/expired-users/U1%40EXAMPLE.com", "", 404, 200},
		{"GET", "/users/u1/usage/stats?date=2026-03-01", "", 200, 200},
		{"GET", "/users/u1/usage/monthly-stats?month=2026-02", "", 200, 200},
		{"GET", "/users/u1/weekly-assessment/2026-03-02", "", 200, 200},
		{"GET", "/users/u1/2026-02", "", 200, 200},
		{"GET", "/users/u1/usage/duration?month=2026-02", "", 200, 200},
	}
	run := func(phase string, want func(c check) int) {
		for _, c := range checks {
			if r := api(t, s, c.method, orgA, c.rest, c.body); r.Status != want(c) {
				t.Errorf("%s: %s %s: status %d, want %d", phase, c.method, c.rest, r.Status, want(c))
			}
		}
	}
	run("active", func(c check) int { return c.active })
	if n := len(s.Users(orgA)); n != 1 {
		t.Errorf("%d active users", n)
	}

	s.Advance(59*time.Minute + 59*time.Second)
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1", ""), 200)
	s.Advance(time.Second) // exactly accountExpiresAt: expired
	run("expired", func(c check) int { return c.expired })

	list := api(t, s, "GET", orgA, "/expired-users", "")
	mustStatus(t, list, 200)
	m := list.obj(t)
	users := m["expiredUsers"].([]any)
	if len(users) != 1 || m["total"] != 1.0 {
		t.Fatalf("expired list %s", list.Body)
	}
	u := users[0].(map[string]any)
	for k, want := range map[string]any{"id": "u1", "expiredAt": "2026-03-04T11:00:00.000Z", "accountExpiresAt": "2026-03-04T11:00:00.000Z", "memberType": "facilitator", "userType": "facilitator", "userName": "V"} {
		if u[k] != want {
			t.Errorf("%s = %v, want %v", k, u[k], want)
		}
	}
	if got := api(t, s, "GET", orgA, "/users", "").obj(t)["total"]; got != 0.0 {
		t.Errorf("active total %v", got)
	}
	if len(s.ExpiredUsers(orgA)) != 1 || len(s.Users(orgA)) != 0 {
		t.Error("helpers disagree with the endpoints")
	}
	// the same id in another organization is unaffected
	mustStatus(t, api(t, s, "GET", orgB, "/users/u1", ""), 200)
	// conflicts still count the expired user
	mustStatus(t, api(t, s, "POST", orgA, "/users", `{"id":"u1","userName":"U","userType":"member"}`), 409)
	mustStatus(t, api(t, s, "DELETE", orgA, "/users/u1", ""), 204)
	mustStatus(t, api(t, s, "GET", orgA, "/expired-users/u1", ""), 404)
}

func TestListExpiredUsers(t *testing.T) {
	s := newServer(t)
	for i := range 15 {
		mustAddUser(t, s, orgA, talkiotest.User{ID: fmt.Sprintf("e%02d", i), AccountExpiresAt: ptr(t0.Add(-time.Duration(i) * time.Hour))})
		mustAddUser(t, s, orgA, talkiotest.User{ID: fmt.Sprintf("a%02d", i)})
	}
	tests := []struct {
		query     string
		want      int
		wantFirst string
		wantLen   int
	}{
		{"", 200, "e00", 10},
		{"?page=2", 200, "e10", 5},
		{"?page=3", 200, "", 0},
		{"?limit=100", 200, "e00", 15},
		{"?limit=5", 400, "", 0},
		{"?limit=1000", 400, "", 0},
		{"?page=0", 400, "", 0},
		{"?page=x", 400, "", 0},
		{"?userType=member", 200, "e00", 10}, // not a documented filter here: ignored
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := api(t, s, "GET", orgA, "/expired-users"+tt.query, "")
			mustStatus(t, r, tt.want)
			if tt.want != 200 {
				return
			}
			list := r.obj(t)["expiredUsers"].([]any)
			if len(list) != tt.wantLen {
				t.Fatalf("%d users, want %d", len(list), tt.wantLen)
			}
			if tt.wantLen > 0 && list[0].(map[string]any)["id"] != tt.wantFirst {
				t.Errorf("first %v, want %s", list[0], tt.wantFirst)
			}
		})
	}
	if r := api(t, s, "GET", orgB, "/expired-users", ""); !strings.Contains(string(r.Body), `"expiredUsers":[]`) {
		t.Errorf("empty list body %s", r.Body)
	}
}

func TestGetExpiredUser(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, talkiotest.User{ID: "e1", Email: "Ex@Example.com", AccountExpiresAt: ptr(t0.Add(-time.Hour))})
	mustAddUser(t, s, orgA, userU1)
	tests := []struct {
		id   string
		want int
	}{
		{"e1", 200},
		{"ex@example.com", 200},
		{url.PathEscape("EX@EXAMPLE.COM"), 200},
		{"u1", 404},
		{"user.one@example.com", 404},
		{"nobody", 404},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r := api(t, s, "GET", orgA, "/expired-users/"+tt.id, "")
			mustStatus(t, r, tt.want)
			if tt.want == http.StatusOK {
				m := r.obj(t)
				if m["id"] != "e1" || m["memberType"] != "member" || m["expiredAt"] != "2026-03-04T09:00:00.000Z" {
					t.Errorf("body %s", r.Body)
				}
			}
		})
	}
}

// Options.ExpiredStatus chooses, per endpoint, what an active-only endpoint answers for an expired user;
// unknown users and the endpoints not listed still answer 404.
func TestExpiredStatusOption(t *testing.T) {
	s := talkiotest.NewServer(talkiotest.Options{
		Provider: testProvider, APIKey: testKey,
		Organizations: []talkiotest.Organization{{Slug: orgA, Partner: testProvider}},
		ExpiredStatus: map[string]int{
			talkiotest.EndpointUserToken: http.StatusGone,
			"GET /users/{user}":          http.StatusForbidden, // placeholder names do not matter
		},
	})
	t.Cleanup(s.Close)
	s.SetNow(t0)
	mustAddUser(t, s, orgA, talkiotest.User{ID: "e1", Email: "e1@example.com", AccountExpiresAt: ptr(t0.Add(-time.Hour))})
	tests := []struct {
		method, rest string
		want         int
	}{
		{"GET", "/users/e1/token", http.StatusGone},
		{"GET", "/users/e1", http.StatusForbidden},
		{"GET", "/users/e1%40example.com", http.StatusForbidden},
		{"PUT", "/users/e1", http.StatusNotFound}, // not listed
		{"GET", "/users/e1/settings", http.StatusNotFound},
		{"GET", "/users/nobody/token", http.StatusNotFound},
		{"GET", "/users/nobody", http.StatusNotFound},
		{"GET", "/expired-users/e1", http.StatusOK},
	}
	for _, tt := range tests {
		body := ""
		if tt.method == "PUT" {
			body = `{"userName":"V"}`
		}
		mustStatus(t, api(t, s, tt.method, orgA, tt.rest, body), tt.want)
	}
}

func TestExpiredStatusOptionRefusesNon4xx(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("accepted ExpiredStatus 200")
		}
	}()
	talkiotest.NewHandler(talkiotest.Options{ExpiredStatus: map[string]int{talkiotest.EndpointUserToken: 200}})
}
