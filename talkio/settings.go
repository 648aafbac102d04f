package talkio

import (
	"context"
	"net/http"

	"talkio-gateway/talkio/spec"
)

// Settings are a user's app settings, the ten documented fields (spec.Settings: one definition for
// the client, the configuration, the CLI and the simulator). A nil field was not sent (on read) or is
// left unchanged (on update); Extra holds the fields the docs do not list and is never sent.
type Settings = spec.Settings

// GetSettings fetches a user's settings.
func (c *Client) GetSettings(ctx context.Context, id string) (*Settings, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	return get[Settings](c, ctx, "/users/{id}/settings", []string{id}, nil)
}

// UpdateSettings changes a user's settings: only the non-nil documented fields of s are sent (Extra
// is not), and the settings the API answers with are returned.
func (c *Client) UpdateSettings(ctx context.Context, id string, s *Settings) (*Settings, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, &ValidationError{Field: "settings", Problem: "is required"}
	}
	return send[Settings](c, ctx, http.MethodPut, "/users/{id}/settings", []string{id}, nil, s.Documented())
}
