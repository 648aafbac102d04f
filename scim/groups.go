package scim

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"

	lib "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	filter "github.com/scim2/filter-parser/v2"
)

// groups is the /Groups resource handler. Entra ID (with group provisioning on) and Okta (Group Push)
// create groups and push their membership; Talkio has no groups and the gateway stores nothing, so a
// group is answered from its name alone: its id is its displayName, encoded, and it has no members.
// Membership that matters (FACILITATOR_GROUPS, ALLOWED_GROUPS) must come with the user, in "roles",
// when the user is created: Talkio cannot change a user's type afterwards (see docs/scim.md).
type groups struct{ opts *Options }

var _ lib.ResourceHandler = (*groups)(nil)

const groupIDPrefix = "g_"

func groupID(displayName string) string {
	return groupIDPrefix + base64.RawURLEncoding.EncodeToString([]byte(displayName))
}

func groupName(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, groupIDPrefix)
	if !ok {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) == 0 {
		return "", false
	}
	return string(b), true
}

func groupResource(name, externalID string) lib.Resource {
	res := lib.Resource{ID: groupID(name), Attributes: lib.ResourceAttributes{"displayName": name}}
	if externalID != "" {
		res.ExternalID = optional.NewString(externalID)
	}
	return res
}

// Create handles "POST /Groups": nothing is stored; the group's id is derived from its name.
func (g *groups) Create(r *http.Request, a lib.ResourceAttributes) (lib.Resource, error) {
	name, _ := a["displayName"].(string)
	if strings.TrimSpace(name) == "" {
		return lib.Resource{}, fail(r, errInvalidValue("displayName is required."))
	}
	externalID, _ := a["externalId"].(string)
	return groupResource(name, externalID), nil
}

// Get handles "GET /Groups/{id}".
func (g *groups) Get(r *http.Request, id string) (lib.Resource, error) {
	name, ok := groupName(id)
	if !ok {
		return lib.Resource{}, fail(r, errNotFound("Group"))
	}
	return groupResource(name, ""), nil
}

// GetAll handles "GET /Groups": with displayName eq, that group (every name exists, since nothing is
// stored); without a filter, the groups the gateway's configuration gives a meaning to.
func (g *groups) GetAll(r *http.Request, params lib.ListRequestParams) (lib.Page, error) {
	var names []string
	if params.FilterValidator != nil {
		e, ok := params.FilterValidator.GetFilter().(*filter.AttributeExpression)
		value, isString := "", false
		if ok {
			value, isString = e.CompareValue.(string)
		}
		if !ok || e.Operator != filter.EQ || !isString || !strings.EqualFold(e.AttributePath.AttributeName, "displayName") || e.AttributePath.SubAttribute != nil {
			return lib.Page{}, fail(r, errInvalidFilter(`Supported filter: displayName eq "…".`))
		}
		names = []string{value}
	} else {
		for _, n := range append(slices.Clone(g.opts.FacilitatorGroups), g.opts.AllowedGroups...) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	page := lib.Page{TotalResults: len(names), Resources: []lib.Resource{}}
	from := min(params.StartIndex-1, len(names))
	for _, n := range names[from:min(from+params.Count, len(names))] {
		page.Resources = append(page.Resources, groupResource(n, ""))
	}
	return page, nil
}

// Replace handles "PUT /Groups/{id}".
func (g *groups) Replace(r *http.Request, id string, a lib.ResourceAttributes) (lib.Resource, error) {
	if _, ok := groupName(id); !ok {
		return lib.Resource{}, fail(r, errNotFound("Group"))
	}
	name, _ := a["displayName"].(string)
	res := groupResource(name, "")
	res.ID = id
	return res, nil
}

// Patch handles "PATCH /Groups/{id}": a rename is echoed; membership changes are accepted and have no
// effect on Talkio, which logs say once per request.
func (g *groups) Patch(r *http.Request, id string, ops []lib.PatchOperation) (lib.Resource, error) {
	name, ok := groupName(id)
	if !ok {
		return lib.Resource{}, fail(r, errNotFound("Group"))
	}
	members := false
	for _, op := range ops {
		switch {
		case op.Path != nil && strings.EqualFold(op.Path.AttributePath.AttributeName, "displayName"):
			if s, ok := op.Value.(string); ok && s != "" {
				name = s
			}
		case op.Path != nil && strings.EqualFold(op.Path.AttributePath.AttributeName, "members"):
			members = true
		case op.Path == nil:
			if m, ok := op.Value.(map[string]any); ok {
				for k, v := range m {
					if s, ok := v.(string); ok && strings.EqualFold(k, "displayName") && s != "" {
						name = s
					}
					if strings.EqualFold(k, "members") {
						members = true
					}
				}
			}
		}
	}
	if members && (slices.Contains(g.opts.FacilitatorGroups, name) || slices.Contains(g.opts.AllowedGroups, name)) {
		g.opts.Logger.Info("scim: membership change of a configured group has no effect on existing Talkio users; groups count when a user is created")
	}
	res := groupResource(name, "")
	res.ID = id
	return res, nil
}

// Delete handles "DELETE /Groups/{id}": nothing to delete.
func (g *groups) Delete(r *http.Request, id string) error {
	if _, ok := groupName(id); !ok {
		return fail(r, errNotFound("Group"))
	}
	return nil
}
