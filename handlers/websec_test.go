package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"talkio-gateway/auth"
	"talkio-gateway/demo/idp"
	"talkio-gateway/internal/testutil"
	"talkio-gateway/talkio/talkiotest"
)

// Sign-out is protected by net/http.CrossOriginProtection, not a token: cross-site and same-site
// (a sibling subdomain) posts are refused with a friendly 403; the gateway's own form is accepted from
// browsers that send Fetch metadata, from older ones that send only Origin, and from clients that send
// neither. The logout then reaches a provider that insists on id_token_hint and comes back.
func TestLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	e.idp.SetRequireIDTokenHint(true)

	b := e.browser("jonas")
	b.signIn()
	for _, h := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Sec-Fetch-Site": {"same-site"}, "Origin": {"http://evil.localhost"}},
		{"Origin": {"http://evil.example"}},
	} {
		r, err := b.do(http.MethodPost, "/logout", url.Values{}, h)
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != http.StatusForbidden || testutil.Text(testutil.ByID(t, r.body, "error-title")) != "Please try again" {
			t.Errorf("logout with %v: got %d %q, want the 403 page", h, r.StatusCode, errorText(r.body))
		}
	}
	if testutil.ByID(t, b.get("/").body, "sign-out") == nil {
		t.Fatal("a refused logout signed the user out")
	}

	for _, h := range []http.Header{
		{"Sec-Fetch-Site": {"same-origin"}, "Origin": {e.gw.URL}},
		{"Origin": {e.gw.URL}}, // a browser from before Fetch metadata
		{},                     // not a browser's cross-site form
	} {
		b := e.browser("jonas")
		b.signIn()
		r, err := b.do(http.MethodPost, "/logout", url.Values{}, h)
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout with %v: got %d, want 303: %s", h, r.StatusCode, errorText(r.body))
		}
		end := mustParseURL(t, r.location())
		q := end.Query()
		if !strings.HasPrefix(r.location(), e.idp.Issuer()) || q.Get("post_logout_redirect_uri") != e.gw.URL+"/" || q.Get("id_token_hint") == "" {
			t.Errorf("logout goes to %q, want the provider's end-session endpoint with id_token_hint, coming back to %s/", r.location(), e.gw.URL)
		}
		// The provider, which requires the hint, accepts it and sends the browser back.
		back, err := b.do(http.MethodGet, r.location(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if back.StatusCode != http.StatusFound || back.location() != e.gw.URL+"/" {
			t.Errorf("provider's end_session: got %d → %q, want 302 → %s/", back.StatusCode, back.location(), e.gw.URL)
		}
		if testutil.ByID(t, b.get("/").body, "sign-in") == nil {
			t.Error("still signed in after logout")
		}
		for _, c := range b.client.Jar.Cookies(mustParseURL(t, e.gw.URL)) {
			t.Errorf("cookie %s left after logout", c.Name)
		}
		if r := b.get("/open"); r.StatusCode != http.StatusFound || strings.Contains(r.location(), "token=") {
			t.Errorf("/open after logout: got %d %q", r.StatusCode, r.location())
		}
	}
	// The form-action of the CSP lets the sign-out's redirect reach the provider.
	if csp := b.get("/").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+e.idpURL) {
		t.Errorf("CSP %q does not allow the end-session origin", csp)
	}
}

// GET /logout is a page whose button posts the sign-out, signed in or not; it signs no one out.
func TestLogoutPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	for _, signedIn := range []bool{false, true} {
		if signedIn {
			b.signIn()
		}
		r := b.get("/logout")
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET /logout: %d", r.StatusCode)
		}
		form := testutil.ByID(t, r.body, "sign-out-form")
		if form == nil || testutil.Attr(form, "method") != "post" || testutil.Attr(form, "action") != "/logout" || testutil.ByID(t, r.body, "sign-out") == nil {
			t.Errorf("GET /logout (signed in %t): no sign-out form posting to /logout", signedIn)
		}
		if got := testutil.Text(testutil.ByID(t, r.body, "logout-title")); (got == "Sign out?") != signedIn {
			t.Errorf("signed in %t: title %q", signedIn, got)
		}
	}
	if testutil.ByID(t, b.get("/").body, "sign-out") == nil {
		t.Error("GET /logout signed the user out")
	}
}

// setCookieRecorder records every Set-Cookie the gateway answers.
type setCookieRecorder struct {
	mu      sync.Mutex
	cookies []*http.Cookie
}

func (s *setCookieRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		s.mu.Lock()
		s.cookies = append(s.cookies, resp.Cookies()...)
		s.mu.Unlock()
	}
	return resp, err
}

// Every cookie the gateway sets is one of auth's (no CSRF cookie any more), and carries the
// configured attributes; with SameSite=None over https: __Host-, Secure, Partitioned.
func TestEveryGatewayCookie(t *testing.T) {
	t.Parallel()
	t.Run("lax over http", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envConfig{})
		b := e.browser("jonas")
		rec := &setCookieRecorder{}
		b.client.Transport = rec
		b.get("/")
		b.signIn()
		b.get("/open")
		b.get("/embed")
		b.get("/logout")
		if _, err := b.do(http.MethodPost, "/logout", url.Values{}, nil); err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, c := range rec.cookies {
			if c.Domain != "" {
				continue // the provider's own
			}
			names[c.Name] = true
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.Partitioned {
				t.Errorf("cookie %s: want HttpOnly, SameSite=Lax, Path=/", c)
			}
		}
		for n := range names {
			if n != auth.SessionCookieName && n != auth.LogoutHintCookieName && n != auth.AttemptCookiePrefix+"0" {
				t.Errorf("unexpected cookie %s", n)
			}
		}
		if !names[auth.SessionCookieName] || !names[auth.LogoutHintCookieName] {
			t.Errorf("got cookies %v, want the session and the logout hint among them", names)
		}
	})
	t.Run("none over https", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envConfig{
			options: func(o *Options) { o.PublicURL = mustParseURL(t, "https://gateway.example") },
			auth:    func(c *auth.Config) { c.Cookies.SameSite, c.Cookies.Secure = http.SameSiteNoneMode, true },
		})
		r := e.browser("jonas").get("/login")
		cs := r.Cookies()
		if len(cs) != 1 {
			t.Fatalf("GET /login set %d cookies, want the attempt's", len(cs))
		}
		c := cs[0]
		if raw := r.Header.Get("Set-Cookie"); c.Name != auth.HostPrefix+auth.AttemptCookiePrefix+"0" || c.Path != "/" || c.Domain != "" ||
			!strings.Contains(raw, "; Secure") || !strings.Contains(raw, "; SameSite=None") || !strings.Contains(raw, "; Partitioned") {
			t.Errorf("got Set-Cookie %q, want __Host-, Path=/, no Domain, SameSite=None; Secure; Partitioned", raw)
		}
	})
}

// 100 parallel /login with one cookie jar made 100 attempt cookies (43 KB), and the callback then
// answered 431. The attempt cookies are now a fixed set of slots.
func TestParallelLoginsBoundCookies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			r, err := b.do(http.MethodGet, "/login?return_to=%2Fopen", nil, nil)
			if err != nil || r.StatusCode != http.StatusFound {
				t.Errorf("GET /login: %v %v", r, err)
			}
		})
	}
	wg.Wait()
	jar := b.client.Jar.Cookies(mustParseURL(t, e.gw.URL+"/auth/callback"))
	size := 0
	for _, c := range jar {
		size += len(c.Name) + len(c.Value) + 2
	}
	if len(jar) > auth.MaxLoginAttempts || size > 4096 {
		t.Errorf("after 100 parallel sign-ins the callback gets %d cookies, %d bytes; at most %d attempts may be kept", len(jar), size, auth.MaxLoginAttempts)
	}
	b.signIn() // and signing in still works
}

// A 4,000-character name and 500 groups: the name is cut before anything is created, the sign-in
// completes, the session fits in a cookie, and the ID token, too large to keep, is not sent at logout —
// so no post_logout_redirect_uri the provider would refuse without it.
func TestLongClaimsSignIn(t *testing.T) {
	t.Parallel()
	groups := []string{"teachers"}
	for i := range 499 {
		groups = append(groups, "class-"+strconv.Itoa(i)+"-"+strings.Repeat("g", 20))
	}
	e := newEnv(t, envConfig{users: []idp.User{{
		ID: "long-1", Username: "long", Name: strings.Repeat("Å", 4000), Email: "long@school.example", Groups: groups,
	}}})
	e.idp.SetRequireIDTokenHint(true)
	b := e.browser("long")
	b.signIn()

	name := strings.Repeat("Å", auth.MaxNameRunes)
	if got := testutil.Text(testutil.ByID(t, b.get("/").body, "profile-name")); got != name {
		t.Errorf("home page name: %d characters, want the first %d", utf8.RuneCountInString(got), auth.MaxNameRunes)
	}
	created := e.bodiesOf(talkiotest.EndpointCreateUser)
	if len(created) != 1 {
		t.Fatalf("CreateUser calls: %d, want 1", len(created))
	}
	var body struct {
		UserName string `json:"userName"`
	}
	if err := json.Unmarshal([]byte(created[0]), &body); err != nil || body.UserName != name {
		t.Errorf("Talkio got userName of %d characters (%v), want %d", utf8.RuneCountInString(body.UserName), err, auth.MaxNameRunes)
	}
	for _, c := range b.client.Jar.Cookies(mustParseURL(t, e.gw.URL)) {
		if n := len(c.Name) + 1 + len(c.Value); n > 4096 {
			t.Errorf("cookie %s is %d bytes", c.Name, n)
		}
		if c.Name == auth.LogoutHintCookieName {
			t.Errorf("a logout hint was kept though the ID token cannot fit")
		}
	}
	if r := b.get("/open"); r.StatusCode != http.StatusFound || !strings.Contains(r.location(), "token=") {
		t.Errorf("/open: %d %q", r.StatusCode, r.location())
	}

	r, err := b.do(http.MethodPost, "/logout", url.Values{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := mustParseURL(t, r.location()).Query()
	if r.StatusCode != http.StatusSeeOther || q.Has("post_logout_redirect_uri") || q.Has("id_token_hint") || q.Get("client_id") != "gateway" {
		t.Fatalf("logout: %d %q, want the end-session endpoint with client_id only", r.StatusCode, r.location())
	}
	back, err := b.do(http.MethodGet, r.location(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if back.StatusCode != http.StatusFound || !strings.HasSuffix(back.location(), "/logged-out") {
		t.Errorf("provider's end_session: %d → %q, want its own signed-out page", back.StatusCode, back.location())
	}
}

// 300 parallel opens with one cookie mint at most a burst of tokens; the rest get the 429 page with
// Retry-After. A bad link spends nothing, and the bucket refills with time.
func TestOpenRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{options: func(o *Options) { o.OpenBurst, o.OpenRefill = 10, 2*time.Second }})
	b := e.browser("jonas")
	b.signIn()
	before := e.callsTo(talkiotest.EndpointUserToken)
	for range 5 { // refused links give their token back
		if r := b.get("/open?template=Books"); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad link: %d", r.StatusCode)
		}
	}

	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range 300 {
		route := "/open"
		if i%3 == 0 {
			route = "/embed"
		}
		wg.Go(func() {
			r, err := b.do(http.MethodGet, route, nil, nil)
			if err != nil {
				t.Error(err)
				return
			}
			if r.StatusCode == http.StatusTooManyRequests {
				if ra := r.Header.Get("Retry-After"); ra != "2" || testutil.Text(testutil.ByID(t, r.body, "error-title")) != "Slow down a little" {
					t.Errorf("429: Retry-After %q, page %q", ra, errorText(r.body))
				}
			}
			mu.Lock()
			statuses[r.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	minted := e.callsTo(talkiotest.EndpointUserToken) - before
	if minted != 10 || statuses[http.StatusTooManyRequests] != 290 {
		t.Errorf("minted %d tokens, statuses %v; want 10 tokens and 290 × 429", minted, statuses)
	}

	e.clock.Advance(2 * time.Second)
	if r := b.get("/open"); r.StatusCode != http.StatusFound {
		t.Errorf("after one refill period: %d, want an open", r.StatusCode)
	}
	if r := b.get("/open"); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("second open after one refill period: %d, want 429", r.StatusCode)
	}
	// Another user has a bucket of their own.
	other := e.browser("maya")
	other.signIn()
	if r := other.get("/open"); r.StatusCode != http.StatusFound {
		t.Errorf("another user: %d, want an open", r.StatusCode)
	}
}

// The limiter remembers at most its size of users, dropping the least recently seen.
func TestOpenLimiterMemoryBound(t *testing.T) {
	l := newOpenLimiter(2, time.Second, 100)
	now := time.Now()
	for i := range 10_000 {
		if r, _ := l.take("user-"+strconv.Itoa(i), now); r == nil {
			t.Fatalf("user %d refused on the first open", i)
		}
	}
	if n := limiterLen(l); n != 100 {
		t.Errorf("the limiter holds %d users, want at most 100", n)
	}
	// A recently seen user keeps their (emptied) bucket.
	l.take("user-9999", now)
	if r, wait := l.take("user-9999", now); r != nil || wait != time.Second {
		t.Errorf("third open in a burst of 2: got %v, wait %s; want a refusal for 1s", r, wait)
	}
}

func TestHSTS(t *testing.T) {
	t.Parallel()
	for _, public := range []string{"", "https://gateway.example"} {
		e := newEnv(t, envConfig{options: func(o *Options) {
			if public != "" {
				o.PublicURL = mustParseURL(t, public)
			}
		}})
		for _, path := range []string{"/", "/healthz", "/nope"} {
			got := e.browser("jonas").get(path).Header.Get("Strict-Transport-Security")
			want := ""
			if public != "" {
				want = "max-age=31536000"
			}
			if got != want {
				t.Errorf("public URL %q, %s: Strict-Transport-Security %q, want %q", public, path, got, want)
			}
		}
	}
}

// Without TrustProxy, a client cannot choose the id its requests are logged under.
func TestRequestIDNotTrustedByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	r, err := e.browser("jonas").do(http.MethodGet, "/nope", nil, http.Header{"X-Request-Id": {"proxy-id-0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("X-Request-ID"); got == "proxy-id-0123456789" || got == "" {
		t.Errorf("response id %q, want a fresh one", got)
	}
	if strings.Contains(e.logs.String(), "proxy-id-0123456789") {
		t.Error("the client's request id reached the log")
	}
}

// limiterLen is how many users the limiter remembers.
func limiterLen(l *openLimiter) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}
