// Package spec holds the rules about Talkio values that more than one part of the gateway needs: the
// tutor-link rule (template slug, app path, partner login URL), the organization slug rule and the ten
// documented user settings. Configuration validation (package config), the Partner API client
// (package talkio), the admin CLI, the web handlers and the simulator all use these, so each rule is
// written once.
//
// It is a leaf: it imports no HTTP client (only net/url for building the login URL) and nothing of
// this module, so that config can validate with it without pulling in the client.
package spec
