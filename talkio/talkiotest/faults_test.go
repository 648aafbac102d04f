package talkiotest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"talkio-gateway/talkio/talkiotest"
)

func TestFaultStatus(t *testing.T) {
	tests := []struct {
		name          string
		pattern       string
		fault         talkiotest.Fault
		rest          string
		want          []int // statuses of consecutive calls
		wantRetry     string
		wantOtherCall int // status of GET /users meanwhile
	}{
		{"503 always", talkiotest.EndpointUserToken, talkiotest.Fault{Status: 503}, "/users/u1/token", []int{503, 503, 503}, "", 200},
		{"429 with Retry-After", talkiotest.EndpointUserToken, talkiotest.Fault{Status: 429, RetryAfter: "2"}, "/users/u1/token", []int{429, 429}, "2", 200},
		{"fail first two", talkiotest.EndpointUserToken, talkiotest.Fault{Status: 502, FailFirst: 2}, "/users/u1/token", []int{502, 502, 200, 200}, "", 200},
		{"other placeholder names", "GET /users/{userId}/token", talkiotest.Fault{Status: 504}, "/users/u1/token", []int{504}, "", 200},
		{"template without method", "/users/{id}/token", talkiotest.Fault{Status: 500}, "/users/u1/token", []int{500}, "", 200},
		{"lower-case method and slash", "get /users/{x}/token/", talkiotest.Fault{Status: 500}, "/users/u1/token", []int{500}, "", 200},
		{"star matches everything", "*", talkiotest.Fault{Status: 503, FailFirst: 1}, "/users/u1/token", []int{503, 200}, "", 200},
		{"star every call", "*", talkiotest.Fault{Status: 503}, "/users/u1/token", []int{503}, "", 503},
		{"other endpoint unaffected", talkiotest.EndpointGetUser, talkiotest.Fault{Status: 500}, "/users/u1/token", []int{200}, "", 200},
		{"other method unaffected", "PUT /users/{id}/token", talkiotest.Fault{Status: 500}, "/users/u1/token", []int{200}, "", 200},
		{"unusual status", talkiotest.EndpointUserToken, talkiotest.Fault{Status: 599}, "/users/u1/token", []int{599}, "", 200},
		{"fault before auth", talkiotest.EndpointUserToken, talkiotest.Fault{Status: 503}, "/users/nobody/token", []int{503}, "", 200},
		{"latency only", talkiotest.EndpointUserToken, talkiotest.Fault{Latency: time.Millisecond}, "/users/u1/token", []int{200}, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			mustAddUser(t, s, orgA, userU1)
			s.Inject(tt.pattern, tt.fault)
			for i, want := range tt.want {
				r := api(t, s, "GET", orgA, tt.rest, "")
				if r.Status != want {
					t.Fatalf("call %d: status %d, want %d", i+1, r.Status, want)
				}
				if want >= 400 {
					if got := r.Header.Get("Retry-After"); got != tt.wantRetry {
						t.Errorf("Retry-After %q, want %q", got, tt.wantRetry)
					}
					if r.message(t) == "" {
						t.Error("no message")
					}
				}
			}
			if r := api(t, s, "GET", orgA, "/users", ""); r.Status != tt.wantOtherCall {
				t.Errorf("GET /users: %d, want %d", r.Status, tt.wantOtherCall)
			}
			if got, want := s.CallCount(talkiotest.EndpointUserToken), len(tt.want); got != want && tt.rest == "/users/u1/token" {
				t.Errorf("CallCount %d, want %d (faulted calls are recorded)", got, want)
			}
		})
	}
}

func TestFaultRules(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)

	// a named endpoint wins over "*"
	s.Inject("*", talkiotest.Fault{Status: 503})
	s.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: 429})
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1/token", ""), 429)
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1", ""), 503)
	// "*" leaves the app pages alone
	r := get(t, s.Client(), s.URL+"/authentication/partner/?token=x")
	mustStatus(t, r, http.StatusUnauthorized)

	// Inject replaces the rule for the same endpoint, however spelt
	s.Inject("GET /users/{other}/token", talkiotest.Fault{Status: 500})
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1/token", ""), 500)
	// a zero Fault removes it
	s.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{})
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1/token", ""), 503)
	s.ClearFaults()
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1/token", ""), 200)

	// the app page can be faulted by name
	s.Inject(talkiotest.EndpointAppLogin, talkiotest.Fault{Status: 502})
	mustStatus(t, get(t, s.Client(), s.URL+"/authentication/partner/?token=x"), 502)
	s.ClearFaults()

	// an exhausted FailFirst rule falls through to "*"
	s.Inject("*", talkiotest.Fault{Status: 503})
	s.Inject(talkiotest.EndpointGetUser, talkiotest.Fault{Status: 500, FailFirst: 1})
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1", ""), 500)
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1", ""), 503)
}

func TestFaultDropConnection(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, userU1)
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1", ""), 200) // the drop happens on a reused connection
	s.ResetCalls()
	s.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{DropConnection: true, FailFirst: 1})
	req, _ := http.NewRequest("GET", orgURL(s, orgA, "/users/u1/token"), nil)
	req.Header.Set("x-provider", testProvider)
	req.Header.Set("x-api-key", testKey)
	res, err := s.Client().Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("got status %d, want a transport error", res.StatusCode)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("transport error %v, want unexpected EOF", err)
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].StatusCode != 0 {
		t.Errorf("calls %+v, want one with no status", calls)
	}
	mustStatus(t, api(t, s, "GET", orgA, "/users/u1/token", ""), 200)
	if n := s.IssuedTokens(); n != 1 {
		t.Errorf("%d tokens issued: the dropped call must not have issued one", n)
	}
}

// AfterHandling: the request takes effect, its answer is lost.
func TestFaultAfterHandling(t *testing.T) {
	s := newServer(t)
	s.Inject(talkiotest.EndpointCreateUser, talkiotest.Fault{Status: 502, FailFirst: 1, AfterHandling: true})
	body := `{"id":"n1","userName":"New","userType":"member"}`
	mustStatus(t, api(t, s, "POST", orgA, "/users", body), 502)
	if _, ok := s.User(orgA, "n1"); !ok {
		t.Fatal("the create did not take effect")
	}
	mustStatus(t, api(t, s, "POST", orgA, "/users", body), 409)

	s.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{DropConnection: true, FailFirst: 1, AfterHandling: true})
	req, _ := http.NewRequest("GET", orgURL(s, orgA, "/users/n1/token"), nil)
	req.Header.Set("x-provider", testProvider)
	req.Header.Set("x-api-key", testKey)
	if res, err := s.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatal("want a transport error")
	}
	if n := s.IssuedTokens(); n != 1 {
		t.Errorf("%d tokens issued, want 1", n)
	}
}

// A Handler without a hijackable connection aborts the handler instead, as net/http expects.
func TestFaultDropWithoutHijack(t *testing.T) {
	h := talkiotest.NewHandler(talkiotest.Options{Provider: testProvider, APIKey: testKey})
	h.Inject("*", talkiotest.Fault{DropConnection: true})
	req := httptest.NewRequest("GET", talkiotest.APIPrefix+talkiotest.DefaultOrganization+"/users", nil)
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), req)
}

// Latency ends early when the client gives up: the handler returns without answering.
func TestFaultLatencyHonoursContext(t *testing.T) {
	h := talkiotest.NewHandler(talkiotest.Options{Provider: testProvider, APIKey: testKey})
	h.Inject(talkiotest.EndpointListUsers, talkiotest.Fault{Latency: time.Hour})
	arrived, returned := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		h.ServeHTTP(w, r)
		close(returned)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+talkiotest.APIPrefix+talkiotest.DefaultOrganization+"/users", nil)
		res, err := srv.Client().Do(req)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	<-arrived
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client error %v, want context.Canceled", err)
	}
	<-returned // the handler gave up its hour of latency
	if c := h.Calls(); len(c) != 1 || c[0].StatusCode != 0 {
		t.Errorf("calls %+v", c)
	}
}

// Latency on an already-cancelled request returns at once, also when the handler is called directly.
func TestFaultLatencyCancelledRequest(t *testing.T) {
	h := talkiotest.NewHandler(talkiotest.Options{})
	h.Inject("*", talkiotest.Fault{Latency: time.Hour, Status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", talkiotest.APIPrefix+talkiotest.DefaultOrganization+"/users", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Body.Len() != 0 {
		t.Errorf("answered %q", rec.Body)
	}
}
