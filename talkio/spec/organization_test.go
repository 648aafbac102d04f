package spec

import (
	"strings"
	"testing"
)

func TestCheckOrganization(t *testing.T) {
	tests := []struct {
		slug string
		ok   bool
	}{
		{"partner-example-school", true}, // the docs' example
		{"School.North", true},           // accepted by the configuration before, now by --org too
		{"a_b-1.2", true},
		{"x", true},
		{strings.Repeat("a", MaxOrganizationLen), true},
		{strings.Repeat("a", MaxOrganizationLen+1), false},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{"a b", false},
		{"a%2fb", false},
		{"a?b", false},
		{"a#b", false},
		{"école", false},
		{"a~b", false},
		{"a\x00", false},
	}
	for _, tt := range tests {
		err := CheckOrganization(tt.slug)
		if (err == nil) != tt.ok {
			t.Errorf("CheckOrganization(%q) = %v, want ok %v", tt.slug, err, tt.ok)
		}
		if err != nil && err != ErrOrganization {
			t.Errorf("CheckOrganization(%q) = %v, want ErrOrganization", tt.slug, err)
		}
	}
}
