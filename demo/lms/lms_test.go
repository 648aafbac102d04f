package lms_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"talkio-gateway/demo/lms"
)

func TestAuthorizeChecksTheRequest(t *testing.T) {
	l, err := lms.New(lms.Options{BaseURL: "https://lms.example/lms", ToolURL: "https://tool.example"})
	if err != nil {
		t.Fatal(err)
	}
	good := url.Values{"client_id": {"talkio-demo"}, "redirect_uri": {"https://tool.example/lti/launch"}, "response_type": {"id_token"},
		"response_mode": {"form_post"}, "scope": {"openid"}, "prompt": {"none"}, "nonce": {"n123456789"}, "state": {"s"},
		"login_hint": {lms.Learner.Sub}, "lti_message_hint": {"books"}}
	action, form, err := l.Authorize(good, nil)
	if err != nil || action != "https://tool.example/lti/launch" || form.Get("id_token") == "" || form.Get("state") != "s" || form.Get("lti_storage_target") != "_parent" {
		t.Fatalf("Authorize = %q, %v, %v", action, form, err)
	}
	for _, bad := range []struct{ k, v string }{{"client_id", "x"}, {"redirect_uri", "https://evil.example/lti/launch"}, {"response_mode", "query"}, {"nonce", ""}, {"login_hint", "nobody"}, {"lti_message_hint", "no-link"}} {
		q := url.Values{}
		for k, v := range good {
			q[k] = v
		}
		q.Set(bad.k, bad.v)
		if _, _, err := l.Authorize(q, nil); err == nil {
			t.Errorf("%s=%q accepted", bad.k, bad.v)
		}
	}
	// The endpoint refuses with a page, and serves the course page and key set.
	srv := httptest.NewServer(l)
	defer srv.Close()
	for path, want := range map[string]int{"/lms/auth?client_id=x": 400, "/lms/": 200, "/lms/jwks": 200, "/other": 404} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if u := l.LoginURL(lms.Learner, "books"); !strings.HasPrefix(u, "https://tool.example/lti/login?") {
		t.Errorf("login URL %s", u)
	}
}
