// Package static holds the gateway's stylesheet and icon, embedded in the
// binary so that one file is the whole deployment.
package static

import "embed"

// FS holds every static file; handlers serves it under /static/.
//
//go:embed *.css *.svg
var FS embed.FS
