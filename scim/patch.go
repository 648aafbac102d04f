package scim

import (
	"net/http"
	"strings"

	lib "github.com/elimity-com/scim"
	filter "github.com/scim2/filter-parser/v2"
)

// apply changes p by one PATCH operation the library validated (op lower-cased, values typed by the
// schema, "True"/"False" already booleans). Attributes Talkio does not keep (title, addresses …) are
// accepted and have no effect; removing the name, email or phone has none either, since the gateway
// never erases a value Talkio holds (see docs/scim.md).
func (p *person) apply(op lib.PatchOperation) *Error {
	if op.Path != nil {
		return p.applyPath(op.Op, *op.Path, op.Value)
	}
	m, ok := op.Value.(map[string]any)
	if !ok {
		return &Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: "An operation without a path needs an object value."}
	}
	for k, v := range m {
		if strings.EqualFold(k, enterpriseSchema) {
			if ext, ok := v.(map[string]any); ok {
				if org, ok := ext["organization"].(string); ok {
					p.organization = org
				}
			}
			continue
		}
		path, err := filter.ParsePath([]byte(k))
		if err != nil { // the library parsed it already
			return &Error{Status: http.StatusBadRequest, ScimType: "invalidPath", Detail: "An attribute path of the operation is malformed."}
		}
		if e := p.applyPath(op.Op, path, v); e != nil {
			return e
		}
	}
	return nil
}

func (p *person) applyPath(op string, path filter.Path, v any) *Error {
	remove := op == lib.PatchOperationRemove
	name := strings.ToLower(path.AttributePath.AttributeName)
	sub := strings.ToLower(path.AttributePath.SubAttributeName())
	if sub == "" {
		sub = strings.ToLower(path.SubAttributeName())
	}
	if uri := path.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, "urn:ietf:params:scim:schemas:core:2.0:User") {
		if strings.EqualFold(uri, enterpriseSchema) && name == "organization" && !remove {
			p.organization, _ = v.(string)
		}
		return nil
	}
	s, _ := v.(string)
	switch name {
	case "active":
		if b, ok := v.(bool); ok && !remove {
			p.active = b
		}
	case "username":
		if !remove {
			p.userName, p.userNameKnown = s, true
		}
	case "externalid":
		if !remove {
			p.externalID, p.externalIDKnown = s, true
		}
	case "displayname":
		if !remove && strings.TrimSpace(s) != "" {
			p.displayName = s
		}
	case "name":
		if remove {
			return nil
		}
		parts := map[string]string{}
		if sub != "" {
			parts[sub] = s
		} else if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				parts[strings.ToLower(k)], _ = x.(string)
			}
		}
		for k, x := range parts {
			switch k {
			case "formatted":
				p.formatted = x
				if p.displayName != "" && x != "" {
					// A new formatted name wins over the one Talkio reported as displayName.
					p.displayName = x
				}
			case "givenname":
				p.givenName = x
			case "familyname":
				p.familyName = x
			}
		}
	case "emails", "phonenumbers":
		if remove {
			return nil
		}
		value := s
		if sub == "" {
			switch x := v.(type) {
			case []any:
				value = primaryValue(x)
			case map[string]any:
				value = primaryValue([]any{x})
			}
		} else if sub != "value" {
			return nil // type, primary, display: nothing Talkio keeps
		}
		if value = strings.TrimSpace(value); value == "" {
			return nil
		}
		if name == "emails" {
			p.email = value
		} else {
			p.phone = value
		}
	case "roles":
		p.rolesKnown = true
		switch {
		case op == lib.PatchOperationReplace:
			p.roles = values(v)
		case op == lib.PatchOperationAdd:
			p.roles = append(p.roles, values(v)...)
		case path.ValueExpression == nil && v == nil:
			p.roles = nil
		default:
			drop := values(v)
			if e, ok := path.ValueExpression.(*filter.AttributeExpression); ok {
				if x, ok := e.CompareValue.(string); ok {
					drop = append(drop, x)
				}
			}
			kept := p.roles[:0]
			for _, r := range p.roles {
				if !containsFold(drop, r) {
					kept = append(kept, r)
				}
			}
			p.roles = kept
		}
	case "preferredlanguage", "locale":
		if !remove {
			p.locale = s
		}
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
