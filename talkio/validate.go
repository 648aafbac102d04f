package talkio

import (
	"fmt"
	"strings"
	"time"
)

// Documented bounds of list endpoints.
const (
	MinLimit = 10
	MaxLimit = 100
)

// checkSegment rejects a required path value that is empty, or that a proxy or server could resolve
// as a relative path ("." and ".." survive escaping): DELETE /users/.. must never reach the API.
func checkSegment(field, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return &ValidationError{Field: field, Problem: "is required"}
	case v == "." || v == "..":
		return &ValidationError{Field: field, Problem: fmt.Sprintf("must not be %q", v)}
	}
	return nil
}

func checkRequired(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return &ValidationError{Field: field, Problem: "is required"}
	}
	return nil
}

func checkUserType(field, v string, optional bool) error {
	switch {
	case v == UserTypeMember || v == UserTypeFacilitator:
		return nil
	case v == "" && optional:
		return nil
	case v == "":
		return &ValidationError{Field: field, Problem: "is required"}
	}
	return &ValidationError{Field: field, Problem: fmt.Sprintf("must be %q or %q, got %q", UserTypeMember, UserTypeFacilitator, v)}
}

// checkDate accepts a real calendar date in YYYY-MM-DD form (2025-02-30 is refused).
func checkDate(field, v string) error {
	if v == "" {
		return &ValidationError{Field: field, Problem: "is required"}
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return &ValidationError{Field: field, Problem: fmt.Sprintf("must be a date in YYYY-MM-DD form, got %q", v)}
	}
	return nil
}

// checkMonth accepts YYYY-MM with a month 01..12.
func checkMonth(field, v string) error {
	if v == "" {
		return &ValidationError{Field: field, Problem: "is required"}
	}
	if _, err := time.Parse("2006-01", v); err != nil {
		return &ValidationError{Field: field, Problem: fmt.Sprintf("must be a month in YYYY-MM form, got %q", v)}
	}
	return nil
}

// checkTimezone accepts an IANA zone name known to the time package, or "" (not sent). "Local" names the
// process's own zone, which means nothing to the API.
func checkTimezone(field, v string) error {
	if v == "" {
		return nil
	}
	if strings.TrimSpace(v) == "" || v == "Local" {
		return &ValidationError{Field: field, Problem: fmt.Sprintf("must be an IANA time zone such as America/New_York, got %q", v)}
	}
	if _, err := time.LoadLocation(v); err != nil {
		return &ValidationError{Field: field, Problem: fmt.Sprintf("must be an IANA time zone such as America/New_York, got %q", v)}
	}
	return nil
}

func checkTime(field string, t *time.Time) error {
	if t != nil && t.IsZero() {
		return &ValidationError{Field: field, Problem: "is the zero time"}
	}
	return nil
}

func (o *ListOptions) validate() error {
	if o == nil {
		return nil
	}
	if o.Page < 0 {
		return &ValidationError{Field: "page", Problem: fmt.Sprintf("must be 1 or more, got %d", o.Page)}
	}
	if o.Limit != 0 && (o.Limit < MinLimit || o.Limit > MaxLimit) {
		return &ValidationError{Field: "limit", Problem: fmt.Sprintf("must be between %d and %d, got %d", MinLimit, MaxLimit, o.Limit)}
	}
	return nil
}
