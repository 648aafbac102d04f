package main

import (
	"crypto/rand"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"talkio-gateway/gateway/gatewaytest"
	"talkio-gateway/talkio/talkiotest"
)

// The entry points through one whole gateway, as an outside client sees them: a directory that pushes
// users over SCIM (/scim/v2) and people who then sign in through the provider (OIDC) and open the tutor.

// scimGateway starts a production-shaped gateway with SCIM on (SCIM_TOKEN) behind the ops cluster's
// load balancer, provider and Partner API simulator.
func scimGateway(t *testing.T, extra map[string]string) (c *cluster, token string) {
	t.Helper()
	c = newCluster(t, sessionSecret())
	vars := maps.Clone(c.vars)
	token = rand.Text() + rand.Text()
	vars["SCIM_TOKEN"] = token
	maps.Copy(vars, extra)
	gw := gatewaytest.Start(t, vars, nil)
	c.route(t, "in-process", "http://"+gw.Addr())
	return c, token
}

// scimDo sends one SCIM request with the bearer token.
func scimDo(t *testing.T, c *cluster, token, method, path, body string) *opsResponse {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	if body != "" {
		h.Set("Content-Type", "application/scim+json")
	}
	return newOpsBrowser(t).do(t, method, c.public+"/scim/v2"+path, strings.NewReader(body), h)
}

const pushJonas = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"demo-jonas",
 "userName":"jonas.weber@school.example","name":{"givenName":"Jonas","familyName":"Weber"},
 "emails":[{"value":"jonas.weber@school.example","primary":true}],"active":true}`

// A user pushed by the directory and then signing in is one Talkio user: no second create. Someone the
// directory has not pushed cannot get in by signing in (SCIM is the source of truth).
func TestSCIMPushedUserSignsInAsOneUser(t *testing.T) {
	t.Parallel()
	c, token := scimGateway(t, nil)
	if r := scimDo(t, c, token, http.MethodPost, "/Users", pushJonas); r.StatusCode != http.StatusCreated {
		t.Fatalf("SCIM create: %d %s", r.StatusCode, r.body)
	}
	jonas := newOpsBrowser(t)
	jonas.signIn(t, c.public, "jonas")
	if n, users := c.sim.CallCount(talkiotest.EndpointCreateUser), c.sim.Users(opsOrg); n != 1 || len(users) != 1 || users[0].ID != "demo-jonas" {
		t.Fatalf("after push and sign-in: %d creates, users %+v; want one user, created once", n, users)
	}
	if r := jonas.get(t, c.public+"/open"); r.StatusCode != http.StatusFound || r.location(t).Query().Get("token") == "" {
		t.Errorf("pushed user's /open: %d", r.StatusCode)
	}

	eleanor := newOpsBrowser(t)
	_, callback := eleanor.follow(t, c.public+"/login", "eleanor", func(u *url.URL) bool { return u.Path == "/auth/callback" })
	if callback == nil {
		t.Fatal("eleanor's sign-in never reached the callback")
	}
	r, _ := eleanor.follow(t, callback.String(), "eleanor", nil)
	if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "has not been given access") {
		t.Errorf("not pushed: %d %q, want the 403 no-access page", r.StatusCode, r.body)
	}
	if len(c.sim.Users(opsOrg)) != 1 {
		t.Errorf("a sign-in created a user the directory never pushed: %+v", c.sim.Users(opsOrg))
	}
}

// A leaver loses access at once: after DELETE (SCIM_DEACTIVATE=delete) or active:false
// (SCIM_DEACTIVATE=suspend), the person's next /open gets the 403 "access has ended" page, and signing
// in again does not bring them back.
func TestSCIMLeaverLosesAccess(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, mode, method, path, body string
	}{
		{"delete", "delete", http.MethodDelete, "/Users/demo-jonas", ""},
		{"active false, delete", "delete", http.MethodPatch, "/Users/demo-jonas",
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`},
		{"active false, suspend", "suspend", http.MethodPatch, "/Users/demo-jonas",
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, token := scimGateway(t, map[string]string{"SCIM_DEACTIVATE": tt.mode})
			if r := scimDo(t, c, token, http.MethodPost, "/Users", pushJonas); r.StatusCode != http.StatusCreated {
				t.Fatalf("SCIM create: %d %s", r.StatusCode, r.body)
			}
			jonas := newOpsBrowser(t)
			jonas.signIn(t, c.public, "jonas")
			if r := scimDo(t, c, token, tt.method, tt.path, tt.body); r.StatusCode/100 != 2 {
				t.Fatalf("SCIM %s: %d %s", tt.method, r.StatusCode, r.body)
			}
			r := jonas.get(t, c.public+"/open")
			if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "access has ended") {
				t.Fatalf("leaver's /open: %d %q, want the 403 access-ended page", r.StatusCode, r.body)
			}
			if r := scimDo(t, c, token, http.MethodGet, "/Users/demo-jonas", ""); r.StatusCode != http.StatusNotFound {
				t.Errorf("leaver reads as %d, want 404", r.StatusCode)
			}
			// Signing in again does not recreate them.
			again := newOpsBrowser(t)
			_, callback := again.follow(t, c.public+"/login", "jonas", func(u *url.URL) bool { return u.Path == "/auth/callback" })
			if callback == nil {
				t.Fatal("sign-in never reached the callback")
			}
			if r, _ := again.follow(t, callback.String(), "jonas", nil); r.StatusCode != http.StatusForbidden {
				t.Errorf("leaver signing in again: %d, want 403", r.StatusCode)
			}
			if n := c.sim.CallCount(talkiotest.EndpointCreateUser); n != 1 {
				t.Errorf("%d creates, want only the push", n)
			}
		})
	}
}
