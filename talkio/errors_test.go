package talkio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestErrorMapping(t *testing.T) {
	sentinels := []error{ErrNotFound, ErrConflict, ErrUnauthorized, ErrRateLimited, ErrUnavailable, ErrBadRequest}
	tests := []struct {
		status int
		want   error // nil: none of the sentinels
	}{
		{400, ErrBadRequest},
		{401, ErrUnauthorized},
		{403, ErrUnauthorized},
		{404, ErrNotFound},
		{409, ErrConflict},
		{422, ErrBadRequest},
		{429, ErrRateLimited},
		{500, nil},
		{502, ErrUnavailable},
		{503, ErrUnavailable},
		{504, ErrUnavailable},
		{418, nil},
		{302, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			c, mux, _ := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
			mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
				if tt.status == 302 {
					// A redirect the client cannot follow anywhere useful: no Location.
					w.WriteHeader(http.StatusFound)
					return
				}
				writeJSON(w, tt.status, `{"message":"m"}`)
			})
			_, err := c.GetUser(context.Background(), "u1")
			var e *Error
			if !errors.As(err, &e) || e.StatusCode != tt.status {
				t.Fatalf("got %v, want an *Error with status %d", err, tt.status)
			}
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == tt.want) {
					t.Errorf("errors.Is(%v): got %v, want %v", s, got, !got)
				}
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	long := strings.Repeat("é", 600)
	tests := []struct {
		name, body, want string
	}{
		{"message", `{"message":"User not found","statusCode":404}`, "User not found"},
		{"message list", `{"message":["limit must not be greater than 100","page must be a number"],"error":"Bad Request"}`,
			"limit must not be greater than 100; page must be a number"},
		{"error field", `{"error":"invalid_key"}`, "invalid_key"},
		{"empty message falls back to error", `{"message":"","error":"Bad Request"}`, "Bad Request"},
		{"object message", `{"message":{"a":1}}`, ""},
		{"no message", `{"statusCode":500}`, ""},
		{"text", "  Service\r\nUnavailable\x00 ", "Service Unavailable"},
		{"long text", long, strings.Repeat("é", maxMessage/2) + "…"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := errorMessage([]byte(tt.body)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := clean("ab"+"é", 3); got != "ab…" {
		t.Errorf("clean cuts inside a rune: got %q", got)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{StatusCode: 404, Message: "User not found", Endpoint: "GET /users/{id}", RequestID: "r1"},
			"talkio: GET /users/{id}: 404 Not Found: User not found (request id r1)"},
		{&Error{StatusCode: 500, Endpoint: "GET /users/{id}"}, "talkio: GET /users/{id}: 500 Internal Server Error"},
		{&Error{StatusCode: 599}, "talkio: 599"},
		{&Error{Endpoint: "DELETE /users/{id}", Message: "connection refused"}, "talkio: DELETE /users/{id}: connection refused"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	if (&Error{StatusCode: 0, cause: context.Canceled}).Is(ErrUnavailable) {
		t.Errorf("a cancellation is not ErrUnavailable")
	}
}

// TestRedirectNotFollowed: a redirect must not carry the credentials to another host.
func TestRedirectNotFollowed(t *testing.T) {
	var leaked atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
	}))
	defer elsewhere.Close()
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusTemporaryRedirect)
	})
	_, err := c.GetUser(context.Background(), "u1")
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("got %v, want an *Error with status 307", err)
	}
	if leaked.Load() != 0 {
		t.Errorf("the redirect was followed")
	}
}

func TestErrorRequestIDAndBodyCap(t *testing.T) {
	c, mux, _ := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", strings.Repeat("r", 300))
		w.WriteHeader(http.StatusInternalServerError)
		// A huge error page: only a bounded prefix is read.
		_, _ = w.Write([]byte(strings.Repeat("<html>", 200<<10)))
	})
	_, err := c.GetUser(context.Background(), "u1")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *Error", err)
	}
	if len(e.RequestID) > 128+len("…") || len(e.Message) > maxMessage+len("…") {
		t.Errorf("unbounded fields: request id %d bytes, message %d bytes", len(e.RequestID), len(e.Message))
	}
}
