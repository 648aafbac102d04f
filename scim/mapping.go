package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	lib "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

const enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// person is a SCIM user as far as the gateway maps it. It is built from a POST or PUT body, or from
// the Talkio user for a PATCH (then changed by the operations), and becomes a provision.Identity.
type person struct {
	userName, externalID           string // "" when unknown (Talkio does not keep them)
	displayName, formatted         string
	givenName, familyName          string
	email, phone                   string
	locale                         string
	organization                   string
	roles                          []string
	rolesKnown                     bool // the request said something about roles
	active                         bool
	userNameKnown, externalIDKnown bool
}

// personFromAttributes reads the attributes the library validated (names as the schema spells them).
func personFromAttributes(a lib.ResourceAttributes) *person {
	p := &person{active: true}
	if v, ok := a["userName"].(string); ok {
		p.userName, p.userNameKnown = v, true
	}
	if v, ok := a["externalId"].(string); ok {
		p.externalID, p.externalIDKnown = v, true
	}
	p.displayName, _ = a["displayName"].(string)
	if n, ok := a["name"].(map[string]any); ok {
		p.formatted, _ = n["formatted"].(string)
		p.givenName, _ = n["givenName"].(string)
		p.familyName, _ = n["familyName"].(string)
	}
	p.email = primaryValue(a["emails"])
	p.phone = primaryValue(a["phoneNumbers"])
	p.locale, _ = a["preferredLanguage"].(string)
	if p.locale == "" {
		p.locale, _ = a["locale"].(string)
	}
	if v, ok := a["active"].(bool); ok {
		p.active = v
	}
	if ext, ok := a[enterpriseSchema].(map[string]any); ok {
		p.organization, _ = ext["organization"].(string)
	}
	if roles, ok := a["roles"]; ok {
		p.roles, p.rolesKnown = values(roles), true
	}
	return p
}

// primaryValue is the value of the primary entry of a multi-valued attribute (emails, phoneNumbers),
// else of the "work" one, else of the first: Entra ID's own validator sends emails without primary.
func primaryValue(v any) string {
	list, _ := v.([]any)
	var work, first string
	for _, item := range list {
		m, _ := item.(map[string]any)
		value, _ := m["value"].(string)
		value = strings.TrimSpace(value)
		if value == "" {
			continue
		}
		if primary, _ := m["primary"].(bool); primary {
			return value
		}
		if t, _ := m["type"].(string); strings.EqualFold(t, "work") && work == "" {
			work = value
		}
		if first == "" {
			first = value
		}
	}
	if work != "" {
		return work
	}
	return first
}

// values are the value and display of each entry of a multi-valued attribute (roles).
func values(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, item := range list {
		switch m := item.(type) {
		case map[string]any:
			for _, k := range []string{"value", "display"} {
				if s, _ := m[k].(string); strings.TrimSpace(s) != "" {
					out = append(out, strings.TrimSpace(s))
				}
			}
		case string:
			out = append(out, m)
		}
	}
	return out
}

// name is the display name: displayName, else name.formatted, else givenName familyName.
func (p *person) name() string {
	for _, n := range []string{p.displayName, p.formatted, strings.TrimSpace(p.givenName + " " + p.familyName)} {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return ""
}

// idValue is the value of the id attribute, "" when the person has none.
func (p *person) idValue(attr string) string {
	if attr == AttributeUserName {
		return strings.TrimSpace(p.userName)
	}
	return strings.TrimSpace(p.externalID)
}

// identity is what the provisioning core gets. Email and phone go as they are: the core applies
// TALKIO_SEND_FIELDS.
func (p *person) identity(userID string) *provision.Identity {
	return &provision.Identity{
		UserID:       userID,
		Name:         p.name(),
		Email:        p.email,
		Phone:        p.phone,
		Locale:       p.locale,
		Organization: p.organization,
		Groups:       p.roles,
	}
}

// personFromTalkio is the SCIM view of a Talkio user. Talkio keeps one display name, the email and the
// phone; the SCIM userName and externalId are known only in claim mode, where the id is the value of
// the id attribute. The other one is reported as the email (what identity providers usually send as
// userName), else as the id.
func (o *Options) personFromTalkio(u *talkio.User) *person {
	p := &person{displayName: u.UserName, formatted: u.UserName, email: u.Email, phone: u.PhoneNumber, active: true}
	idValue := ""
	if !o.IDRule.Pseudonymous() {
		idValue = u.ID
	}
	if o.UserIDAttribute == AttributeUserName {
		p.userName, p.userNameKnown = idValue, idValue != ""
	} else {
		p.externalID, p.externalIDKnown = idValue, idValue != ""
	}
	if !p.userNameKnown {
		p.userName = u.Email
		if p.userName == "" {
			p.userName = u.ID
		}
	}
	return p
}

// resource is the SCIM resource of the Talkio user id as p describes it.
func (p *person) resource(id string) lib.Resource {
	a := lib.ResourceAttributes{
		"userName": p.userName,
		"active":   p.active,
	}
	if p.userName == "" {
		a["userName"] = id
	}
	if n := p.name(); n != "" {
		a["displayName"] = n
		name := map[string]any{"formatted": n}
		if p.givenName != "" {
			name["givenName"] = p.givenName
		}
		if p.familyName != "" {
			name["familyName"] = p.familyName
		}
		a["name"] = name
	}
	if p.email != "" {
		a["emails"] = []map[string]any{{"value": p.email, "type": "work", "primary": true}}
	}
	if p.phone != "" {
		a["phoneNumbers"] = []map[string]any{{"value": p.phone, "type": "work", "primary": true}}
	}
	if p.locale != "" {
		a["preferredLanguage"] = p.locale
	}
	if len(p.roles) > 0 {
		roles := make([]map[string]any, len(p.roles))
		for i, r := range p.roles {
			roles[i] = map[string]any{"value": r}
		}
		a["roles"] = roles
	}
	if p.organization != "" {
		a[enterpriseSchema] = map[string]any{"organization": p.organization}
	}
	res := lib.Resource{ID: id, Attributes: a}
	if p.externalID != "" {
		res.ExternalID = optional.NewString(p.externalID)
	}
	return res
}

// userAttributeNames are the top-level names a User body may carry: the core User schema's, the
// common ones and the enterprise extension's URN (lower-cased; attribute names are case-insensitive).
var userAttributeNames = func() map[string]bool {
	names := map[string]bool{"schemas": true, "id": true, "externalid": true, "meta": true, enterpriseSchema: true}
	for _, a := range schema.CoreUserSchema().Attributes {
		names[strings.ToLower(a.Name())] = true
	}
	return names
}()

// checkUserAttributes refuses a User body with an attribute no schema of the resource type defines
// (a misspelt or unsupported one): the library would silently drop it, and the identity provider
// would believe it was stored. Malformed JSON is left to the library (invalidSyntax).
func checkUserAttributes(body []byte) *Error {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	var unknown []string
	for k := range m {
		if !userAttributeNames[strings.ToLower(k)] && k != enterpriseSchema && len(unknown) < 5 {
			unknown = append(unknown, fmt.Sprintf("%.64q", k))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return &Error{Status: http.StatusBadRequest, ScimType: "invalidSyntax",
		Detail: "Unknown attribute " + strings.Join(unknown, ", ") + ": the User resource type has the core User schema and the enterprise extension only."}
}
