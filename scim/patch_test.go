package scim

import (
	"slices"
	"testing"

	lib "github.com/elimity-com/scim"
	filter "github.com/scim2/filter-parser/v2"
)

func mustPath(t *testing.T, s string) *filter.Path {
	t.Helper()
	p, err := filter.ParsePath([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

// The library has typed the values by the time apply sees them; these are the shapes it produces.
func TestApplyPatch(t *testing.T) {
	base := func() *person {
		return &person{displayName: "Ada L", formatted: "Ada L", email: "ada@example.com", phone: "+100", active: true, roles: []string{"pupils", "chess"}}
	}
	tests := []struct {
		name  string
		op    string
		path  string
		value any
		check func(*person) bool
	}{
		{"name object", "replace", "name", map[string]any{"givenName": "Grace", "familyName": "Hopper"},
			func(p *person) bool { return p.givenName == "Grace" && p.familyName == "Hopper" && p.name() == "Ada L" }},
		{"name.formatted renames", "replace", "name.formatted", "Grace Hopper", func(p *person) bool { return p.name() == "Grace Hopper" }},
		{"displayName", "add", "displayName", "G", func(p *person) bool { return p.name() == "G" }},
		{"displayName removal ignored", "remove", "displayName", nil, func(p *person) bool { return p.name() == "Ada L" }},
		{"emails list", "replace", "emails", []any{map[string]any{"value": "x@example.com", "type": "home"}, map[string]any{"value": "p@example.com", "primary": true}},
			func(p *person) bool { return p.email == "p@example.com" }},
		{"emails by filter", "replace", `emails[type eq "work"]`, map[string]any{"value": "w@example.com"}, func(p *person) bool { return p.email == "w@example.com" }},
		{"email type ignored", "replace", `emails[type eq "work"].type`, "home", func(p *person) bool { return p.email == "ada@example.com" }},
		{"email removal ignored", "remove", "emails", nil, func(p *person) bool { return p.email == "ada@example.com" }},
		{"empty email ignored", "replace", `emails[type eq "work"].value`, " ", func(p *person) bool { return p.email == "ada@example.com" }},
		{"phone", "replace", `phoneNumbers[type eq "mobile"].value`, "+200", func(p *person) bool { return p.phone == "+200" }},
		{"roles add", "add", "roles", []any{map[string]any{"value": "teachers"}}, func(p *person) bool {
			return p.rolesKnown && slices.Equal(p.roles, []string{"pupils", "chess", "teachers"})
		}},
		{"roles replace", "replace", "roles", []any{map[string]any{"display": "Teachers", "value": "t"}}, func(p *person) bool { return slices.Equal(p.roles, []string{"t", "Teachers"}) }},
		{"roles remove by filter", "remove", `roles[value eq "CHESS"]`, nil, func(p *person) bool { return slices.Equal(p.roles, []string{"pupils"}) }},
		{"roles remove all", "remove", "roles", nil, func(p *person) bool { return p.rolesKnown && len(p.roles) == 0 }},
		{"organization", "replace", enterpriseSchema + ":organization", "North", func(p *person) bool { return p.organization == "North" }},
		{"other extension attribute", "replace", enterpriseSchema + ":department", "Maths", func(p *person) bool { return p.organization == "" }},
		{"locale", "replace", "locale", "de-CH", func(p *person) bool { return p.locale == "de-CH" }},
		{"title ignored", "replace", "title", "Pupil", func(p *person) bool { return p.name() == "Ada L" }},
		{"active", "replace", "active", false, func(p *person) bool { return !p.active }},
		{"core URN prefix", "replace", "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "U", func(p *person) bool { return p.name() == "U" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			if e := p.apply(lib.PatchOperation{Op: tt.op, Path: mustPath(t, tt.path), Value: tt.value}); e != nil {
				t.Fatal(e)
			}
			if !tt.check(p) {
				t.Errorf("got %+v", p)
			}
		})
	}
	// Without a path: keys are attribute paths, and the enterprise URN holds an object.
	p := base()
	e := p.apply(lib.PatchOperation{Op: "replace", Value: map[string]any{
		"name.givenName": "Grace", `emails[type eq "work"].value`: "g@example.com", "active": true,
		enterpriseSchema: map[string]any{"organization": "South"},
	}})
	if e != nil || p.givenName != "Grace" || p.email != "g@example.com" || p.organization != "South" {
		t.Errorf("no path: %+v %v", p, e)
	}
	if e := base().apply(lib.PatchOperation{Op: "replace", Value: "x"}); e == nil || e.Status != 400 {
		t.Errorf("a non-object value without path: %v", e)
	}
}
