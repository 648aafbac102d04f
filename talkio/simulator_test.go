package talkio_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

const (
	simProvider = "acme-provider-SECRET"
	simAPIKey   = "acme-key-SECRET-0123456789abcdef"
	simOrg      = "acme-school"
	simOrg2     = "acme-college"
	simForeign  = "rival-school" // another partner's organization
)

// simEnv is a simulator and a client for it whose observer records every attempt's endpoint.
type simEnv struct {
	srv    *talkiotest.Server
	client *talkio.Client
	mu     sync.Mutex
	calls  []talkio.Call
}

func newSimEnv(t *testing.T) *simEnv {
	t.Helper()
	env := &simEnv{}
	env.srv = talkiotest.NewServer(talkiotest.Options{
		Provider: simProvider,
		APIKey:   simAPIKey,
		Organizations: []talkiotest.Organization{
			{Slug: simOrg, Partner: "acme"},
			{Slug: simOrg2, Partner: "acme"},
			{Slug: simForeign, Partner: "rival"},
		},
	})
	t.Cleanup(env.srv.Close)
	c, err := talkio.NewClient(env.srv.URL, simProvider, simAPIKey, talkio.WithOrganization(simOrg),
		// Tiny waits, Retry-After included, so fault tests run fast.
		talkio.WithRetryPolicy(talkio.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxRetryAfter: time.Millisecond}),
		talkio.WithCallObserver(func(_ context.Context, c talkio.Call) {
			env.mu.Lock()
			env.calls = append(env.calls, c)
			env.mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	env.client = c
	return env
}

// result carries a call's two results so that got(c.X(…)).must(t) reads in one line.
type result[T any] struct {
	v   T
	err error
}

func got[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
	return r.v
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got %v, want %v", err, target)
	}
	for _, s := range []string{simAPIKey, simProvider} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a credential", err)
		}
	}
}

// TestSimulatorRoundTrip calls every client method against talkiotest and checks what each returns.
func TestSimulatorRoundTrip(t *testing.T) {
	env := newSimEnv(t)
	c, srv := env.client, env.srv
	ctx := context.Background()
	expires := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Millisecond)

	// CreateUser, and its conflict.
	u := got(c.CreateUser(ctx, &talkio.CreateUserRequest{ID: "user-1", UserName: "User 1", UserType: talkio.UserTypeMember,
		Email: "user-1@example.com", PhoneNumber: "+14155550123", ProductID: "school-plan", AccountExpiresAt: &expires})).must(t)
	if u.ID != "user-1" || u.UserName != "User 1" || u.UserType != "member" || u.Email != "user-1@example.com" ||
		u.PhoneNumber != "+14155550123" || u.ProductID != "school-plan" || u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(expires) {
		t.Errorf("CreateUser: got %+v", u)
	}
	if _, ok := u.Extra["createdAt"]; !ok {
		t.Errorf("CreateUser: undocumented createdAt not kept in Extra: %v", u.Extra)
	}
	_, err := c.CreateUser(ctx, &talkio.CreateUserRequest{ID: "user-1", UserName: "Again", UserType: talkio.UserTypeMember})
	wantIs(t, err, talkio.ErrConflict)
	got(c.CreateUser(ctx, &talkio.CreateUserRequest{ID: "coach-1", UserName: "Coach", UserType: talkio.UserTypeFacilitator})).must(t)

	// InviteUser.
	inv := got(c.InviteUser(ctx, &talkio.InviteUserRequest{Email: "new@example.com", AccountExpiresAt: &expires})).must(t)
	if inv.Email != "new@example.com" || inv.ID == "" || inv.AccountExpiresAt == nil || !inv.AccountExpiresAt.Equal(expires) {
		t.Errorf("InviteUser: got %+v", inv)
	}
	if got := srv.Invitations(simOrg); len(got) != 1 || got[0].Email != "new@example.com" {
		t.Errorf("simulator invitations: got %+v", got)
	}

	// GetUser by id and by email.
	for _, key := range []string{"user-1", "USER-1@example.com"} {
		if u := got(c.GetUser(ctx, key)).must(t); u.ID != "user-1" {
			t.Errorf("GetUser(%q): got %+v", key, u)
		}
	}
	_, err = c.GetUser(ctx, "nobody")
	wantIs(t, err, talkio.ErrNotFound)

	// ListUsers and ListUsersIter over several pages.
	for i := range 23 {
		mustNil(t, srv.AddUser(simOrg, talkiotest.User{ID: "seed-" + string(rune('a'+i))}))
	}
	p := got(c.ListUsers(ctx, &talkio.ListUsersOptions{ListOptions: talkio.ListOptions{Page: 2, Limit: 10}, UserType: talkio.UserTypeMember})).must(t)
	if len(p.Users) != 10 || p.Page != 2 || p.Limit != 10 || p.Total != 24 || p.TotalPages != 3 {
		t.Errorf("ListUsers: got %d users, %+v", len(p.Users), p.Pagination)
	}
	facilitators := got(c.ListUsers(ctx, &talkio.ListUsersOptions{UserType: talkio.UserTypeFacilitator})).must(t)
	if len(facilitators.Users) != 1 || facilitators.Users[0].ID != "coach-1" {
		t.Errorf("ListUsers facilitators: got %+v", facilitators.Users)
	}
	srv.ResetCalls()
	var ids []string
	for u, err := range c.ListUsersIter(ctx, &talkio.ListUsersOptions{ListOptions: talkio.ListOptions{Limit: 10}}) {
		mustNil(t, err)
		ids = append(ids, u.ID)
	}
	if unique := slices.Compact(slices.Sorted(slices.Values(ids))); len(ids) != 25 || len(unique) != 25 || ids[0] != "user-1" {
		t.Errorf("ListUsersIter: got %d users: %v", len(ids), ids)
	}
	if n := srv.CallCount(talkiotest.EndpointListUsers); n != 3 {
		t.Errorf("ListUsersIter: %d pages fetched, want 3", n)
	}

	// UpdateUser: partial.
	updated := got(c.UpdateUser(ctx, "user-1", &talkio.UpdateUserRequest{Email: talkio.Ptr("user-one@example.com")})).must(t)
	if updated.Email != "user-one@example.com" || updated.UserName != "User 1" || updated.PhoneNumber != "+14155550123" {
		t.Errorf("UpdateUser: got %+v", updated)
	}
	if calls := srv.Calls(); string(calls[len(calls)-1].Body) != `{"email":"user-one@example.com"}` {
		t.Errorf("UpdateUser body: got %s", calls[len(calls)-1].Body)
	}

	// UserToken: fresh each time, with a login link the stand-in app accepts once.
	tok := got(c.UserToken(ctx, "user-1")).must(t)
	tok2 := got(c.UserToken(ctx, "user-1")).must(t)
	if tok.Token == "" || tok.Token == tok2.Token || !tok.ExpiresAt.After(time.Now()) {
		t.Errorf("UserToken: got %v and %v", tok, tok2)
	}
	if !strings.HasPrefix(tok.LoginLink, srv.URL+"/authentication/partner/?token=") {
		t.Errorf("UserToken login link: got %q", tok.LoginLink)
	}
	if strings.Contains(tok.String(), tok.Token) {
		t.Errorf("Token.String shows the token")
	}
	resp := got(http.Get(tok.LoginLink + "&path=app%2Fchat%3Ft%3Dbooks-literature")).must(t)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "user-1") || !strings.Contains(string(page), "app/chat?t=books-literature") {
		t.Errorf("login link: got %d %s", resp.StatusCode, page)
	}

	// Settings: read the defaults, update some fields, read back.
	s := got(c.GetSettings(ctx, "user-1")).must(t)
	if s.PracticeLanguage == nil || s.ReadAloudSpeed == nil || s.ShowLiveFeedback == nil || s.HideIntroFlow == nil {
		t.Errorf("GetSettings: fields missing: %+v", s)
	}
	s2 := got(c.UpdateSettings(ctx, "user-1", &talkio.Settings{UILanguage: talkio.Ptr("fr-FR"), ReadAloudSpeed: talkio.Ptr(1.5),
		HideIntroFlow: talkio.Ptr(true), ShowChatTranslations: talkio.Ptr(false)})).must(t)
	if *s2.UILanguage != "fr-FR" || *s2.ReadAloudSpeed != 1.5 || !*s2.HideIntroFlow || *s2.PracticeLanguage != *s.PracticeLanguage {
		t.Errorf("UpdateSettings: got %+v", s2)
	}
	if got, _ := srv.UserSettings(simOrg, "user-1"); got.UILanguage != "fr-FR" || got.ReadAloudSpeed != 1.5 {
		t.Errorf("simulator settings: got %+v", got)
	}
	all := talkio.Settings{PracticeLanguage: talkio.Ptr("en-GB"), UserLanguage: talkio.Ptr("en-US"), UILanguage: talkio.Ptr("en-US"),
		PracticeLanguageProficiency: talkio.Ptr("elementary"), ReadAloudSpeed: talkio.Ptr(3.0), DefaultTutor: talkio.Ptr("Emma"),
		ShowChatTranslations: talkio.Ptr(true), ShowChatRomanization: talkio.Ptr(true), ShowLiveFeedback: talkio.Ptr(true), HideIntroFlow: talkio.Ptr(false)}
	s3 := got(c.UpdateSettings(ctx, "user-1", &all)).must(t)
	s3.Extra = nil
	if b1, b2 := mustJSON(t, s3), mustJSON(t, all); b1 != b2 {
		t.Errorf("UpdateSettings all fields: got %s, want %s", b1, b2)
	}
	_, err = c.UpdateSettings(ctx, "user-1", &talkio.Settings{UserLanguage: talkio.Ptr("not a language")})
	wantIs(t, err, talkio.ErrBadRequest)

	// Conversations.
	convs := got(c.ListConversations(ctx, "user-1", &talkio.ListConversationsOptions{ListOptions: talkio.ListOptions{Limit: 10}})).must(t)
	if len(convs.Conversations) != 3 || convs.Total != 3 || convs.Conversations[0].ID == "" {
		t.Fatalf("ListConversations: got %+v", convs)
	}
	var first struct {
		PromptTemplateID string `json:"promptTemplateId"`
	}
	mustNil(t, json.Unmarshal(convs.Conversations[0].Raw, &first))
	filtered := got(c.ListConversations(ctx, "user-1", &talkio.ListConversationsOptions{PromptTemplateID: first.PromptTemplateID})).must(t)
	if len(filtered.Conversations) == 0 || len(filtered.Conversations) > 3 {
		t.Errorf("ListConversations filtered: got %d", len(filtered.Conversations))
	}
	conv := got(c.GetConversation(ctx, "user-1", convs.Conversations[0].ID)).must(t)
	var withMessages struct {
		Messages []json.RawMessage `json:"messages"`
	}
	mustNil(t, json.Unmarshal(conv.Raw, &withMessages))
	if conv.ID != convs.Conversations[0].ID || len(withMessages.Messages) == 0 {
		t.Errorf("GetConversation: got %s", conv.Raw)
	}
	_, err = c.GetConversation(ctx, "user-1", "no-such-conversation")
	wantIs(t, err, talkio.ErrNotFound)

	// Organization preference: none, then one within the partner; another partner's is refused.
	pref := got(c.GetOrganizationPreference(ctx, "user-1")).must(t)
	if pref.OrganizationSlug != nil {
		t.Errorf("GetOrganizationPreference: got %q, want none", *pref.OrganizationSlug)
	}
	college := c.ForOrganization(simOrg2)
	got(college.CreateUser(ctx, &talkio.CreateUserRequest{ID: "user-1", UserName: "User 1", UserType: talkio.UserTypeMember})).must(t)
	mustNil(t, c.SetOrganizationPreference(ctx, "user-1", simOrg2))
	pref = got(college.GetOrganizationPreference(ctx, "user-1")).must(t)
	if pref.OrganizationSlug == nil || *pref.OrganizationSlug != simOrg2 {
		t.Errorf("GetOrganizationPreference: got %v, want %s", pref.OrganizationSlug, simOrg2)
	}
	wantIs(t, c.SetOrganizationPreference(ctx, "user-1", simForeign), talkio.ErrBadRequest)

	// Stats, the assessment and the legacy usage, for an active user.
	today := time.Now().UTC().Format(time.DateOnly)
	month := time.Now().UTC().Format("2006-01")
	checkStats(t, "daily", got(c.GetDailyStats(ctx, "user-1", &talkio.DailyStatsOptions{Date: today, Timezone: "America/New_York"})).must(t))
	checkStats(t, "monthly", got(c.GetMonthlyStats(ctx, "user-1", &talkio.MonthlyStatsOptions{Month: month, Language: "en-GB", Timezone: "Europe/Paris"})).must(t))
	a := got(c.GetWeeklyAssessment(ctx, "user-1", today, &talkio.WeeklyAssessmentOptions{PracticeLanguage: "en-GB"})).must(t)
	if !strings.Contains(string(a.Raw), `"weekStart"`) {
		t.Errorf("GetWeeklyAssessment: got %s", a.Raw)
	}
	got(c.GetWeeklyAssessment(ctx, "user-1", today, nil)).must(t)
	if usage := got(c.GetUsage(ctx, "user-1", month)).must(t); !strings.Contains(string(usage.Raw), `"month":"`+month+`"`) {
		t.Errorf("GetUsage: got %s", usage.Raw)
	}
	if d := got(c.GetUsageDuration(ctx, "user-1", month)).must(t); !strings.Contains(string(d.Raw), `"features"`) {
		t.Errorf("GetUsageDuration: got %s", d.Raw)
	}

	// Expiry: a past accountExpiresAt moves the user to the expired-users endpoints.
	past := time.Now().Add(-time.Hour)
	got(c.UpdateUser(ctx, "coach-1", &talkio.UpdateUserRequest{AccountExpiresAt: &past, Email: talkio.Ptr("coach@example.com")})).must(t)
	_, err = c.GetUser(ctx, "coach-1")
	wantIs(t, err, talkio.ErrNotFound)
	ep := got(c.ListExpiredUsers(ctx, &talkio.ListOptions{Page: 1, Limit: 10})).must(t)
	if len(ep.ExpiredUsers) != 1 || ep.ExpiredUsers[0].ID != "coach-1" || ep.ExpiredUsers[0].MemberType != talkio.UserTypeFacilitator ||
		ep.ExpiredUsers[0].ExpiredAt.IsZero() || ep.Total != 1 {
		t.Errorf("ListExpiredUsers: got %+v", ep)
	}
	var expired []string
	for u, err := range c.ListExpiredUsersIter(ctx, nil) {
		mustNil(t, err)
		expired = append(expired, u.ID)
	}
	if !slices.Equal(expired, []string{"coach-1"}) {
		t.Errorf("ListExpiredUsersIter: got %v", expired)
	}
	for _, key := range []string{"coach-1", "coach@example.com"} {
		if eu := got(c.GetExpiredUser(ctx, key)).must(t); eu.ID != "coach-1" || eu.UserName != "Coach" {
			t.Errorf("GetExpiredUser(%q): got %+v", key, eu)
		}
	}
	checkStats(t, "daily expired", got(c.GetDailyStats(ctx, "coach-1", &talkio.DailyStatsOptions{Date: today})).must(t))
	checkStats(t, "monthly expired", got(c.GetMonthlyStats(ctx, "coach-1", &talkio.MonthlyStatsOptions{Month: month})).must(t))

	// DeleteUser: active and expired.
	mustNil(t, c.DeleteUser(ctx, "coach-1"))
	mustNil(t, c.DeleteUser(ctx, "seed-a"))
	_, err = c.GetExpiredUser(ctx, "coach-1")
	wantIs(t, err, talkio.ErrNotFound)
	wantIs(t, c.DeleteUser(ctx, "seed-a"), talkio.ErrNotFound)

	// Every attempt the client reported names the endpoint the simulator matched.
	env.mu.Lock()
	defer env.mu.Unlock()
	seen := map[string]bool{}
	for _, call := range env.calls {
		seen[anonymous(call.Endpoint)] = true
	}
	for _, ep := range []string{talkiotest.EndpointCreateUser, talkiotest.EndpointInviteUser, talkiotest.EndpointListUsers,
		talkiotest.EndpointGetUser, talkiotest.EndpointUpdateUser, talkiotest.EndpointDeleteUser, talkiotest.EndpointUserToken,
		talkiotest.EndpointGetSettings, talkiotest.EndpointUpdateSettings, talkiotest.EndpointListExpiredUsers,
		talkiotest.EndpointGetExpiredUser, talkiotest.EndpointDailyStats, talkiotest.EndpointMonthlyStats,
		talkiotest.EndpointWeeklyAssessment, talkiotest.EndpointListConversations, talkiotest.EndpointGetConversation,
		talkiotest.EndpointGetOrgPreference, talkiotest.EndpointSetOrgPreference, talkiotest.EndpointUsage,
		talkiotest.EndpointUsageDuration} {
		if !seen[anonymous(ep)] {
			t.Errorf("endpoint %s was not exercised (or the client names it differently)", ep)
		}
	}
	for _, call := range srv.Calls() {
		if call.Endpoint == "" || strings.HasPrefix(call.Endpoint, "GET /authentication") {
			continue
		}
		if !seen[anonymous(call.Endpoint)] {
			t.Errorf("simulator matched %s, which the client never reported", call.Endpoint)
		}
		if call.Header.Get("User-Agent") != talkio.DefaultUserAgent || call.Header.Get("X-Api-Key") == "" {
			t.Errorf("call %s: headers %v", call.Endpoint, call.Header)
		}
	}
}

var placeholder = regexp.MustCompile(`\{[^}]*\}`)

// anonymous drops placeholder names: the client says {targetWeek} where the simulator says {target-week}.
func anonymous(endpoint string) string { return placeholder.ReplaceAllString(endpoint, "{}") }

func checkStats(t *testing.T, name string, s *talkio.Stats) {
	t.Helper()
	if s.Conversations.User.WordsPerMinute == nil || s.VideoConversations.User.WordsPerMinute == nil {
		t.Errorf("%s stats: wordsPerMinute missing: %s", name, s.Raw)
	}
	if s.Date == "" && s.Month == "" {
		t.Errorf("%s stats: neither date nor month: %s", name, s.Raw)
	}
	if len(s.Raw) == 0 || s.Extra["userId"] == nil {
		t.Errorf("%s stats: Raw or Extra not kept: %s", name, s.Raw)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	mustNil(t, err)
	return string(b)
}

func TestSimulatorOddIDs(t *testing.T) {
	env := newSimEnv(t)
	ctx := context.Background()
	for _, id := range []string{"a@b.c", "a/b", "a b", "ü/ñ", "%41", "x?y#z", "2025-03"} {
		got(env.client.CreateUser(ctx, &talkio.CreateUserRequest{ID: id, UserName: "Odd", UserType: talkio.UserTypeMember})).must(t)
		env.srv.ResetCalls()
		if u := got(env.client.GetUser(ctx, id)).must(t); u.ID != id {
			t.Errorf("GetUser(%q): got id %q", id, u.ID)
		}
		calls := env.srv.Calls()
		if len(calls) != 1 || calls[0].Path != "/api/partner/v3/organizations/"+simOrg+"/users/"+id || calls[0].Endpoint != talkiotest.EndpointGetUser {
			t.Errorf("GetUser(%q): simulator saw %+v", id, calls)
		}
		got(env.client.UserToken(ctx, id)).must(t)
		mustNil(t, env.client.DeleteUser(ctx, id))
	}
	if users := env.srv.Users(simOrg); len(users) != 0 {
		t.Errorf("users left: %+v", users)
	}
}

func TestSimulatorFaults(t *testing.T) {
	env := newSimEnv(t)
	c, srv := env.client, env.srv
	ctx := context.Background()
	mustNil(t, srv.AddUser(simOrg, talkiotest.User{ID: "u1"}))

	t.Run("503 then 200", func(t *testing.T) {
		srv.ResetCalls()
		srv.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: 503, FailFirst: 1})
		got(c.UserToken(ctx, "u1")).must(t)
		if n := srv.CallCount(talkiotest.EndpointUserToken); n != 2 {
			t.Errorf("calls: got %d, want 2", n)
		}
	})
	t.Run("429 with Retry-After", func(t *testing.T) {
		srv.ResetCalls()
		srv.Inject(talkiotest.EndpointGetSettings, talkiotest.Fault{Status: 429, RetryAfter: "1", FailFirst: 2})
		got(c.GetSettings(ctx, "u1")).must(t)
		if n := srv.CallCount(talkiotest.EndpointGetSettings); n != 3 {
			t.Errorf("calls: got %d, want 3", n)
		}
	})
	t.Run("dropped connection", func(t *testing.T) {
		srv.ResetCalls()
		srv.Inject(talkiotest.EndpointGetUser, talkiotest.Fault{DropConnection: true, FailFirst: 1})
		got(c.GetUser(ctx, "u1")).must(t)
		if n := srv.CallCount(talkiotest.EndpointGetUser); n != 2 {
			t.Errorf("calls: got %d, want 2", n)
		}
	})
	t.Run("always down", func(t *testing.T) {
		srv.ResetCalls()
		srv.Inject(talkiotest.EndpointDeleteUser, talkiotest.Fault{Status: 502})
		wantIs(t, c.DeleteUser(ctx, "u1"), talkio.ErrUnavailable)
		if n := srv.CallCount(talkiotest.EndpointDeleteUser); n != 3 {
			t.Errorf("calls: got %d, want 3", n)
		}
		srv.Inject(talkiotest.EndpointDeleteUser, talkiotest.Fault{})
	})
	t.Run("create reply lost: sent once, then a conflict means it exists", func(t *testing.T) {
		srv.ResetCalls()
		srv.Inject(talkiotest.EndpointCreateUser, talkiotest.Fault{Status: 503, AfterHandling: true, FailFirst: 1})
		req := &talkio.CreateUserRequest{ID: "u2", UserName: "Two", UserType: talkio.UserTypeMember}
		_, err := c.CreateUser(ctx, req)
		wantIs(t, err, talkio.ErrUnavailable)
		if n := srv.CallCount(talkiotest.EndpointCreateUser); n != 1 {
			t.Errorf("POST sent %d times, want 1", n)
		}
		_, err = c.CreateUser(ctx, req) // the caller's own retry
		wantIs(t, err, talkio.ErrConflict)
		got(c.GetUser(ctx, "u2")).must(t)
	})
	t.Run("deadline shorter than Retry-After", func(t *testing.T) {
		slow, err := talkio.NewClient(srv.URL, simProvider, simAPIKey, talkio.WithOrganization(simOrg))
		mustNil(t, err)
		srv.ResetCalls()
		srv.Inject(talkiotest.EndpointListUsers, talkiotest.Fault{Status: 429, RetryAfter: "30"})
		dctx, cancel := context.WithTimeout(ctx, 20*time.Second) // shorter than Retry-After, long enough for any machine
		defer cancel()
		_, err = slow.ListUsers(dctx, nil)
		wantIs(t, err, talkio.ErrRateLimited)
		if n := srv.CallCount(talkiotest.EndpointListUsers); n != 1 {
			t.Errorf("calls: got %d, want 1", n)
		}
		if dctx.Err() != nil {
			t.Errorf("the client waited until the deadline")
		}
	})
}

func TestSimulatorAuthAndOrganizations(t *testing.T) {
	env := newSimEnv(t)
	ctx := context.Background()
	bad, err := talkio.NewClient(env.srv.URL, simProvider, "wrong-key-SECRET", talkio.WithOrganization(simOrg))
	mustNil(t, err)
	_, err = bad.GetUser(ctx, "u1")
	wantIs(t, err, talkio.ErrUnauthorized)
	if strings.Contains(err.Error(), "wrong-key-SECRET") {
		t.Errorf("error shows the key: %v", err)
	}
	var e *talkio.Error
	if !errors.As(err, &e) || e.RequestID == "" || e.Message == "" || e.Endpoint != "GET /users/{id}" {
		t.Errorf("error fields: got %#v", e)
	}
	_, err = env.client.ForOrganization("no-such-school").ListUsers(ctx, nil)
	wantIs(t, err, talkio.ErrNotFound)
}
