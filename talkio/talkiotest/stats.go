package talkiotest

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// convStats is one day's (or a sum of days') activity in one kind of conversation.
type convStats struct {
	count, seconds                    int
	userMessages, userWords, speaking int
	assistantMessages, assistantWords int
}

func (s *convStats) add(o convStats) {
	s.count += o.count
	s.seconds += o.seconds
	s.userMessages += o.userMessages
	s.userWords += o.userWords
	s.speaking += o.speaking
	s.assistantMessages += o.assistantMessages
	s.assistantWords += o.assistantWords
}

type dayActivity struct{ conv, video convStats }

func (a dayActivity) seconds() int { return a.conv.seconds + a.video.seconds }

// activityOn is a user's deterministic activity on one day; about a third of the days are idle and
// days after today (in the caller's timezone) have none.
func activityOn(userID string, day, today string) dayActivity {
	var a dayActivity
	if day > today {
		return a
	}
	r := rng(userID, "day", day)
	if r.IntN(10) < 3 {
		return a
	}
	a.conv = genConversations(r, 1+r.IntN(4))
	if r.IntN(3) == 0 {
		a.video = genConversations(r, 1+r.IntN(2))
	}
	return a
}

func genConversations(r *rand.Rand, n int) convStats {
	s := convStats{count: n}
	for range n {
		secs := 180 + r.IntN(900)
		msgs := 4 + r.IntN(20)
		speaking := secs * (30 + r.IntN(20)) / 100
		s.seconds += secs
		s.userMessages += msgs / 2
		s.assistantMessages += msgs - msgs/2
		s.speaking += speaking
		s.userWords += speaking * (60 + r.IntN(70)) / 60
		s.assistantWords += (secs - speaking) * (130 + r.IntN(30)) / 60
	}
	return s
}

type wireUserSide struct {
	Messages        int     `json:"messages"`
	Words           int     `json:"words"`
	SpeakingSeconds int     `json:"speakingSeconds"`
	WordsPerMinute  float64 `json:"wordsPerMinute"`
}

type wireAssistantSide struct {
	Messages int `json:"messages"`
	Words    int `json:"words"`
}

type wireConvStats struct {
	Count           int               `json:"count"`
	DurationSeconds int               `json:"durationSeconds"`
	Messages        int               `json:"messages"`
	User            wireUserSide      `json:"user"`
	Assistant       wireAssistantSide `json:"assistant"`
}

func (s convStats) wire() wireConvStats {
	wpm := 0.0
	if s.speaking > 0 {
		wpm = math.Round(float64(s.userWords)*600/float64(s.speaking)) / 10
	}
	return wireConvStats{
		Count:           s.count,
		DurationSeconds: s.seconds,
		Messages:        s.userMessages + s.assistantMessages,
		User:            wireUserSide{Messages: s.userMessages, Words: s.userWords, SpeakingSeconds: s.speaking, WordsPerMinute: wpm},
		Assistant:       wireAssistantSide{Messages: s.assistantMessages, Words: s.assistantWords},
	}
}

type wireDailyStats struct {
	UserID               string        `json:"userId"`
	Date                 string        `json:"date"`
	Timezone             string        `json:"timezone"`
	TotalDurationSeconds int           `json:"totalDurationSeconds"`
	Conversations        wireConvStats `json:"conversations"`
	VideoConversations   wireConvStats `json:"videoConversations"`
}

// dailyStats handles "GET /users/{id}/usage/stats" for active and expired users.
func (h *Handler) dailyStats(rc *reqCtx) reply {
	u, bad := rc.anyUser()
	if bad != nil {
		return *bad
	}
	q := newQuery(rc.r)
	date := q.v.Get("date")
	if !q.v.Has("date") {
		q.fail("date is required (YYYY-MM-DD)")
	} else if _, ok := parseDate(date); !ok {
		q.fail("date must be a date in YYYY-MM-DD format")
	}
	loc := q.timezone()
	if bad := q.err(); bad != nil {
		return *bad
	}
	a := activityOn(u.ID, date, rc.now.In(loc).Format(time.DateOnly))
	return reply{status: http.StatusOK, body: wireDailyStats{
		UserID: u.ID, Date: date, Timezone: loc.String(), TotalDurationSeconds: a.seconds(),
		Conversations: a.conv.wire(), VideoConversations: a.video.wire(),
	}}
}

type wireDay struct {
	Date              string `json:"date"`
	DurationSeconds   int    `json:"durationSeconds"`
	ConversationCount int    `json:"conversationCount"`
}

type wireMonthlyStats struct {
	UserID               string        `json:"userId"`
	Month                string        `json:"month"`
	Timezone             string        `json:"timezone"`
	Language             *string       `json:"language"`
	ActiveDays           int           `json:"activeDays"`
	TotalDurationSeconds int           `json:"totalDurationSeconds"`
	Conversations        wireConvStats `json:"conversations"`
	VideoConversations   wireConvStats `json:"videoConversations"`
	Days                 []wireDay     `json:"days"`
}

// monthActivity sums the days of a month; the days list holds the active ones.
func monthActivity(userID string, month time.Time, today string) (sum dayActivity, days []wireDay) {
	days = []wireDay{}
	for d := month; d.Month() == month.Month(); d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		a := activityOn(userID, day, today)
		if a.seconds() == 0 {
			continue
		}
		sum.conv.add(a.conv)
		sum.video.add(a.video)
		days = append(days, wireDay{Date: day, DurationSeconds: a.seconds(), ConversationCount: a.conv.count + a.video.count})
	}
	return sum, days
}

// monthlyStats handles "GET /users/{id}/usage/monthly-stats" for active and expired users. With a
// language other than the user's practice language the month shows no activity.
func (h *Handler) monthlyStats(rc *reqCtx) reply {
	u, bad := rc.anyUser()
	if bad != nil {
		return *bad
	}
	q := newQuery(rc.r)
	month, ok := parseMonth(q.v.Get("month"))
	if !q.v.Has("month") {
		q.fail("month is required (YYYY-MM)")
	} else if !ok {
		q.fail("month must be a month in YYYY-MM format")
	}
	lang := q.language("language")
	loc := q.timezone()
	if bad := q.err(); bad != nil {
		return *bad
	}
	out := wireMonthlyStats{UserID: u.ID, Month: month.Format("2006-01"), Timezone: loc.String(), Days: []wireDay{}}
	var sum dayActivity
	if lang == "" || strings.EqualFold(lang, u.settings.PracticeLanguage) {
		sum, out.Days = monthActivity(u.ID, month, rc.now.In(loc).Format(time.DateOnly))
	}
	if lang != "" {
		out.Language = &lang
	}
	out.ActiveDays = len(out.Days)
	out.TotalDurationSeconds = sum.seconds()
	out.Conversations, out.VideoConversations = sum.conv.wire(), sum.video.wire()
	return reply{status: http.StatusOK, body: out}
}

type wireSkill struct {
	Score     int    `json:"score"`
	CEFRLevel string `json:"cefrLevel"`
	Feedback  string `json:"feedback"`
}

type wireAssessment struct {
	UserID            string               `json:"userId"`
	PracticeLanguage  string               `json:"practiceLanguage"`
	WeekStart         string               `json:"weekStart"`
	WeekEnd           string               `json:"weekEnd"`
	ConversationCount int                  `json:"conversationCount"`
	OverallScore      int                  `json:"overallScore"`
	CEFRLevel         string               `json:"cefrLevel"`
	Skills            map[string]wireSkill `json:"skills"`
}

var skillFeedback = map[string]string{
	"grammar":       "Verb tenses are mostly accurate; watch agreement in longer sentences.",
	"vocabulary":    "A good range of everyday words; try more precise adjectives.",
	"pronunciation": "Clear overall; work on word stress in longer words.",
	"fluency":       "Speaks in connected sentences with a few long pauses.",
	"comprehension": "Follows the conversation well and answers to the point.",
}

func cefr(score int) string {
	switch {
	case score < 50:
		return "A1"
	case score < 60:
		return "A2"
	case score < 70:
		return "B1"
	case score < 80:
		return "B2"
	case score < 90:
		return "C1"
	}
	return "C2"
}

// weeklyAssessment handles "GET /users/{id}/weekly-assessment/{target-week}" (Monday-to-Sunday weeks),
// for active and expired users.
func (h *Handler) weeklyAssessment(rc *reqCtx) reply {
	u, bad := rc.anyUser()
	if bad != nil {
		return *bad
	}
	q := newQuery(rc.r)
	day, ok := parseDate(rc.params["target-week"])
	if !ok {
		q.fail("target-week must be a date in YYYY-MM-DD format")
	}
	lang := q.language("practiceLanguage")
	if bad := q.err(); bad != nil {
		return *bad
	}
	if lang == "" {
		lang = u.settings.PracticeLanguage
	}
	start := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	today := rc.now.UTC().Format(time.DateOnly)
	out := wireAssessment{
		UserID: u.ID, PracticeLanguage: lang, Skills: map[string]wireSkill{},
		WeekStart: start.Format(time.DateOnly), WeekEnd: start.AddDate(0, 0, 6).Format(time.DateOnly),
	}
	for i := range 7 {
		out.ConversationCount += activityOn(u.ID, start.AddDate(0, 0, i).Format(time.DateOnly), today).conv.count
	}
	r := rng(u.ID, "assessment", out.WeekStart, strings.ToLower(lang))
	total := 0
	for _, name := range []string{"comprehension", "fluency", "grammar", "pronunciation", "vocabulary"} {
		score := 40 + r.IntN(56)
		total += score
		out.Skills[name] = wireSkill{Score: score, CEFRLevel: cefr(score), Feedback: skillFeedback[name]}
	}
	out.OverallScore = total / len(out.Skills)
	out.CEFRLevel = cefr(out.OverallScore)
	return reply{status: http.StatusOK, body: out}
}

type wireUsage struct {
	UserID                  string `json:"userId"`
	Month                   string `json:"month"`
	ActiveDays              int    `json:"activeDays"`
	TotalConversations      int    `json:"totalConversations"`
	TotalVideoConversations int    `json:"totalVideoConversations"`
	TotalMessages           int    `json:"totalMessages"`
	TotalDurationSeconds    int    `json:"totalDurationSeconds"`
}

// legacyUsage handles the deprecated "GET /users/{id}/{target-month}", for active and expired users.
func (h *Handler) legacyUsage(rc *reqCtx) reply {
	u, bad := rc.anyUser()
	if bad != nil {
		return *bad
	}
	month, ok := parseMonth(rc.params["target-month"])
	if !ok {
		return errorReply(http.StatusBadRequest, "target-month must be a month in YYYY-MM format")
	}
	sum, days := monthActivity(u.ID, month, rc.now.UTC().Format(time.DateOnly))
	return reply{status: http.StatusOK, body: wireUsage{
		UserID: u.ID, Month: month.Format("2006-01"), ActiveDays: len(days),
		TotalConversations: sum.conv.count, TotalVideoConversations: sum.video.count,
		TotalMessages:        sum.conv.userMessages + sum.conv.assistantMessages + sum.video.userMessages + sum.video.assistantMessages,
		TotalDurationSeconds: sum.seconds(),
	}}
}

type wireUsageDuration struct {
	UserID               string         `json:"userId"`
	Month                string         `json:"month"`
	TotalDurationSeconds int            `json:"totalDurationSeconds"`
	Features             map[string]int `json:"features"`
}

// usageDuration handles the deprecated "GET /users/{id}/usage/duration?month=", for active and expired
// users: seconds per feature, summing to the total.
func (h *Handler) usageDuration(rc *reqCtx) reply {
	u, bad := rc.anyUser()
	if bad != nil {
		return *bad
	}
	q := newQuery(rc.r)
	month, ok := parseMonth(q.v.Get("month"))
	if !q.v.Has("month") {
		q.fail("month is required (YYYY-MM)")
	} else if !ok {
		q.fail("month must be a month in YYYY-MM format")
	}
	if bad := q.err(); bad != nil {
		return *bad
	}
	sum, days := monthActivity(u.ID, month, rc.now.UTC().Format(time.DateOnly))
	r := rng(u.ID, "duration", month.Format("2006-01"))
	f := map[string]int{"conversations": sum.conv.seconds, "videoConversations": sum.video.seconds, "pronunciation": 0, "readAloud": 0}
	if len(days) > 0 {
		f["pronunciation"] = len(days) * (30 + r.IntN(240))
		f["readAloud"] = len(days) * r.IntN(180)
	}
	total := 0
	for _, s := range f {
		total += s
	}
	return reply{status: http.StatusOK, body: wireUsageDuration{UserID: u.ID, Month: month.Format("2006-01"), TotalDurationSeconds: total, Features: f}}
}
