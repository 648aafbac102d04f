// Package templates holds the gateway's HTML templates, embedded in the
// binary. handlers parses all of them at start and refuses to start if one is
// missing.
package templates

import "embed"

// FS holds every page template and the shared layout.
//
//go:embed *.html
var FS embed.FS
