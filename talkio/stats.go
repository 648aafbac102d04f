package talkio

import (
	"context"
	"encoding/json"
	"net/url"
)

// Stats are a user's daily or monthly usage statistics. The docs define only wordsPerMinute under
// conversations.user and videoConversations.user; the rest of the payload is kept in the Extra maps
// and, whole, in Raw.
type Stats struct {
	Date               string            // "date", daily stats
	Month              string            // "month", monthly stats
	Conversations      ConversationStats // "conversations"
	VideoConversations ConversationStats // "videoConversations"
	Extra              map[string]json.RawMessage

	// Raw is the response body exactly as received; MarshalJSON writes it back.
	Raw json.RawMessage
}

// ConversationStats are the statistics of text or video conversations.
type ConversationStats struct {
	User  ConversationUserStats // "user"
	Extra map[string]json.RawMessage
}

// ConversationUserStats are the user's side of the conversations.
type ConversationUserStats struct {
	WordsPerMinute *float64 // "wordsPerMinute"; nil when absent or null
	Extra          map[string]json.RawMessage
}

// UnmarshalJSON decodes the documented fields, keeps the rest in Extra and the whole body in Raw.
func (s *Stats) UnmarshalJSON(data []byte) error {
	*s = Stats{Raw: cloneRaw(data)}
	extra, err := decodeFields(data, map[string]any{"date": &s.Date, "month": &s.Month,
		"conversations": &s.Conversations, "videoConversations": &s.VideoConversations})
	s.Extra = extra
	return err
}

// MarshalJSON writes Raw when set, else the decoded fields.
func (s Stats) MarshalJSON() ([]byte, error) {
	if len(s.Raw) > 0 {
		return s.Raw, nil
	}
	return encodeFields(s.Extra, map[string]any{"date": s.Date, "month": s.Month,
		"conversations": s.Conversations, "videoConversations": s.VideoConversations})
}

// UnmarshalJSON decodes "user" and keeps the rest in Extra.
func (cs *ConversationStats) UnmarshalJSON(data []byte) error {
	*cs = ConversationStats{}
	extra, err := decodeFields(data, map[string]any{"user": &cs.User})
	cs.Extra = extra
	return err
}

// MarshalJSON writes "user" and Extra.
func (cs ConversationStats) MarshalJSON() ([]byte, error) {
	return encodeFields(cs.Extra, map[string]any{"user": cs.User})
}

// UnmarshalJSON decodes "wordsPerMinute" and keeps the rest in Extra.
func (us *ConversationUserStats) UnmarshalJSON(data []byte) error {
	*us = ConversationUserStats{}
	extra, err := decodeFields(data, map[string]any{"wordsPerMinute": &us.WordsPerMinute})
	us.Extra = extra
	return err
}

// MarshalJSON writes "wordsPerMinute" and Extra.
func (us ConversationUserStats) MarshalJSON() ([]byte, error) {
	return encodeFields(us.Extra, map[string]any{"wordsPerMinute": us.WordsPerMinute})
}

// DailyStatsOptions are the query of GetDailyStats.
type DailyStatsOptions struct {
	Date     string `url:"date"`               // required, YYYY-MM-DD
	Timezone string `url:"timezone,omitempty"` // optional IANA name, e.g. "America/New_York"
}

// MonthlyStatsOptions are the query of GetMonthlyStats.
type MonthlyStatsOptions struct {
	Month    string `url:"month"`              // required, YYYY-MM
	Language string `url:"language,omitempty"` // optional: only this practice language
	Timezone string `url:"timezone,omitempty"` // optional IANA name
}

// WeeklyAssessmentOptions are the query of GetWeeklyAssessment.
type WeeklyAssessmentOptions struct {
	PracticeLanguage string `url:"practiceLanguage,omitempty"`
}

// GetDailyStats fetches one day's usage statistics of a user, active or expired.
func (c *Client) GetDailyStats(ctx context.Context, id string, opts *DailyStatsOptions) (*Stats, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	if opts == nil {
		return nil, &ValidationError{Field: "date", Problem: "is required"}
	}
	if err := checkDate("date", opts.Date); err != nil {
		return nil, err
	}
	if err := checkTimezone("timezone", opts.Timezone); err != nil {
		return nil, err
	}
	return get[Stats](c, ctx, "/users/{id}/usage/stats", []string{id}, addOptions(nil, opts))
}

// GetMonthlyStats fetches one month's usage statistics of a user, active or expired.
func (c *Client) GetMonthlyStats(ctx context.Context, id string, opts *MonthlyStatsOptions) (*Stats, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	if opts == nil {
		return nil, &ValidationError{Field: "month", Problem: "is required"}
	}
	if err := checkMonth("month", opts.Month); err != nil {
		return nil, err
	}
	if err := checkTimezone("timezone", opts.Timezone); err != nil {
		return nil, err
	}
	return get[Stats](c, ctx, "/users/{id}/usage/monthly-stats", []string{id}, addOptions(nil, opts))
}

// WeeklyAssessment is a weekly language assessment. The docs give no schema, so the body is kept whole.
type WeeklyAssessment struct {
	Raw json.RawMessage // the response body as received
}

func (a *WeeklyAssessment) UnmarshalJSON(data []byte) error { a.Raw = cloneRaw(data); return nil }
func (a WeeklyAssessment) MarshalJSON() ([]byte, error)     { return rawOrNull(a.Raw), nil }

// GetWeeklyAssessment fetches the assessment of the week containing targetWeek (YYYY-MM-DD). opts may
// be nil.
func (c *Client) GetWeeklyAssessment(ctx context.Context, id, targetWeek string, opts *WeeklyAssessmentOptions) (*WeeklyAssessment, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	if err := checkDate("targetWeek", targetWeek); err != nil {
		return nil, err
	}
	return get[WeeklyAssessment](c, ctx, "/users/{id}/weekly-assessment/{targetWeek}", []string{id, targetWeek}, addOptions(nil, opts))
}

// Usage is the legacy monthly usage totals payload, kept whole.
type Usage struct {
	Raw json.RawMessage // the response body as received
}

func (u *Usage) UnmarshalJSON(data []byte) error { u.Raw = cloneRaw(data); return nil }
func (u Usage) MarshalJSON() ([]byte, error)     { return rawOrNull(u.Raw), nil }

// UsageDuration is the legacy monthly usage-duration-by-feature payload, kept whole.
type UsageDuration struct {
	Raw json.RawMessage // the response body as received
}

func (u *UsageDuration) UnmarshalJSON(data []byte) error { u.Raw = cloneRaw(data); return nil }
func (u UsageDuration) MarshalJSON() ([]byte, error)     { return rawOrNull(u.Raw), nil }

// GetUsage fetches legacy monthly usage totals for targetMonth (YYYY-MM).
//
// Deprecated: the API keeps this endpoint for backwards compatibility only; use GetMonthlyStats.
func (c *Client) GetUsage(ctx context.Context, id, targetMonth string) (*Usage, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	// The API tells this path apart from /token, /settings… by the YYYY-MM shape, so it must hold.
	if err := checkMonth("targetMonth", targetMonth); err != nil {
		return nil, err
	}
	return get[Usage](c, ctx, "/users/{id}/{targetMonth}", []string{id, targetMonth}, nil)
}

// GetUsageDuration fetches legacy monthly usage-duration totals by feature for month (YYYY-MM).
//
// Deprecated: the API keeps this endpoint for backwards compatibility only; use GetMonthlyStats.
func (c *Client) GetUsageDuration(ctx context.Context, id, month string) (*UsageDuration, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	if err := checkMonth("month", month); err != nil {
		return nil, err
	}
	return get[UsageDuration](c, ctx, "/users/{id}/usage/duration", []string{id}, url.Values{"month": {month}})
}

func rawOrNull(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return []byte("null")
	}
	return raw
}
