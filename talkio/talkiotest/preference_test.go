package talkiotest_test

import (
	"strings"
	"testing"
	"time"

	"talkio-gateway/talkio/talkiotest"
)

func TestOrganizationPreference(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     int
		wantMsg  string
		wantPref string // "" = none
	}{
		{"same partner, member", `{"organizationSlug":"acme-college"}`, 200, "", orgB},
		{"own organization", `{"organizationSlug":"acme-school"}`, 200, "", orgA},
		{"other partner", `{"organizationSlug":"other-school"}`, 400, "same partner", ""},
		{"unknown organization", `{"organizationSlug":"nope"}`, 400, "same partner", ""},
		{"not a member", `{"organizationSlug":"acme-college"}`, 400, "not a member", ""},
		{"member but suspended there", `{"organizationSlug":"acme-college"}`, 400, "not a member", ""},
		{"null clears", `{"organizationSlug":null}`, 200, "", ""},
		{"missing slug", `{}`, 400, "organizationSlug is required", ""},
		{"empty slug", `{"organizationSlug":""}`, 400, "organizationSlug must not be empty", ""},
		{"number slug", `{"organizationSlug":1}`, 400, "organizationSlug must be a string", ""},
		{"unknown property", `{"organizationSlug":"acme-college","x":1}`, 400, "property x should not exist", ""},
		{"invalid JSON", `{"organizationSlug"`, 400, "JSON object", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			mustAddUser(t, s, orgA, userU1)
			mustAddUser(t, s, orgOther, userU1)
			switch tt.name {
			case "not a member":
			case "member but suspended there":
				mustAddUser(t, s, orgB, talkiotest.User{ID: "u1", AccountExpiresAt: ptr(t0.Add(-time.Minute))})
			default:
				mustAddUser(t, s, orgB, userU1)
			}
			if tt.name == "null clears" {
				mustStatus(t, api(t, s, "PUT", orgA, "/users/u1/organization-preference", `{"organizationSlug":"acme-college"}`), 200)
			}
			r := api(t, s, "PUT", orgA, "/users/u1/organization-preference", tt.body)
			mustStatus(t, r, tt.want)
			if tt.want != 200 {
				if msg := r.message(t); !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message %q, want %q in it", msg, tt.wantMsg)
				}
			}
			want := `{"organizationSlug":null}`
			if tt.wantPref != "" {
				want = `{"organizationSlug":"` + tt.wantPref + `"}`
			}
			got := api(t, s, "GET", orgA, "/users/u1/organization-preference", "")
			mustStatus(t, got, 200)
			if strings.TrimSpace(string(got.Body)) != want {
				t.Errorf("GET %s, want %s", got.Body, want)
			}
			if tt.want == 200 && strings.TrimSpace(string(r.Body)) != want {
				t.Errorf("PUT answered %s, want %s", r.Body, want)
			}
			if slug, ok := s.OrganizationPreference(orgA, "u1"); slug != tt.wantPref || ok != (tt.wantPref != "") {
				t.Errorf("OrganizationPreference = %q, %v", slug, ok)
			}
		})
	}
}

// The preference belongs to the person within the partner: every organization of the partner reports
// it, another partner's organization does not, and leaving the preferred organization clears it.
func TestOrganizationPreferenceScope(t *testing.T) {
	s := newServer(t)
	for _, org := range []string{orgA, orgB, orgOther} {
		mustAddUser(t, s, org, userU1)
	}
	mustStatus(t, api(t, s, "PUT", orgA, "/users/u1/organization-preference", `{"organizationSlug":"acme-college"}`), 200)
	for org, want := range map[string]string{orgA: `"acme-college"`, orgB: `"acme-college"`, orgOther: "null"} {
		if got := api(t, s, "GET", org, "/users/u1/organization-preference", ""); !strings.Contains(string(got.Body), want) {
			t.Errorf("%s: %s, want %s", org, got.Body, want)
		}
	}
	mustStatus(t, api(t, s, "GET", orgA, "/users/nobody/organization-preference", ""), 404)
	mustStatus(t, api(t, s, "PUT", orgA, "/users/nobody/organization-preference", `{"organizationSlug":"acme-college"}`), 404)
	if _, ok := s.OrganizationPreference("nope", "u1"); ok {
		t.Error("preference for an unknown organization")
	}
	// leaving another organization keeps it
	mustStatus(t, api(t, s, "DELETE", orgOther, "/users/u1", ""), 204)
	if slug, _ := s.OrganizationPreference(orgA, "u1"); slug != orgB {
		t.Errorf("preference %q after leaving another partner's organization", slug)
	}
	mustStatus(t, api(t, s, "DELETE", orgB, "/users/u1", ""), 204)
	if got := api(t, s, "GET", orgA, "/users/u1/organization-preference", ""); !strings.Contains(string(got.Body), "null") {
		t.Errorf("preference survives leaving the organization: %s", got.Body)
	}
}
