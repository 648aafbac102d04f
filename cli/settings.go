package cli

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/spec"
)

// settingNames lists the keys --set takes, with their kinds, for the help text.
func settingNames() string {
	names := make([]string, len(spec.SettingFields))
	for i, f := range spec.SettingFields {
		names[i] = f.Name + " (" + f.Kind.String() + ")"
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
	for _, f := range spec.SettingFields {
		t.row(f.Name, formatSetting(f.Value(s)))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Extra)) {
		t.row(k, string(s.Extra[k]))
	}
	return t.flush()
}

// parseSettings turns "--set key=value" flags into a partial update, each value checked by the
// settings rule the configuration uses too (spec).
func parseSettings(sets []string) (*talkio.Settings, error) {
	upd := &talkio.Settings{}
	seen := map[string]bool{}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usagef("--set %q: want key=value", kv)
		}
		f, ok := spec.LookupSetting(k)
		if !ok {
			return nil, usagef("--set: unknown setting %q (known: %s)", k, settingNames())
		}
		if seen[k] {
			return nil, usagef("--set: %s given twice", k)
		}
		seen[k] = true
		if err := f.Set(upd, v); err != nil {
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
	for _, f := range spec.SettingFields {
		if v := f.Value(s); v != nil {
			m[f.Name] = v
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
