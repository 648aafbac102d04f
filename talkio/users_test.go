package talkio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

var expiry = time.Date(2027, 2, 22, 19, 35, 25, 0, time.UTC)

func TestCreateUser(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		testQuery(t, r, nil)
		testJSONBody(t, r, `{"id":"user-1","userName":"User 1","userType":"member","email":"user-1@example.com",
			"phoneNumber":"+14155550123","accountExpiresAt":"2027-02-22T19:35:25.000Z","productId":"school-plan"}`)
		writeJSON(w, http.StatusCreated, `{"id":"user-1","userName":"User 1","userType":"member","email":"user-1@example.com",
			"phoneNumber":"+14155550123","accountExpiresAt":"2027-02-22T19:35:25.000Z","productId":"school-plan","createdAt":"2025-01-01"}`)
	})
	// A non-UTC expiry is sent in UTC with milliseconds, as the docs write it.
	local := expiry.In(time.FixedZone("X", -5*3600))
	u, err := c.CreateUser(context.Background(), &CreateUserRequest{ID: "user-1", UserName: "User 1", UserType: UserTypeMember,
		Email: "user-1@example.com", PhoneNumber: "+14155550123", ProductID: "school-plan", AccountExpiresAt: &local})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	want := &User{ID: "user-1", UserName: "User 1", UserType: "member", Email: "user-1@example.com", PhoneNumber: "+14155550123",
		ProductID: "school-plan", AccountExpiresAt: &expiry, Extra: map[string]json.RawMessage{"createdAt": json.RawMessage(`"2025-01-01"`)}}
	mustEqual(t, "user", u, want)
}

func TestCreateUser_minimalAndConflict(t *testing.T) {
	c, mux, ts := setup(t)
	mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"id":"u1","userName":"U","userType":"facilitator"}`)
		w.Header().Set("X-Request-Id", "req-123")
		writeJSON(w, http.StatusConflict, `{"message":"User already exists","statusCode":409}`)
	})
	_, err := c.CreateUser(context.Background(), &CreateUserRequest{ID: "u1", UserName: "U", UserType: UserTypeFacilitator})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T, want *Error", err)
	}
	mustEqual(t, "error", *e, Error{StatusCode: 409, Message: "User already exists", RequestID: "req-123", Endpoint: "POST /users"})
	if got, want := err.Error(), "talkio: POST /users: 409 Conflict: User already exists (request id req-123)"; got != want {
		t.Errorf("Error(): got %q, want %q", got, want)
	}
	if ts.requests.Load() != 1 {
		t.Errorf("requests: got %d, want 1", ts.requests.Load())
	}
}

func TestInviteUser(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("POST /users/invite", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"email":"user-1@example.com","accountExpiresAt":"2027-02-22T19:35:25.000Z"}`)
		writeJSON(w, http.StatusCreated, `{"email":"user-1@example.com","accountExpiresAt":"2027-02-22T19:35:25.000Z","status":"sent"}`)
	})
	inv, err := c.InviteUser(context.Background(), &InviteUserRequest{Email: "user-1@example.com", AccountExpiresAt: &expiry})
	if err != nil {
		t.Fatalf("InviteUser: %v", err)
	}
	mustEqual(t, "invitation", inv, &Invitation{Email: "user-1@example.com", AccountExpiresAt: &expiry,
		Extra: map[string]json.RawMessage{"status": json.RawMessage(`"sent"`)}})
	b, _ := json.Marshal(inv)
	if got, want := string(b), `{"accountExpiresAt":"2027-02-22T19:35:25.000Z","email":"user-1@example.com","status":"sent"}`; got != want {
		t.Errorf("MarshalJSON: got %s, want %s", got, want)
	}
}

func TestGetUser(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, nil)
		testNoBody(t, r)
		testHeader(t, r, "Accept", "application/json")
		if got := r.PathValue("id"); got != "user-1@example.com" {
			t.Errorf("id: got %q", got)
		}
		writeJSON(w, http.StatusOK, `{"id":"user-1","userName":"User 1","userType":"facilitator","email":"user-1@example.com",
			"phoneNumber":null,"accountExpiresAt":null,"organizations":["a","b"]}`)
	})
	u, err := c.GetUser(context.Background(), "user-1@example.com")
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	mustEqual(t, "user", u, &User{ID: "user-1", UserName: "User 1", UserType: "facilitator", Email: "user-1@example.com",
		Extra: map[string]json.RawMessage{"organizations": json.RawMessage(`["a","b"]`)}})
}

func TestGetUser_notFound(t *testing.T) {
	c, mux, ts := setup(t)
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"message":"User not found","statusCode":404}`)
	})
	_, err := c.GetUser(context.Background(), "nobody")
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		t.Errorf("got %v, want ErrNotFound only", err)
	}
	if ts.requests.Load() != 1 {
		t.Errorf("a 404 was retried: %d requests", ts.requests.Load())
	}
}

func TestListUsers(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"page": {"2"}, "limit": {"20"}, "userType": {"facilitator"}})
		writeJSON(w, http.StatusOK, `{"users":[{"id":"a"},{"id":"b"}],"page":2,"limit":20,"total":22,"totalPages":2,"hasMore":false}`)
	})
	p, err := c.ListUsers(context.Background(), &ListUsersOptions{ListOptions: ListOptions{Page: 2, Limit: 20}, UserType: UserTypeFacilitator})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	mustEqual(t, "page", p, &UserPage{Users: []User{{ID: "a"}, {ID: "b"}}, Pagination: Pagination{2, 20, 22, 2},
		Extra: map[string]json.RawMessage{"hasMore": json.RawMessage(`false`)}})
}

func TestListUsers_shapes(t *testing.T) {
	tests := []struct {
		name, body string
		want       []User
		wantErr    bool
	}{
		{"bare array", `[{"id":"a"}]`, []User{{ID: "a"}}, false},
		{"data", `{"data":[{"id":"a"}],"page":1}`, []User{{ID: "a"}}, false},
		{"items", `{"items":[{"id":"a"}]}`, []User{{ID: "a"}}, false},
		{"other single array", `{"results":[{"id":"a"}],"meta":{}}`, []User{{ID: "a"}}, false},
		{"no array", `{"total":0}`, nil, false},
		{"null users", `{"users":null}`, nil, false},
		{"null body", `null`, nil, false},
		{"two unknown arrays", `{"a":[],"b":[]}`, nil, true},
		{"users not an array", `{"users":{"id":"a"}}`, nil, true},
		{"page not a number", `{"users":[],"page":"one"}`, nil, true},
		{"bad user", `{"users":[{"id":7}]}`, nil, true},
		{"bad accountExpiresAt", `{"users":[{"id":"a","accountExpiresAt":"tomorrow"}]}`, nil, true},
		{"a string", `"users"`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
				testQuery(t, r, nil)
				writeJSON(w, http.StatusOK, tt.body)
			})
			p, err := c.ListUsers(context.Background(), nil)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", p)
				}
				return
			}
			if err != nil {
				t.Fatalf("ListUsers: %v", err)
			}
			mustEqual(t, "users", p.Users, tt.want)
		})
	}
}

// userPages serves n users, paginated like the API, and counts the pages asked for.
func userPages(t *testing.T, mux *http.ServeMux, n int, withTotals bool) *int {
	pages := new(int)
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		*pages++
		page, limit := 1, 10
		if v := r.URL.Query().Get("page"); v != "" {
			page, _ = strconv.Atoi(v)
		}
		if v := r.URL.Query().Get("limit"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		if got := r.URL.Query().Get("userType"); got != "member" {
			t.Errorf("userType: got %q, want member on every page", got)
		}
		var users []User
		for i := (page - 1) * limit; i < min(page*limit, n); i++ {
			users = append(users, User{ID: fmt.Sprint("u", i)})
		}
		body := map[string]any{"users": users}
		if withTotals {
			body["page"], body["limit"], body["total"], body["totalPages"] = page, limit, n, (n+limit-1)/limit
		}
		b, _ := json.Marshal(body)
		writeJSON(w, http.StatusOK, string(b))
	})
	return pages
}

func TestListUsersIter(t *testing.T) {
	tests := []struct {
		name       string
		n          int
		limit      int
		withTotals bool
		wantPages  int
	}{
		{"short last page", 23, 10, false, 3},
		{"exact pages, no totals: an empty page ends", 20, 10, false, 3},
		{"exact pages with totalPages", 20, 10, true, 2},
		{"default limit", 15, 0, false, 2},
		{"empty", 0, 10, true, 1},
		{"one page of 100", 100, 100, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			pages := userPages(t, mux, tt.n, tt.withTotals)
			opts := &ListUsersOptions{ListOptions: ListOptions{Limit: tt.limit}, UserType: UserTypeMember}
			var ids []string
			for u, err := range c.ListUsersIter(context.Background(), opts) {
				if err != nil {
					t.Fatalf("iter: %v", err)
				}
				ids = append(ids, u.ID)
			}
			if len(ids) != tt.n {
				t.Errorf("users: got %d, want %d", len(ids), tt.n)
			}
			for i, id := range ids {
				if id != fmt.Sprint("u", i) {
					t.Fatalf("user %d: got %s", i, id)
				}
			}
			if *pages != tt.wantPages {
				t.Errorf("pages fetched: got %d, want %d", *pages, tt.wantPages)
			}
			if opts.Page != 0 || opts.Limit != tt.limit {
				t.Errorf("opts were changed: %+v", opts)
			}
		})
	}
}

func TestListUsersIter_totalWithoutTotalPages(t *testing.T) {
	c, mux, _ := setup(t)
	pages := 0
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		pages++
		users := make([]User, 10)
		b, _ := json.Marshal(map[string]any{"users": users, "total": 20})
		writeJSON(w, http.StatusOK, string(b))
	})
	n := 0
	for _, err := range c.ListUsersIter(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 20 || pages != 2 {
		t.Errorf("got %d users in %d pages, want 20 in 2", n, pages)
	}
}

func TestListUsersIter_breakAndErrors(t *testing.T) {
	c, mux, _ := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	pages := userPages(t, mux, 50, true)
	n := 0
	for _, err := range c.ListUsersIter(context.Background(), &ListUsersOptions{UserType: UserTypeMember, ListOptions: ListOptions{Page: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 15 {
			break
		}
	}
	if *pages != 2 {
		t.Errorf("pages fetched after break: got %d, want 2", *pages)
	}
	// A validation error is yielded once, then the iteration ends.
	var errs []error
	for _, err := range c.ListUsersIter(context.Background(), &ListUsersOptions{ListOptions: ListOptions{Limit: 5}}) {
		errs = append(errs, err)
	}
	var ve *ValidationError
	if len(errs) != 1 || !errors.As(errs[0], &ve) || ve.Field != "limit" {
		t.Errorf("errors: got %v, want one limit ValidationError", errs)
	}
	errs = nil
	for _, err := range c.ListUsersIter(context.Background(), &ListUsersOptions{ListOptions: ListOptions{Page: -1}}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.As(errs[0], &ve) || ve.Field != "page" {
		t.Errorf("errors: got %v, want one page ValidationError", errs)
	}
	// An API error likewise.
	c2, mux2, _ := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	mux2.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, `{}`)
	})
	errs = nil
	for _, err := range c2.ListUsersIter(context.Background(), nil) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrUnavailable) {
		t.Errorf("errors: got %v, want one ErrUnavailable", errs)
	}
}

func TestUpdateUser(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("PUT /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, nil)
		testJSONBody(t, r, `{"email":"new@example.com","phoneNumber":"","accountExpiresAt":"2027-02-22T19:35:25.000Z"}`)
		writeJSON(w, http.StatusOK, `{"id":"u1","userName":"U","email":"new@example.com","accountExpiresAt":"2027-02-22T19:35:25.000Z"}`)
	})
	u, err := c.UpdateUser(context.Background(), "u1", &UpdateUserRequest{Email: Ptr("new@example.com"), PhoneNumber: Ptr(""), AccountExpiresAt: &expiry})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	mustEqual(t, "user", u, &User{ID: "u1", UserName: "U", Email: "new@example.com", AccountExpiresAt: &expiry})
}

func TestUpdateUser_allFields(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("PUT /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"userName":"N","email":"e@x","phoneNumber":"+1","productId":"p","accountExpiresAt":"2027-02-22T19:35:25.000Z"}`)
		writeJSON(w, http.StatusOK, `{"id":"u1"}`)
	})
	_, err := c.UpdateUser(context.Background(), "u1", &UpdateUserRequest{UserName: Ptr("N"), Email: Ptr("e@x"),
		PhoneNumber: Ptr("+1"), ProductID: Ptr("p"), AccountExpiresAt: &expiry})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
}

func TestDeleteUser(t *testing.T) {
	c, mux, _ := setup(t)
	deleted := ""
	mux.HandleFunc("DELETE /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, nil)
		testNoBody(t, r)
		deleted = r.PathValue("id")
		w.WriteHeader(http.StatusNoContent)
	})
	if err := c.DeleteUser(context.Background(), "u 1"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if deleted != "u 1" {
		t.Errorf("deleted: got %q, want %q", deleted, "u 1")
	}
}

func TestUserToken(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/token", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, nil)
		writeJSON(w, http.StatusOK, `{"token":"abc.def","expiresAt":"2027-02-22T19:35:25.000Z",
			"loginLink":"https://app.example.com/authentication/partner/?token=abc.def","ttl":300}`)
	})
	tok, err := c.UserToken(context.Background(), "u1")
	if err != nil {
		t.Fatalf("UserToken: %v", err)
	}
	mustEqual(t, "token", tok, &Token{Token: "abc.def", ExpiresAt: expiry, LoginLink: "https://app.example.com/authentication/partner/?token=abc.def"})
}

func TestUserJSONRoundTrip(t *testing.T) {
	in := `{"accountExpiresAt":"2027-02-22T19:35:25.000Z","email":"e@x","extra":{"a":1},"id":"u1","phoneNumber":"+1","productId":"p","userName":"U","userType":"member"}`
	var u User
	if err := json.Unmarshal([]byte(in), &u); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("round trip: got %s, want %s", out, in)
	}
	// Documented fields win over an Extra of the same name; empty ones are left out.
	out, _ = json.Marshal(User{ID: "u2", Extra: map[string]json.RawMessage{"id": json.RawMessage(`"stale"`)}})
	if string(out) != `{"id":"u2"}` {
		t.Errorf("marshal: got %s", out)
	}
	var bad User
	if err := json.Unmarshal([]byte(`{"userName":false}`), &bad); err == nil {
		t.Errorf("wrongly typed field: got no error")
	}
}
