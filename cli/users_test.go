package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"talkio-gateway/config"
	"talkio-gateway/internal/testutil"
	"talkio-gateway/provision"
	"talkio-gateway/talkio/talkiotest"
)

func TestUsersList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()

	h.mustRun(ExitOK, "users", "list")
	out := h.stdout.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("table:\n%s", out)
	}
	for _, want := range []string{"u1", "Ada Lovelace", "ada@example.com", "2026-04-14T12:00:00Z", "u2", "facilitator"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "x1") {
		t.Errorf("table lists the expired user:\n%s", out)
	}

	h.mustRun(ExitOK, "users", "list", "--type", "facilitator", "--json")
	var got []userView
	if err := json.Unmarshal(h.stdout.Bytes(), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, h.stdout.String())
	}
	if len(got) != 1 || got[0].ID != "u2" || got[0].Status != statusActive || got[0].UserType != "facilitator" {
		t.Errorf("--type facilitator --json = %+v", got)
	}
}

// TestUsersListPages checks the list reads every page.
func TestUsersListPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const n = 215
	for i := range n {
		h.addUser(talkiotest.User{ID: fmt.Sprintf("p%03d", i)})
	}
	h.mustRun(ExitOK, "users", "list", "--json")
	var got []userView
	if err := json.Unmarshal(h.stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, u := range got {
		seen[u.ID] = true
	}
	if len(got) != n || len(seen) != n {
		t.Errorf("got %d users (%d distinct), want %d", len(got), len(seen), n)
	}
	// An empty organization prints an empty JSON array, not null.
	h.mustRun(ExitOK, "users", "list", "--json", "--org", testOrg2)
	if strings.TrimSpace(h.stdout.String()) != "[]" {
		t.Errorf("empty list = %q, want []", h.stdout.String())
	}
}

func TestUsersGet(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr string
	}{
		{"by id", []string{"users", "get", "u1"}, ExitOK, []string{"Ada Lovelace", "active", "2026-04-14T12:00:00Z"}, ""},
		{"by email", []string{"users", "get", "grace@example.com"}, ExitOK, []string{"u2", "facilitator"}, ""},
		{"expired", []string{"users", "get", "x1"}, ExitOK, []string{"expired", "expiredAt", "2026-03-13T12:00:00Z"}, ""},
		{"unknown", []string{"users", "get", "nobody"}, ExitFailure, nil, `user "nobody" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.mustRun(tt.wantCode, tt.args...)
			for _, want := range tt.wantStdout {
				if !strings.Contains(h.stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, h.stdout.String())
				}
			}
			if !strings.Contains(h.stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, h.stderr.String())
			}
		})
	}

	h.mustRun(ExitOK, "users", "get", "x1", "--json")
	var v userView
	if err := json.Unmarshal(h.stdout.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != "x1" || v.Status != statusExpired || v.ExpiredAt == nil || !v.ExpiredAt.Equal(testNow.Add(-48*time.Hour)) {
		t.Errorf("users get x1 --json = %+v", v)
	}

	h.srv.Inject(talkiotest.EndpointGetExpiredUser, talkiotest.Fault{Status: 500})
	h.mustRun(ExitFailure, "users", "get", "nobody")
	h.srv.Inject(talkiotest.EndpointGetUser, talkiotest.Fault{Status: 500})
	h.mustRun(ExitFailure, "users", "get", "u1")
}

func TestExpired(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()
	h.mustRun(ExitOK, "expired", "list")
	out := h.stdout.String()
	if !strings.Contains(out, "EXPIRED AT") || !strings.Contains(out, "x1") || strings.Contains(out, "u1") {
		t.Errorf("expired list:\n%s", out)
	}
	h.mustRun(ExitOK, "expired", "list", "--json")
	var got []userView
	if err := json.Unmarshal(h.stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "x1" || got[0].MemberType != "member" {
		t.Errorf("expired list --json = %+v", got)
	}
	h.mustRun(ExitOK, "expired", "get", "gone@example.com")
	if !strings.Contains(h.stdout.String(), "x1") {
		t.Errorf("expired get:\n%s", h.stdout.String())
	}
	h.mustRun(ExitOK, "expired", "get", "x1", "--json")
	h.mustRun(ExitFailure, "expired", "get", "u1")
	if !strings.Contains(h.stderr.String(), "404") {
		t.Errorf("stderr = %q", h.stderr.String())
	}
	h.srv.Inject(talkiotest.EndpointListExpiredUsers, talkiotest.Fault{Status: 500})
	h.mustRun(ExitFailure, "expired", "list")
}

func TestUsersDelete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()

	h.mustRun(ExitOK, "users", "delete", "u1", "--yes")
	if _, ok := h.srv.User(testOrg, "u1"); ok {
		t.Error("u1 still exists")
	}
	// Expired users can be deleted too.
	h.mustRun(ExitOK, "users", "delete", "--yes", "x1")
	if _, ok := h.srv.User(testOrg, "x1"); ok {
		t.Error("x1 still exists")
	}
	h.mustRun(ExitFailure, "users", "delete", "u1", "--yes")
	if !strings.Contains(h.stderr.String(), "404") {
		t.Errorf("deleting a missing user: stderr = %q", h.stderr.String())
	}
}

func TestUsersDeleteInteractive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		answer      string
		wantCode    int
		wantDeleted bool
	}{
		{"y\n", ExitOK, true},
		{"YES\n", ExitOK, true},
		{"n\n", ExitFailure, false},
		{"", ExitFailure, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.answer), func(t *testing.T) {
			h := newHarness(t)
			h.seedBasic()
			h.env.IsTerminal = true
			h.env.Stdin = strings.NewReader(tt.answer)
			h.mustRun(tt.wantCode, "users", "delete", "u2")
			if !strings.Contains(h.stderr.String(), "[y/N]") {
				t.Errorf("no prompt: %q", h.stderr.String())
			}
			if _, ok := h.srv.User(testOrg, "u2"); ok == tt.wantDeleted {
				t.Errorf("u2 exists = %v, want %v", ok, !tt.wantDeleted)
			}
		})
	}
}

func TestUsersInvite(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.mustRun(ExitOK, "users", "invite", "new@example.com", "--expires", "2027-02-22T19:35:25Z")
	if !strings.Contains(h.stdout.String(), "invited new@example.com") {
		t.Errorf("stdout = %q", h.stdout.String())
	}
	invs := h.srv.Invitations(testOrg)
	if len(invs) != 1 || invs[0].Email != "new@example.com" || invs[0].AccountExpiresAt == nil ||
		!invs[0].AccountExpiresAt.Equal(time.Date(2027, 2, 22, 19, 35, 25, 0, time.UTC)) {
		t.Fatalf("invitations = %+v", invs)
	}
	h.mustRun(ExitOK, "users", "invite", "other@example.com", "--json")
	var inv map[string]any
	if err := json.Unmarshal(h.stdout.Bytes(), &inv); err != nil || inv["email"] != "other@example.com" {
		t.Errorf("--json = %s (%v)", h.stdout.String(), err)
	}
	// A second invitation for a pending email is a conflict in the simulator.
	h.mustRun(ExitFailure, "users", "invite", "new@example.com")
	if !strings.Contains(h.stderr.String(), "409") {
		t.Errorf("stderr = %q", h.stderr.String())
	}
}

func TestUsersOffboard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()
	h.mustRun(ExitOK, "users", "offboard", "u1")
	if !strings.Contains(h.stdout.String(), "offboarded user u1") {
		t.Errorf("stdout = %q", h.stdout.String())
	}
	u, ok := h.srv.User(testOrg, "u1")
	if !ok || u.AccountExpiresAt == nil || !u.AccountExpiresAt.Equal(testNow) || u.Active(h.srv.Now()) {
		t.Fatalf("u1 after offboard = %+v", u)
	}
	h.mustRun(ExitOK, "expired", "list", "--json")
	var got []userView
	if err := json.Unmarshal(h.stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, v := range got {
		ids = append(ids, v.ID)
	}
	if strings.Join(ids, ",") != "u1,x1" {
		t.Errorf("expired users = %v, want u1,x1", ids)
	}
	// Usage stays readable for an offboarded user.
	h.mustRun(ExitOK, "usage", "report", "--month", "2026-03")
	if !strings.Contains(h.stdout.String(), "u1,Ada Lovelace,member,expired") {
		t.Errorf("report:\n%s", h.stdout.String())
	}
	// Offboarding an already expired user fails: the API updates active users only.
	h.mustRun(ExitFailure, "users", "offboard", "x1")
}

func TestUsersLink(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()
	tests := []struct {
		name     string
		args     []string
		wantPath string
	}{
		{"dashboard", nil, ""},
		{"template", []string{"--template", "books-literature"}, "app/chat?t=books-literature"},
		{"path", []string{"--path", "app/chat?t=travel&x=%20y"}, "app/chat?t=travel&x=%20y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.mustRun(ExitOK, append([]string{"users", "link", "u1"}, tt.args...)...)
			link := strings.TrimSpace(h.stdout.String())
			u, err := url.Parse(link)
			if err != nil || !strings.HasPrefix(link, h.srv.URL+"/authentication/partner/?") {
				t.Fatalf("link %q", link)
			}
			if got := u.Query().Get("path"); got != tt.wantPath {
				t.Errorf("path = %q, want %q", got, tt.wantPath)
			}
			if u.Query().Get("token") == "" {
				t.Fatalf("link %q has no token", link)
			}
			// The stand-in app accepts the link and sees the exact path.
			page := fetchAppPage(t, h, link)
			if page["user-id"] != "u1" || page["path"] != tt.wantPath {
				t.Errorf("app page = %v", page)
			}
		})
	}
	// The validity note is shown to people at a terminal only.
	h.env.IsTerminal = true
	h.mustRun(ExitOK, "users", "link", "u1")
	if !strings.Contains(h.stderr.String(), "single use") {
		t.Errorf("stderr = %q", h.stderr.String())
	}
	// No link for an expired or unknown user.
	h.mustRun(ExitFailure, "users", "link", "x1")
	h.mustRun(ExitFailure, "users", "link", "nobody")
}

// fetchAppPage opens link and returns the text of the elements the stand-in
// app page marks with ids.
func fetchAppPage(t *testing.T, h *harness, link string) map[string]string {
	t.Helper()
	resp, err := h.srv.Client().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("app page: %d %s", resp.StatusCode, b)
	}
	doc, err := html.Parse(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "id" {
					out[a.Val] = strings.TrimSpace(text(n))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// text is the shared HTML text helper.
func text(n *html.Node) string { return testutil.Text(n) }

func TestUsersSettings(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()

	h.mustRun(ExitOK, "users", "settings", "u1")
	out := h.stdout.String()
	for _, want := range []string{"SETTING", "practiceLanguage", "en-US", "readAloudSpeed", "defaultTutor", "Emma", "hideIntroFlow", "false"} {
		if !strings.Contains(out, want) {
			t.Errorf("settings lack %q:\n%s", want, out)
		}
	}

	h.mustRun(ExitOK, "users", "settings", "u1",
		"--set", "readAloudSpeed=1.5", "--set", "showChatTranslations=true", "--set", "defaultTutor=Max",
		"--set", "practiceLanguage=en-GB", "--set", "userLanguage=de-DE", "--set", "uiLanguage=fr-FR",
		"--set", "practiceLanguageProficiency=elementary", "--set", "showChatRomanization=1",
		"--set", "showLiveFeedback=false", "--set", "hideIntroFlow=true")
	s, _ := h.srv.UserSettings(testOrg, "u1")
	want := talkiotest.Settings{
		PracticeLanguage: "en-GB", UserLanguage: "de-DE", UILanguage: "fr-FR", PracticeLanguageProficiency: "elementary",
		ReadAloudSpeed: 1.5, DefaultTutor: "Max", ShowChatTranslations: true, ShowChatRomanization: true,
		ShowLiveFeedback: false, HideIntroFlow: true,
	}
	if s != want {
		t.Errorf("settings = %+v, want %+v", s, want)
	}
	if !strings.Contains(h.stdout.String(), "1.5") {
		t.Errorf("update prints the new settings:\n%s", h.stdout.String())
	}

	h.mustRun(ExitOK, "users", "settings", "u1", "--json")
	var m map[string]any
	if err := json.Unmarshal(h.stdout.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["defaultTutor"] != "Max" || m["readAloudSpeed"] != 1.5 || m["hideIntroFlow"] != true {
		t.Errorf("--json = %v", m)
	}

	// The simulator refuses what the API would: an out-of-range speed.
	h.mustRun(ExitFailure, "users", "settings", "u1", "--set", "readAloudSpeed=50")
	if !strings.Contains(h.stderr.String(), "400") {
		t.Errorf("stderr = %q", h.stderr.String())
	}
	h.mustRun(ExitFailure, "users", "settings", "x1")
}

func TestConversations(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()
	if err := h.srv.AddConversation(testOrg, "u1", talkiotest.Conversation{
		ID: "c-books", PromptTemplateID: "books-literature", Title: "Reading club",
		CreatedAt: testNow.Add(-time.Hour), DurationSeconds: 90,
		Messages: []talkiotest.Message{
			{ID: "m1", Role: "assistant", Content: "Which book?", CreatedAt: testNow.Add(-time.Hour)},
			{ID: "m2", Role: "user", Content: "Dune", CreatedAt: testNow.Add(-time.Hour + time.Minute)},
		},
	}); err != nil {
		t.Fatal(err)
	}
	total := len(h.srv.Conversations(testOrg, "u1"))

	h.mustRun(ExitOK, "conversations", "u1")
	lines := strings.Split(strings.TrimSpace(h.stdout.String()), "\n")
	if len(lines) != total+1 {
		t.Errorf("got %d lines, want header + %d:\n%s", len(lines), total, h.stdout.String())
	}
	if !strings.Contains(h.stdout.String(), "Reading club") || !strings.Contains(h.stdout.String(), "1.50") {
		t.Errorf("table:\n%s", h.stdout.String())
	}

	h.mustRun(ExitOK, "conversations", "u1", "--template", "books-literature", "--json")
	var got []map[string]any
	if err := json.Unmarshal(h.stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0]["id"] != "c-books" {
		t.Errorf("--template --json = %v", got)
	}

	h.mustRun(ExitOK, "conversations", "u1", "c-books")
	out := h.stdout.String()
	for _, want := range []string{"Reading club", "books-literature", "assistant", "Which book?", "Dune"} {
		if !strings.Contains(out, want) {
			t.Errorf("conversation lacks %q:\n%s", want, out)
		}
	}
	h.mustRun(ExitOK, "conversations", "u1", "c-books", "--json")
	var one map[string]any
	if err := json.Unmarshal(h.stdout.Bytes(), &one); err != nil || one["id"] != "c-books" {
		t.Errorf("--json = %s", h.stdout.String())
	}
	h.mustRun(ExitFailure, "conversations", "u1", "no-such-conversation")
	h.mustRun(ExitFailure, "conversations", "x1")
}

// TestConversationsPages checks the listing reads every page.
func TestConversationsPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.addUser(talkiotest.User{ID: "u1"})
	for i := range 120 {
		if err := h.srv.AddConversation(testOrg, "u1", talkiotest.Conversation{
			ID: fmt.Sprintf("c%03d", i), PromptTemplateID: "cli-test", CreatedAt: testNow.Add(-time.Duration(i) * time.Minute),
		}); err != nil {
			t.Fatal(err)
		}
	}
	h.mustRun(ExitOK, "conversations", "u1", "--json", "--template", "cli-test")
	var got []map[string]any
	if err := json.Unmarshal(h.stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 120 {
		t.Errorf("got %d conversations, want 120", len(got))
	}
}

// TestUsersGetNeverAnotherID: the API's user lookup also matches emails, so a
// pupil whose provider id is a teacher's email must never be shown the
// teacher's record by id; an operator's explicit email lookup still works.
func TestUsersGetNeverAnotherID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	past := testNow.Add(-48 * time.Hour)
	h.addUser(talkiotest.User{ID: "t1", UserName: "The Teacher", UserType: talkiotest.UserTypeFacilitator, Email: "teacher@school.example"})
	h.addUser(talkiotest.User{ID: "x9", UserName: "Gone Teacher", Email: "old@school.example", AccountExpiresAt: &past})

	// By id (--subject never means an email): the teacher is not shown.
	for _, subject := range []string{"teacher@school.example", "old@school.example"} {
		h.mustRun(ExitFailure, "users", "get", "--subject", subject)
		if out := h.stdout.String() + h.stderr.String(); strings.Contains(out, "Teacher") || !strings.Contains(h.stderr.String(), "another user") {
			t.Errorf("get --subject %s:\nstdout:\n%s\nstderr:\n%s", subject, h.stdout.String(), h.stderr.String())
		}
	}

	// By email, as the operator asked: shown, with a note naming the real id.
	h.mustRun(ExitOK, "users", "get", "Teacher@School.example", "--json")
	var v userView
	if err := json.Unmarshal(h.stdout.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != "t1" || !strings.Contains(h.stderr.String(), `their id is "t1"`) {
		t.Errorf("get by email = %+v, stderr %q", v, h.stderr.String())
	}
	h.mustRun(ExitOK, "users", "get", "old@school.example")
	if !strings.Contains(h.stdout.String(), "x9") || !strings.Contains(h.stderr.String(), `their id is "x9"`) {
		t.Errorf("expired by email:\n%s\n%s", h.stdout.String(), h.stderr.String())
	}

	h.mustRun(ExitOK, "expired", "get", "old@school.example")
	if !strings.Contains(h.stdout.String(), "x9") || !strings.Contains(h.stderr.String(), `their id is "x9"`) {
		t.Errorf("expired get by email:\n%s\n%s", h.stdout.String(), h.stderr.String())
	}

	// A user whose id is an email is found by that id, without a note.
	h.addUser(talkiotest.User{ID: "pupil@school.example", UserName: "Pupil"})
	h.mustRun(ExitOK, "users", "get", "pupil@school.example")
	if !strings.Contains(h.stdout.String(), "Pupil") || h.stderr.Len() != 0 {
		t.Errorf("get by an id with @:\n%s\n%s", h.stdout.String(), h.stderr.String())
	}
}

// pseudonymous puts h in TALKIO_USER_ID_MODE=pseudonymous and returns the rule.
func pseudonymous(h *harness) provision.IDRule {
	rule := provision.IDRule{Key: []byte("0123456789abcdef0123456789abcdef")}
	h.env.IDRule, h.env.Issuer = rule, "https://idp.school.example"
	return rule
}

func TestUsersID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Claim mode: the subject is the id.
	h.mustRun(ExitOK, "users", "id", "248289761001")
	if got := h.stdout.String(); got != "248289761001\n" {
		t.Errorf("claim mode: %q", got)
	}
	rule := pseudonymous(h)
	h.mustRun(ExitOK, "users", "id", "248289761001")
	want := rule.UserID("https://idp.school.example", "248289761001")
	if got := strings.TrimSpace(h.stdout.String()); got != want || !strings.HasPrefix(got, provision.PseudonymPrefix) || strings.Contains(got, "248289761001") {
		t.Errorf("pseudonymous: %q, want %q", got, want)
	}
	if len(h.srv.Calls()) != 0 {
		t.Errorf("users id called the API")
	}
	h.mustRun(ExitUsage, "users", "id", " ")
	h.env.Issuer = ""
	h.mustRun(ExitFailure, "users", "id", "248289761001")
	if !strings.Contains(h.stderr.String(), "OIDC_ISSUER") {
		t.Errorf("no issuer: %q", h.stderr.String())
	}
}

// TestSubjectFlag: --subject names the same Talkio user sign-in made, for
// get, link, offboard and delete.
func TestSubjectFlag(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rule := pseudonymous(h)
	id := rule.UserID("https://idp.school.example", "s-123")
	h.addUser(talkiotest.User{ID: id, UserName: "Maya"})
	h.addUser(talkiotest.User{ID: "s-123", UserName: "Claim-mode Namesake"})

	h.mustRun(ExitOK, "users", "get", "--subject", "s-123", "--json")
	var v userView
	if err := json.Unmarshal(h.stdout.Bytes(), &v); err != nil || v.ID != id || v.UserName != "Maya" {
		t.Errorf("get --subject = %+v, %v", v, err)
	}

	h.mustRun(ExitOK, "users", "link", "--subject", "s-123", "--template", "books-literature")
	if page := fetchAppPage(t, h, strings.TrimSpace(h.stdout.String())); page["user-id"] != id || page["path"] != "app/chat?t=books-literature" {
		t.Errorf("link --subject opens %v", page)
	}

	h.mustRun(ExitOK, "users", "offboard", "--subject", "s-123")
	if u, _ := h.srv.User(testOrg, id); u.AccountExpiresAt == nil || u.AccountExpiresAt.After(testNow) {
		t.Errorf("offboard --subject: %+v", u)
	}
	if u, _ := h.srv.User(testOrg, "s-123"); u.AccountExpiresAt != nil {
		t.Errorf("offboard --subject touched the user whose id is the subject: %+v", u)
	}

	h.mustRun(ExitOK, "users", "delete", "--subject", "s-123", "--yes")
	if _, ok := h.srv.User(testOrg, id); ok {
		t.Error("delete --subject: the user is still there")
	}
	if _, ok := h.srv.User(testOrg, "s-123"); !ok {
		t.Error("delete --subject deleted the user whose id is the subject")
	}

	for _, args := range [][]string{
		{"users", "get", "u1", "--subject", "s-123"},
		{"users", "link", "--subject", ""},
		{"users", "delete", "--yes"},
		{"users", "offboard", "u1", "--subject", "s"},
	} {
		h.mustRun(ExitUsage, args...)
	}
}

// TestOrganizationSlugVerdicts: --org and the configuration (TALKIO_ORGANIZATION
// and TALKIO_ORGANIZATION_MAP) accept and refuse the same slugs, by the one rule.
func TestOrganizationSlugVerdicts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.env.Organizations = nil // any well-formed slug may be named
	for _, slug := range []string{"partner-example-school", "School.North", "a_b.c-1", strings.Repeat("s", 200),
		strings.Repeat("s", 201), "school/north", "..", ".", "a b", "école", "a%2f", "a?b"} {
		env := map[string]string{
			"TALKIO_API_URL": "https://api.talkio.example", "TALKIO_PROVIDER": testProvider, "TALKIO_API_KEY": testAPIKey,
			"TALKIO_ORGANIZATION": slug,
		}
		_, cfgErr := config.LoadTalkio(func(k string) string { return env[k] })
		env["TALKIO_ORGANIZATION"] = "partner-example-school"
		env["TALKIO_ORGANIZATION_CLAIM"], env["TALKIO_ORGANIZATION_MAP"] = "school", "north="+slug
		_, mapErr := config.LoadTalkio(func(k string) string { return env[k] })
		code := h.run("users", "list", "--org", slug) // an unknown organization is an API failure, not a usage error
		cliOK := code != ExitUsage
		if (cfgErr == nil) != cliOK || (mapErr == nil) != cliOK {
			t.Errorf("slug %q: TALKIO_ORGANIZATION error %v, TALKIO_ORGANIZATION_MAP error %v, --org exit %d", slug, cfgErr, mapErr, code)
		}
	}
}
