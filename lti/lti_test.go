package lti_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"talkio-gateway/demo/lms"
	"talkio-gateway/lti"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// openTicket presses the in-frame page's button: POST /lti/open with its ticket.
func (h *harness) openTicket(body string) (*http.Response, string) {
	h.t.Helper()
	form := inputs(h.t, body, "open-form")
	return h.post(h.toolURL+"/lti/open", form, nil, nil)
}

// wantTalkioLogin checks a redirect to the Talkio app's partner login with a token and path.
func (h *harness) wantTalkioLogin(resp *http.Response, body, wantPath string) {
	h.t.Helper()
	if resp.StatusCode != http.StatusFound {
		h.t.Fatalf("status %d, want 302\n%s", resp.StatusCode, body)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.HasPrefix(loc.String(), h.sim.URL+"/authentication/partner/?token=") {
		h.t.Fatalf("redirect to %s, want the Talkio login URL", loc)
	}
	if loc.Query().Get("token") == "" {
		h.t.Error("no token in the login URL")
	}
	if got := loc.Query().Get("path"); got != wantPath {
		h.t.Errorf("path = %q, want %q", got, wantPath)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		h.t.Errorf("Cache-Control = %q, want no-store", cc)
	}
}

func (h *harness) user(i int, u lms.User, org string) talkiotest.User {
	h.t.Helper()
	id := h.idRule.ScopedUserID(h.lms[i].Platform().Issuer, u.Sub)
	got, ok := h.sim.User(org, id)
	if !ok {
		h.t.Fatalf("no Talkio user %q in %s; users: %+v", id, org, h.sim.Users(org))
	}
	return got
}

func TestLaunchLearnerInFrameOpensTemplateOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	resp, body := h.launch(0, lms.Learner, "books", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("launch: status %d\n%s", resp.StatusCode, body)
	}
	if got := text(t, body, "launch-title"); got != "Talkio tutor" {
		t.Errorf("title %q", got)
	}
	if f := attr(t, body, "open-form", "target"); f != "_blank" {
		t.Errorf("open form target %q, want _blank", f)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'self' "+h.lmsURL[0]) {
		t.Errorf("CSP %q does not let the platform frame the page", csp)
	}
	// Its form posts to the tool, whose answer redirects into the Talkio app: nowhere else.
	if !strings.Contains(csp, "form-action 'self' "+h.sim.URL+";") {
		t.Errorf("CSP %q: want form-action 'self' and the Talkio app only", csp)
	}
	u := h.user(0, lms.Learner, "school")
	if u.UserType != talkio.UserTypeMember || u.UserName != "Ada Lovelace" || u.Email != "ada@school.example" {
		t.Errorf("user = %+v, want a member Ada Lovelace with her email", u)
	}
	if n := h.sim.CallCount(talkiotest.EndpointUserToken); n != 0 {
		t.Errorf("%d tokens fetched before the button was pressed, want 0", n)
	}
	r2, b2 := h.openTicket(body)
	h.wantTalkioLogin(r2, b2, "app/chat?t=books-literature")
	if r3, b3 := h.openTicket(body); r3.StatusCode != http.StatusGone {
		t.Errorf("second use of the ticket: status %d, want 410\n%s", r3.StatusCode, b3)
	}
	if n := h.metrics.get("ok/LtiResourceLinkRequest"); n != 1 {
		t.Errorf("ok launches counted %d, want 1", n)
	}
}

func TestLaunchInstructorIsFacilitator(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	resp, body := h.launch(0, lms.Instructor, "books", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	if u := h.user(0, lms.Instructor, "school"); u.UserType != talkio.UserTypeFacilitator {
		t.Errorf("userType %q, want facilitator", u.UserType)
	}
}

func TestLaunchWindowRedirectsToTalkio(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	resp, body := h.launch(0, lms.Learner, "dashboard", nil)
	h.wantTalkioLogin(resp, body, "")
}

func TestLaunchCustomPath(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	resp, body := h.launch(0, lms.Learner, "dashboard", func(c map[string]any) {
		c["https://purl.imsglobal.org/spec/lti/claim/custom"] = map[string]string{"talkio_path": "app/notes"}
	})
	h.wantTalkioLogin(resp, body, "app/notes")
}

func TestLaunchBadTargetIsRefusedBeforeProvisioning(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	resp, body := h.launch(0, lms.Learner, "dashboard", func(c map[string]any) {
		c["https://purl.imsglobal.org/spec/lti/claim/custom"] = map[string]string{"talkio_path": "//evil.example/x"}
	})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(text(t, body, "error-message"), "talkio_path") {
		t.Fatalf("status %d, want 400 naming talkio_path\n%s", resp.StatusCode, body)
	}
	if n := len(h.sim.Calls()); n != 0 {
		t.Errorf("%d Partner API calls, want 0", n)
	}
}

func TestSameSubOnTwoPlatformsIsTwoUsers(t *testing.T) {
	h := newHarness(t, harnessOptions{platforms: 2})
	for i := range 2 {
		if resp, body := h.launch(i, lms.Learner, "books", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("platform %d: status %d\n%s", i, resp.StatusCode, body)
		}
	}
	a, b := h.user(0, lms.Learner, "school"), h.user(1, lms.Learner, "college")
	if a.ID == b.ID {
		t.Errorf("both platforms' sub %q became Talkio id %q", lms.Learner.Sub, a.ID)
	}
	if _, ok := h.sim.User("school", b.ID); ok {
		t.Error("the second platform's user landed in the first's organization")
	}
}

func TestPseudonymousIDs(t *testing.T) {
	h := newHarness(t, harnessOptions{idKey: []byte(strings.Repeat("k", 32))})
	if resp, body := h.launch(0, lms.Learner, "books", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	users := h.sim.Users("school")
	if len(users) != 1 || !strings.HasPrefix(users[0].ID, provision.PseudonymPrefix) || strings.Contains(users[0].ID, lms.Learner.Sub) {
		t.Errorf("users %+v, want one with a pseudonymous id", users)
	}
}

func TestPlatformKeyRotation(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	if resp, body := h.launch(0, lms.Learner, "books", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	if resp, body := h.launch(0, lms.Learner, "books", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("second launch: status %d\n%s", resp.StatusCode, body)
	}
	if n := h.jwksGets[0].Load(); n != 1 {
		t.Errorf("key set fetched %d times for two launches with the same key, want 1 (cached)", n)
	}
	h.lms[0].SetKey(testKey(t, 2)) // an unknown kid: the tool fetches the key set again
	if resp, body := h.launch(0, lms.Learner, "books", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("after rotation: status %d\n%s", resp.StatusCode, body)
	}
	if n := h.jwksGets[0].Load(); n != 2 {
		t.Errorf("key set fetched %d times, want 2 (refreshed for the new kid)", n)
	}
}

// Each refusal: a 400 page, no Partner API call, counted as refused.
func TestLaunchRefusals(t *testing.T) {
	const lmsKey = 0
	forge := func(h *harness, key int, kid string) func(q url.Values, form url.Values) {
		return func(q url.Values, form url.Values) {
			c, err := h.lms[0].Claims(lms.Learner, "books", q.Get("nonce"))
			if err != nil {
				h.t.Fatal(err)
			}
			if kid == "" {
				kid = lms.Thumbprint(&testKey(h.t, lmsKey).PublicKey)
			}
			tok, err := lms.SignWith(testKey(h.t, key), kid, c)
			if err != nil {
				h.t.Fatal(err)
			}
			form.Set("id_token", tok)
		}
	}
	claim := func(k string, v any) func(map[string]any) { return func(c map[string]any) { c[k] = v } }
	tests := []struct {
		name     string
		tamper   func(map[string]any)
		form     func(h *harness, q, form url.Values)
		noCookie bool
		replay   bool
		warm     bool // launch once first, so that the key set is cached
		want     string
	}{
		{name: "bad signature", form: func(h *harness, q, f url.Values) { forge(h, 2, "")(q, f) }, want: "did not verify"},
		{name: "unknown kid after refresh", warm: true, form: func(h *harness, q, f url.Values) { forge(h, 2, "no-such-kid")(q, f) }, want: "did not verify"},
		{name: "wrong aud", tamper: claim("aud", "another-tool"), want: "did not verify"},
		{name: "aud array without azp", tamper: func(c map[string]any) { c["aud"] = []string{"talkio-demo", "other"}; delete(c, "azp") }, want: "several audiences"},
		{name: "foreign azp", tamper: claim("azp", "other"), want: "another tool"},
		{name: "expired", tamper: claim("exp", time.Now().Add(-time.Minute).Unix()), want: "did not verify"},
		{name: "iat too old", tamper: claim("iat", time.Now().Add(-time.Hour).Unix()), want: "too old"},
		{name: "wrong nonce", tamper: claim("nonce", "not-the-login-nonce"), want: "does not belong"},
		{name: "replayed nonce", replay: true, want: "used already"},
		{name: "unknown deployment", tamper: claim("https://purl.imsglobal.org/spec/lti/claim/deployment_id", "other-deployment"), want: "deployment"},
		{name: "wrong message type", tamper: claim("https://purl.imsglobal.org/spec/lti/claim/message_type", "LtiSubmissionReviewRequest"), want: "kind of launch"},
		{name: "wrong version", tamper: claim("https://purl.imsglobal.org/spec/lti/claim/version", "1.1"), want: "1.3.0"},
		{name: "wrong issuer", tamper: claim("iss", "https://evil.example"), want: "did not verify"},
		{name: "no sub", tamper: func(c map[string]any) { delete(c, "sub") }, want: "no user"},
		{name: "missing state cookie", noCookie: true, want: "state cookie"},
		{name: "foreign state", form: func(h *harness, q, f url.Values) { f.Set("state", "AAAA"+f.Get("state")[4:]) }, want: "not one this tool made"},
		{name: "missing state", form: func(h *harness, q, f url.Values) { f.Del("state") }, want: "lacks"},
		{name: "platform error", form: func(h *harness, q, f url.Values) { f.Set("error", "login_required") }, want: "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			if tt.warm {
				if resp, body := h.launch(0, lms.Learner, "books", nil); resp.StatusCode != http.StatusOK {
					t.Fatalf("warm-up launch: status %d\n%s", resp.StatusCode, body)
				}
				h.sim.ResetCalls()
				h.metrics.reset()
			}
			q, cookies := h.login(0, lms.Learner, "books")
			action, form, err := h.lms[0].Authorize(q, tt.tamper)
			if err != nil {
				t.Fatal(err)
			}
			if tt.form != nil {
				tt.form(h, q, form)
			}
			if tt.noCookie {
				cookies = nil
			}
			if tt.replay {
				if resp, body := h.post(action, form, cookies, nil); resp.StatusCode != http.StatusOK {
					t.Fatalf("first launch: status %d\n%s", resp.StatusCode, body)
				}
				h.sim.ResetCalls()
			}
			resp, body := h.post(action, form, cookies, nil)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", resp.StatusCode, body)
			}
			if msg := text(t, body, "error-message"); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want it to mention %q", msg, tt.want)
			}
			if n := len(h.sim.Calls()); n != 0 {
				t.Errorf("%d Partner API calls, want 0", n)
			}
			for _, c := range resp.Cookies() {
				if c.MaxAge >= 0 && c.Value != "" {
					t.Errorf("a refused launch set cookie %s", c.Name)
				}
			}
			if tt.name == "unknown kid after refresh" && h.jwksGets[0].Load() < 2 {
				t.Errorf("key set fetched %d times, want a refresh for the unknown kid", h.jwksGets[0].Load())
			}
			if h.metrics.get("refused/LtiResourceLinkRequest")+h.metrics.get("refused/other") != 1 {
				t.Errorf("refusals counted: %v", h.metrics.n)
			}
		})
	}
}

func TestLoginRefusals(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	good, _ := url.Parse(h.lms[0].LoginURL(lms.Learner, "books"))
	tests := []struct {
		name, param, value string
		want               string
	}{
		{"unknown issuer", "iss", "https://unknown.example", "not registered"},
		{"unknown client", "client_id", "nope", "not registered"},
		{"unknown deployment", "lti_deployment_id", "nope", "deployment"},
		{"no login_hint", "login_hint", "", "login_hint"},
		{"foreign target link", "target_link_uri", "https://evil.example/lti/launch", "another site"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := good.Query()
			q.Set(tt.param, tt.value)
			resp, body := h.get(h.toolURL + "/lti/login?" + q.Encode())
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			if msg := text(t, body, "error-message"); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want %q", msg, tt.want)
			}
		})
	}
	t.Run("POST", func(t *testing.T) {
		resp, _ := h.post(h.toolURL+"/lti/login", good.Query(), nil, nil)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("status %d, want 302", resp.StatusCode)
		}
		auth, _ := url.Parse(resp.Header.Get("Location"))
		q := auth.Query()
		for k, want := range map[string]string{"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
			"client_id": "talkio-demo", "redirect_uri": h.toolURL + "/lti/launch", "login_hint": lms.Learner.Sub, "lti_message_hint": "books"} {
			if got := q.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if q.Get("state") == "" || q.Get("nonce") == "" {
			t.Error("no state or nonce")
		}
		for _, c := range resp.Cookies() {
			if !c.Secure || c.SameSite != http.SameSiteNoneMode || !c.Partitioned || !c.HttpOnly {
				t.Errorf("cookie %s: Secure=%v SameSite=%v Partitioned=%v HttpOnly=%v, want Secure, None, Partitioned, HttpOnly", c.Name, c.Secure, c.SameSite, c.Partitioned, c.HttpOnly)
			}
		}
	})
}

// The platform's client-side storage stands in for a blocked cookie; only the tool's own page may
// present what it read.
func TestLaunchWithPlatformStorage(t *testing.T) {
	h := newHarness(t, harnessOptions{storage: true})
	resp, body := h.get(h.lms[0].LoginURL(lms.Learner, "books"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	if got := attr(t, body, "lti-storage", "data-origin"); got != h.lmsURL[0] {
		t.Errorf("storage origin %q, want the platform's %q", got, h.lmsURL[0])
	}
	key, value := attr(t, body, "lti-storage", "data-key"), attr(t, body, "lti-storage", "data-value")
	next, _ := url.Parse(attr(t, body, "lti-storage", "data-next"))
	action, form, err := h.lms[0].Authorize(next.Query(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// No cookie (blocked): the tool answers with the page that reads the storage.
	resp, body = h.post(action, form, nil, nil)
	if resp.StatusCode != http.StatusOK || attr(t, body, "lti-storage", "data-key") != key {
		t.Fatalf("status %d, want the storage page asking for %q\n%s", resp.StatusCode, key, body)
	}
	again := inputs(t, body, "lti-storage-form")
	again.Set("lti_storage_value", value)
	// From another site, the same post is refused.
	if resp, body := h.post(action, again, nil, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("cross-site storage post: status %d, want 400\n%s", resp.StatusCode, body)
	}
	wrong := inputs(t, body, "lti-storage-form")
	wrong.Set("lti_storage_value", "another-value")
	if resp, _ := h.post(action, wrong, nil, http.Header{"Origin": {h.toolURL}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("wrong storage value: status %d, want 400", resp.StatusCode)
	}
	resp, body = h.post(action, again, nil, http.Header{"Sec-Fetch-Site": {"same-origin"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	r2, b2 := h.openTicket(body)
	h.wantTalkioLogin(r2, b2, "app/chat?t=books-literature")
}

func TestDeepLinking(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	q, cookies := h.login(0, lms.Instructor, lms.DeepLinkHint)
	action, form, err := h.lms[0].Authorize(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := h.post(action, form, cookies, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	if n := len(h.sim.Calls()); n != 0 {
		t.Errorf("deep linking made %d Partner API calls, want 0", n)
	}
	choice := inputs(t, body, "picker-choices-travel")
	// A post from another site is refused.
	if r, _ := h.post(h.toolURL+"/lti/deeplink", choice, nil, http.Header{"Origin": {"https://evil.example"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("cross-site pick: status %d, want 400", r.StatusCode)
	}
	resp, body = h.post(h.toolURL+"/lti/deeplink", choice, nil, http.Header{"Origin": {h.toolURL}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("pick: status %d\n%s", resp.StatusCode, body)
	}
	ret := inputs(t, body, "autopost-form")
	// The picker's context signs one answer only.
	if r, _ := h.post(h.toolURL+"/lti/deeplink", choice, nil, http.Header{"Origin": {h.toolURL}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("the same context again: status %d, want 400", r.StatusCode)
	}
	if a := attr(t, body, "autopost-form", "action"); a != h.lmsURL[0]+"/lms/return" {
		t.Errorf("posts to %q, want the deep_link_return_url", a)
	}
	// The response verifies against the tool's /lti/jwks.
	ks := oidc.NewRemoteKeySet(context.Background(), h.toolURL+"/lti/jwks")
	v := oidc.NewVerifier("talkio-demo", ks, &oidc.Config{ClientID: h.lms[0].Platform().Issuer, SupportedSigningAlgs: []string{"RS256"}})
	tok, err := v.Verify(context.Background(), ret.Get("JWT"))
	if err != nil {
		t.Fatalf("the deep-linking response does not verify against /lti/jwks: %v", err)
	}
	var c struct {
		Type  string `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
		Dep   string `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
		Data  string `json:"https://purl.imsglobal.org/spec/lti-dl/claim/data"`
		Items []struct {
			Type, URL string
			Custom    map[string]string
		} `json:"https://purl.imsglobal.org/spec/lti-dl/claim/content_items"`
	}
	if err := tok.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if c.Type != "LtiDeepLinkingResponse" || c.Dep != "demo-deployment" || !strings.HasPrefix(c.Data, "course-1:") {
		t.Errorf("claims %+v", c)
	}
	if len(c.Items) != 1 || c.Items[0].Type != "ltiResourceLink" || c.Items[0].Custom["talkio_template"] != "travel" || c.Items[0].URL != h.toolURL+"/lti/launch" {
		t.Errorf("content items %+v", c.Items)
	}
	// The platform takes it, and the new link launches into the template.
	r, b := h.post(h.lmsURL[0]+"/lms/return", ret, nil, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("platform refused the response: %d\n%s", r.StatusCode, b)
	}
	links := h.lms[0].Links()
	added := links[len(links)-1]
	resp, body = h.launch(0, lms.Learner, added.ID, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("launch of the added link: %d\n%s", resp.StatusCode, body)
	}
	r2, b2 := h.openTicket(body)
	h.wantTalkioLogin(r2, b2, "app/chat?t=travel")
}

func TestJWKSAndConfig(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	resp, body := h.get(h.toolURL + "/lti/jwks")
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(body), &set); err != nil || resp.StatusCode != 200 || len(set.Keys) != 1 {
		t.Fatalf("jwks: %d %v %s", resp.StatusCode, err, body)
	}
	if _, private := set.Keys[0]["d"]; private || set.Keys[0]["kid"] == "" || set.Keys[0]["alg"] != "RS256" {
		t.Errorf("jwks key %v", set.Keys[0])
	}
	resp, body = h.get(h.toolURL + "/lti/config")
	var cfg map[string]any
	if err := json.Unmarshal([]byte(body), &cfg); err != nil || resp.StatusCode != 200 {
		t.Fatalf("config: %d %v", resp.StatusCode, err)
	}
	for k, want := range map[string]string{"oidc_initiation_url": "/lti/login", "target_link_uri": "/lti/launch", "public_jwk_url": "/lti/jwks"} {
		if cfg[k] != h.toolURL+want {
			t.Errorf("%s = %v, want %s", k, cfg[k], h.toolURL+want)
		}
	}
	if !strings.Contains(body, "LtiDeepLinkingRequest") {
		t.Error("config offers no deep-linking placement")
	}
}

func TestNewNamesEveryProblem(t *testing.T) {
	_, err := lti.New(lti.Options{
		Platforms: []lti.Platform{{Issuer: "not a url", JWKSURL: "https://x.example/jwks", AuthLoginURL: "ftp://x"}},
		Templates: []lti.Template{{Slug: "Bad Slug", Title: "x"}},
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"no tool key", "PublicURL", "TalkioAppURL", "Provisioner", "issuer must be", "auth_login_url must be", "client_id is empty", "deployment_ids is empty", "template 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// No secret and no personal data beyond the Talkio id reaches the log: not the id_token, the state,
// the ticket, the Talkio token, nor the learner's name, email or platform sub (pseudonymous mode).
func TestLogsHoldNoSecretsOrPersonalData(t *testing.T) {
	h := newHarness(t, harnessOptions{idKey: []byte(strings.Repeat("k", 32))})
	q, cookies := h.login(0, lms.Learner, "books")
	action, form, err := h.lms[0].Authorize(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, body := h.post(action, form, cookies, nil)
	ticket := inputs(t, body, "open-form").Get("ticket")
	resp, _ := h.openTicket(body)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	h.post(action, form, cookies, nil) // a replay, refused and logged
	logs := h.logs.String()
	if !strings.Contains(logs, "lti launch") || !strings.Contains(logs, "nonce replayed") {
		t.Fatalf("the log lacks the launch and the refusal:\n%s", logs)
	}
	for name, secret := range map[string]string{"id_token": form.Get("id_token"), "state": form.Get("state"), "nonce": q.Get("nonce"),
		"ticket": ticket, "token": loc.Query().Get("token"), "name": "Lovelace", "email": lms.Learner.Email, "sub": lms.Learner.Sub} {
		if secret == "" {
			t.Fatalf("test setup: no %s", name)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", name)
		}
	}
}

func TestUpstreamFailureAndExpiredAccount(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.sim.Inject(talkiotest.EndpointUserToken, talkiotest.Fault{Status: http.StatusInternalServerError})
	resp, body := h.launch(0, lms.Learner, "dashboard", nil)
	if resp.StatusCode != http.StatusBadGateway || text(t, body, "request-id") == "" {
		t.Fatalf("token failure: status %d, want 502 with a request id\n%s", resp.StatusCode, body)
	}
	if h.metrics.get("upstream/LtiResourceLinkRequest") != 1 {
		t.Errorf("metrics %v", h.metrics.n)
	}

	past := time.Now().Add(-time.Hour)
	id := h.idRule.ScopedUserID(h.lms[0].Platform().Issuer, lms.Instructor.Sub)
	if err := h.sim.AddUser("school", talkiotest.User{ID: id, UserName: "Grace", UserType: "facilitator", AccountExpiresAt: &past}); err != nil {
		t.Fatal(err)
	}
	resp, body = h.launch(0, lms.Instructor, "books", nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(text(t, body, "error-title"), "access has ended") {
		t.Fatalf("expired account: status %d, want 403\n%s", resp.StatusCode, body)
	}
}

func TestWrongMethodAndUnknownPage(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	resp, body := h.get(h.toolURL + "/lti/launch")
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" || text(t, body, "error-status") != "Error 405" {
		t.Errorf("GET /lti/launch: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if resp, _ := h.get(h.toolURL + "/lti/nothing"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /lti/nothing: %d, want 404", resp.StatusCode)
	}
}

// The registrations' JSON (LTI_PLATFORMS) decodes straight into Platform.
func TestPlatformJSON(t *testing.T) {
	var ps []lti.Platform
	err := json.Unmarshal([]byte(`[{"issuer":"https://canvas.instructure.com","client_id":"1","deployment_ids":["d"],
		"auth_login_url":"https://sso.canvaslms.com/api/lti/authorize_redirect","jwks_url":"https://sso.canvaslms.com/api/lti/security/jwks",
		"auth_token_url":"https://sso.canvaslms.com/login/oauth2/token","organization":"school"}]`), &ps)
	if err != nil || len(ps) != 1 || ps[0].ClientID != "1" || ps[0].DeploymentIDs[0] != "d" || ps[0].Organization != "school" || ps[0].AuthTokenURL == "" {
		t.Errorf("decoded %+v, %v", ps, err)
	}
}
