package talkio

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// FuzzUserJSON decodes arbitrary bytes as a User, an ExpiredUser and Settings. Decoding never panics,
// and a decoded value survives a round trip: it marshals to JSON that decodes to the same value (times
// cut to the wire's milliseconds, in UTC; Extra compared as compact, HTML-escaped JSON), and that JSON is a fixed point.
func FuzzUserJSON(f *testing.F) {
	for _, s := range []string{
		`{"id":"u-1","userName":"Ada","userType":"member","email":"ada@example.org","accountExpiresAt":"2027-02-22T19:35:25.000Z"}`,
		`{"id":"u-2","accountExpiresAt":"2027-02-22T20:35:25.123456789+01:00","productId":"p","custom":{"a":[1, 2]}}`,
		`{"id":"u-3","accountExpiresAt":null,"expiredAt":"","memberType":"facilitator"}`,
		`{"id":"u-4","expiredAt":"0001-01-01T00:00:00Z","extra":  "  spaced  "}`,
		`{"id":7}`,
		`{"accountExpiresAt":"0000-01-01T00:00:00+01:00"}`,
		`{"expiredAt":"9999-12-31T23:59:59-01:00"}`,
		`{"practiceLanguage":"en-GB","readAloudSpeed":1.25,"showLiveFeedback":true,"hideIntroFlow":false,"theme":"dark"}`,
		`{"readAloudSpeed":-0,"defaultTutor":null,"x":null}`,
		`{"id":"\ud800","userName":"\u00e9\u2028"}`,
		`{"a":1,"a":2}`,
		`null`, `[]`, `"x"`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, func(u *User) User {
			n := *u
			n.AccountExpiresAt = wireTime(u.AccountExpiresAt)
			n.Extra = compactExtra(t, u.Extra)
			return n
		})
		roundTrip(t, data, func(u *ExpiredUser) ExpiredUser {
			n := *u
			n.AccountExpiresAt = wireTime(u.AccountExpiresAt)
			if !u.ExpiredAt.IsZero() {
				n.ExpiredAt = *wireTime(&u.ExpiredAt)
			} else {
				n.ExpiredAt = time.Time{}
			}
			n.Extra = compactExtra(t, u.Extra)
			return n
		})
		roundTrip(t, data, func(s *Settings) Settings {
			n := *s
			n.Extra = compactExtra(t, s.Extra)
			return n
		})
	})
}

// roundTrip decodes data into a T; when that succeeds, the value must marshal, decode again to the same
// normalized value, and marshal to the same bytes.
func roundTrip[T any](t *testing.T, data []byte, norm func(*T) T) {
	t.Helper()
	var v T
	if json.Unmarshal(data, &v) != nil {
		return
	}
	b1, err := json.Marshal(&v)
	if err != nil {
		t.Fatalf("%T decoded from %q does not marshal: %v", v, data, err)
	}
	var w T
	if err := json.Unmarshal(b1, &w); err != nil {
		t.Fatalf("%T decoded from %q marshals to %s, which does not decode: %v", v, data, b1, err)
	}
	if a, b := norm(&v), norm(&w); !reflect.DeepEqual(a, b) {
		t.Fatalf("%T decoded from %q marshals to %s, which decodes to a different value:\n%#v\n%#v", v, data, b1, a, b)
	}
	b2, err := json.Marshal(&w)
	if err != nil || !bytes.Equal(b1, b2) {
		t.Fatalf("%T: %s marshals again to %s (%v)", v, b1, b2, err)
	}
}

// wireTime is t as the API writes it: UTC, whole milliseconds.
func wireTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}

func compactExtra(t *testing.T, m map[string]json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	if m == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		var b, h bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			t.Fatalf("Extra[%q] = %q is not JSON: %v", k, v, err)
		}
		json.HTMLEscape(&h, b.Bytes()) // as json.Marshal writes a RawMessage: "&" as "\u0026"
		out[k] = h.Bytes()
	}
	return out
}

// FuzzParseRetryAfter: a Retry-After header never yields a negative delay, delay seconds are honoured
// up to a day, and the wait before the next attempt never exceeds the policy's caps.
func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2027, 2, 22, 19, 35, 25, 0, time.UTC).Unix()
	for _, s := range []string{"", "0", "1", "120", " 7 ", "-5", "+3", "1.5", "9223372036854775807", "99999999999999999999",
		"Mon, 22 Feb 2027 19:36:25 GMT", "Sun, 21 Feb 2027 19:36:25 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
		"Monday, 22-Feb-27 19:36:25 GMT", "Mon Feb 22 19:36:25 2027", "soon"} {
		f.Add(s, now, 1)
	}
	f.Add("Mon, 01 Jan 0001 00:00:00 GMT", int64(-1<<62), 3)
	f.Add("Fri, 31 Dec 9999 23:59:59 GMT", int64(-1<<62), 2)
	f.Fuzz(func(t *testing.T, v string, nowUnix int64, attempt int) {
		d := parseRetryAfter(v, time.Unix(nowUnix, 0))
		if d < 0 {
			t.Fatalf("parseRetryAfter(%q) = %v", v, d)
		}
		if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			want := time.Duration(min(max(secs, 0), 24*60*60)) * time.Second
			if d != want {
				t.Fatalf("parseRetryAfter(%q) = %v, want %v", v, d, want)
			}
		}
		c, err := NewClient("https://api.talkio.example", "provider", "key")
		if err != nil {
			t.Fatal(err)
		}
		c.jitter = func(n int64) int64 { return n - 1 } // the largest wait
		p := c.retry
		attempt = attempt%(2*p.MaxAttempts) + 1
		w := c.backoff(attempt, d)
		switch {
		case d > 0 && (w <= 0 || w > p.MaxRetryAfter || w > d):
			t.Fatalf("Retry-After %q (%v): wait %v, want in (0, min(%v, %v)]", v, d, w, d, p.MaxRetryAfter)
		case d == 0 && (w < 0 || w > p.MaxDelay):
			t.Fatalf("attempt %d without Retry-After: wait %v, want in [0, %v]", attempt, w, p.MaxDelay)
		}
	})
}

// Credentials of FuzzErrorBody's client, shaped like real ones (config accepts printable ASCII without
// spaces).
const (
	fuzzAPIKey   = "tk_live_0123456789abcdefSECRET"
	fuzzProvider = "provider-4711-CONFIDENTIAL"
)

// FuzzErrorBody builds the *Error of a non-2xx response from an arbitrary status, body and request id.
// The message and request id are bounded, hold no control characters (no log injection), and neither
// they nor Error() ever contain the API key or the provider id — not even a piece of one that a server
// echoed and the length cap cut.
func FuzzErrorBody(f *testing.F) {
	for _, s := range []struct {
		status    int
		body, rid string
	}{
		{404, `{"message":"User not found","statusCode":404}`, "req-1"},
		{400, `{"message":["limit must not be greater than 100","page must be a number"],"error":"Bad Request"}`, ""},
		{401, `{"error":"invalid key ` + fuzzAPIKey + `"}`, ""},
		{403, `{"message":"provider ` + fuzzProvider + ` unknown"}`, "r\r\nInjected: 1"},
		{500, "<html>" + strings.Repeat("x", 600) + "</html>", strings.Repeat("r", 300)},
		{502, "  Bad\r\nGateway\x00 ", fuzzAPIKey},
		{503, `{"message":"` + strings.Repeat("é", 300) + fuzzAPIKey + `"}`, ""},
		{429, `{"message":{"a":1},"error":["x ` + fuzzAPIKey + `"]}`, ""},
		{418, "\xff\xfe" + fuzzAPIKey, "\xff"},
		{0, "", ""}, {-1, "", ""}, {999, "", ""},
	} {
		f.Add(s.status, []byte(s.body), s.rid)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, rid string) {
		c, err := NewClient("https://api.talkio.example", fuzzProvider, fuzzAPIKey)
		if err != nil {
			t.Fatal(err)
		}
		check := func(body []byte) *Error {
			resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
			resp.Header.Set("X-Request-Id", rid)
			e := c.responseError(&request{method: http.MethodGet, endpoint: "GET /users/{id}"}, resp)
			if e.StatusCode != status || e.Endpoint != "GET /users/{id}" {
				t.Fatalf("status %d: got %+v", status, e)
			}
			if len(e.Message) > maxMessage+len("…") || len(e.RequestID) > 128+len("…") {
				t.Fatalf("unbounded: message %d bytes, request id %d bytes", len(e.Message), len(e.RequestID))
			}
			s := e.Error()
			if strings.ContainsFunc(s, unicode.IsControl) {
				t.Fatalf("control characters in %q", s)
			}
			for _, secret := range []string{fuzzAPIKey, fuzzProvider} {
				if strings.Contains(s, secret) {
					t.Fatalf("the error shows a credential: %q", s)
				}
			}
			return e
		}
		check(body)

		// A server that echoes the key after the fuzzed text, in a JSON message and as plain text: no
		// piece of the key may survive, wherever the length cap falls.
		text := strings.ToValidUTF8(string(body), "")
		for _, secret := range []string{fuzzAPIKey, fuzzProvider} {
			piece := secret[:8]
			if strings.Contains(text, piece) || strings.Contains(rid, piece) {
				continue // the piece was there before any echo
			}
			js, _ := json.Marshal(map[string]string{"message": text + secret})
			for _, b := range [][]byte{js, []byte(text + secret)} {
				if e := check(b); strings.Contains(e.Error(), piece) {
					t.Fatalf("%q: part of a credential survives: %q", b, e.Error())
				}
			}
		}
	})
}
