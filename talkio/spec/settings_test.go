package spec

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestParseSettings(t *testing.T) {
	s, err := ParseSettings(`{"uiLanguage":"pt-BR","readAloudSpeed":1.5,"hideIntroFlow":false,"defaultTutor":"Emma"}`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Settings{UILanguage: ptr("pt-BR"), ReadAloudSpeed: ptr(1.5), HideIntroFlow: ptr(false), DefaultTutor: ptr("Emma")}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %s, want %s", s, want)
	}
	if s, err := ParseSettings(" {} "); s != nil || err != nil {
		t.Errorf("empty object: %v, %v; want nil, nil", s, err)
	}
	// Every problem is reported, each naming its field.
	_, err = ParseSettings(`{"uiLanguage":"english","readAloudSpeed":-1,"theme":"dark","showLiveFeedback":null}`)
	for _, want := range []string{`field "uiLanguage" must be a BCP 47`, `field "readAloudSpeed" must be a positive number`,
		`unknown field "theme"; known fields: practiceLanguage,`, `field "showLiveFeedback" is null`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// TestSettingFieldSet is the command line's form of the same rule ParseSettings applies.
func TestSettingFieldSet(t *testing.T) {
	tests := []struct {
		name, text string
		want       any
		wantErr    string
	}{
		{"readAloudSpeed", "1.5", 1.5, ""},
		{"readAloudSpeed", "0", nil, "positive number"},
		{"readAloudSpeed", "NaN", nil, "positive number"},
		{"readAloudSpeed", "fast", nil, "positive number"},
		{"showLiveFeedback", "true", true, ""},
		{"showLiveFeedback", "maybe", nil, "true or false"},
		{"uiLanguage", "fr-FR", "fr-FR", ""},
		{"uiLanguage", "en_US", nil, "BCP 47"},
		{"defaultTutor", "Max", "Max", ""},
		{"defaultTutor", " ", nil, "must not be empty"},
	}
	for _, tt := range tests {
		f, ok := LookupSetting(tt.name)
		if !ok {
			t.Fatalf("no field %q", tt.name)
		}
		var s Settings
		err := f.Set(&s, tt.text)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s=%q: error %v, want %q", tt.name, tt.text, err, tt.wantErr)
			}
			continue
		}
		if err != nil || f.Value(&s) != tt.want {
			t.Errorf("%s=%q: %v, %v; want %v", tt.name, tt.text, f.Value(&s), err, tt.want)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s=%q: Validate: %v", tt.name, tt.text, err)
		}
	}
	if _, ok := LookupSetting("theme"); ok {
		t.Error("LookupSetting found an undocumented field")
	}
	if n := len(SettingFields); n != 10 {
		t.Errorf("%d fields, want the ten documented", n)
	}
}

func TestValidate(t *testing.T) {
	s := Settings{UserLanguage: ptr("und"), ReadAloudSpeed: ptr(0.0), PracticeLanguageProficiency: ptr("")}
	err := s.Validate()
	for _, want := range []string{`"userLanguage"`, `"readAloudSpeed"`, `"practiceLanguageProficiency"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, lacks %s", err, want)
		}
	}
	if err := (&Settings{}).Validate(); err != nil {
		t.Errorf("empty settings: %v", err)
	}
}

// TestSettingsJSON: what the API answers keeps its undocumented fields in Extra; Documented (what an
// update sends) drops them.
func TestSettingsJSON(t *testing.T) {
	var s Settings
	if err := json.Unmarshal([]byte(`{"uiLanguage":"en-US","readAloudSpeed":3,"hideIntroFlow":false,"theme":"dark"}`), &s); err != nil {
		t.Fatal(err)
	}
	want := Settings{UILanguage: ptr("en-US"), ReadAloudSpeed: ptr(3.0), HideIntroFlow: ptr(false),
		Extra: map[string]json.RawMessage{"theme": json.RawMessage(`"dark"`)}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v, want %+v", s, want)
	}
	b, _ := json.Marshal(s)
	var back Settings
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, s) {
		t.Errorf("round trip %s: %+v, %v", b, back, err)
	}
	if b, _ := json.Marshal(s.Documented()); string(b) != `{"uiLanguage":"en-US","readAloudSpeed":3,"hideIntroFlow":false}` {
		t.Errorf("Documented = %s", b)
	}
	if err := json.Unmarshal([]byte(`{"readAloudSpeed":"fast"}`), &back); err == nil || !strings.Contains(err.Error(), "readAloudSpeed") {
		t.Errorf("wrongly typed readAloudSpeed: %v", err)
	}
}
