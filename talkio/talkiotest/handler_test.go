package talkiotest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"talkio-gateway/talkio/talkiotest"
)

func TestNewHandlerDefaults(t *testing.T) {
	h := talkiotest.NewHandler(talkiotest.Options{})
	if h.Provider() != talkiotest.DefaultProvider {
		t.Errorf("provider %q", h.Provider())
	}
	if len(h.APIKey()) < 32 || h.APIKey() == talkiotest.NewHandler(talkiotest.Options{}).APIKey() {
		t.Error("default API key is short or not random")
	}
	orgs := h.Organizations()
	if len(orgs) != 1 || orgs[0].Slug != talkiotest.DefaultOrganization || orgs[0].Partner != talkiotest.DefaultProvider {
		t.Errorf("organizations %+v", orgs)
	}
	if d := time.Since(h.Now()); d < -time.Minute || d > time.Minute {
		t.Errorf("default clock is off by %v", d)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+talkiotest.APIPrefix+talkiotest.DefaultOrganization+"/users", nil)
	req.Header.Set("x-provider", h.Provider())
	req.Header.Set("x-api-key", h.APIKey())
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("status %d with the default credentials", res.StatusCode)
	}
}

func TestOrganizationDefaults(t *testing.T) {
	h := talkiotest.NewHandler(talkiotest.Options{Provider: "p", Organizations: []talkiotest.Organization{{Slug: "a"}, {Slug: "b", Partner: "q", Name: "B"}}})
	want := []talkiotest.Organization{{Slug: "a", Partner: "p", Name: "a"}, {Slug: "b", Partner: "q", Name: "B"}}
	got := h.Organizations()
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("organizations %+v, want %+v", got, want)
	}
}

func TestClock(t *testing.T) {
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	h := talkiotest.NewHandler(talkiotest.Options{Now: func() time.Time { return base }})
	h.Advance(time.Hour)
	if got := h.Now(); !got.Equal(base.Add(time.Hour)) {
		t.Errorf("after Advance: %v", got)
	}
	h.SetNow(t0)
	h.Advance(-time.Minute)
	if got := h.Now(); !got.Equal(t0.Add(-time.Minute)) {
		t.Errorf("after SetNow and Advance: %v", got)
	}
}

func TestSeedingHelpers(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name    string
		org     string
		u       talkiotest.User
		wantErr error
	}{
		{"ok", orgA, talkiotest.User{ID: "u1", Email: "u1@example.com"}, nil},
		{"facilitator", orgA, talkiotest.User{ID: "f1", UserType: "facilitator"}, nil},
		{"unknown org", "nope", talkiotest.User{ID: "u9"}, talkiotest.ErrNotFound},
		{"duplicate id", orgA, talkiotest.User{ID: "u1"}, talkiotest.ErrConflict},
		{"duplicate email", orgA, talkiotest.User{ID: "u2", Email: "U1@example.com"}, talkiotest.ErrConflict},
		{"empty id", orgA, talkiotest.User{}, talkiotest.ErrInvalid},
		{"bad type", orgA, talkiotest.User{ID: "u3", UserType: "admin"}, talkiotest.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.AddUser(tt.org, tt.u); !errors.Is(err, tt.wantErr) {
				t.Errorf("AddUser: %v, want %v", err, tt.wantErr)
			}
		})
	}
	u, ok := s.User(orgA, "u1")
	if !ok || u.UserName != "u1" || u.UserType != "member" || !u.CreatedAt.Equal(t0) {
		t.Errorf("User = %+v, %v", u, ok)
	}
	if _, ok := s.User("nope", "u1"); ok {
		t.Error("user in unknown organization")
	}
	if _, ok := s.User(orgA, "nobody"); ok {
		t.Error("unknown user found")
	}
	// returned users are copies
	exp := t0.Add(time.Hour)
	_ = s.AddUser(orgA, talkiotest.User{ID: "e1", AccountExpiresAt: &exp})
	got, _ := s.User(orgA, "e1")
	*got.AccountExpiresAt = t0.Add(-time.Hour)
	if again, _ := s.User(orgA, "e1"); !again.AccountExpiresAt.Equal(exp) {
		t.Error("User shares memory with the store")
	}
	if !got.Active(t0.Add(-2*time.Hour)) || (talkiotest.User{}).Active(t0) != true {
		t.Error("Active")
	}
	if s.Users("nope") != nil || s.ExpiredUsers("nope") != nil || s.Conversations("nope", "u1") != nil || s.Invitations("nope") != nil {
		t.Error("helpers return data for an unknown organization")
	}
	if _, ok := s.UserSettings("nope", "u1"); ok {
		t.Error("settings in unknown organization")
	}
	if _, ok := s.UserSettings(orgA, "nobody"); ok {
		t.Error("settings of unknown user")
	}
	if err := s.AddConversation("nope", "u1", talkiotest.Conversation{}); !errors.Is(err, talkiotest.ErrNotFound) {
		t.Errorf("AddConversation unknown org: %v", err)
	}
	if err := s.AddConversation(orgA, "nobody", talkiotest.Conversation{}); !errors.Is(err, talkiotest.ErrNotFound) {
		t.Errorf("AddConversation unknown user: %v", err)
	}
	if err := s.AddConversation(orgA, "u1", talkiotest.Conversation{}); err != nil {
		t.Errorf("AddConversation with defaults: %v", err)
	}
	convs := s.Conversations(orgA, "u1")
	last := convs[len(convs)-1]
	if last.ID == "" || !last.CreatedAt.Equal(t0) {
		t.Errorf("defaults not filled: %+v", last)
	}
	if err := s.AddConversation(orgA, "u1", talkiotest.Conversation{ID: last.ID}); !errors.Is(err, talkiotest.ErrConflict) {
		t.Errorf("duplicate conversation: %v", err)
	}
}

func TestLogf(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	s := talkiotest.NewServer(talkiotest.Options{Provider: testProvider, APIKey: testKey, Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(format, args...))
	}})
	_ = s.AddUser(talkiotest.DefaultOrganization, userU1)
	tok := mustToken(t, s, talkiotest.DefaultOrganization, "u1")
	do(t, s, "GET", s.URL+"/nowhere?secret=1", "")
	get(t, s.Client(), tok.LoginLink)
	s.Close() // waits for handlers, so every line is written
	mu.Lock()
	defer mu.Unlock()
	want := []string{"talkiotest: GET /users/{id}/token -> 200", "talkiotest: GET /nowhere -> 404", "talkiotest: GET /authentication/partner/ -> 200"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("log lines\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range lines {
		for _, secret := range []string{testKey, tok.Token, "secret"} {
			if strings.Contains(l, secret) {
				t.Errorf("log line %q holds a secret", l)
			}
		}
	}
}

// Many clients at once, under -race: creates, tokens, lists, updates, deletes, faults and inspection.
func TestConcurrentUse(t *testing.T) {
	s := newServer(t)
	const workers, each = 8, 12
	var wg sync.WaitGroup
	tokens := make(chan string, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				if r := api(t, s, "POST", orgA, "/users", `{"id":"`+id+`","userName":"U","userType":"member"}`); r.Status != 201 {
					t.Errorf("create %s: %d", id, r.Status)
					return
				}
				r := api(t, s, "GET", orgA, "/users/"+id+"/token", "")
				if r.Status != 200 {
					t.Errorf("token %s: %d", id, r.Status)
					return
				}
				var tok struct{ Token string }
				_ = jsonUnmarshal(r.Body, &tok)
				tokens <- tok.Token
				api(t, s, "GET", orgA, "/users?limit=100", "")
				api(t, s, "PUT", orgA, "/users/"+id+"/settings", `{"hideIntroFlow":true}`)
				if i%4 == 0 {
					api(t, s, "DELETE", orgA, "/users/"+id, "")
				}
				if i%5 == 0 { // copying every call is slow under -race; a few reads suffice
					_ = s.Calls()
				}
				_ = s.CallCount(talkiotest.EndpointUserToken)
				_ = s.Users(orgA)
				s.Inject(talkiotest.EndpointGetConversation, talkiotest.Fault{Status: 500, FailFirst: 1})
			}
		}()
	}
	// the same id created concurrently: exactly one wins
	results := make(chan int, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- api(t, s, "POST", orgA, "/users", `{"id":"race","userName":"U","userType":"member"}`).Status
		}()
	}
	wg.Wait()
	close(tokens)
	close(results)
	seen := map[string]bool{}
	for tok := range tokens {
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
	created := 0
	for st := range results {
		if st == 201 {
			created++
		} else if st != 409 {
			t.Errorf("concurrent create: %d", st)
		}
	}
	if created != 1 {
		t.Errorf("%d concurrent creates of one id succeeded, want 1", created)
	}
	if got, want := len(s.Users(orgA)), workers*each-workers*each/4+1; got != want {
		t.Errorf("%d users, want %d", got, want)
	}
	if got := s.CallCount(talkiotest.EndpointUserToken); got != workers*each {
		t.Errorf("%d token calls recorded", got)
	}
}
