package idp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"talkio-gateway/demo/idp"
	"talkio-gateway/internal/testutil"
)

type loginPage struct {
	title, banner, heading string
	buttons                map[string]string // data-user -> id
	labels                 map[string]string // data-user -> text
	hint                   string            // data-user of the highlighted button
	authRequestIDs         []string          // hidden fields
	errorText              string
	text                   string
}

func parseLoginPage(t *testing.T, body string) loginPage {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	page := loginPage{buttons: map[string]string{}, labels: map[string]string{}}
	attr := testutil.Attr
	text := testutil.Text
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "title":
				page.title = text(n)
			case n.Data == "h1":
				page.heading = text(n)
			case attr(n, "class") == "banner":
				page.banner = text(n)
			case attr(n, "role") == "alert":
				page.errorText = text(n)
			case n.Data == "button" && attr(n, "data-user") != "":
				user := attr(n, "data-user")
				page.buttons[user] = attr(n, "id")
				page.labels[user] = strings.Join(strings.Fields(text(n)), " ")
				if strings.Contains(attr(n, "class"), "hint") {
					page.hint = user
				}
			case n.Data == "input" && attr(n, "name") == "authRequestID":
				page.authRequestIDs = append(page.authRequestIDs, attr(n, "value"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	page.text = strings.Join(strings.Fields(text(doc)), " ")
	return page
}

func TestLoginPage(t *testing.T) {
	r := newRP(t, idp.Options{})
	a := r.newAttempt()
	login := r.loginPage(a)
	resp, body := r.get(login.String())
	for k, want := range map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	page := parseLoginPage(t, body)
	if !strings.Contains(page.text, "Demo identity provider") || page.banner != "Demo mode — not for production" {
		t.Errorf("header/banner missing: banner %q, text %q", page.banner, page.text)
	}
	want := map[string]string{
		"maya":    "Sign in as Maya Lindqvist Pupil — member, no email address",
		"jonas":   "Sign in as Jonas Weber Pupil — member jonas.weber@school.example",
		"eleanor": "Sign in as Eleanor Hughes Teacher — facilitator eleanor.hughes@school.example",
	}
	for user, label := range want {
		if id := page.buttons[user]; id != "login-"+user {
			t.Errorf("button for %s has id %q, want login-%s", user, id, user)
		}
		if got := page.labels[user]; !strings.HasSuffix(got, label) {
			t.Errorf("button for %s reads %q, want it to end with %q", user, got, label)
		}
	}
	id := login.Query().Get("authRequestID")
	for _, got := range page.authRequestIDs {
		if got != id {
			t.Errorf("hidden authRequestID %q, want %q", got, id)
		}
	}

	// A button posts the form; the answer goes on through the provider's callback to the relying party.
	resp, err := r.browser.PostForm(login.Scheme+"://"+login.Host+login.Path, url.Values{"authRequestID": {id}, "user": {"maya"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	res := r.exchange(a, r.callback(resp))
	if res.idToken.Subject != "demo-maya" {
		t.Errorf("sub %q, want demo-maya", res.idToken.Subject)
	}
}

func TestLoginStepErrors(t *testing.T) {
	r := newRP(t, idp.Options{})
	loginPath := r.srv.Issuer() + "/login"
	tests := []struct {
		name       string
		url        func() string
		method     string
		wantStatus int
		wantText   string
		wantError  string // error= at the relying party instead of a page
	}{
		{name: "no authRequestID", url: func() string { return loginPath }, wantStatus: http.StatusBadRequest, wantText: "No sign-in in progress"},
		{name: "unknown authRequestID", url: func() string { return loginPath + "?authRequestID=nope" }, wantStatus: http.StatusBadRequest, wantText: "Sign-in expired"},
		{name: "unknown user", url: func() string { return r.loginPage(r.newAttempt()).String() + "&user=nobody" }, wantStatus: http.StatusBadRequest, wantText: "There is no demo user “nobody”"},
		{name: "cancel", url: func() string { return r.loginPage(r.newAttempt()).String() + "&cancel=1" }, wantError: "access_denied"},
		{name: "wrong method", method: http.MethodPut, url: func() string { return loginPath }, wantStatus: http.StatusMethodNotAllowed},
		{name: "outside the prefix", url: func() string { return r.srv.URL + "/login" }, wantStatus: http.StatusNotFound},
		{name: "prefix look-alike", url: func() string { return r.srv.URL + "/idpx/login" }, wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequest(method, tt.url(), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := r.browser.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if tt.wantError != "" {
				if got := r.callback(resp).Get("error"); got != tt.wantError {
					t.Errorf("error=%q, want %q", got, tt.wantError)
				}
				return
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantText != "" {
				var b strings.Builder
				buf := make([]byte, 4096)
				for {
					n, err := resp.Body.Read(buf)
					b.Write(buf[:n])
					if err != nil {
						break
					}
				}
				if page := parseLoginPage(t, b.String()); !strings.Contains(page.text, tt.wantText) {
					t.Errorf("page text %q lacks %q", page.text, tt.wantText)
				}
			}
		})
	}
}
