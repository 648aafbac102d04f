package config

import "talkio-gateway/talkio/spec"

// Settings are the user settings TALKIO_DEFAULT_SETTINGS applies to new users: the ten settings of the
// Partner API docs, defined once in package spec; nil means "not set, leave Talkio's default".
type Settings = spec.Settings

// parseSettings validates TALKIO_DEFAULT_SETTINGS with the one settings rule.
func parseSettings(text string) (*Settings, error) { return spec.ParseSettings(text) }
