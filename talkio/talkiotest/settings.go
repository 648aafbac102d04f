package talkiotest

import (
	"net/http"
	"strings"

	"talkio-gateway/talkio/spec"
)

// toWireSettings is what the settings endpoints answer: every documented field, in the one settings
// type (spec.Settings) the client decodes.
// Its fields point into s, so an update may write through them.
func toWireSettings(s *Settings) spec.Settings {
	return spec.Settings{
		PracticeLanguage: &s.PracticeLanguage, UserLanguage: &s.UserLanguage, UILanguage: &s.UILanguage,
		PracticeLanguageProficiency: &s.PracticeLanguageProficiency, ReadAloudSpeed: &s.ReadAloudSpeed,
		DefaultTutor: &s.DefaultTutor, ShowChatTranslations: &s.ShowChatTranslations,
		ShowChatRomanization: &s.ShowChatRomanization, ShowLiveFeedback: &s.ShowLiveFeedback,
		HideIntroFlow: &s.HideIntroFlow,
	}
}

// getSettings handles "GET /users/{id}/settings".
func (h *Handler) getSettings(rc *reqCtx) reply {
	u, bad := rc.activeUser(false)
	if bad != nil {
		return *bad
	}
	s := u.settings // the reply is encoded later, maybe outside the store's lock: point into a copy
	return reply{status: http.StatusOK, body: toWireSettings(&s)}
}

// updateSettings handles "PUT /users/{id}/settings": only the fields sent change; each is typed.
func (h *Handler) updateSettings(rc *reqCtx) reply {
	u, bad := rc.activeUser(false)
	if bad != nil {
		return *bad
	}
	o, bad := decodeObject(rc.r, rc.body, spec.SettingNames()...)
	if bad != nil {
		return *bad
	}
	s := u.settings
	w := toWireSettings(&s) // writes through w land in s
	for _, f := range spec.SettingFields {
		if !o.has(f.Name) {
			continue
		}
		switch p := f.Ptr(&w).(type) {
		case **string:
			v := o.settingString(f.Name)
			switch {
			case v == "":
			case f.Kind == spec.KindLanguage && !languageTag.MatchString(v):
				o.fail("%s must be a language tag such as en-US", f.Name)
			default:
				**p = v
			}
		case **float64:
			if x, ok := o.number(f.Name); ok {
				if x <= 0 || x > 10 {
					o.fail("%s must be greater than 0 and at most 10", f.Name)
				} else {
					**p = x
				}
			}
		case **bool:
			if b, ok := o.boolean(f.Name); ok {
				**p = b
			}
		}
	}
	if bad := o.err(); bad != nil {
		return *bad
	}
	u.settings = s
	return reply{status: http.StatusOK, body: toWireSettings(&s)}
}

// settingString reads a settings string, which may be neither null nor blank.
func (o *object) settingString(name string) string {
	if o.isNull(name) {
		o.fail("%s must be a string", name)
		return ""
	}
	v, ok := o.str(name)
	if ok && strings.TrimSpace(v) == "" {
		o.fail("%s must not be empty", name)
		return ""
	}
	return v
}
