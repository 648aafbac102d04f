package talkiotest_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestAuthentication(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	tests := []struct {
		name string
		hdr  []string
		want int
	}{
		{"both right", nil, http.StatusOK},
		{"no provider", []string{"x-provider", ""}, http.StatusUnauthorized},
		{"no api key", []string{"x-api-key", ""}, http.StatusUnauthorized},
		{"neither", []string{"x-provider", "", "x-api-key", ""}, http.StatusUnauthorized},
		{"wrong provider", []string{"x-provider", "acme2"}, http.StatusUnauthorized},
		{"wrong api key", []string{"x-api-key", testKey + "x"}, http.StatusUnauthorized},
		{"key prefix", []string{"x-api-key", testKey[:4]}, http.StatusUnauthorized},
		{"swapped", []string{"x-provider", testKey, "x-api-key", testProvider}, http.StatusUnauthorized},
	}
	endpoints := []struct{ method, rest, body string }{
		{"GET", "/users", ""},
		{"GET", "/users/u1", ""},
		{"GET", "/users/u1/token", ""},
		{"POST", "/users", `{}`},
		{"PUT", "/users/u1/settings", `{}`},
		{"GET", "/expired-users", ""},
		{"DELETE", "/users/nobody", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, ep := range endpoints {
				r := api(t, s, ep.method, orgA, ep.rest, ep.body, tt.hdr...)
				if tt.want == http.StatusOK {
					if r.Status == http.StatusUnauthorized {
						t.Errorf("%s %s: 401 with right credentials", ep.method, ep.rest)
					}
					continue
				}
				if r.Status != tt.want {
					t.Errorf("%s %s: status %d, want %d", ep.method, ep.rest, r.Status, tt.want)
				}
				if msg := r.message(t); strings.Contains(msg, testKey) {
					t.Errorf("error message %q contains the api key", msg)
				}
			}
		})
	}
}

func TestRouting(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	tests := []struct {
		name      string
		method    string
		url       string
		want      int
		wantAllow string
	}{
		{"unknown org", "GET", "/api/partner/v3/organizations/nope/users", 404, ""},
		{"unknown org other partner's is known", "GET", "/api/partner/v3/organizations/other-school/users", 200, ""},
		{"org root", "GET", "/api/partner/v3/organizations/acme-school", 404, ""},
		{"org root slash", "GET", "/api/partner/v3/organizations/acme-school/", 404, ""},
		{"no org", "GET", "/api/partner/v3/organizations/", 404, ""},
		{"unknown route", "GET", "/api/partner/v3/organizations/acme-school/widgets", 404, ""},
		{"unknown sub-route", "GET", "/api/partner/v3/organizations/acme-school/users/u1/nothing", 404, ""},
		{"outside api", "GET", "/", 404, ""},
		{"v2", "GET", "/api/partner/v2/organizations/acme-school/users", 404, ""},
		{"empty id", "GET", "/api/partner/v3/organizations/acme-school/users//token", 404, ""},
		{"trailing slash", "GET", "/api/partner/v3/organizations/acme-school/users/", 200, ""},
		{"patch user", "PATCH", "/api/partner/v3/organizations/acme-school/users/u1", 405, "DELETE, GET, PUT"},
		{"post user", "POST", "/api/partner/v3/organizations/acme-school/users/u1", 405, "DELETE, GET, PUT"},
		{"delete users", "DELETE", "/api/partner/v3/organizations/acme-school/users", 405, "GET, POST"},
		{"get invite is a user lookup", "GET", "/api/partner/v3/organizations/acme-school/users/invite", 404, ""},
		{"patch invite", "PATCH", "/api/partner/v3/organizations/acme-school/users/invite", 405, "DELETE, GET, POST, PUT"},
		{"post token", "POST", "/api/partner/v3/organizations/acme-school/users/u1/token", 405, "GET"},
		{"delete settings", "DELETE", "/api/partner/v3/organizations/acme-school/users/u1/settings", 405, "GET, PUT"},
		{"post expired", "POST", "/api/partner/v3/organizations/acme-school/expired-users", 405, "GET"},
		{"delete expired user", "DELETE", "/api/partner/v3/organizations/acme-school/expired-users/u1", 405, "GET"},
		{"post stats", "POST", "/api/partner/v3/organizations/acme-school/users/u1/usage/stats", 405, "GET"},
		{"put monthly", "PUT", "/api/partner/v3/organizations/acme-school/users/u1/usage/monthly-stats", 405, "GET"},
		{"post duration", "POST", "/api/partner/v3/organizations/acme-school/users/u1/usage/duration", 405, "GET"},
		{"post assessment", "POST", "/api/partner/v3/organizations/acme-school/users/u1/weekly-assessment/2026-03-02", 405, "GET"},
		{"post conversations", "POST", "/api/partner/v3/organizations/acme-school/users/u1/conversations", 405, "GET"},
		{"delete conversation", "DELETE", "/api/partner/v3/organizations/acme-school/users/u1/conversations/c1", 405, "GET"},
		{"post preference", "POST", "/api/partner/v3/organizations/acme-school/users/u1/organization-preference", 405, "GET, PUT"},
		{"put legacy usage", "PUT", "/api/partner/v3/organizations/acme-school/users/u1/2026-01", 405, "GET"},
		{"post app login", "POST", "/authentication/partner/", 405, "GET"},
		{"head app login", "HEAD", "/authentication/partner/", 405, "GET"},
		{"put app page", "PUT", "/app/dashboard", 405, "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, tt.method, s.URL+tt.url, "")
			if r.Status != tt.want {
				t.Fatalf("status %d, want %d; body %s", r.Status, tt.want, r.Body)
			}
			if got := r.Header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
			if tt.want >= 400 && tt.method != "HEAD" {
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q, want JSON", ct)
				}
				if r.message(t) == "" {
					t.Error("empty error message")
				}
			}
		})
	}
}

// Routing comes before authentication: an unknown route is 404 and a wrong method 405 even without
// credentials; a known route without them is 401 even for an unknown organization.
func TestCheckOrder(t *testing.T) {
	s := newServer(t)
	noAuth := []string{"x-provider", "", "x-api-key", ""}
	tests := []struct {
		name, method, rest string
		want               int
	}{
		{"unknown route", "GET", "/widgets", 404},
		{"wrong method", "PATCH", "/users", 405},
		{"known route", "GET", "/users", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustStatus(t, api(t, s, tt.method, "nope", tt.rest, "", noAuth...), tt.want)
		})
	}
}

func TestRequestIDsDiffer(t *testing.T) {
	s := newServer(t)
	a := api(t, s, "GET", orgA, "/users", "")
	b := api(t, s, "GET", orgA, "/users", "")
	if a.Header.Get("x-request-id") == b.Header.Get("x-request-id") {
		t.Error("two responses share a request id")
	}
}

func TestBodyTooLarge(t *testing.T) {
	s := newServer(t)
	big := `{"id":"` + strings.Repeat("x", 1<<20) + `"}`
	r := api(t, s, "POST", orgA, "/users", big)
	mustStatus(t, r, http.StatusRequestEntityTooLarge)
	if calls := s.Calls(); len(calls[0].Body) != 1<<20 {
		t.Errorf("recorded body of %d bytes, want the 1 MiB cap", len(calls[0].Body))
	}
}
