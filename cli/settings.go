package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"talkio-gateway/talkio"
)

// settingField is one of the ten documented settings fields, by its JSON name.
type settingField struct {
	name string
	kind string // "string", "number" or "boolean", for messages and usage
	get  func(*talkio.Settings) any
	set  func(*talkio.Settings, string) error
}

func stringSetting(name string, field func(*talkio.Settings) **string) settingField {
	return settingField{
		name: name, kind: "string",
		get: func(s *talkio.Settings) any {
			if p := *field(s); p != nil {
				return *p
			}
			return nil
		},
		set: func(s *talkio.Settings, v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("must not be empty")
			}
			*field(s) = talkio.Ptr(v)
			return nil
		},
	}
}

func boolSetting(name string, field func(*talkio.Settings) **bool) settingField {
	return settingField{
		name: name, kind: "boolean",
		get: func(s *talkio.Settings) any {
			if p := *field(s); p != nil {
				return *p
			}
			return nil
		},
		set: func(s *talkio.Settings, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("must be true or false")
			}
			*field(s) = talkio.Ptr(b)
			return nil
		},
	}
}

// settingFields lists the documented fields in the documentation's order.
var settingFields = []settingField{
	stringSetting("practiceLanguage", func(s *talkio.Settings) **string { return &s.PracticeLanguage }),
	stringSetting("userLanguage", func(s *talkio.Settings) **string { return &s.UserLanguage }),
	stringSetting("uiLanguage", func(s *talkio.Settings) **string { return &s.UILanguage }),
	stringSetting("practiceLanguageProficiency", func(s *talkio.Settings) **string { return &s.PracticeLanguageProficiency }),
	{
		name: "readAloudSpeed", kind: "number",
		get: func(s *talkio.Settings) any {
			if s.ReadAloudSpeed != nil {
				return *s.ReadAloudSpeed
			}
			return nil
		},
		set: func(s *talkio.Settings, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
				return errors.New("must be a positive number")
			}
			s.ReadAloudSpeed = talkio.Ptr(f)
			return nil
		},
	},
	stringSetting("defaultTutor", func(s *talkio.Settings) **string { return &s.DefaultTutor }),
	boolSetting("showChatTranslations", func(s *talkio.Settings) **bool { return &s.ShowChatTranslations }),
	boolSetting("showChatRomanization", func(s *talkio.Settings) **bool { return &s.ShowChatRomanization }),
	boolSetting("showLiveFeedback", func(s *talkio.Settings) **bool { return &s.ShowLiveFeedback }),
	boolSetting("hideIntroFlow", func(s *talkio.Settings) **bool { return &s.HideIntroFlow }),
}

func settingNames() string {
	names := make([]string, len(settingFields))
	for i, f := range settingFields {
		names[i] = f.name + " (" + f.kind + ")"
	}
	return strings.Join(names, ", ")
}

type usersSettingsOpts struct {
	jsonFlag
	set stringList
}

var usersSettingsCommand = &command{
	name:     "settings",
	synopsis: "settings ID [--set key=value …] [--json]",
	args:     "ID",
	help: "Show a user's settings, or change some of them with --set (a partial update;\n" +
		"the fields not named stay as they are). Keys: " + settingNames() + ".",
	minArgs: 1, maxArgs: 1,
	flags: func(fs *flag.FlagSet) any {
		o := &usersSettingsOpts{}
		addJSON(fs, &o.jsonFlag)
		fs.Var(&o.set, "set", "set one field, `key=value` (repeatable)")
		return o
	},
	run: runUsersSettings,
}

func runUsersSettings(ctx context.Context, r *runner, opts any, args []string) error {
	o := opts.(*usersSettingsOpts)
	id := args[0]
	if strings.TrimSpace(id) == "" {
		return usagef("the user id must not be empty")
	}
	var (
		s   *talkio.Settings
		err error
	)
	if len(o.set) == 0 {
		s, err = r.client.GetSettings(ctx, id)
	} else {
		var upd *talkio.Settings
		upd, err = parseSettings(o.set)
		if err != nil {
			return err
		}
		s, err = r.client.UpdateSettings(ctx, id, upd)
	}
	if err != nil {
		return fmt.Errorf("settings of %q: %w", id, err)
	}
	if o.json {
		return writeJSON(r.env.Stdout, settingsMap(s))
	}
	t := newTable(r.env.Stdout, "SETTING", "VALUE")
	for _, f := range settingFields {
		t.row(f.name, formatSetting(f.get(s)))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Extra)) {
		t.row(k, string(s.Extra[k]))
	}
	return t.flush()
}

// parseSettings turns "--set key=value" flags into a partial update.
func parseSettings(sets []string) (*talkio.Settings, error) {
	upd := &talkio.Settings{}
	seen := map[string]bool{}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usagef("--set %q: want key=value", kv)
		}
		i := -1
		for j, f := range settingFields {
			if f.name == k {
				i = j
			}
		}
		if i < 0 {
			return nil, usagef("--set: unknown setting %q (known: %s)", k, settingNames())
		}
		if seen[k] {
			return nil, usagef("--set: %s given twice", k)
		}
		seen[k] = true
		if err := settingFields[i].set(upd, v); err != nil {
			return nil, usagef("--set %s: %q %v", k, v, err)
		}
	}
	return upd, nil
}

// settingsMap is the --json output: the documented fields that are set plus
// any undocumented ones the API returned.
func settingsMap(s *talkio.Settings) map[string]any {
	m := map[string]any{}
	for k, v := range s.Extra {
		m[k] = v
	}
	for _, f := range settingFields {
		if v := f.get(s); v != nil {
			m[f.name] = v
		}
	}
	return m
}

func formatSetting(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}
