package talkiotest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"talkio-gateway/talkio/talkiotest"
)

var userU1 = talkiotest.User{ID: "u1", UserName: "User One", UserType: "member", Email: "User.One@Example.com"}

func TestCreateUser(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		ctype   string
		want    int
		wantMsg string // substring of the error message
	}{
		{"minimal", `{"id":"n1","userName":"New","userType":"member"}`, "", 201, ""},
		{"full", `{"id":"n1","userName":"New","userType":"facilitator","email":"n1@example.com","phoneNumber":"+14155550123","accountExpiresAt":"2027-02-22T19:35:25.000Z","productId":"school-plan"}`, "", 201, ""},
		{"content type with charset", `{"id":"n1","userName":"New","userType":"member"}`, "application/json; charset=utf-8", 201, ""},
		{"empty optional strings", `{"id":"n1","userName":"New","userType":"member","email":"","phoneNumber":"","productId":""}`, "", 201, ""},
		{"null optionals", `{"id":"n1","userName":"New","userType":"member","email":null,"accountExpiresAt":null}`, "", 201, ""},
		{"id with slash and at", `{"id":"a/b@c d","userName":"New","userType":"member"}`, "", 201, ""},
		{"duplicate id", `{"id":"u1","userName":"Again","userType":"member"}`, "", 409, "already exists"},
		{"duplicate id of expired user", `{"id":"gone","userName":"Again","userType":"member"}`, "", 409, "already exists"},
		{"duplicate email", `{"id":"n1","userName":"New","userType":"member","email":"user.one@example.COM"}`, "", 409, "email"},
		{"empty body", ``, "application/json", 400, "JSON object"},
		{"empty body without type", ``, "", 400, "Content-Type"},
		{"invalid JSON", `{"id":`, "", 400, "JSON object"},
		{"array", `[{"id":"n1"}]`, "", 400, "JSON object"},
		{"null body", `null`, "", 400, "JSON object"},
		{"trailing data", `{"id":"n1","userName":"New","userType":"member"} {}`, "", 400, "JSON object"},
		{"wrong content type", `{"id":"n1","userName":"New","userType":"member"}`, "text/plain", 400, "Content-Type"},
		{"no content type", `{"id":"n1","userName":"New","userType":"member"}`, "-", 400, "Content-Type"},
		{"bad content type", `{"id":"n1","userName":"New","userType":"member"}`, "application/json; =", 400, "Content-Type"},
		{"missing id", `{"userName":"New","userType":"member"}`, "", 400, "id is required"},
		{"missing userName", `{"id":"n1","userType":"member"}`, "", 400, "userName is required"},
		{"missing userType", `{"id":"n1","userName":"New"}`, "", 400, "userType is required"},
		{"missing all", `{}`, "", 400, "id is required; userName is required; userType is required"},
		{"blank id", `{"id":"  ","userName":"New","userType":"member"}`, "", 400, "id must not be empty"},
		{"null id", `{"id":null,"userName":"New","userType":"member"}`, "", 400, "id is required"},
		{"numeric id", `{"id":7,"userName":"New","userType":"member"}`, "", 400, "id must be a string"},
		{"unknown userType", `{"id":"n1","userName":"New","userType":"admin"}`, "", 400, "userType must be one of"},
		{"userType wrong case", `{"id":"n1","userName":"New","userType":"Member"}`, "", 400, "userType must be one of"},
		{"bad email", `{"id":"n1","userName":"New","userType":"member","email":"not-an-email"}`, "", 400, "email must be an email"},
		{"email with name", `{"id":"n1","userName":"New","userType":"member","email":"N <n@example.com>"}`, "", 400, "email must be an email"},
		{"email number", `{"id":"n1","userName":"New","userType":"member","email":5}`, "", 400, "email must be a string"},
		{"phone bool", `{"id":"n1","userName":"New","userType":"member","phoneNumber":true}`, "", 400, "phoneNumber must be a string"},
		{"bad expiry", `{"id":"n1","userName":"New","userType":"member","accountExpiresAt":"2027-02-22"}`, "", 400, "accountExpiresAt must be an RFC 3339"},
		{"expiry number", `{"id":"n1","userName":"New","userType":"member","accountExpiresAt":1700000000}`, "", 400, "accountExpiresAt must be a string"},
		{"unknown property", `{"id":"n1","userName":"New","userType":"member","username":"x"}`, "", 400, "property username should not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			mustAddUser(t, s, orgA, userU1)
			mustAddUser(t, s, orgA, talkiotest.User{ID: "gone", AccountExpiresAt: ptr(t0.Add(-time.Hour))})
			var hdr []string
			switch tt.ctype {
			case "":
			case "-":
				hdr = []string{"Content-Type", ""}
			default:
				hdr = []string{"Content-Type", tt.ctype}
			}
			r := api(t, s, "POST", orgA, "/users", tt.body, hdr...)
			mustStatus(t, r, tt.want)
			if tt.want != 201 {
				if msg := r.message(t); !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message %q, want it to contain %q", msg, tt.wantMsg)
				}
				return
			}
			m := r.obj(t)
			id := m["id"].(string)
			if _, ok := s.User(orgA, id); !ok {
				t.Errorf("user %q not stored", id)
			}
			for _, k := range []string{"id", "userName", "userType", "email", "phoneNumber", "accountExpiresAt", "productId", "createdAt"} {
				if _, ok := m[k]; !ok {
					t.Errorf("response lacks %q", k)
				}
			}
		})
	}
}

func TestCreateUserWireFormat(t *testing.T) {
	s := newServer(t)
	r := api(t, s, "POST", orgA, "/users", `{"id":"n1","userName":"New","userType":"member","email":"n1@example.com","accountExpiresAt":"2027-02-22T20:35:25.123+01:00"}`)
	mustStatus(t, r, 201)
	m := r.obj(t)
	if got, want := m["accountExpiresAt"], "2027-02-22T19:35:25.123Z"; got != want {
		t.Errorf("accountExpiresAt %v, want %v (UTC, milliseconds)", got, want)
	}
	if got, want := m["createdAt"], "2026-03-04T10:00:00.000Z"; got != want {
		t.Errorf("createdAt %v, want %v", got, want)
	}
	if m["phoneNumber"] != nil || m["productId"] != nil {
		t.Errorf("unset fields should be null: %v", m)
	}
	u, _ := s.User(orgA, "n1")
	if !u.AccountExpiresAt.Equal(time.Date(2027, 2, 22, 19, 35, 25, 123e6, time.UTC)) {
		t.Errorf("stored expiry %v", u.AccountExpiresAt)
	}
}

// Creating with a past accountExpiresAt makes a suspended user at once.
func TestCreateUserAlreadyExpired(t *testing.T) {
	s := newServer(t)
	mustStatus(t, api(t, s, "POST", orgA, "/users", `{"id":"old","userName":"Old","userType":"member","accountExpiresAt":"2026-01-01T00:00:00Z"}`), 201)
	mustStatus(t, api(t, s, "GET", orgA, "/users/old", ""), 404)
	mustStatus(t, api(t, s, "GET", orgA, "/expired-users/old", ""), 200)
}

func TestUsersArePerOrganization(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	mustStatus(t, api(t, s, "GET", orgB, "/users/u1", ""), 404)
	// the same id may exist in another organization
	mustStatus(t, api(t, s, "POST", orgB, "/users", `{"id":"u1","userName":"U","userType":"member","email":"user.one@example.com"}`), 201)
}

func TestGetUser(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	mustAddUser(t, s, orgA, talkiotest.User{ID: "a/b c@x.org", UserName: "Odd"})
	mustAddUser(t, s, orgA, talkiotest.User{ID: "üñî", UserName: "Unicode"})
	mustAddUser(t, s, orgA, talkiotest.User{ID: "gone", Email: "gone@example.com", AccountExpiresAt: ptr(t0)})
	tests := []struct {
		name, id, wantID string
		want             int
	}{
		{"by id", "u1", "u1", 200},
		{"by email", "User.One@Example.com", "u1", 200},
		{"by email other case", "user.one@EXAMPLE.COM", "u1", 200},
		{"odd id escaped", url.PathEscape("a/b c@x.org"), "a/b c@x.org", 200},
		{"unicode id", url.PathEscape("üñî"), "üñî", 200},
		{"id is case-sensitive", "U1", "", 404},
		{"unknown", "nobody", "", 404},
		{"unknown email", "nobody@example.com", "", 404},
		{"expired by id", "gone", "", 404},
		{"expired by email", "gone@example.com", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api(t, s, "GET", orgA, "/users/"+tt.id, "")
			mustStatus(t, r, tt.want)
			if tt.want == 200 {
				if got := r.obj(t)["id"]; got != tt.wantID {
					t.Errorf("id %v, want %v", got, tt.wantID)
				}
			}
		})
	}
}

func TestListUsers(t *testing.T) {
	s := newServer(t)
	for i := range 25 {
		typ := "member"
		if i%5 == 0 {
			typ = "facilitator"
		}
		mustAddUser(t, s, orgA, talkiotest.User{ID: fmt.Sprintf("u%02d", i), UserType: typ})
	}
	mustAddUser(t, s, orgA, talkiotest.User{ID: "expired", AccountExpiresAt: ptr(t0.Add(-time.Second))})
	tests := []struct {
		name          string
		query         string
		want          int
		wantIDs       string // first..last of the page, "" for an empty page
		wantPage      float64
		wantLimit     float64
		wantTotal     float64
		wantPages     float64
		wantMsgSubstr string
	}{
		{"defaults", "", 200, "u00..u09", 1, 10, 25, 3, ""},
		{"page 2", "?page=2", 200, "u10..u19", 2, 10, 25, 3, ""},
		{"last page short", "?page=3", 200, "u20..u24", 3, 10, 25, 3, ""},
		{"past the end", "?page=4", 200, "", 4, 10, 25, 3, ""},
		{"huge page", "?page=9223372036854775807", 200, "", 9223372036854775807, 10, 25, 3, ""},
		{"limit 100", "?limit=100", 200, "u00..u24", 1, 100, 25, 1, ""},
		{"limit 10", "?limit=10&page=1", 200, "u00..u09", 1, 10, 25, 3, ""},
		{"limit 20 page 2", "?limit=20&page=2", 200, "u20..u24", 2, 20, 25, 2, ""},
		{"facilitators", "?userType=facilitator", 200, "u00..u20", 1, 10, 5, 1, ""},
		{"members", "?userType=member&limit=50", 200, "u01..u24", 1, 50, 20, 1, ""},
		{"unknown params ignored", "?sort=desc", 200, "u00..u09", 1, 10, 25, 3, ""},
		{"limit 9", "?limit=9", 400, "", 0, 0, 0, 0, "limit"},
		{"limit 101", "?limit=101", 400, "", 0, 0, 0, 0, "limit"},
		{"limit 0", "?limit=0", 400, "", 0, 0, 0, 0, "limit"},
		{"limit text", "?limit=ten", 400, "", 0, 0, 0, 0, "limit"},
		{"limit empty", "?limit=", 400, "", 0, 0, 0, 0, "limit"},
		{"limit float", "?limit=10.5", 400, "", 0, 0, 0, 0, "limit"},
		{"page 0", "?page=0", 400, "", 0, 0, 0, 0, "page"},
		{"page negative", "?page=-1", 400, "", 0, 0, 0, 0, "page"},
		{"page text", "?page=two", 400, "", 0, 0, 0, 0, "page"},
		{"page empty", "?page=", 400, "", 0, 0, 0, 0, "page"},
		{"both bad", "?page=0&limit=5", 400, "", 0, 0, 0, 0, "page must be an integer of at least 1; limit must be an integer from 10 to 100"},
		{"bad userType", "?userType=admin", 400, "", 0, 0, 0, 0, "userType"},
		{"empty userType", "?userType=", 400, "", 0, 0, 0, 0, "userType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api(t, s, "GET", orgA, "/users"+tt.query, "")
			mustStatus(t, r, tt.want)
			if tt.want != 200 {
				if msg := r.message(t); !strings.Contains(msg, tt.wantMsgSubstr) {
					t.Errorf("message %q, want %q in it", msg, tt.wantMsgSubstr)
				}
				return
			}
			m := r.obj(t)
			users := m["users"].([]any)
			got := ""
			if len(users) > 0 {
				got = users[0].(map[string]any)["id"].(string) + ".." + users[len(users)-1].(map[string]any)["id"].(string)
			}
			if got != tt.wantIDs {
				t.Errorf("page holds %s, want %s", got, tt.wantIDs)
			}
			for k, want := range map[string]float64{"page": tt.wantPage, "limit": tt.wantLimit, "total": tt.wantTotal, "totalPages": tt.wantPages} {
				if m[k] != want {
					t.Errorf("%s = %v, want %v", k, m[k], want)
				}
			}
		})
	}
}

func TestListUsersEmpty(t *testing.T) {
	s := newServer(t)
	r := api(t, s, "GET", orgA, "/users", "")
	mustStatus(t, r, 200)
	if got, want := strings.TrimSpace(string(r.Body)), `{"users":[],"page":1,"limit":10,"total":0,"totalPages":0}`; got != want {
		t.Errorf("body %s, want %s", got, want)
	}
}

func TestUpdateUser(t *testing.T) {
	full := talkiotest.User{ID: "u1", UserName: "User One", UserType: "member", Email: "u1@example.com",
		PhoneNumber: "+100", ProductID: "basic", AccountExpiresAt: ptr(t0.Add(48 * time.Hour)), CreatedAt: t0}
	tests := []struct {
		name    string
		body    string
		want    int
		wantMsg string
		edit    func(u *talkiotest.User) // expected change
	}{
		{"empty object changes nothing", `{}`, 200, "", func(u *talkiotest.User) {}},
		{"userName only", `{"userName":"Renamed"}`, 200, "", func(u *talkiotest.User) { u.UserName = "Renamed" }},
		{"email", `{"email":"new@example.com"}`, 200, "", func(u *talkiotest.User) { u.Email = "new@example.com" }},
		{"own email other case", `{"email":"U1@example.com"}`, 200, "", func(u *talkiotest.User) { u.Email = "U1@example.com" }},
		{"clear email with null", `{"email":null}`, 200, "", func(u *talkiotest.User) { u.Email = "" }},
		{"clear phone with empty", `{"phoneNumber":""}`, 200, "", func(u *talkiotest.User) { u.PhoneNumber = "" }},
		{"productId", `{"productId":"pro"}`, 200, "", func(u *talkiotest.User) { u.ProductID = "pro" }},
		{"clear productId", `{"productId":null}`, 200, "", func(u *talkiotest.User) { u.ProductID = "" }},
		{"extend expiry", `{"accountExpiresAt":"2027-01-01T00:00:00.000Z"}`, 200, "", func(u *talkiotest.User) {
			u.AccountExpiresAt = ptr(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		}},
		{"clear expiry", `{"accountExpiresAt":null}`, 200, "", func(u *talkiotest.User) { u.AccountExpiresAt = nil }},
		{"several", `{"userName":"X","phoneNumber":"+200"}`, 200, "", func(u *talkiotest.User) { u.UserName, u.PhoneNumber = "X", "+200" }},
		{"userName null", `{"userName":null}`, 400, "userName is required", nil},
		{"userName empty", `{"userName":""}`, 400, "userName must not be empty", nil},
		{"userName number", `{"userName":1}`, 400, "userName must be a string", nil},
		{"bad email", `{"email":"nope"}`, 400, "email must be an email", nil},
		{"bad expiry", `{"accountExpiresAt":"tomorrow"}`, 400, "accountExpiresAt", nil},
		{"id not updatable", `{"id":"u2"}`, 400, "property id should not exist", nil},
		{"userType not updatable", `{"userType":"facilitator"}`, 400, "property userType should not exist", nil},
		{"invalid JSON", `{`, 400, "JSON object", nil},
		{"email of another user", `{"email":"OTHER@example.com"}`, 409, "email", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			mustAddUser(t, s, orgA, full)
			mustAddUser(t, s, orgA, talkiotest.User{ID: "u2", Email: "other@example.com"})
			r := api(t, s, "PUT", orgA, "/users/u1", tt.body)
			mustStatus(t, r, tt.want)
			got, _ := s.User(orgA, "u1")
			want := full
			if tt.edit != nil {
				tt.edit(&want)
			} else if msg := r.message(t); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q, want %q in it", msg, tt.wantMsg)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("stored user\n got  %+v\n want %+v", got, want)
			}
			if tt.want == 200 && r.obj(t)["userName"] != want.UserName {
				t.Errorf("response does not show the update: %s", r.Body)
			}
		})
	}
}

func TestUpdateUserNotFound(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, talkiotest.User{ID: "gone", Email: "gone@example.com", AccountExpiresAt: ptr(t0)})
	for _, id := range []string{"nobody", "gone", "gone@example.com"} {
		mustStatus(t, api(t, s, "PUT", orgA, "/users/"+id, `{"userName":"x"}`), 404)
	}
	// 404 comes before body validation: the user is looked up first
	mustStatus(t, api(t, s, "PUT", orgA, "/users/nobody", `{`), 404)
}

// Setting accountExpiresAt at or before now suspends the user at once.
func TestUpdateUserSuspends(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	r := api(t, s, "PUT", orgA, "/users/u1", `{"accountExpiresAt":"`+t0.Format(time.RFC3339)+`"}`)
	mustStatus(t, r, 200)
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1", ""), 404)
	e := api(t, s, "GET", orgA, "/expired-users/u1", "")
	mustStatus(t, e, 200)
	if got := e.obj(t)["expiredAt"]; got != "2026-03-04T10:00:00.000Z" {
		t.Errorf("expiredAt %v", got)
	}
}

func TestDeleteUser(t *testing.T) {
	tests := []struct {
		name, id string
		want     int
	}{
		{"active", "u1", 204},
		{"expired", "gone", 204},
		{"unknown", "nobody", 404},
		{"not by email", "user.one@example.com", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			mustAddUser(t, s, orgA, userU1)
			mustAddUser(t, s, orgA, talkiotest.User{ID: "gone", AccountExpiresAt: ptr(t0.Add(-time.Hour))})
			r := api(t, s, "DELETE", orgA, "/users/"+tt.id, "")
			mustStatus(t, r, tt.want)
			if tt.want != 204 {
				return
			}
			if len(r.Body) != 0 {
				t.Errorf("204 with a body: %q", r.Body)
			}
			if _, ok := s.User(orgA, tt.id); ok {
				t.Error("user still stored")
			}
			mustStatus(t, api(t, s, "DELETE", orgA, "/users/"+tt.id, ""), 404)
			mustStatus(t, api(t, s, "GET", orgA, "/expired-users/"+tt.id, ""), 404)
			// the id is free again
			mustStatus(t, api(t, s, "POST", orgA, "/users", `{"id":"`+tt.id+`","userName":"Back","userType":"member"}`), 201)
		})
	}
}

func TestInviteUser(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    int
		wantMsg string
	}{
		{"email only", `{"email":"new@example.com"}`, 201, ""},
		{"with expiry", `{"email":"new@example.com","accountExpiresAt":"2027-02-22T19:35:25.000Z"}`, 201, ""},
		{"missing email", `{}`, 400, "email is required"},
		{"empty email", `{"email":""}`, 400, "email must not be empty"},
		{"bad email", `{"email":"new"}`, 400, "email must be an email"},
		{"email number", `{"email":1}`, 400, "email must be a string"},
		{"bad expiry", `{"email":"new@example.com","accountExpiresAt":"soon"}`, 400, "accountExpiresAt"},
		{"unknown property", `{"email":"new@example.com","userName":"x"}`, 400, "property userName should not exist"},
		{"invalid JSON", `nope`, 400, "JSON object"},
		{"existing user's email", `{"email":"USER.ONE@example.com"}`, 409, "already exists"},
		{"expired user's email", `{"email":"gone@example.com"}`, 409, "already exists"},
		{"pending invitation", `{"email":"Pending@example.com"}`, 409, "pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			mustAddUser(t, s, orgA, userU1)
			mustAddUser(t, s, orgA, talkiotest.User{ID: "gone", Email: "gone@example.com", AccountExpiresAt: ptr(t0)})
			mustStatus(t, api(t, s, "POST", orgA, "/users/invite", `{"email":"pending@example.com"}`), 201)
			r := api(t, s, "POST", orgA, "/users/invite", tt.body)
			mustStatus(t, r, tt.want)
			if tt.want != 201 {
				if msg := r.message(t); !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message %q, want %q in it", msg, tt.wantMsg)
				}
				if n := len(s.Invitations(orgA)); n != 1 {
					t.Errorf("%d invitations, want 1", n)
				}
				return
			}
			m := r.obj(t)
			if m["email"] != "new@example.com" || m["status"] != "pending" || m["organizationSlug"] != orgA || m["id"] == "" {
				t.Errorf("invitation body %s", r.Body)
			}
			invs := s.Invitations(orgA)
			if len(invs) != 2 || invs[1].Email != "new@example.com" || invs[1].ID != m["id"] {
				t.Errorf("invitations %+v", invs)
			}
			if len(s.Users(orgA)) != 1 {
				t.Error("an invitation created a user")
			}
			mustStatus(t, api(t, s, "POST", orgB, "/users/invite", tt.body), 201) // per organization
		})
	}
}

func TestTokenErrors(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	mustAddUser(t, s, orgA, talkiotest.User{ID: "gone", AccountExpiresAt: ptr(t0)})
	for _, id := range []string{"nobody", "gone", url.PathEscape("User.One@Example.com")} {
		mustStatus(t, api(t, s, "GET", orgA, "/users/"+id+"/token", ""), http.StatusNotFound)
	}
	if n := s.IssuedTokens(); n != 0 {
		t.Errorf("%d tokens issued", n)
	}
}
