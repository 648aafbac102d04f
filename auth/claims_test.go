package auth

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var testNames = ClaimNames{UserID: "sub", Name: "name", Email: "email", Phone: "phone_number", Groups: "groups",
	Locale: "locale", AccountExpiresAt: "exp_at", Organization: "org"}

func mustClaims(t *testing.T, js string) claimSet {
	t.Helper()
	var c claimSet
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatalf("claims %s: %v", js, err)
	}
	return c
}

// mapWant maps the JSON claims js with names and subject. With wantErr set the mapping must fail with
// the sentinel want, its message mentioning wantErr, and ok is false; otherwise it must succeed.
func mapWant(t *testing.T, js string, names ClaimNames, subject string, want error, wantErr string) (id *Identity, ok bool) {
	t.Helper()
	id, err := mapClaims(mustClaims(t, js), names, subject)
	if wantErr != "" {
		if !errors.Is(err, want) || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("got %v, want %v mentioning %q", err, want, wantErr)
		}
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return id, true
}

func TestMapClaimsUserID(t *testing.T) {
	tests := []struct {
		name    string
		claims  string
		want    string
		wantErr string
	}{
		{name: "string", claims: `{"sub":"u-1"}`, want: "u-1"},
		{name: "number", claims: `{"sub":4711}`, want: "4711"},
		{name: "big number kept exactly", claims: `{"sub":12345678901234567890}`, want: "12345678901234567890"},
		{name: "255 bytes", claims: `{"sub":"` + strings.Repeat("é", 127) + `x"}`, want: strings.Repeat("é", 127) + "x"},
		{name: "256 bytes", claims: `{"sub":"` + strings.Repeat("x", 256) + `"}`, wantErr: "256 bytes"},
		{name: "empty", claims: `{"sub":""}`, wantErr: "missing or empty"},
		{name: "absent", claims: `{}`, wantErr: "missing or empty"},
		{name: "null", claims: `{"sub":null}`, wantErr: "missing or empty"},
		{name: "boolean", claims: `{"sub":true}`, wantErr: "a boolean, not a string or number"},
		{name: "object", claims: `{"sub":{"id":1}}`, wantErr: "an object"},
		{name: "control character", claims: `{"sub":"u\n1"}`, wantErr: "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := mapWant(t, tt.claims, testNames, "subject", ErrInvalidUserID, tt.wantErr)
			if !ok {
				return
			}
			if id.UserID != tt.want || id.Subject != "subject" {
				t.Errorf("got %q (subject %q), want %q", id.UserID, id.Subject, tt.want)
			}
		})
	}
}

func TestMapClaimsGroups(t *testing.T) {
	tests := []struct {
		name    string
		groups  string
		want    []string
		wantErr string
	}{
		{name: "list", groups: `["a","b"]`, want: []string{"a", "b"}},
		{name: "single string", groups: `"teachers"`, want: []string{"teachers"}},
		{name: "keycloak paths kept", groups: `["/school/teachers","/pupils"]`, want: []string{"/school/teachers", "/pupils"}},
		{name: "numbers as text", groups: `[1, "b"]`, want: []string{"1", "b"}},
		{name: "empty list", groups: `[]`, want: []string{}},
		{name: "null", groups: `null`, want: nil},
		{name: "object", groups: `{"a":1}`, wantErr: "an object, not a list of strings"},
		{name: "list of objects", groups: `[{"name":"a"}]`, wantErr: "holds an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := mapWant(t, `{"sub":"u","groups":`+tt.groups+`}`, testNames, "u", ErrInvalidClaim, tt.wantErr)
			if !ok {
				return
			}
			if !slices.Equal(id.Groups, tt.want) || (id.Groups == nil) != (tt.want == nil) {
				t.Errorf("got %#v, want %#v", id.Groups, tt.want)
			}
		})
	}
}

func TestMapClaimsAccountExpiresAt(t *testing.T) {
	tests := []struct {
		name    string
		value   string // JSON; "" leaves the claim out
		want    time.Time
		wantErr bool
	}{
		{name: "absent"},
		{name: "RFC 3339 UTC", value: `"2027-02-22T19:35:25.000Z"`, want: time.Date(2027, 2, 22, 19, 35, 25, 0, time.UTC)},
		{name: "RFC 3339 with offset", value: `"2027-02-22T20:35:25+01:00"`, want: time.Date(2027, 2, 22, 19, 35, 25, 0, time.UTC)},
		{name: "Unix seconds", value: `1803325725`, want: time.Unix(1803325725, 0)},
		{name: "Unix seconds as a string", value: `"1803325725"`, want: time.Unix(1803325725, 0)},
		{name: "fractional seconds", value: `1803325725.5`, want: time.Unix(1803325725, 5e8)},
		{name: "a date only", value: `"2027-02-22"`, wantErr: true},
		{name: "words", value: `"never"`, wantErr: true},
		{name: "absurd number", value: `1e300`, wantErr: true},
		{name: "boolean", value: `true`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := `{"sub":"u"}`
			if tt.value != "" {
				js = `{"sub":"u","exp_at":` + tt.value + `}`
			}
			id, err := mapClaims(mustClaims(t, js), testNames, "u")
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidClaim) || !strings.Contains(err.Error(), `"exp_at"`) {
					t.Errorf("got %v, want ErrInvalidClaim naming the claim", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want.IsZero() && id.AccountExpiresAt != nil:
				t.Errorf("got %v, want none", id.AccountExpiresAt)
			case !tt.want.IsZero() && (id.AccountExpiresAt == nil || !id.AccountExpiresAt.Equal(tt.want) || id.AccountExpiresAt.Location() != time.UTC):
				t.Errorf("got %v, want %v in UTC", id.AccountExpiresAt, tt.want)
			}
		})
	}
}

func TestMapClaimsProfile(t *testing.T) {
	id, err := mapClaims(mustClaims(t, `{"sub":"u","name":"Åsa Öberg","email":"asa@school.example",
		"phone_number":"+46701234567","locale":"sv_SE","org":["north","south"]}`), testNames, "u")
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{Subject: "u", UserID: "u", Name: "Åsa Öberg", Email: "asa@school.example", Phone: "+46701234567",
		Locale: "sv_SE", Organization: "north"}
	if id.Name != want.Name || id.Email != want.Email || id.Phone != want.Phone || id.Locale != want.Locale || id.Organization != want.Organization {
		t.Errorf("got %+v, want %+v", *id, want)
	}

	tests := []struct {
		name, claims, wantOrg, wantErr string
	}{
		{name: "organization string", claims: `{"sub":"u","org":"north"}`, wantOrg: "north"},
		{name: "organization empty list", claims: `{"sub":"u","org":[]}`},
		{name: "organization list of objects", claims: `{"sub":"u","org":[{"id":1}]}`, wantErr: `"org" is an object`},
		{name: "name is an object", claims: `{"sub":"u","name":{"first":"A"}}`, wantErr: `"name" is an object`},
		{name: "email is a list", claims: `{"sub":"u","email":["a@b.example"]}`, wantErr: `"email" is a list`},
		{name: "unused names are ignored", claims: `{"sub":"u","email":{"odd":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := testNames
			if tt.name == "unused names are ignored" {
				names.Email = ""
			}
			id, ok := mapWant(t, tt.claims, names, "u", ErrInvalidClaim, tt.wantErr)
			if !ok {
				return
			}
			if id.Organization != tt.wantOrg {
				t.Errorf("got organization %q, want %q", id.Organization, tt.wantOrg)
			}
		})
	}
}

func TestGroupOverage(t *testing.T) {
	tests := []struct {
		name, claims, groupsClaim string
		want                      bool
	}{
		{"claim names point at groups", `{"_claim_names":{"groups":"src1"},"_claim_sources":{"src1":{}}}`, "groups", true},
		{"hasgroups", `{"hasgroups":true}`, "groups", true},
		{"hasgroups false", `{"hasgroups":false}`, "groups", false},
		{"hasgroups says nothing of roles", `{"hasgroups":true}`, "roles", false},
		{"claim names for another claim", `{"_claim_names":{"roles":"src1"}}`, "groups", false},
		{"claim names of the mapped claim", `{"_claim_names":{"roles":"src1"}}`, "roles", true},
		{"claim names malformed", `{"_claim_names":"groups"}`, "groups", false},
		{"nothing", `{"sub":"u"}`, "groups", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := groupOverage(mustClaims(t, tt.claims), tt.groupsClaim); got != tt.want {
				t.Errorf("got %t, want %t", got, tt.want)
			}
		})
	}
}

func TestClaimSetMissing(t *testing.T) {
	c := mustClaims(t, `{"sub":"u","name":"N","email":null,"groups":[]}`)
	got := c.missing(ClaimNames{UserID: "sub", Name: "name", Email: "email", Groups: "groups", Locale: "locale"})
	if want := []string{"email", "locale"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q (null counts as missing, unused names are not asked for)", got, want)
	}
}

func TestScalarAndKind(t *testing.T) {
	for _, tt := range []struct {
		raw, want string
		ok        bool
	}{
		{`"x"`, "x", true}, {` -1.5 `, "-1.5", true}, {`"\u00e9"`, "é", true},
		{`"broken`, "", false}, {`01`, "", false}, {``, "", false}, {`true`, "", false},
	} {
		got, ok := scalar(json.RawMessage(tt.raw))
		if got != tt.want || ok != tt.ok {
			t.Errorf("scalar(%s): got %q, %t; want %q, %t", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
	for raw, want := range map[string]string{`{}`: "an object", `[]`: "a list", `false`: "a boolean", `null`: "null", ``: "empty", `"s"`: "a scalar"} {
		if got := jsonKind(json.RawMessage(raw)); got != want {
			t.Errorf("jsonKind(%s): got %q, want %q", raw, got, want)
		}
	}
}
