package talkio

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestListExpiredUsers(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /expired-users", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"page": {"3"}, "limit": {"100"}})
		testNoBody(t, r)
		writeJSON(w, http.StatusOK, `{"expiredUsers":[{"id":"u1","userName":"U","expiredAt":"2025-01-02T03:04:05.000Z","memberType":"member","reason":"expired"}],
			"page":3,"limit":100,"total":201,"totalPages":3}`)
	})
	p, err := c.ListExpiredUsers(context.Background(), &ListOptions{Page: 3, Limit: 100})
	if err != nil {
		t.Fatalf("ListExpiredUsers: %v", err)
	}
	want := &ExpiredUserPage{
		ExpiredUsers: []ExpiredUser{{User: User{ID: "u1", UserName: "U", Extra: map[string]json.RawMessage{"reason": json.RawMessage(`"expired"`)}},
			ExpiredAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), MemberType: "member"}},
		Pagination: Pagination{3, 100, 201, 3},
	}
	mustEqual(t, "page", p, want)
}

func TestGetExpiredUser(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /expired-users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if got := r.PathValue("id"); got != "u1@example.com" {
			t.Errorf("id: got %q", got)
		}
		writeJSON(w, http.StatusOK, `{"id":"u1","email":"u1@example.com","expiredAt":null,"memberType":"facilitator"}`)
	})
	u, err := c.GetExpiredUser(context.Background(), "u1@example.com")
	if err != nil {
		t.Fatalf("GetExpiredUser: %v", err)
	}
	mustEqual(t, "user", u, &ExpiredUser{User: User{ID: "u1", Email: "u1@example.com"}, MemberType: "facilitator"})
}

func TestListExpiredUsersIter(t *testing.T) {
	c, mux, _ := setup(t)
	pages := 0
	mux.HandleFunc("GET /expired-users", func(w http.ResponseWriter, r *http.Request) {
		pages++
		page := r.URL.Query().Get("page")
		if page == "" {
			t.Errorf("no page in query %v", r.URL.Query())
		}
		users := make([]map[string]string, 10)
		if page == "2" {
			users = users[:4]
		}
		for i := range users {
			users[i] = map[string]string{"id": page + "-" + string(rune('a'+i))}
		}
		b, _ := json.Marshal(users) // a bare array: no totals
		writeJSON(w, http.StatusOK, string(b))
	})
	var ids []string
	for u, err := range c.ListExpiredUsersIter(context.Background(), &ListOptions{Limit: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	if len(ids) != 14 || pages != 2 || ids[0] != "1-a" || ids[13] != "2-d" {
		t.Errorf("got %v in %d pages, want 14 users in 2 pages", ids, pages)
	}
	n := 0
	for range c.ListExpiredUsersIter(context.Background(), nil) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("break: got %d", n)
	}
}

func TestExpiredUserJSON(t *testing.T) {
	u := ExpiredUser{User: User{ID: "u1", Extra: map[string]json.RawMessage{"x": json.RawMessage(`1`)}},
		ExpiredAt: time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC), MemberType: "member"}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"expiredAt":"2025-01-02T03:04:05.006Z","id":"u1","memberType":"member","x":1}`; got != want {
		t.Errorf("marshal: got %s, want %s", got, want)
	}
	var back ExpiredUser
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "round trip", back, u)
	b, _ = json.Marshal(ExpiredUser{User: User{ID: "u2"}})
	if string(b) != `{"id":"u2"}` {
		t.Errorf("zero expiredAt: got %s", b)
	}
	if err := json.Unmarshal([]byte(`{"expiredAt":"yesterday"}`), &back); err == nil {
		t.Errorf("bad expiredAt: got no error")
	}
}
