package talkio

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
)

const allSettings = `{"userLanguage":"en-US","practiceLanguage":"en-GB","uiLanguage":"en-US","practiceLanguageProficiency":"elementary",
	"readAloudSpeed":3,"showChatTranslations":true,"showChatRomanization":true,"showLiveFeedback":true,"defaultTutor":"Emma","hideIntroFlow":false}`

var allSettingsValue = Settings{PracticeLanguage: Ptr("en-GB"), UserLanguage: Ptr("en-US"), UILanguage: Ptr("en-US"),
	PracticeLanguageProficiency: Ptr("elementary"), ReadAloudSpeed: Ptr(3.0), DefaultTutor: Ptr("Emma"),
	ShowChatTranslations: Ptr(true), ShowChatRomanization: Ptr(true), ShowLiveFeedback: Ptr(true), HideIntroFlow: Ptr(false)}

func TestGetSettings(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/settings", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, nil)
		testNoBody(t, r)
		writeJSON(w, http.StatusOK, allSettings[:len(allSettings)-1]+`,"theme":"dark"}`)
	})
	s, err := c.GetSettings(context.Background(), "u1")
	if err != nil {
		t.Fatalf("GetSettings: %v", err)
	}
	want := allSettingsValue
	want.Extra = map[string]json.RawMessage{"theme": json.RawMessage(`"dark"`)}
	mustEqual(t, "settings", *s, want)
}

func TestUpdateSettings(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("PUT /users/{id}/settings", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, nil)
		// Only the fields set are sent; Extra never is.
		testJSONBody(t, r, `{"uiLanguage":"fr-FR","hideIntroFlow":false,"readAloudSpeed":1.5}`)
		writeJSON(w, http.StatusOK, `{"uiLanguage":"fr-FR","hideIntroFlow":false,"readAloudSpeed":1.5,"userLanguage":"en-US"}`)
	})
	s, err := c.UpdateSettings(context.Background(), "u1", &Settings{UILanguage: Ptr("fr-FR"), HideIntroFlow: Ptr(false),
		ReadAloudSpeed: Ptr(1.5), Extra: map[string]json.RawMessage{"theme": json.RawMessage(`"dark"`)}})
	if err != nil {
		t.Fatalf("UpdateSettings: %v", err)
	}
	mustEqual(t, "settings", *s, Settings{UILanguage: Ptr("fr-FR"), HideIntroFlow: Ptr(false), ReadAloudSpeed: Ptr(1.5), UserLanguage: Ptr("en-US")})
}

func TestUpdateSettings_all(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("PUT /users/{id}/settings", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, allSettings)
		writeJSON(w, http.StatusOK, allSettings)
	})
	s := allSettingsValue
	got, err := c.UpdateSettings(context.Background(), "u1", &s)
	if err != nil {
		t.Fatalf("UpdateSettings: %v", err)
	}
	mustEqual(t, "settings", *got, allSettingsValue)
}

func TestSettingsJSON(t *testing.T) {
	s := allSettingsValue
	s.Extra = map[string]json.RawMessage{"theme": json.RawMessage(`"dark"`)}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Settings
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "round trip", back, s)
	if b, _ := json.Marshal(Settings{}); string(b) != `{}` {
		t.Errorf("empty settings: got %s, want {}", b)
	}
	if err := json.Unmarshal([]byte(`{"readAloudSpeed":"fast"}`), &back); err == nil {
		t.Errorf("wrongly typed readAloudSpeed: got no error")
	}
}
