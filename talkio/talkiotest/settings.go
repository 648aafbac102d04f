package talkiotest

import (
	"net/http"
	"strings"

	"talkio-gateway/talkio/spec"
)

// toWireSettings is what the settings endpoints answer: every documented field, in the one settings
// type (spec.Settings) the client decodes.
func toWireSettings(s Settings) spec.Settings {
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
	return reply{status: http.StatusOK, body: toWireSettings(u.settings)}
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
	for name, dst := range map[string]*string{"practiceLanguage": &s.PracticeLanguage, "userLanguage": &s.UserLanguage, "uiLanguage": &s.UILanguage} {
		if o.has(name) {
			if v := o.settingString(name); v != "" {
				if languageTag.MatchString(v) {
					*dst = v
				} else {
					o.fail("%s must be a language tag such as en-US", name)
				}
			}
		}
	}
	for name, dst := range map[string]*string{"practiceLanguageProficiency": &s.PracticeLanguageProficiency, "defaultTutor": &s.DefaultTutor} {
		if o.has(name) {
			if v := o.settingString(name); v != "" {
				*dst = v
			}
		}
	}
	if f, ok := o.number("readAloudSpeed"); ok {
		if f <= 0 || f > 10 {
			o.fail("readAloudSpeed must be greater than 0 and at most 10")
		} else {
			s.ReadAloudSpeed = f
		}
	}
	for name, dst := range map[string]*bool{"showChatTranslations": &s.ShowChatTranslations, "showChatRomanization": &s.ShowChatRomanization, "showLiveFeedback": &s.ShowLiveFeedback, "hideIntroFlow": &s.HideIntroFlow} {
		if b, ok := o.boolean(name); ok {
			*dst = b
		}
	}
	if bad := o.err(); bad != nil {
		return *bad
	}
	u.settings = s
	return reply{status: http.StatusOK, body: toWireSettings(s)}
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
