package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"talkio-gateway/demo/idp"
	"talkio-gateway/internal/testutil"
	"talkio-gateway/talkio/talkiotest"
	"talkio-gateway/templates"
)

func TestProviderDownAtStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{providerDown: true})
	b := e.browser("jonas")

	r := b.get("/readyz")
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, `"status"`) {
		t.Errorf("readyz while the provider is down: %d %s", r.StatusCode, r.body)
	}
	if r := b.get("/healthz"); r.StatusCode != http.StatusOK || r.body != "ok" {
		t.Errorf("healthz: %d %q", r.StatusCode, r.body)
	}
	r = b.get("/login?return_to=%2Fopen")
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("login while the provider is down: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if got := testutil.Text(testutil.ByID(t, r.body, "error-title")); got != "Sign-in temporarily unavailable" {
		t.Errorf("page title %q", got)
	}
	if a := testutil.ByID(t, r.body, "error-action"); a == nil || testutil.Attr(a, "href") != "/login?return_to=%2Fopen" {
		t.Errorf("retry link: %v", a)
	}
	if testutil.ByID(t, b.get("/").body, "sign-in") == nil {
		t.Error("home page does not render while the provider is down")
	}

	e.idpUp.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.auth.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/readyz"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `"ready"`) {
		t.Errorf("readyz once up: %d %s", r.StatusCode, r.body)
	}
	b.signIn()
}

func TestUnusableIdentity(t *testing.T) {
	t.Parallel()
	users := idp.DemoUsers()
	users = append(users,
		idp.User{ID: strings.Repeat("x", 300), Username: "long", Name: "Long Id"},
		idp.User{ID: "overage", Username: "overage", Name: "Many Groups",
			Extra: map[string]any{
				"_claim_names":   map[string]string{"groups": "src1"},
				"_claim_sources": map[string]any{"src1": map[string]string{"endpoint": "https://graph.example/v1.0/users/overage/getMemberObjects"}},
			}},
	)
	e := newEnv(t, envConfig{users: users})
	tests := []struct {
		user, want string
	}{
		{"long", "no user id"},
		{"overage", "Groups assigned to the application"},
	}
	for _, tt := range tests {
		r := e.browser(tt.user).mustVisit("/login")
		if r.StatusCode != http.StatusForbidden || !strings.Contains(errorText(r.body), tt.want) {
			t.Errorf("%s: got %d %q, want 403 mentioning %q", tt.user, r.StatusCode, errorText(r.body), tt.want)
		}
	}
	if n := e.callsTo("*"); n != 0 {
		t.Errorf("refused identities cost %d Partner API calls", n)
	}
}

func TestStatic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	doc := testutil.ParseHTML(t, b.get("/").body)
	css := testutil.FindNode(doc, func(n *html.Node) bool { return n.Data == "link" && testutil.Attr(n, "rel") == "stylesheet" })
	if css == nil || !strings.HasPrefix(testutil.Attr(css, "href"), "/static/app.css?v=") {
		t.Fatalf("stylesheet link: %v", css)
	}
	r := b.get(testutil.Attr(css, "href"))
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") ||
		r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.Contains(r.body, "font-family") {
		t.Errorf("versioned stylesheet: %d %q %q", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
	}
	if r := b.get("/static/app.css?v=old"); r.StatusCode != http.StatusOK || r.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Errorf("stale version: %d %q", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	if r := b.get("/static/favicon.svg"); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("icon: %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for _, p := range []string{"/static/missing.css", "/static/.hidden", "/static/static.go", "/static/..%2fgo.mod", "/static/"} {
		if r := b.get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: got %d, want 404", p, r.StatusCode)
		}
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	b := e.browser("jonas")
	r := b.get("/no/such/page")
	if r.StatusCode != http.StatusNotFound || testutil.Text(testutil.ByID(t, r.body, "error-title")) != "Page not found" {
		t.Errorf("unknown route: %d %q", r.StatusCode, testutil.Text(testutil.ByID(t, r.body, "error-title")))
	}
	if rid := testutil.Text(testutil.ByID(t, r.body, "request-id")); rid == "" || rid != r.Header.Get("X-Request-ID") {
		t.Errorf("404 request id %q, header %q", rid, r.Header.Get("X-Request-ID"))
	}
	r, err := b.do(http.MethodPost, "/open", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") == "" {
		t.Errorf("POST /open: %d, Allow %q", r.StatusCode, r.Header.Get("Allow"))
	}
	r, err = b.do(http.MethodHead, "/no/such/page", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != http.StatusNotFound || r.body != "" {
		t.Errorf("HEAD unknown: %d %q", r.StatusCode, r.body)
	}
	for _, l := range e.logLines() {
		if strings.Contains(l, "/no/such/page") {
			t.Errorf("log line holds the raw path: %s", l)
		}
	}
	// Probes answer HEAD; /open does not (a HEAD would burn a login token).
	for target, want := range map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusOK, "/open": http.StatusMethodNotAllowed} {
		r, err := b.do(http.MethodHead, target, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.StatusCode != want {
			t.Errorf("HEAD %s: %d, want %d", target, r.StatusCode, want)
		}
	}
}

func TestPanicIsA500Page(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	e.echo.GET("/test-panic", func(echo.Context) error { panic("kaboom") })
	b := e.browser("jonas")
	r := b.get("/test-panic")
	if r.StatusCode != http.StatusInternalServerError {
		t.Fatalf("panic: got %d, want 500", r.StatusCode)
	}
	if strings.Contains(r.body, "kaboom") || strings.Contains(r.body, "goroutine") {
		t.Error("500 page shows the panic")
	}
	if testutil.ByID(t, r.body, "request-id") == nil || !strings.Contains(errorText(r.body), "the school office") {
		t.Errorf("500 page: %q", errorText(r.body))
	}
	var n int
	for _, l := range e.logLines() {
		if strings.Contains(l, "route=/test-panic") {
			n++
			if !strings.Contains(l, "panic: kaboom") || !strings.Contains(l, "stack=") || !strings.Contains(l, "level=ERROR") {
				t.Errorf("panic log line %q", l)
			}
		}
	}
	if n != 1 {
		t.Errorf("log lines for the request: got %d, want 1", n)
	}
}

func TestRequestIDFromProxy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{options: func(o *Options) { o.TrustProxy = true }})
	b := e.browser("jonas")
	for _, tt := range []struct {
		in   string
		keep bool
	}{
		{"proxy-id-0123456789", true},
		{"bad id <script>", false},
		{"short", false},
	} {
		r, err := b.do(http.MethodGet, "/nope", nil, http.Header{"X-Request-Id": {tt.in}})
		if err != nil {
			t.Fatal(err)
		}
		got := r.Header.Get("X-Request-ID")
		if (got == tt.in) != tt.keep || got == "" {
			t.Errorf("incoming %q: response id %q, keep %v", tt.in, got, tt.keep)
		}
	}
}

func TestJSONReadiness(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{})
	r := e.browser("jonas").get("/readyz")
	var body map[string]string
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || r.StatusCode != http.StatusOK || body["status"] != "ready" {
		t.Errorf("readyz: %d %s (%v)", r.StatusCode, r.body, err)
	}
}

func TestDemoPortal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{options: func(o *Options) { o.Demo = true }})
	b := e.browser("jonas")

	home := b.get("/")
	links := map[string]string{
		"open-tutor":             "/open",
		"open-books":             "/open?template=books-literature",
		"embed-tutor":            "/embed",
		"embed-tutor-no-sidebar": "/embed?template=books-literature&hide_chat_sidebar=true",
		"sign-in":                "/login",
	}
	for id, href := range links {
		if n := testutil.ByID(t, home.body, id); n == nil || testutil.Attr(n, "href") != href {
			t.Errorf("#%s: got %v, want href %q", id, n, href)
		}
	}
	pages := map[string]*response{"home": home, "error": b.get("/open?path=//x")}
	b.signIn()
	pages["signed-in home"] = b.get("/")
	pages["embed"] = b.get("/embed")
	for name, r := range pages {
		if got := testutil.Text(testutil.ByID(t, r.body, "demo-banner")); got != "Demo mode — not for production" {
			t.Errorf("%s page banner: %q", name, got)
		}
	}
	if n := testutil.ByID(t, pages["signed-in home"].body, "open-tutor"); n == nil {
		t.Error("signed-in demo home has no Open tutor link")
	}

	// Without demo mode there is no banner.
	plain := newEnv(t, envConfig{})
	if testutil.ByID(t, plain.browser("jonas").get("/").body, "demo-banner") != nil {
		t.Error("banner outside demo mode")
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	_, err := New(Options{FrameAncestors: []string{"a b"},
		Mounts: []Mount{{Prefix: "scim/", Handler: http.NotFoundHandler()}}})
	if err == nil {
		t.Fatal("New accepted empty options")
	}
	for _, want := range []string{"Auth", "Provisioner", "Talkio", "PublicURL", "TalkioAppURL", "FrameAncestors", "Mounts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestParsePages(t *testing.T) {
	t.Parallel()
	if _, err := parsePages(templates.FS); err != nil {
		t.Fatalf("embedded templates: %v", err)
	}
	layout, err := templates.FS.ReadFile("layout.html")
	if err != nil {
		t.Fatal(err)
	}
	missing := fstest.MapFS{"layout.html": {Data: layout}, "home.html": {Data: []byte(`{{define "content"}}{{end}}`)}}
	if _, err := parsePages(missing); err == nil {
		t.Error("parsePages accepted a missing page")
	}
	broken := fstest.MapFS{"layout.html": {Data: []byte("{{define")}}
	if _, err := parsePages(broken); err == nil {
		t.Error("parsePages accepted a broken template")
	}
}

func echoHTTPError(code int) error { return echo.NewHTTPError(code) }

func TestReadinessChecksTalkio(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{options: func(o *Options) { o.ReadyCheckTalkio = true }})
	b := e.browser("jonas")
	if r := b.get("/readyz"); r.StatusCode != http.StatusOK {
		t.Fatalf("readyz with Talkio up: %d %s", r.StatusCode, r.body)
	}
	// Cached: frequent probes cost one call per interval.
	b.get("/readyz")
	if n := e.callsTo(talkiotest.EndpointGetUser); n != 1 {
		t.Errorf("probe calls: got %d, want 1", n)
	}

	bad := newEnv(t, envConfig{options: func(o *Options) { o.ReadyCheckTalkio = true }})
	bad.sim.Inject("*", talkiotest.Fault{Status: http.StatusUnauthorized})
	if r := bad.browser("jonas").get("/readyz"); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "Talkio") {
		t.Errorf("readyz with Talkio refusing the key: %d %s", r.StatusCode, r.body)
	}
}

// A mounted handler serves its prefix and everything below it, behind the
// same middleware as the gateway's own routes; a longer name is not its.
func TestMountsServeUnderTheirPrefix(t *testing.T) {
	t.Parallel()
	ext := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ext " + r.URL.Path))
	})
	e := newEnv(t, envConfig{options: func(o *Options) { o.Mounts = []Mount{{Prefix: "/ext", Handler: ext}} }})
	b := e.browser("jonas")
	for _, path := range []string{"/ext", "/ext/", "/ext/Users/42"} {
		r := b.get(path)
		if r.StatusCode != http.StatusOK || r.body != "ext "+path {
			t.Errorf("GET %s: %d %q", path, r.StatusCode, r.body)
		}
		if r.Header.Get("X-Request-ID") == "" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no request id or security headers: %v", path, r.Header)
		}
	}
	if r := b.get("/extra"); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET /extra: %d, want 404", r.StatusCode)
	}
	n := 0
	for _, l := range e.logLines() {
		if strings.Contains(l, "route=/ext") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d request log lines for the mount, want 3", n)
	}
}
