package talkio

import (
	"context"
	"encoding/json"
	"net/http"
)

// Settings are a user's app settings, the ten documented fields. A nil field was not sent (on read)
// or is left unchanged (on update).
type Settings struct {
	PracticeLanguage            *string  // "practiceLanguage", e.g. "en-GB"
	UserLanguage                *string  // "userLanguage", e.g. "en-US"
	UILanguage                  *string  // "uiLanguage"
	PracticeLanguageProficiency *string  // "practiceLanguageProficiency", e.g. "elementary"
	ReadAloudSpeed              *float64 // "readAloudSpeed"
	DefaultTutor                *string  // "defaultTutor", e.g. "Emma"
	ShowChatTranslations        *bool    // "showChatTranslations"
	ShowChatRomanization        *bool    // "showChatRomanization"
	ShowLiveFeedback            *bool    // "showLiveFeedback"
	HideIntroFlow               *bool    // "hideIntroFlow"

	// Extra holds the fields the docs do not list, as received. UpdateSettings never sends it.
	Extra map[string]json.RawMessage
}

// settingsBody is what UpdateSettings sends: only documented fields, only those set.
type settingsBody struct {
	PracticeLanguage            *string  `json:"practiceLanguage,omitempty"`
	UserLanguage                *string  `json:"userLanguage,omitempty"`
	UILanguage                  *string  `json:"uiLanguage,omitempty"`
	PracticeLanguageProficiency *string  `json:"practiceLanguageProficiency,omitempty"`
	ReadAloudSpeed              *float64 `json:"readAloudSpeed,omitempty"`
	DefaultTutor                *string  `json:"defaultTutor,omitempty"`
	ShowChatTranslations        *bool    `json:"showChatTranslations,omitempty"`
	ShowChatRomanization        *bool    `json:"showChatRomanization,omitempty"`
	ShowLiveFeedback            *bool    `json:"showLiveFeedback,omitempty"`
	HideIntroFlow               *bool    `json:"hideIntroFlow,omitempty"`
}

func (s *Settings) body() settingsBody {
	return settingsBody{s.PracticeLanguage, s.UserLanguage, s.UILanguage, s.PracticeLanguageProficiency,
		s.ReadAloudSpeed, s.DefaultTutor, s.ShowChatTranslations, s.ShowChatRomanization, s.ShowLiveFeedback,
		s.HideIntroFlow}
}

// UnmarshalJSON decodes the documented fields and keeps the rest in Extra.
func (s *Settings) UnmarshalJSON(data []byte) error {
	*s = Settings{}
	extra, err := decodeFields(data, map[string]any{
		"practiceLanguage": &s.PracticeLanguage, "userLanguage": &s.UserLanguage, "uiLanguage": &s.UILanguage,
		"practiceLanguageProficiency": &s.PracticeLanguageProficiency, "readAloudSpeed": &s.ReadAloudSpeed,
		"defaultTutor": &s.DefaultTutor, "showChatTranslations": &s.ShowChatTranslations,
		"showChatRomanization": &s.ShowChatRomanization, "showLiveFeedback": &s.ShowLiveFeedback,
		"hideIntroFlow": &s.HideIntroFlow,
	})
	s.Extra = extra
	return err
}

// MarshalJSON writes the fields that are set and Extra.
func (s Settings) MarshalJSON() ([]byte, error) {
	b := s.body()
	return encodeFields(s.Extra, map[string]any{
		"practiceLanguage": b.PracticeLanguage, "userLanguage": b.UserLanguage, "uiLanguage": b.UILanguage,
		"practiceLanguageProficiency": b.PracticeLanguageProficiency, "readAloudSpeed": b.ReadAloudSpeed,
		"defaultTutor": b.DefaultTutor, "showChatTranslations": b.ShowChatTranslations,
		"showChatRomanization": b.ShowChatRomanization, "showLiveFeedback": b.ShowLiveFeedback,
		"hideIntroFlow": b.HideIntroFlow,
	})
}

// GetSettings fetches a user's settings.
func (c *Client) GetSettings(ctx context.Context, id string) (*Settings, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	return get[Settings](c, ctx, "/users/{id}/settings", []string{id}, nil)
}

// UpdateSettings changes a user's settings: only the non-nil documented fields of s are sent (Extra
// is not), and the settings the API answers with are returned.
func (c *Client) UpdateSettings(ctx context.Context, id string, s *Settings) (*Settings, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, &ValidationError{Field: "settings", Problem: "is required"}
	}
	return send[Settings](c, ctx, http.MethodPut, "/users/{id}/settings", []string{id}, nil, s.body())
}
