package talkiotest_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"talkio-gateway/talkio/talkiotest"
)

func TestGetSettings(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	r := api(t, s, "GET", orgA, "/users/u1/settings", "")
	mustStatus(t, r, 200)
	want := `{"practiceLanguage":"en-US","userLanguage":"en-US","uiLanguage":"en-US","practiceLanguageProficiency":"beginner","readAloudSpeed":1,"defaultTutor":"Emma","showChatTranslations":false,"showChatRomanization":false,"showLiveFeedback":true,"hideIntroFlow":false}`
	if got := strings.TrimSpace(string(r.Body)); got != want {
		t.Errorf("settings\n got  %s\n want %s", got, want)
	}
	mustStatus(t, api(t, s, "GET", orgA, "/users/nobody/settings", ""), 404)
	mustStatus(t, api(t, s, "PUT", orgA, "/users/nobody/settings", `{}`), 404)
}

func TestUpdateSettings(t *testing.T) {
	docExample := `{"userLanguage":"en-US","practiceLanguage":"en-GB","uiLanguage":"en-US","practiceLanguageProficiency":"elementary","readAloudSpeed":3,"showChatTranslations":true,"showChatRomanization":true,"showLiveFeedback":true,"defaultTutor":"Emma","hideIntroFlow":false}`
	tests := []struct {
		name    string
		body    string
		want    int
		wantMsg string
		edit    func(s *talkiotest.Settings)
	}{
		{"documentation example", docExample, 200, "", func(s *talkiotest.Settings) {
			s.PracticeLanguage, s.PracticeLanguageProficiency, s.ReadAloudSpeed = "en-GB", "elementary", 3
			s.ShowChatTranslations, s.ShowChatRomanization = true, true
		}},
		{"empty object", `{}`, 200, "", func(s *talkiotest.Settings) {}},
		{"one field", `{"hideIntroFlow":true}`, 200, "", func(s *talkiotest.Settings) { s.HideIntroFlow = true }},
		{"languages", `{"practiceLanguage":"es","userLanguage":"zh-Hant-TW","uiLanguage":"de-DE"}`, 200, "", func(s *talkiotest.Settings) {
			s.PracticeLanguage, s.UserLanguage, s.UILanguage = "es", "zh-Hant-TW", "de-DE"
		}},
		{"fractional speed", `{"readAloudSpeed":0.75}`, 200, "", func(s *talkiotest.Settings) { s.ReadAloudSpeed = 0.75 }},
		{"tutor", `{"defaultTutor":"Liam"}`, 200, "", func(s *talkiotest.Settings) { s.DefaultTutor = "Liam" }},
		{"false bool", `{"showLiveFeedback":false}`, 200, "", func(s *talkiotest.Settings) { s.ShowLiveFeedback = false }},
		{"speed string", `{"readAloudSpeed":"3"}`, 400, "readAloudSpeed must be a number", nil},
		{"speed zero", `{"readAloudSpeed":0}`, 400, "readAloudSpeed must be greater than 0", nil},
		{"speed too high", `{"readAloudSpeed":11}`, 400, "readAloudSpeed", nil},
		{"speed null", `{"readAloudSpeed":null}`, 400, "readAloudSpeed must be a number", nil},
		{"bool as string", `{"showChatTranslations":"true"}`, 400, "showChatTranslations must be a boolean", nil},
		{"bool as number", `{"hideIntroFlow":1}`, 400, "hideIntroFlow must be a boolean", nil},
		{"bool null", `{"showLiveFeedback":null}`, 400, "showLiveFeedback must be a boolean", nil},
		{"language number", `{"practiceLanguage":1}`, 400, "practiceLanguage must be a string", nil},
		{"language null", `{"uiLanguage":null}`, 400, "uiLanguage must be a string", nil},
		{"language garbage", `{"userLanguage":"english please"}`, 400, "userLanguage must be a language tag", nil},
		{"language empty", `{"practiceLanguage":""}`, 400, "practiceLanguage must not be empty", nil},
		{"proficiency empty", `{"practiceLanguageProficiency":" "}`, 400, "practiceLanguageProficiency must not be empty", nil},
		{"tutor number", `{"defaultTutor":5}`, 400, "defaultTutor must be a string", nil},
		{"unknown field", `{"theme":"dark"}`, 400, "property theme should not exist", nil},
		{"several problems, one partial change refused", `{"hideIntroFlow":true,"readAloudSpeed":"x","theme":1}`, 400, "property theme should not exist; readAloudSpeed must be a number", nil},
		{"not an object", `["x"]`, 400, "JSON object", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			mustAddUser(t, s, orgA, userU1)
			r := api(t, s, "PUT", orgA, "/users/u1/settings", tt.body)
			mustStatus(t, r, tt.want)
			got, _ := s.UserSettings(orgA, "u1")
			want := talkiotest.DefaultSettings
			if tt.edit != nil {
				tt.edit(&want)
				var body map[string]any
				if err := json.Unmarshal(r.Body, &body); err != nil || len(body) != 10 {
					t.Errorf("response is not the full settings: %s", r.Body)
				}
				if again := api(t, s, "GET", orgA, "/users/u1/settings", ""); string(again.Body) != string(r.Body) {
					t.Errorf("GET after PUT\n %s\n differs from the PUT answer\n %s", again.Body, r.Body)
				}
			} else if msg := r.message(t); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q, want %q in it", msg, tt.wantMsg)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("stored\n got  %+v\n want %+v", got, want)
			}
		})
	}
}
