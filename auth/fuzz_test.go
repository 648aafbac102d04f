package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzMapClaims maps an arbitrary JSON claims object. It never panics; a refusal is ErrInvalidUserID or
// ErrInvalidClaim; an accepted identity has a non-empty user id of at most MaxUserIDLength bytes of
// valid UTF-8 without control characters, keeps the subject, and an account expiry that RFC 3339 can
// write (it is sent to the Partner API) and that a login can compare; and every field within the claim
// bounds, so that its session always fits in a cookie (decided before provisioning).
func FuzzMapClaims(f *testing.F) {
	a := newOfflineAuth(f, func(c *Config) { c.Cookies.Secure = true })
	for _, s := range []string{
		`{"sub":"u-1","name":"Ada","email":"ada@example.org","groups":["/teachers","staff"],"locale":"en-GB","org":"north","exp_at":"2027-02-22T19:35:25Z"}`,
		`{"sub":4711,"groups":"students","org":["south","north"],"exp_at":1800000000}`,
		`{"sub":12345678901234567890,"exp_at":"1800000000.5"}`,
		`{"sub":"` + strings.Repeat("é", 127) + `x"}`,
		`{"sub":"` + strings.Repeat("x", 256) + `"}`,
		`{"sub":"u\n1"}`, `{"sub":"\u0085"}`, `{"sub":"\ud800"}`, `{"sub":""}`, `{"sub":null}`, `{"sub":true}`, `{"sub":{"id":1}}`,
		`{"sub":"u","groups":[1,"a",null]}`, `{"sub":"u","groups":{"a":1}}`, `{"sub":"u","org":[]}`, `{"sub":"u","org":[{}]}`,
		`{"sub":"u","exp_at":"tomorrow"}`, `{"sub":"u","exp_at":-62135596801}`, `{"sub":"u","exp_at":253402300800}`,
		`{"sub":"u","exp_at":9223372036854775807}`, `{"sub":"u","exp_at":1e14}`, `{"sub":"u","exp_at":-1e-9}`,
		`{"sub":"u","exp_at":"0000-01-01T00:00:00+01:00"}`, `{"sub":-0.0,"name":1e999}`, `{}`,
		`{"sub":"u","name":"` + strings.Repeat("\u2028", 4000) + `","email":"` + strings.Repeat("\"", 254) + `"}`,
		`{"sub":"u","locale":"` + strings.Repeat("x", 36) + `","phone_number":"` + strings.Repeat("1", 33) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c claimSet
		if json.Unmarshal(data, &c) != nil {
			return
		}
		id, err := mapClaims(c, testNames, "the-subject")
		if err != nil {
			if !errors.Is(err, ErrInvalidUserID) && !errors.Is(err, ErrInvalidClaim) {
				t.Fatalf("%s: error %v is neither ErrInvalidUserID nor ErrInvalidClaim", data, err)
			}
			if id != nil {
				t.Fatalf("%s: both an identity and an error", data)
			}
			return
		}
		u := id.UserID
		if u == "" || len(u) > MaxUserIDLength || !utf8.ValidString(u) || strings.ContainsFunc(u, unicode.IsControl) {
			t.Fatalf("%s: accepted user id %q", data, u)
		}
		if id.Subject != "the-subject" {
			t.Fatalf("%s: subject %q", data, id.Subject)
		}
		if utf8.RuneCountInString(id.Name) > MaxNameRunes || strings.ContainsFunc(id.Name, unicode.IsControl) ||
			len(id.Email) > MaxEmailLength || len(id.Phone) > MaxPhoneLength || len(id.Locale) > MaxLocaleLength ||
			len(id.Organization) > MaxOrganizationLength || len(id.Groups) > MaxGroups {
			t.Fatalf("%s: accepted an identity beyond the bounds: %+v", data, id)
		}
		rec := httptest.NewRecorder()
		s := &Session{UserID: id.UserID, Name: id.Name, Email: id.Email, UserType: "facilitator", Organization: "an-organization-slug"}
		if err := a.SaveSession(rec, httptest.NewRequest(http.MethodGet, "/", nil), s); err != nil {
			t.Fatalf("%s: the session does not fit: %v", data, err)
		}
		if e := id.AccountExpiresAt; e != nil {
			if e.Location() != time.UTC {
				t.Fatalf("%s: expiry %v not in UTC", data, e)
			}
			if y := e.Year(); y < 0 || y > 9999 {
				t.Fatalf("%s: expiry %v: year %d cannot be written in RFC 3339", data, e, y)
			}
			back, err := time.Parse(time.RFC3339Nano, e.Format(time.RFC3339Nano))
			if err != nil || !back.Equal(*e) {
				t.Fatalf("%s: expiry %v re-parses to %v (%v)", data, e, back, err)
			}
		}
	})
}
