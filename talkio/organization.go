package talkio

import (
	"context"
	"net/http"
)

// OrganizationPreference is a user's preferred organization among those of the same partner.
type OrganizationPreference struct {
	OrganizationSlug *string `json:"organizationSlug"` // nil: no preference set
}

// GetOrganizationPreference fetches the user's preferred organization.
func (c *Client) GetOrganizationPreference(ctx context.Context, id string) (*OrganizationPreference, error) {
	if err := checkSegment("id", id); err != nil {
		return nil, err
	}
	return get[OrganizationPreference](c, ctx, "/users/{id}/organization-preference", []string{id}, nil)
}

// SetOrganizationPreference makes slug the user's preferred organization. The organization must belong
// to the same partner and the user must already be a member of it, or the API refuses.
func (c *Client) SetOrganizationPreference(ctx context.Context, id, slug string) error {
	if err := checkSegment("id", id); err != nil {
		return err
	}
	if err := checkRequired("organizationSlug", slug); err != nil {
		return err
	}
	r, err := c.newRequest(ctx, http.MethodPut, "/users/{id}/organization-preference", []string{id}, nil,
		struct {
			OrganizationSlug string `json:"organizationSlug"`
		}{slug})
	if err != nil {
		return err
	}
	return c.do(r, nil) // the answer's shape is undocumented

}
