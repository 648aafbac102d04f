package scim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"talkio-gateway/provision"
)

// The request bodies below are those Microsoft documents for Entra ID's provisioning service ("Tutorial:
// Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID", User and Group operations)
// and Okta documents in its SCIM 2.0 guide ("SCIM 2.0 protocol reference": create, retrieve, update,
// deactivate users; Group Push), in the order each service sends them.

const entraCreateUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
  "active": true,
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": []
}`

const entraID = "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"

func filterQuery(f string) string { return "?filter=" + url.QueryEscape(f) }

func TestEntraIDSequence(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)

	// Entra first asks whether the user exists by its matching attribute.
	r := e.do(http.MethodGet, "/Users"+filterQuery(`externalId eq "`+entraID+`"`), "").want(t, http.StatusOK)
	if r.body["totalResults"] != 0.0 {
		t.Fatalf("before create: %s", r.raw)
	}

	// Create User.
	r = e.do(http.MethodPost, "/Users", entraCreateUser).want(t, http.StatusCreated)
	if r.body["id"] != entraID || r.body["externalId"] != entraID {
		t.Errorf("create answered %s", r.raw)
	}
	if loc := r.header.Get("Location"); loc == "" {
		t.Error("no Location")
	}
	u := e.user(entraID)
	if u.UserName != "givenName familyName" || u.Email != "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com" || u.UserType != "member" {
		t.Errorf("Talkio user after create: %+v", u)
	}

	// Get User.
	r = e.do(http.MethodGet, "/Users/"+entraID, "").want(t, http.StatusOK)
	if r.body["displayName"] != "givenName familyName" || r.body["active"] != true {
		t.Errorf("get: %s", r.raw)
	}
	// Get User by query, and with zero results.
	r = e.do(http.MethodGet, "/Users"+filterQuery(`externalId eq "`+entraID+`"`), "").want(t, http.StatusOK)
	if r.body["totalResults"] != 1.0 {
		t.Errorf("query: %s", r.raw)
	}
	// With Microsoft's compliance flag appended to the tenant URL, as its docs suggest.
	r = e.do(http.MethodGet, "/Users?aadOptscim062020&"+filterQuery(`externalId eq "` + entraID + `"`)[1:], "").want(t, http.StatusOK)
	if r.body["totalResults"] != 1.0 {
		t.Errorf("query with aadOptscim062020: %s", r.raw)
	}
	r = e.do(http.MethodGet, "/Users"+filterQuery(`userName eq "non-existent user"`), "").want(t, http.StatusOK)
	if r.body["totalResults"] != 0.0 {
		t.Errorf("zero-result query: %s", r.raw)
	}

	// Update User [Multi-valued properties].
	e.do(http.MethodPatch, "/Users/"+entraID, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations": [
	    {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
	    {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}]}`).want(t, http.StatusOK)
	if u := e.user(entraID); u.Email != "updatedEmail@microsoft.com" {
		t.Errorf("after multi-valued update: %+v", u)
	}
	// Update User [Single-valued properties]: userName is not the id attribute here, so it may change.
	e.do(http.MethodPatch, "/Users/"+entraID, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations": [{"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"},
	                 {"op": "Replace", "path": "displayName", "value": "Updated Name"}]}`).want(t, http.StatusOK)
	if u := e.user(entraID); u.UserName != "Updated Name" {
		t.Errorf("after single-valued update: %+v", u)
	}

	// Groups: create, find by displayName, add and remove members, rename, delete. Nothing reaches Talkio.
	calls := e.apiCalls()
	r = e.do(http.MethodPost, "/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
	  "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "teachers", "meta": {"resourceType": "Group"}}`).want(t, http.StatusCreated)
	gid, _ := r.body["id"].(string)
	r = e.do(http.MethodGet, "/Groups"+filterQuery(`displayName eq "teachers"`), "").want(t, http.StatusOK)
	if res, _ := r.body["Resources"].([]any); len(res) != 1 || res[0].(map[string]any)["id"] != gid {
		t.Errorf("group by displayName: %s", r.raw)
	}
	e.do(http.MethodPatch, "/Groups/"+gid, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations": [{"op": "Replace", "path": "displayName", "value": "teachers 2"},
	    {"op": "Add", "path": "members", "value": [{"$ref": null, "value": "`+entraID+`"}]},
	    {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "`+entraID+`"}]}]}`).want(t, http.StatusOK)
	e.do(http.MethodGet, "/Groups/"+gid, "").want(t, http.StatusOK)
	e.do(http.MethodDelete, "/Groups/"+gid, "").want(t, http.StatusNoContent)
	if n := e.apiCalls(); n != calls {
		t.Errorf("group operations made %d Partner API calls", n-calls)
	}

	// Disable User, with the string boolean Entra sends: deleted at once (SCIM_DEACTIVATE=delete).
	e.do(http.MethodPatch, "/Users/"+entraID, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}`).want(t, http.StatusOK)
	e.noUser(entraID)
	e.do(http.MethodGet, "/Users/"+entraID, "").want(t, http.StatusNotFound)
	if n := e.metrics.count("delete"); n != 1 {
		t.Errorf("deprovisioned: %d", n)
	}

	// Delete User (another one).
	e.do(http.MethodPost, "/Users", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "u2", "userName": "u2@example.com"}`).want(t, http.StatusCreated)
	e.do(http.MethodDelete, "/Users/u2", "").want(t, http.StatusNoContent)
	e.noUser("u2")
	e.do(http.MethodDelete, "/Users/u2", "").want(t, http.StatusNotFound)
}

const oktaCreateUser = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "userName": "test.user@okta.local",
  "name": {"givenName": "Test", "familyName": "User"},
  "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
  "displayName": "Test User",
  "locale": "en-US",
  "externalId": "00ujl29u0le5T6Aj10h7",
  "groups": [],
  "password": "1mz050nq",
  "active": true
}`

const oktaID = "00ujl29u0le5T6Aj10h7"

func TestOktaSequence(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options, _ *provision.Options) { o.Deactivate = DeactivateSuspend })

	// Okta checks that the user does not exist (by userName, with paging).
	r := e.do(http.MethodGet, "/Users"+filterQuery(`userName eq "test.user@okta.local"`)+"&startIndex=1&count=100", "").want(t, http.StatusOK)
	if r.body["totalResults"] != 0.0 {
		t.Fatalf("before create: %s", r.raw)
	}
	// Create the user; the password is never sent on (nor kept).
	r = e.do(http.MethodPost, "/Users", oktaCreateUser).want(t, http.StatusCreated)
	if r.body["id"] != oktaID {
		t.Errorf("create: %s", r.raw)
	}
	if u := e.user(oktaID); u.UserName != "Test User" || u.Email != "test.user@okta.local" {
		t.Errorf("Talkio user: %+v", u)
	}
	for _, c := range e.sim.Calls() {
		if containsBytes(c.Body, "1mz050nq") {
			t.Fatalf("the password reached the Partner API: %s %s", c.Endpoint, c.Body)
		}
	}
	// Okta's existence check now finds the user (by its email, which is its userName).
	r = e.do(http.MethodGet, "/Users"+filterQuery(`userName eq "test.user@okta.local"`)+"&startIndex=1&count=100", "").want(t, http.StatusOK)
	if r.body["totalResults"] != 1.0 {
		t.Errorf("existence check: %s", r.raw)
	}
	// Retrieve.
	e.do(http.MethodGet, "/Users/"+oktaID, "").want(t, http.StatusOK)
	// Update a user's profile with PUT (Okta sends the whole user, with "id" and without externalId).
	e.do(http.MethodPut, "/Users/"+oktaID, `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
	  "id": "`+oktaID+`", "userName": "test.user@okta.local",
	  "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
	  "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work", "display": "test.user@okta.local"}],
	  "active": true, "groups": [], "meta": {"resourceType": "User"}}`).want(t, http.StatusOK)
	if u := e.user(oktaID); u.UserName != "Another User" {
		t.Errorf("after PUT: %+v", u)
	}
	// Deactivate (PATCH without path): suspended, so usage stays readable; it reads as not found.
	r = e.do(http.MethodPatch, "/Users/"+oktaID, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations": [{"op": "replace", "value": {"active": false}}]}`).want(t, http.StatusOK)
	if r.body["active"] != false {
		t.Errorf("deactivate answered %s", r.raw)
	}
	if ex := e.sim.ExpiredUsers(testOrg); len(ex) != 1 || ex[0].ID != oktaID {
		t.Fatalf("expired users: %+v", ex)
	}
	e.do(http.MethodGet, "/Users/"+oktaID, "").want(t, http.StatusNotFound)
	if n := e.metrics.count("suspend"); n != 1 {
		t.Errorf("deprovisioned: %d", n)
	}
	// Reactivate: the Partner API cannot, and the answer says what to do; nothing changes.
	r = e.do(http.MethodPatch, "/Users/"+oktaID, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	  "Operations": [{"op": "replace", "value": {"active": true}}]}`).want(t, http.StatusBadRequest)
	if r.scimType() != "mutability" || !containsString(r.raw, "cannot reactivate") {
		t.Errorf("reactivation: %s", r.raw)
	}
	r = e.do(http.MethodPost, "/Users", oktaCreateUser).want(t, http.StatusConflict)
	if r.scimType() != "uniqueness" || !containsString(r.raw, "delete the suspended account") {
		t.Errorf("re-create: %s", r.raw)
	}
	if len(e.sim.Users(testOrg)) != 0 || len(e.sim.ExpiredUsers(testOrg)) != 1 {
		t.Error("a refused reactivation changed Talkio")
	}
	// Group Push: create, membership, rename without a path (Okta sends the id along); no Partner API call.
	calls := e.apiCalls()
	r = e.do(http.MethodPost, "/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Test SCIMv2", "members": []}`).want(t, http.StatusCreated)
	gid, _ := r.body["id"].(string)
	e.do(http.MethodPatch, "/Groups/"+gid, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
	  {"op": "remove", "path": "members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"},
	  {"op": "add", "path": "members", "value": [{"value": "`+oktaID+`", "display": "test.user@okta.local"}]}]}`).want(t, http.StatusOK)
	r = e.do(http.MethodPatch, "/Groups/"+gid, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
	  {"op": "replace", "value": {"id": "`+gid+`", "displayName": "Test SCIMv20"}}]}`).want(t, http.StatusOK)
	if r.body["displayName"] != "Test SCIMv20" || r.body["id"] != gid {
		t.Errorf("group rename: %s", r.raw)
	}
	if n := e.apiCalls(); n != calls {
		t.Errorf("Group Push made %d Partner API calls", n-calls)
	}

	// After the operator deletes the suspended account, the push creates the user again.
	if err := e.client.DeleteUser(t.Context(), oktaID); err != nil {
		t.Fatal(err)
	}
	e.do(http.MethodPost, "/Users", oktaCreateUser).want(t, http.StatusCreated)
	e.user(oktaID)
}

func containsBytes(b []byte, s string) bool { return strings.Contains(string(b), s) }
func containsString(b, s string) bool       { return strings.Contains(b, s) }

// A pushed user who then signs in is the same Talkio user: sign-in's id rule over (issuer, claim) gives
// the id SCIM gave, in both id modes, and the sign-in creates nothing.
func TestPushedUserSigningInIsOneUser(t *testing.T) {
	t.Parallel()
	for _, rule := range []provision.IDRule{{}, {Key: []byte(strings.Repeat("s", 32))}} {
		var p *provision.Provisioner
		e := newEnv(t, func(o *Options, po *provision.Options) {
			o.IDRule = rule
			var err error
			if p, err = provision.New(*po); err != nil {
				t.Fatal(err)
			}
			o.Provisioner = p
		})
		e.do(http.MethodPost, "/Users", oktaCreateUser).want(t, http.StatusCreated)
		e.sim.ResetCalls()
		// The sign-in maps CLAIM_USER_ID (Okta's sub, the same Okta user id) through the same rule.
		res, err := p.Provision(t.Context(), &provision.Identity{UserID: rule.UserID(testIssuer, oktaID), Name: "Test User"}, provision.SignIn)
		if err != nil {
			t.Fatalf("sign-in: %+v, %v", res, err)
		}
		if n := e.sim.CallCount("POST /users"); n != 0 || len(e.sim.Users(testOrg)) != 1 {
			t.Errorf("pseudonymous %v: %d creates, %d users", rule.Pseudonymous(), n, len(e.sim.Users(testOrg)))
		}
	}
}
