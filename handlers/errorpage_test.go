package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"talkio-gateway/auth"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

func TestErrorPages(t *testing.T) {
	s := &server{support: "the help desk"}
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"input", &InputError{"path", "bad"}, 400},
		{"expired", provision.ErrAccountExpired, 403},
		{"expired, explaining a Talkio 410", fmt.Errorf("%w (Talkio answered 410)", provision.ErrAccountExpired), 403},
		{"not provisioned", provision.ErrNotProvisioned, 403},
		{"not allowed", provision.ErrNotAllowed, 403},
		{"no organization", provision.ErrNoOrganization, 403},
		{"gone, not explained", fmt.Errorf("%w: %w", provision.ErrNoUser, &talkio.Error{StatusCode: 410}), 502},
		{"talkio 404", &talkio.Error{StatusCode: 404}, 502},
		{"talkio 429", &talkio.Error{StatusCode: 429}, 503},
		{"talkio validation", &talkio.ValidationError{Field: "id", Problem: "bad"}, 502},
		{"talkio transport", talkio.ErrUnavailable, 502},
		{"provider error", &auth.ProviderError{Code: "invalid_request"}, 400},
		{"invalid claim", auth.ErrInvalidClaim, 403},
		{"bad request", errHTTP(http.StatusRequestEntityTooLarge), 413},
		{"echo 500", errHTTP(http.StatusServiceUnavailable), 503},
		{"other", errors.New("x"), 500},
	}
	for _, tt := range tests {
		p := s.pageFor(tt.err)
		if p.Status != tt.status || p.Title == "" || p.Message == "" || strings.Contains(p.Message, "%s") {
			t.Errorf("%s: got %+v, want status %d", tt.name, p, tt.status)
		}
	}
}

// Every outcome of provision.Classify that is an error has a page and a
// login outcome of its own, and both read the same classification: refusals
// are 403 pages naming the support contact, Partner API failures 5xx.
func TestProvisionOutcomesHavePagesAndMetrics(t *testing.T) {
	s := &server{support: "the help desk"}
	// Every outcome after Unclassified, up to the first that has no name.
	for o := provision.Unclassified + 1; o.String() != "unclassified"; o++ {
		if o == provision.Success {
			continue
		}
		p, ok := provisionPages[o]
		if !ok {
			t.Errorf("%v: no page", o)
			continue
		}
		if _, ok := provisionOutcomes[o]; !ok {
			t.Errorf("%v: no login outcome", o)
		}
		switch {
		case o.Refused() && (p.Status != http.StatusForbidden || !strings.Contains(p.Message, "%s")):
			t.Errorf("%v: refusal page %+v, want 403 naming the support contact", o, p)
		case o.Upstream() && p.Status < 500:
			t.Errorf("%v: upstream failure page %+v, want 5xx", o, p)
		}
	}
	if p := s.pageFor(provision.ErrNotProvisioned); !strings.Contains(p.Message, "the help desk") {
		t.Errorf("not provisioned: %+v", p)
	}
}

func errHTTP(code int) error { return echoHTTPError(code) }
