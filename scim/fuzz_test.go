package scim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"talkio-gateway/talkio/talkiotest"
)

// FuzzUserRequests sends arbitrary bodies to POST /Users, PUT and PATCH /Users/{id}: whatever they
// hold, the answer is a SCIM message and never a 5xx while the Partner API is healthy.
func FuzzUserRequests(f *testing.F) {
	for _, seed := range []string{entraCreateUser, oktaCreateUser, `{"schemas": [`, `[]`, `null`, `{}`,
		`{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}`,
		`{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "value": {"emails[type eq \"work\"].value": "a@b.c", "name.givenName": "A"}}]}`,
		`{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove", "path": "roles[value eq \"x\"]"}]}`,
		`{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "u1", "userName": "u1", "emails": [{"value": "not an email"}]}`,
		`{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "a/b", "userName": "x", "phoneNumbers": [{"value": "+1 555"}]}`,
	} {
		f.Add(seed)
	}
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, body string) {
		_ = e.sim.AddUser(testOrg, talkiotest.User{ID: "u1", UserName: "Ada", UserType: "member"})
		for _, req := range []struct{ method, path string }{{"POST", "/Users"}, {"PUT", "/Users/u1"}, {"PATCH", "/Users/u1"}} {
			r := httptest.NewRequest(req.method, "/scim/v2"+req.path, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+testToken)
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, r)
			var m map[string]any
			err := json.Unmarshal(w.Body.Bytes(), &m)
			if w.Code >= 500 || (w.Code != http.StatusNoContent && err != nil) {
				t.Fatalf("%s %s: %d %s", req.method, req.path, w.Code, w.Body)
			}
		}
	})
}
