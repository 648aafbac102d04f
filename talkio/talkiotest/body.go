package talkiotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// object is a decoded JSON request body whose fields are checked one by one; problems accumulate so
// that one 400 names all of them.
type object struct {
	m    map[string]json.RawMessage
	errs []string
}

// decodeObject parses a JSON object body and rejects properties outside allowed.
func decodeObject(r *http.Request, body []byte, allowed ...string) (*object, *reply) {
	// A server that parses JSON only for this content type would see no body at all otherwise.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		rep := errorReply(http.StatusBadRequest, "Content-Type must be application/json")
		return nil, &rep
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		rep := errorReply(http.StatusBadRequest, "request body must be a JSON object")
		return nil, &rep
	}
	if _, err := dec.Token(); err == nil { // trailing data after the object
		rep := errorReply(http.StatusBadRequest, "request body must be a JSON object")
		return nil, &rep
	}
	o := &object{m: m}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			o.errs = append(o.errs, fmt.Sprintf("property %s should not exist", k))
		}
	}
	return o, nil
}

func (o *object) fail(format string, args ...any) {
	o.errs = append(o.errs, fmt.Sprintf(format, args...))
}

// err is the 400 reply for the problems found, or nil. Problems are sorted so messages are stable.
func (o *object) err() *reply {
	if len(o.errs) == 0 {
		return nil
	}
	slices.Sort(o.errs)
	rep := errorReply(http.StatusBadRequest, "%s", strings.Join(o.errs, "; "))
	return &rep
}

func (o *object) has(name string) bool { _, ok := o.m[name]; return ok }

func (o *object) isNull(name string) bool {
	raw, ok := o.m[name]
	return ok && bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// str reads a string property; ok is false when it is absent, null or not a string (the latter noted).
func (o *object) str(name string) (s string, ok bool) {
	raw, present := o.m[name]
	if !present || o.isNull(name) {
		return "", false
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		o.fail("%s must be a string", name)
		return "", false
	}
	return s, true
}

// requiredStr reads a string property that must be present and not blank.
func (o *object) requiredStr(name string) string {
	if !o.has(name) || o.isNull(name) {
		o.fail("%s is required", name)
		return ""
	}
	s, ok := o.str(name)
	if ok && strings.TrimSpace(s) == "" {
		o.fail("%s must not be empty", name)
	}
	return s
}

func (o *object) boolean(name string) (b, ok bool) {
	raw, present := o.m[name]
	if !present {
		return false, false
	}
	if err := json.Unmarshal(raw, &b); err != nil || o.isNull(name) {
		o.fail("%s must be a boolean", name)
		return false, false
	}
	return b, true
}

func (o *object) number(name string) (f float64, ok bool) {
	raw, present := o.m[name]
	if !present {
		return 0, false
	}
	if err := json.Unmarshal(raw, &f); err != nil || o.isNull(name) {
		o.fail("%s must be a number", name)
		return 0, false
	}
	return f, true
}

// email reads an optional email; set is true when a non-empty valid address was given.
func (o *object) email(name string) (addr string, set bool) {
	s, ok := o.str(name)
	if !ok || s == "" {
		return "", false
	}
	if !validEmail(s) {
		o.fail("%s must be an email address", name)
		return "", false
	}
	return s, true
}

// timestamp reads an optional RFC 3339 time.
func (o *object) timestamp(name string) (t time.Time, set bool) {
	s, ok := o.str(name)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		o.fail("%s must be an RFC 3339 date-time such as 2027-02-22T19:35:25.000Z", name)
		return time.Time{}, false
	}
	return t, true
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

func validUserType(s string) bool { return s == UserTypeMember || s == UserTypeFacilitator }

var languageTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)

// query collects problems with query parameters.
type query struct {
	v    url.Values
	errs []string
}

func newQuery(r *http.Request) *query { return &query{v: r.URL.Query()} }

func (q *query) fail(format string, args ...any) {
	q.errs = append(q.errs, fmt.Sprintf(format, args...))
}

func (q *query) err() *reply {
	if len(q.errs) == 0 {
		return nil
	}
	rep := errorReply(http.StatusBadRequest, "%s", strings.Join(q.errs, "; "))
	return &rep
}

// paging reads page (default 1, ≥ 1) and limit (default 10, 10..100).
func (q *query) paging() (page, limit int) {
	page, limit = 1, 10
	if q.v.Has("page") {
		n, err := strconv.Atoi(q.v.Get("page"))
		if err != nil || n < 1 {
			q.fail("page must be an integer of at least 1")
		} else {
			page = n
		}
	}
	if q.v.Has("limit") {
		n, err := strconv.Atoi(q.v.Get("limit"))
		if err != nil || n < 10 || n > 100 {
			q.fail("limit must be an integer from 10 to 100")
		} else {
			limit = n
		}
	}
	return page, limit
}

// date checks a YYYY-MM-DD value that names a real day.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 10 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// parseMonth checks a YYYY-MM value.
func parseMonth(s string) (time.Time, bool) {
	if !monthShape.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01", s)
	return t, err == nil
}

// timezone reads an optional IANA timezone (default UTC).
func (q *query) timezone() *time.Location {
	if !q.v.Has("timezone") {
		return time.UTC
	}
	name := q.v.Get("timezone")
	loc, err := time.LoadLocation(name)
	if name == "" || name == "Local" || err != nil {
		q.fail("timezone must be an IANA timezone such as America/New_York")
		return time.UTC
	}
	return loc
}

// language reads an optional language tag parameter.
func (q *query) language(name string) string {
	if !q.v.Has(name) {
		return ""
	}
	s := q.v.Get(name)
	if !languageTag.MatchString(s) {
		q.fail("%s must be a language tag such as en-US", name)
		return ""
	}
	return s
}

// page slices items for the page; an out-of-range page is empty.
func paginate[T any](items []T, page, limit int) (out []T, total, totalPages int) {
	total = len(items)
	totalPages = (total + limit - 1) / limit
	if page > totalPages { // compared before multiplying, so a huge page cannot overflow
		return []T{}, total, totalPages
	}
	start := (page - 1) * limit
	return items[start:min(start+limit, total)], total, totalPages
}

const timeLayout = "2006-01-02T15:04:05.000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func fmtTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := fmtTime(*t)
	return &s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
