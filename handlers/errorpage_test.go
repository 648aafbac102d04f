package handlers

import (
	"errors"
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

func errHTTP(code int) error { return echoHTTPError(code) }
