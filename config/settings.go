package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"golang.org/x/text/language"
)

// Settings are the user settings TALKIO_DEFAULT_SETTINGS applies to new users. Field for field the ten
// settings of the Partner API docs; nil means "not set, leave Talkio's default".
type Settings struct {
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

// String renders the settings as compact JSON; "" for nil.
func (s *Settings) String() string {
	if s == nil {
		return ""
	}
	b, _ := json.Marshal(s) // cannot fail: pointers to strings, finite floats and bools
	return string(b)
}

// settingKind is the JSON type and check of one settings field.
type settingKind int

const (
	kindLanguage settingKind = iota // a BCP 47 language tag
	kindString                      // a non-empty string
	kindNumber                      // a positive number
	kindBool
)

// settingFields lists the documented fields in the docs' order. A function, not a package variable, so
// that Vars stays the package's only global.
func settingFields(s *Settings) []struct {
	name string
	kind settingKind
	ptr  any
} {
	return []struct {
		name string
		kind settingKind
		ptr  any
	}{
		{"practiceLanguage", kindLanguage, &s.PracticeLanguage},
		{"userLanguage", kindLanguage, &s.UserLanguage},
		{"uiLanguage", kindLanguage, &s.UILanguage},
		{"practiceLanguageProficiency", kindString, &s.PracticeLanguageProficiency},
		{"readAloudSpeed", kindNumber, &s.ReadAloudSpeed},
		{"defaultTutor", kindString, &s.DefaultTutor},
		{"showChatTranslations", kindBool, &s.ShowChatTranslations},
		{"showChatRomanization", kindBool, &s.ShowChatRomanization},
		{"showLiveFeedback", kindBool, &s.ShowLiveFeedback},
		{"hideIntroFlow", kindBool, &s.HideIntroFlow},
	}
}

// parseSettings validates a JSON object of settings, reporting each bad field; an empty object is nil.
func parseSettings(text string) (*Settings, error) {
	const example = `{"uiLanguage":"en-US","showLiveFeedback":true}`
	members, err := objectMembers([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("must be a JSON object like %s (%v)", example, err)
	}
	s := &Settings{}
	fields := settingFields(s)
	var names []string
	for _, f := range fields {
		names = append(names, f.name)
	}
	var errs []error
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.name] {
			errs = append(errs, fmt.Errorf("field %q appears twice", m.name))
			continue
		}
		seen[m.name] = true
		i := indexOf(names, m.name)
		if i < 0 {
			hint := "known fields: " + strings.Join(names, ", ")
			for _, n := range names {
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
		if err := setSetting(fields[i].kind, fields[i].ptr, m.value); err != nil {
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

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func setSetting(kind settingKind, ptr any, raw json.RawMessage) error {
	switch kind {
	case kindLanguage, kindString:
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return errors.New("must be a string")
		}
		if kind == kindLanguage {
			if err := checkLanguage(v); err != nil {
				return err
			}
		} else if strings.TrimSpace(v) == "" {
			return errors.New("must not be empty")
		}
		*ptr.(**string) = &v
	case kindNumber:
		var v float64
		if json.Unmarshal(raw, &v) != nil || math.IsInf(v, 0) {
			return errors.New("must be a number, like 3")
		}
		if v <= 0 {
			return errors.New("must be a positive number, like 3")
		}
		*ptr.(**float64) = &v
	case kindBool:
		var v bool
		if json.Unmarshal(raw, &v) != nil {
			return errors.New("must be true or false")
		}
		*ptr.(**bool) = &v
	}
	return nil
}

// checkLanguage accepts a well-formed BCP 47 tag with known subtags, like en-US.
func checkLanguage(v string) error {
	tag, err := language.Parse(v)
	if err != nil || strings.Contains(v, "_") || tag == language.Und {
		return fmt.Errorf("must be a BCP 47 language tag like en-US or pt-BR (got %s)", quote(v))
	}
	return nil
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
