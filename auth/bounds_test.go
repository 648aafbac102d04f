package auth

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every mapped claim is bounded before anything is provisioned: a cut name, a dropped locale, or
// ErrInvalidClaim for what cannot be cut without naming someone or something else.
func TestMapClaimsBounds(t *testing.T) {
	groups := func(n, size int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%q", fmt.Sprintf("g%0*d", size-1, i))
		}
		return "[" + b.String() + "]"
	}
	tests := []struct {
		name    string
		claims  string
		check   func(t *testing.T, id *Identity)
		wantErr string
	}{
		{name: "4,000-character name is cut on a character boundary", claims: `{"sub":"u","name":"` + strings.Repeat("é", 4000) + `"}`,
			check: func(t *testing.T, id *Identity) {
				if utf8.RuneCountInString(id.Name) != MaxNameRunes || !utf8.ValidString(id.Name) || id.Name != strings.Repeat("é", MaxNameRunes) {
					t.Errorf("got a name of %d characters, want the first %d", utf8.RuneCountInString(id.Name), MaxNameRunes)
				}
			}},
		{name: "control characters leave the name", claims: `{"sub":"u","name":"Ada\u0000\u009b Lovelace"}`,
			check: func(t *testing.T, id *Identity) {
				if id.Name != "Ada Lovelace" {
					t.Errorf("got %q", id.Name)
				}
			}},
		{name: "over-long locale is dropped", claims: `{"sub":"u","locale":"` + strings.Repeat("x", MaxLocaleLength+1) + `"}`,
			check: func(t *testing.T, id *Identity) {
				if id.Locale != "" {
					t.Errorf("got locale %q", id.Locale)
				}
			}},
		{name: "500 groups are fine", claims: `{"sub":"u","groups":` + groups(500, 20) + `}`,
			check: func(t *testing.T, id *Identity) {
				if len(id.Groups) != 500 {
					t.Errorf("got %d groups", len(id.Groups))
				}
			}},
		{name: "longest email", claims: `{"sub":"u","email":"` + strings.Repeat("a", MaxEmailLength-10) + `@x.example"}`},
		{name: "email too long", claims: `{"sub":"u","email":"` + strings.Repeat("a", MaxEmailLength-9) + `@x.example"}`, wantErr: `claim "email" is 255 bytes`},
		{name: "email with a control character", claims: `{"sub":"u","email":"a\tb@x.example"}`, wantErr: "control characters"},
		{name: "phone too long", claims: `{"sub":"u","phone_number":"+` + strings.Repeat("1", MaxPhoneLength) + `"}`, wantErr: `claim "phone_number"`},
		{name: "organization too long", claims: `{"sub":"u","org":"` + strings.Repeat("o", MaxOrganizationLength+1) + `"}`, wantErr: `claim "org"`},
		{name: "too many groups", claims: `{"sub":"u","groups":` + groups(MaxGroups+1, 4) + `}`, wantErr: "1001 groups"},
		{name: "a group too long", claims: `{"sub":"u","groups":` + groups(1, MaxGroupLength+1) + `}`, wantErr: "a group of 1025 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := mapWant(t, tt.claims, testNames, "u", ErrInvalidClaim, tt.wantErr)
			if !ok {
				return
			}
			if tt.check != nil {
				tt.check(t, id)
			}
		})
	}
}
