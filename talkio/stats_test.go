package talkio

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

const dailyStats = `{"date":"2025-03-05","conversations":{"count":3,"durationSeconds":600,"user":{"wordsPerMinute":42.5,"words":900}},
	"videoConversations":{"count":1,"user":{"wordsPerMinute":null}},"streak":4}`

func TestGetDailyStats(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/usage/stats", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"date": {"2025-03-05"}, "timezone": {"America/New_York"}})
		testNoBody(t, r)
		writeJSON(w, http.StatusOK, dailyStats)
	})
	s, err := c.GetDailyStats(context.Background(), "u1", &DailyStatsOptions{Date: "2025-03-05", Timezone: "America/New_York"})
	if err != nil {
		t.Fatalf("GetDailyStats: %v", err)
	}
	if s.Date != "2025-03-05" || s.Conversations.User.WordsPerMinute == nil || *s.Conversations.User.WordsPerMinute != 42.5 {
		t.Errorf("stats: got %+v", s)
	}
	if s.VideoConversations.User.WordsPerMinute != nil {
		t.Errorf("video wordsPerMinute: got %v, want nil", *s.VideoConversations.User.WordsPerMinute)
	}
	mustEqual(t, "conversations extra", s.Conversations.Extra, map[string]json.RawMessage{"count": json.RawMessage(`3`), "durationSeconds": json.RawMessage(`600`)})
	mustEqual(t, "user extra", s.Conversations.User.Extra, map[string]json.RawMessage{"words": json.RawMessage(`900`)})
	mustEqual(t, "extra", s.Extra, map[string]json.RawMessage{"streak": json.RawMessage(`4`)})
	if string(s.Raw) != dailyStats {
		t.Errorf("Raw: got %s, want the body", s.Raw)
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, []byte(dailyStats)) // json.Marshal compacts a Marshaler's output
	if b, _ := json.Marshal(s); string(b) != compact.String() {
		t.Errorf("MarshalJSON: got %s, want Raw", b)
	}
	// Without Raw, the decoded fields are written.
	s.Raw = nil
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Stats
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	back.Raw = nil
	mustEqual(t, "round trip", back, *s)
}

func TestGetDailyStats_noTimezone(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/usage/stats", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"date": {"2024-02-29"}})
		writeJSON(w, http.StatusOK, `{}`)
	})
	if _, err := c.GetDailyStats(context.Background(), "u1", &DailyStatsOptions{Date: "2024-02-29"}); err != nil {
		t.Fatalf("GetDailyStats: %v", err)
	}
}

func TestGetMonthlyStats(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/usage/monthly-stats", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"month": {"2025-03"}, "language": {"en-US"}, "timezone": {"Europe/Paris"}})
		writeJSON(w, http.StatusOK, `{"month":"2025-03","conversations":{"user":{"wordsPerMinute":12}},"videoConversations":{"user":{"wordsPerMinute":7}}}`)
	})
	s, err := c.GetMonthlyStats(context.Background(), "u1", &MonthlyStatsOptions{Month: "2025-03", Language: "en-US", Timezone: "Europe/Paris"})
	if err != nil {
		t.Fatalf("GetMonthlyStats: %v", err)
	}
	if s.Month != "2025-03" || *s.Conversations.User.WordsPerMinute != 12 || *s.VideoConversations.User.WordsPerMinute != 7 {
		t.Errorf("stats: got %+v", s)
	}
}

func TestGetWeeklyAssessment(t *testing.T) {
	const body = `{"week":"2025-03-03","scores":{"fluency":3}}`
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/weekly-assessment/{week}", func(w http.ResponseWriter, r *http.Request) {
		if got := r.PathValue("week"); got != "2025-03-05" {
			t.Errorf("week: got %q", got)
		}
		testQuery(t, r, url.Values{"practiceLanguage": {"es-ES"}})
		writeJSON(w, http.StatusOK, body)
	})
	a, err := c.GetWeeklyAssessment(context.Background(), "u1", "2025-03-05", &WeeklyAssessmentOptions{PracticeLanguage: "es-ES"})
	if err != nil {
		t.Fatalf("GetWeeklyAssessment: %v", err)
	}
	if string(a.Raw) != body {
		t.Errorf("Raw: got %s", a.Raw)
	}
	if b, _ := json.Marshal(a); string(b) != body {
		t.Errorf("MarshalJSON: got %s", b)
	}
	if b, _ := json.Marshal(WeeklyAssessment{}); string(b) != "null" {
		t.Errorf("empty MarshalJSON: got %s", b)
	}
}

func TestGetWeeklyAssessment_noOptions(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/weekly-assessment/{week}", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, nil)
		writeJSON(w, http.StatusOK, `{}`)
	})
	if _, err := c.GetWeeklyAssessment(context.Background(), "u1", "2025-03-05", nil); err != nil {
		t.Fatalf("GetWeeklyAssessment: %v", err)
	}
}

func TestGetUsage(t *testing.T) {
	const body = `{"minutes":120,"conversations":9}`
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/{month}", func(w http.ResponseWriter, r *http.Request) {
		if got := r.PathValue("month"); got != "2025-03" {
			t.Errorf("month: got %q", got)
		}
		testQuery(t, r, nil)
		writeJSON(w, http.StatusOK, body)
	})
	u, err := c.GetUsage(context.Background(), "u1", "2025-03")
	if err != nil {
		t.Fatalf("GetUsage: %v", err)
	}
	if string(u.Raw) != body {
		t.Errorf("Raw: got %s", u.Raw)
	}
	if b, _ := json.Marshal(u); string(b) != body {
		t.Errorf("MarshalJSON: got %s", b)
	}
}

func TestGetUsageDuration(t *testing.T) {
	const body = `{"chat":100,"video":20}`
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/usage/duration", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"month": {"2025-03"}})
		writeJSON(w, http.StatusOK, body)
	})
	u, err := c.GetUsageDuration(context.Background(), "u1", "2025-03")
	if err != nil {
		t.Fatalf("GetUsageDuration: %v", err)
	}
	if string(u.Raw) != body {
		t.Errorf("Raw: got %s", u.Raw)
	}
	if b, _ := json.Marshal(u); string(b) != body {
		t.Errorf("MarshalJSON: got %s", b)
	}
}
