package talkiotest_test

import (
	"strings"
	"testing"
	"time"

	"talkio-gateway/talkio/talkiotest"
)

func TestStatsValidation(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	tests := []struct {
		name, rest string
		want       int
		wantMsg    string
	}{
		{"daily ok", "/users/u1/usage/stats?date=2026-03-01", 200, ""},
		{"daily with timezone", "/users/u1/usage/stats?date=2026-03-01&timezone=America/New_York", 200, ""},
		{"daily UTC", "/users/u1/usage/stats?date=2026-03-01&timezone=UTC", 200, ""},
		{"daily leap day", "/users/u1/usage/stats?date=2024-02-29", 200, ""},
		{"daily missing date", "/users/u1/usage/stats", 400, "date is required"},
		{"daily empty date", "/users/u1/usage/stats?date=", 400, "date must be"},
		{"daily not a day", "/users/u1/usage/stats?date=2026-02-30", 400, "date must be"},
		{"daily not leap", "/users/u1/usage/stats?date=2025-02-29", 400, "date must be"},
		{"daily short form", "/users/u1/usage/stats?date=2026-3-1", 400, "date must be"},
		{"daily datetime", "/users/u1/usage/stats?date=2026-03-01T00:00:00Z", 400, "date must be"},
		{"daily slashes", "/users/u1/usage/stats?date=2026/03/01", 400, "date must be"},
		{"daily bad timezone", "/users/u1/usage/stats?date=2026-03-01&timezone=Mars/Olympus", 400, "timezone"},
		{"daily empty timezone", "/users/u1/usage/stats?date=2026-03-01&timezone=", 400, "timezone"},
		{"daily Local timezone", "/users/u1/usage/stats?date=2026-03-01&timezone=Local", 400, "timezone"},
		{"daily both bad", "/users/u1/usage/stats?date=x&timezone=y", 400, "date must be a date in YYYY-MM-DD format; timezone"},
		{"daily unknown user", "/users/nobody/usage/stats?date=2026-03-01", 404, ""},
		{"monthly ok", "/users/u1/usage/monthly-stats?month=2026-02", 200, ""},
		{"monthly all params", "/users/u1/usage/monthly-stats?month=2026-02&language=en-US&timezone=Europe/Paris", 200, ""},
		{"monthly missing month", "/users/u1/usage/monthly-stats", 400, "month is required"},
		{"monthly month 13", "/users/u1/usage/monthly-stats?month=2026-13", 400, "month must be"},
		{"monthly month 00", "/users/u1/usage/monthly-stats?month=2026-00", 400, "month must be"},
		{"monthly short", "/users/u1/usage/monthly-stats?month=2026-2", 400, "month must be"},
		{"monthly a date", "/users/u1/usage/monthly-stats?month=2026-02-01", 400, "month must be"},
		{"monthly bad language", "/users/u1/usage/monthly-stats?month=2026-02&language=english%20please", 400, "language"},
		{"monthly bad timezone", "/users/u1/usage/monthly-stats?month=2026-02&timezone=Nowhere", 400, "timezone"},
		{"monthly unknown user", "/users/nobody/usage/monthly-stats?month=2026-02", 404, ""},
		{"weekly ok", "/users/u1/weekly-assessment/2026-03-04", 200, ""},
		{"weekly with language", "/users/u1/weekly-assessment/2026-03-04?practiceLanguage=es-ES", 200, ""},
		{"weekly not a day", "/users/u1/weekly-assessment/2026-02-30", 400, "target-week"},
		{"weekly garbage", "/users/u1/weekly-assessment/last-week", 400, "target-week"},
		{"weekly bad language", "/users/u1/weekly-assessment/2026-03-04?practiceLanguage=1", 400, "practiceLanguage"},
		{"weekly unknown user", "/users/nobody/weekly-assessment/2026-03-04", 404, ""},
		{"legacy ok", "/users/u1/2026-02", 200, ""},
		{"legacy month 13", "/users/u1/2026-13", 400, "target-month"},
		{"legacy unknown user", "/users/nobody/2026-02", 404, ""},
		{"legacy not a month is no route", "/users/u1/2026-2", 404, ""},
		{"duration ok", "/users/u1/usage/duration?month=2026-02", 200, ""},
		{"duration missing month", "/users/u1/usage/duration", 400, "month is required"},
		{"duration bad month", "/users/u1/usage/duration?month=Feb", 400, "month must be"},
		{"duration unknown user", "/users/nobody/usage/duration?month=2026-02", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api(t, s, "GET", orgA, tt.rest, "")
			mustStatus(t, r, tt.want)
			if tt.want == 400 {
				if msg := r.message(t); !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message %q, want %q in it", msg, tt.wantMsg)
				}
			}
		})
	}
}

// convStatsOf checks the documented shape and returns the object.
func convStatsOf(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	c, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("no %s object in %v", key, m)
	}
	u, ok := c["user"].(map[string]any)
	if !ok {
		t.Fatalf("no %s.user object", key)
	}
	if _, ok := u["wordsPerMinute"].(float64); !ok {
		t.Fatalf("%s.user.wordsPerMinute missing", key)
	}
	for _, k := range []string{"count", "durationSeconds", "messages"} {
		if _, ok := c[k].(float64); !ok {
			t.Errorf("%s.%s missing", key, k)
		}
	}
	return c
}

func TestDailyStats(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	mustAddUser(t, s, orgA, talkiotest.User{ID: "u2"})
	active := 0
	for d := t0.AddDate(0, 0, -30); d.Before(t0); d = d.AddDate(0, 0, 1) {
		q := "/usage/stats?date=" + d.Format(time.DateOnly)
		a := api(t, s, "GET", orgA, "/users/u1"+q, "")
		mustStatus(t, a, 200)
		again := api(t, s, "GET", orgA, "/users/u1"+q, "")
		if string(a.Body) != string(again.Body) {
			t.Fatal("stats are not deterministic")
		}
		m := a.obj(t)
		if m["date"] != d.Format(time.DateOnly) || m["userId"] != "u1" || m["timezone"] != "UTC" {
			t.Errorf("header fields %v", m)
		}
		c := convStatsOf(t, m, "conversations")
		v := convStatsOf(t, m, "videoConversations")
		if total := c["durationSeconds"].(float64) + v["durationSeconds"].(float64); total != m["totalDurationSeconds"] {
			t.Errorf("total %v, parts sum to %v", m["totalDurationSeconds"], total)
		}
		if c["count"].(float64) > 0 {
			active++
			if wpm := c["user"].(map[string]any)["wordsPerMinute"].(float64); wpm < 30 || wpm > 200 {
				t.Errorf("implausible wordsPerMinute %v", wpm)
			}
		}
	}
	if active == 0 || active == 30 {
		t.Errorf("%d active days of 30: want a mix", active)
	}
	// a future day is empty
	f := api(t, s, "GET", orgA, "/users/u1/usage/stats?date=2026-03-05", "").obj(t)
	if f["totalDurationSeconds"] != 0.0 {
		t.Errorf("future day has activity: %v", f)
	}
	// "today" depends on the timezone: at 10:00 UTC it is already the 5th in Kiritimati (UTC+14)
	k := api(t, s, "GET", orgA, "/users/u1/usage/stats?date=2026-03-05&timezone=Pacific/Kiritimati", "").obj(t)
	if k["timezone"] != "Pacific/Kiritimati" {
		t.Errorf("timezone %v", k["timezone"])
	}
	// another user has other numbers
	a := api(t, s, "GET", orgA, "/users/u1/usage/monthly-stats?month=2026-02", "")
	b := api(t, s, "GET", orgA, "/users/u2/usage/monthly-stats?month=2026-02", "")
	if strings.ReplaceAll(string(a.Body), `"u1"`, `"u2"`) == string(b.Body) {
		t.Error("two users have identical stats")
	}
}

func TestMonthlyStats(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	m := api(t, s, "GET", orgA, "/users/u1/usage/monthly-stats?month=2026-02", "").obj(t)
	c := convStatsOf(t, m, "conversations")
	convStatsOf(t, m, "videoConversations")
	days := m["days"].([]any)
	if m["activeDays"] != float64(len(days)) || len(days) == 0 {
		t.Fatalf("activeDays %v, %d days", m["activeDays"], len(days))
	}
	// the month is the sum of its days
	var sum float64
	for _, d := range days {
		day := d.(map[string]any)
		daily := api(t, s, "GET", orgA, "/users/u1/usage/stats?date="+day["date"].(string), "").obj(t)
		if daily["totalDurationSeconds"] != day["durationSeconds"] {
			t.Errorf("%v: daily %v, monthly %v", day["date"], daily["totalDurationSeconds"], day["durationSeconds"])
		}
		sum += daily["conversations"].(map[string]any)["count"].(float64)
	}
	if c["count"] != sum {
		t.Errorf("monthly count %v, days sum to %v", c["count"], sum)
	}
	if m["language"] != nil {
		t.Errorf("language %v without a filter", m["language"])
	}

	// the practice language (case-insensitive) gives the same numbers; another gives none
	same := api(t, s, "GET", orgA, "/users/u1/usage/monthly-stats?month=2026-02&language=EN-us", "").obj(t)
	if same["totalDurationSeconds"] != m["totalDurationSeconds"] || same["language"] != "EN-us" {
		t.Errorf("practice language filter changed the stats: %v", same)
	}
	other := api(t, s, "GET", orgA, "/users/u1/usage/monthly-stats?month=2026-02&language=fr-FR", "").obj(t)
	if other["totalDurationSeconds"] != 0.0 || other["activeDays"] != 0.0 {
		t.Errorf("other language has activity: %v", other)
	}
	// the current month stops at today, a future month is empty
	cur := api(t, s, "GET", orgA, "/users/u1/usage/monthly-stats?month=2026-03", "").obj(t)
	for _, d := range cur["days"].([]any) {
		if date := d.(map[string]any)["date"].(string); date > "2026-03-04" {
			t.Errorf("activity on future day %s", date)
		}
	}
	fut := api(t, s, "GET", orgA, "/users/u1/usage/monthly-stats?month=2026-04", "")
	if !strings.Contains(string(fut.Body), `"days":[]`) {
		t.Errorf("future month %s", fut.Body)
	}
}

func TestWeeklyAssessment(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	tests := []struct {
		day, wantStart, wantEnd string
	}{
		{"2026-03-02", "2026-03-02", "2026-03-08"}, // Monday
		{"2026-03-04", "2026-03-02", "2026-03-08"}, // Wednesday
		{"2026-03-08", "2026-03-02", "2026-03-08"}, // Sunday
		{"2026-01-01", "2025-12-29", "2026-01-04"}, // across a year
	}
	for _, tt := range tests {
		t.Run(tt.day, func(t *testing.T) {
			m := api(t, s, "GET", orgA, "/users/u1/weekly-assessment/"+tt.day, "").obj(t)
			if m["weekStart"] != tt.wantStart || m["weekEnd"] != tt.wantEnd {
				t.Errorf("week %v..%v, want %s..%s", m["weekStart"], m["weekEnd"], tt.wantStart, tt.wantEnd)
			}
			if m["practiceLanguage"] != "en-US" {
				t.Errorf("practiceLanguage %v, want the user's setting", m["practiceLanguage"])
			}
			skills := m["skills"].(map[string]any)
			for _, k := range []string{"grammar", "vocabulary", "pronunciation", "fluency", "comprehension"} {
				sk, ok := skills[k].(map[string]any)
				if !ok {
					t.Fatalf("no skill %s", k)
				}
				if sc := sk["score"].(float64); sc < 0 || sc > 100 {
					t.Errorf("%s score %v", k, sc)
				}
			}
			if m["cefrLevel"] == "" || m["overallScore"] == nil {
				t.Errorf("no overall result: %v", m)
			}
		})
	}
	a := api(t, s, "GET", orgA, "/users/u1/weekly-assessment/2026-03-02", "")
	b := api(t, s, "GET", orgA, "/users/u1/weekly-assessment/2026-03-06", "")
	if string(a.Body) != string(b.Body) {
		t.Error("two days of one week give different assessments")
	}
	es := api(t, s, "GET", orgA, "/users/u1/weekly-assessment/2026-03-02?practiceLanguage=es-ES", "").obj(t)
	if es["practiceLanguage"] != "es-ES" {
		t.Errorf("practiceLanguage %v", es["practiceLanguage"])
	}
}

func TestLegacyUsage(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	monthly := api(t, s, "GET", orgA, "/users/u1/usage/monthly-stats?month=2026-02", "").obj(t)
	usage := api(t, s, "GET", orgA, "/users/u1/2026-02", "").obj(t)
	if usage["totalDurationSeconds"] != monthly["totalDurationSeconds"] || usage["activeDays"] != monthly["activeDays"] || usage["month"] != "2026-02" {
		t.Errorf("legacy usage %v disagrees with monthly stats", usage)
	}
	d := api(t, s, "GET", orgA, "/users/u1/usage/duration?month=2026-02", "").obj(t)
	f := d["features"].(map[string]any)
	var sum float64
	for _, v := range f {
		sum += v.(float64)
	}
	if sum != d["totalDurationSeconds"] || f["conversations"] != monthly["conversations"].(map[string]any)["durationSeconds"] {
		t.Errorf("duration %v", d)
	}
	empty := api(t, s, "GET", orgA, "/users/u1/usage/duration?month=2030-01", "").obj(t)
	if empty["totalDurationSeconds"] != 0.0 {
		t.Errorf("future month has duration: %v", empty)
	}
}
