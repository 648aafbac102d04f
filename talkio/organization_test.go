package talkio

import (
	"context"
	"net/http"
	"testing"
)

func TestGetOrganizationPreference(t *testing.T) {
	for body, want := range map[string]*string{
		`{"organizationSlug":"partner-example-school"}`: Ptr("partner-example-school"),
		`{"organizationSlug":null}`:                     nil,
	} {
		c, mux, _ := setup(t)
		mux.HandleFunc("GET /users/{id}/organization-preference", func(w http.ResponseWriter, r *http.Request) {
			testQuery(t, r, nil)
			testNoBody(t, r)
			writeJSON(w, http.StatusOK, body)
		})
		p, err := c.GetOrganizationPreference(context.Background(), "u1")
		if err != nil {
			t.Fatalf("GetOrganizationPreference: %v", err)
		}
		mustEqual(t, body, p.OrganizationSlug, want)
	}
}

func TestSetOrganizationPreference(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("PUT /users/{id}/organization-preference", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, nil)
		testJSONBody(t, r, `{"organizationSlug":"partner-example-school"}`)
		writeJSON(w, http.StatusOK, `{"organizationSlug":"partner-example-school"}`)
	})
	if err := c.SetOrganizationPreference(context.Background(), "u1", "partner-example-school"); err != nil {
		t.Fatalf("SetOrganizationPreference: %v", err)
	}
}
