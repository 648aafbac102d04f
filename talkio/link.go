package talkio

import (
	"net/url"

	"talkio-gateway/talkio/spec"
)

// The tutor-link rule lives in package spec (config and the CLI need it without an HTTP client).
// These names are aliases, not copies, so that code holding a *Client reads talkio.AppPath.

// LinkError is a refused path or template (spec.LinkError).
type LinkError = spec.LinkError

// LoginURL builds the Talkio app's partner login URLs (spec.LoginURL).
type LoginURL = spec.LoginURL

// MaxPathLen bounds the path forwarded to the Talkio app (spec.MaxPathLen).
const MaxPathLen = spec.MaxPathLen

// AppPath turns the path or template of a link into the path given to the Talkio app (spec.AppPath).
func AppPath(path, template string) (string, error) { return spec.AppPath(path, template) }

// NewLoginURL prepares the login URLs of the Talkio app at app (spec.NewLoginURL).
func NewLoginURL(app *url.URL) LoginURL { return spec.NewLoginURL(app) }
