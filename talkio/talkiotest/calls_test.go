package talkiotest_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"talkio-gateway/talkio/talkiotest"
)

func TestCallsRecorded(t *testing.T) {
	s := newServer(t)
	mustAddUser(t, s, orgA, talkiotest.User{ID: "a/b c@x"})
	body := `{"userName":"Renamed"}`
	api(t, s, "PUT", orgA, "/users/"+url.PathEscape("a/b c@x"), body, "User-Agent", "tester/1")
	api(t, s, "GET", orgA, "/users?page=2&limit=10", "")
	api(t, s, "GET", orgA, "/users", "", "x-api-key", "")
	do(t, s, "GET", s.URL+"/nowhere?q=1", "")
	get(t, s.Client(), s.URL+"/authentication/partner/?token=abc&path=app")

	calls := s.Calls()
	if len(calls) != 5 {
		t.Fatalf("%d calls, want 5", len(calls))
	}
	want := []talkiotest.Call{
		{Method: "PUT", Endpoint: talkiotest.EndpointUpdateUser, Path: talkiotest.APIPrefix + orgA + "/users/a/b c@x",
			RawPath: talkiotest.APIPrefix + orgA + "/users/a%2Fb%20c@x", Body: []byte(body), StatusCode: 200},
		{Method: "GET", Endpoint: talkiotest.EndpointListUsers, Path: talkiotest.APIPrefix + orgA + "/users", RawQuery: "page=2&limit=10", StatusCode: 200},
		{Method: "GET", Endpoint: talkiotest.EndpointListUsers, Path: talkiotest.APIPrefix + orgA + "/users", StatusCode: 401},
		{Method: "GET", Endpoint: "", Path: "/nowhere", RawQuery: "q=1", StatusCode: 404},
		{Method: "GET", Endpoint: talkiotest.EndpointAppLogin, Path: "/authentication/partner/", RawQuery: "token=abc&path=app", StatusCode: 401},
	}
	for i, w := range want {
		c := calls[i]
		if w.RawPath == "" {
			w.RawPath = w.Path
		}
		if c.Method != w.Method || c.Endpoint != w.Endpoint || c.Path != w.Path || c.RawPath != w.RawPath ||
			c.RawQuery != w.RawQuery || string(c.Body) != string(w.Body) || c.StatusCode != w.StatusCode {
			t.Errorf("call %d\n got  %+v\n want %+v", i, c, w)
		}
	}
	if got := calls[0].Header.Get("User-Agent"); got != "tester/1" {
		t.Errorf("User-Agent %q", got)
	}
	for i, c := range calls[:2] {
		if c.Header.Get("x-api-key") != "[redacted]" || c.Header.Get("x-provider") != "[redacted]" {
			t.Errorf("call %d: credentials not shown as redacted: %v", i, c.Header)
		}
	}
	if calls[2].Header.Get("x-api-key") != "" {
		t.Error("absent header recorded as present")
	}
	if dump := fmt.Sprintf("%+v %#v", calls, calls); strings.Contains(dump, testKey) || strings.Contains(dump, testProvider+"\"") {
		t.Error("a recorded call holds a credential")
	}

	// Calls returns copies
	calls[0].Body[0] = 'X'
	calls[0].Header.Set("User-Agent", "changed")
	again := s.Calls()
	if again[0].Body[0] != '{' || again[0].Header.Get("User-Agent") != "tester/1" {
		t.Error("Calls shares memory with the recorder")
	}

	for pattern, want := range map[string]int{
		talkiotest.EndpointListUsers:  2,
		"/users":                      2,
		"GET /users/":                 2,
		"POST /users":                 0,
		"PUT /users/{userId}":         1,
		"/users/{id}":                 1,
		"*":                           3,
		talkiotest.EndpointAppLogin:   1,
		talkiotest.EndpointUserToken:  0,
		talkiotest.EndpointDeleteUser: 0,
	} {
		if got := s.CallCount(pattern); got != want {
			t.Errorf("CallCount(%q) = %d, want %d", pattern, got, want)
		}
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 || s.CallCount("*") != 0 {
		t.Error("ResetCalls left calls")
	}
}

// A call is complete (status noted) by the time its client has the answer.
func TestCallCompleteWhenAnswered(t *testing.T) {
	s := newServer(t)
	for i := range 50 {
		r := api(t, s, "GET", orgA, "/users", "")
		calls := s.Calls()
		if len(calls) != i+1 || calls[i].StatusCode != r.Status {
			t.Fatalf("after call %d: %d calls, last status %d", i+1, len(calls), calls[len(calls)-1].StatusCode)
		}
	}
}
