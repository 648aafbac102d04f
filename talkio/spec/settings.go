package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// Settings are a user's app settings: the ten fields of the Partner API docs. A nil field was not sent
// (on read), is left unchanged (on update) or is not configured (TALKIO_DEFAULT_SETTINGS).
type Settings struct {
	PracticeLanguage            *string  `json:"practiceLanguage,omitempty"` // e.g. "en-GB"
	UserLanguage                *string  `json:"userLanguage,omitempty"`     // e.g. "en-US"
	UILanguage                  *string  `json:"uiLanguage,omitempty"`
	PracticeLanguageProficiency *string  `json:"practiceLanguageProficiency,omitempty"` // e.g. "elementary"
	ReadAloudSpeed              *float64 `json:"readAloudSpeed,omitempty"`
	DefaultTutor                *string  `json:"defaultTutor,omitempty"` // e.g. "Emma"
	ShowChatTranslations        *bool    `json:"showChatTranslations,omitempty"`
	ShowChatRomanization        *bool    `json:"showChatRomanization,omitempty"`
	ShowLiveFeedback            *bool    `json:"showLiveFeedback,omitempty"`
	HideIntroFlow               *bool    `json:"hideIntroFlow,omitempty"`

	// Extra holds the fields the docs do not list, as received from the API. It is never sent to the
	// API (Documented drops it) and never configured (ParseSettings refuses unknown fields).
	Extra map[string]json.RawMessage `json:"-"`
}

// documented is Settings without Extra or methods: the wire form of the ten fields.
type documented struct {
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

func (s *Settings) wire() *documented {
	return &documented{s.PracticeLanguage, s.UserLanguage, s.UILanguage, s.PracticeLanguageProficiency,
		s.ReadAloudSpeed, s.DefaultTutor, s.ShowChatTranslations, s.ShowChatRomanization, s.ShowLiveFeedback,
		s.HideIntroFlow}
}

// Documented returns a copy of s without Extra: what an update sends.
func (s Settings) Documented() Settings {
	s.Extra = nil
	return s
}

// SettingKind is the JSON type and check of a settings field.
type SettingKind int

// The kinds of settings fields.
const (
	KindLanguage SettingKind = iota // a BCP 47 language tag
	KindString                      // a non-empty string
	KindNumber                      // a positive, finite number
	KindBool
)

func (k SettingKind) String() string {
	switch k {
	case KindNumber:
		return "number"
	case KindBool:
		return "boolean"
	case KindLanguage:
		return "language tag"
	}
	return "string"
}

// SettingField is one documented field: its JSON name, its kind, and where it lives in a Settings.
type SettingField struct {
	Name string
	Kind SettingKind
	// Ptr returns the address of the field in s: a **string, **float64 or **bool.
	Ptr func(s *Settings) any
}

// Value returns the field's value in s (string, float64 or bool), or nil when it is not set.
func (f SettingField) Value(s *Settings) any {
	switch p := f.Ptr(s).(type) {
	case **string:
		if *p != nil {
			return **p
		}
	case **float64:
		if *p != nil {
			return **p
		}
	case **bool:
		if *p != nil {
			return **p
		}
	}
	return nil
}

// Set parses text as the field's value (the command line's form: en-US, 1.5, true) and sets it in s.
func (f SettingField) Set(s *Settings, text string) error {
	switch f.Kind {
	case KindNumber:
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return errors.New("must be a positive number, like 1.5")
		}
		return f.set(s, v)
	case KindBool:
		v, err := strconv.ParseBool(text)
		if err != nil {
			return errors.New("must be true or false")
		}
		return f.set(s, v)
	}
	return f.set(s, text)
}

// set checks a typed value and stores it.
func (f SettingField) set(s *Settings, v any) error {
	if err := f.check(v); err != nil {
		return err
	}
	switch p := f.Ptr(s).(type) {
	case **string:
		x := v.(string)
		*p = &x
	case **float64:
		x := v.(float64)
		*p = &x
	case **bool:
		x := v.(bool)
		*p = &x
	}
	return nil
}

// check is the rule for one field's value.
func (f SettingField) check(v any) error {
	switch f.Kind {
	case KindLanguage:
		return checkLanguage(v.(string))
	case KindString:
		if strings.TrimSpace(v.(string)) == "" {
			return errors.New("must not be empty")
		}
	case KindNumber:
		if x := v.(float64); !(x > 0) || math.IsInf(x, 0) {
			return errors.New("must be a positive number, like 3")
		}
	}
	return nil
}

// SettingFields lists the ten documented fields in the docs' order.
var SettingFields = []SettingField{
	{"practiceLanguage", KindLanguage, func(s *Settings) any { return &s.PracticeLanguage }},
	{"userLanguage", KindLanguage, func(s *Settings) any { return &s.UserLanguage }},
	{"uiLanguage", KindLanguage, func(s *Settings) any { return &s.UILanguage }},
	{"practiceLanguageProficiency", KindString, func(s *Settings) any { return &s.PracticeLanguageProficiency }},
	{"readAloudSpeed", KindNumber, func(s *Settings) any { return &s.ReadAloudSpeed }},
	{"defaultTutor", KindString, func(s *Settings) any { return &s.DefaultTutor }},
	{"showChatTranslations", KindBool, func(s *Settings) any { return &s.ShowChatTranslations }},
	{"showChatRomanization", KindBool, func(s *Settings) any { return &s.ShowChatRomanization }},
	{"showLiveFeedback", KindBool, func(s *Settings) any { return &s.ShowLiveFeedback }},
	{"hideIntroFlow", KindBool, func(s *Settings) any { return &s.HideIntroFlow }},
}

// SettingNames returns the documented field names, in the docs' order.
func SettingNames() []string {
	names := make([]string, len(SettingFields))
	for i, f := range SettingFields {
		names[i] = f.Name
	}
	return names
}

// LookupSetting returns the documented field called name.
func LookupSetting(name string) (SettingField, bool) {
	for _, f := range SettingFields {
		if f.Name == name {
			return f, true
		}
	}
	return SettingField{}, false
}

// Validate checks every set field against its rule, naming each bad field.
func (s *Settings) Validate() error {
	var errs []error
	for _, f := range SettingFields {
		if v := f.Value(s); v != nil {
			if err := f.check(v); err != nil {
				errs = append(errs, fmt.Errorf("field %q %w", f.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// String renders the settings as compact JSON; "" for nil.
func (s *Settings) String() string {
	if s == nil {
		return ""
	}
	b, _ := json.Marshal(s) // cannot fail: pointers to strings, finite floats and bools, raw JSON
	return string(b)
}

// UnmarshalJSON decodes the documented fields and keeps the rest in Extra. Unknown fields never fail
// (the API may add some); a documented field of the wrong type does, naming the field. It checks types
// only: what the API answers is taken as it is (Validate is for what the gateway sends).
func (s *Settings) UnmarshalJSON(data []byte) error {
	*s = Settings{}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	for _, f := range SettingFields {
		raw, ok := m[f.Name]
		if !ok {
			continue
		}
		delete(m, f.Name)
		if err := json.Unmarshal(raw, f.Ptr(s)); err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
	}
	if len(m) > 0 {
		s.Extra = m
	}
	return nil
}

// MarshalJSON writes Extra and the documented fields that are set; a documented field wins over an
// Extra one of the same name.
func (s Settings) MarshalJSON() ([]byte, error) {
	if len(s.Extra) == 0 {
		return json.Marshal(s.wire())
	}
	m := make(map[string]any, len(s.Extra)+len(SettingFields))
	for k, v := range s.Extra {
		m[k] = v
	}
	for _, f := range SettingFields {
		if v := f.Value(&s); v != nil {
			m[f.Name] = v
		}
	}
	return json.Marshal(m)
}

// ParseSettings validates a JSON object of settings written by an operator (TALKIO_DEFAULT_SETTINGS),
// reporting each bad field: unknown fields (with a hint for a wrong case), repeats, nulls and bad
// values are refused. An empty object is nil.
func ParseSettings(text string) (*Settings, error) {
	const example = `{"uiLanguage":"en-US","showLiveFeedback":true}`
	members, err := objectMembers([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("must be a JSON object like %s (%v)", example, err)
	}
	s := &Settings{}
	var errs []error
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.name] {
			errs = append(errs, fmt.Errorf("field %q appears twice", m.name))
			continue
		}
		seen[m.name] = true
		f, ok := LookupSetting(m.name)
		if !ok {
			hint := "known fields: " + strings.Join(SettingNames(), ", ")
			for _, n := range SettingNames() {
				if strings.EqualFold(n, m.name) {
					hint = fmt.Sprintf("did you mean %q?", n)
				}
			}
			errs = append(errs, fmt.Errorf("unknown field %s; %s", quote(m.name), hint))
			continue
		}
		if string(m.value) == "null" {
			errs = append(errs, fmt.Errorf("field %q is null; leave it out instead", m.name))
			continue
		}
		if err := setJSON(f, s, m.value); err != nil {
			errs = append(errs, fmt.Errorf("field %q %w", m.name, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(members) == 0 {
		return nil, nil
	}
	return s, nil
}

// setJSON decodes one JSON value of the field's type, checks it and stores it.
func setJSON(f SettingField, s *Settings, raw json.RawMessage) error {
	var v any
	switch f.Kind {
	case KindLanguage, KindString:
		var x string
		if json.Unmarshal(raw, &x) != nil {
			return errors.New("must be a string")
		}
		v = x
	case KindNumber:
		var x float64
		if json.Unmarshal(raw, &x) != nil || math.IsInf(x, 0) {
			return errors.New("must be a number, like 3")
		}
		v = x
	case KindBool:
		var x bool
		if json.Unmarshal(raw, &x) != nil {
			return errors.New("must be true or false")
		}
		v = x
	}
	return f.set(s, v)
}

// checkLanguage accepts a well-formed BCP 47 tag with known subtags, like en-US.
func checkLanguage(v string) error {
	tag, err := language.Parse(v)
	if err != nil || strings.Contains(v, "_") || tag == language.Und {
		return fmt.Errorf("must be a BCP 47 language tag like en-US or pt-BR (got %s)", quote(v))
	}
	return nil
}

// quote shows an operator's value in a message, cut to a readable length.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return strconv.Quote(s)
}

type member struct {
	name  string
	value json.RawMessage
}

// objectMembers splits one JSON object into its members, in order and keeping repeats (which
// json.Unmarshal would silently merge).
func objectMembers(data []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		name, _ := tok.(string) // the decoder only yields strings as object keys
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		out = append(out, member{name, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: unexpected text after the object")
	}
	return out, nil
}
