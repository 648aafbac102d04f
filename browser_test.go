package main

// Browser end-to-end tests: headless Chromium, driven by chromedp, against demo mode started in the test.
// They prove what only a browser can: the redirect chains through the provider, the cookies' attributes,
// the iframe and its permissions, and that the pages render. Every step leaves a screenshot behind.
//
// Chromium is found as $CHROMIUM, chromium or chromium-browser. Without it the test is skipped, except in
// CI (CI=true), where a missing browser is a failure. BROWSER_SCREENSHOTS=dir keeps the screenshots there;
// otherwise they go to a fresh temporary directory that is kept when the test fails or runs with -v.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"talkio-gateway/auth"
	"talkio-gateway/gateway/gatewaytest"
	"talkio-gateway/internal/testutil/browsertest"
	"talkio-gateway/provision"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

func TestBrowser(t *testing.T) {
	exe := browsertest.Find(t)
	gw := startBrowserDemo(t)
	shots := screenshotDir(t)
	browser := browsertest.Start(t, exe) // after screenshotDir: its cleanup, closing the browser, runs first
	env := &browserEnv{url: gw.URL(), browser: browser, shots: shots}

	scenarios := []struct {
		name string
		run  func(t *testing.T, e *browserEnv)
	}{
		{"OpenTutor", browserOpenTutor},
		{"DeepLink", browserDeepLink},
		{"Embed", browserEmbed},
		{"SignOut", browserSignOut},
		{"SecondUser", browserSecondUser},
		{"BadRequest", browserBadRequest},
		{"ErrorPages", browserErrorPages},
		{"Pseudonymous", browserPseudonymous},
		{"LMS", browserLMS},
	}
	// The scenarios run at once, each in its own browser context: most of a step is waiting for the
	// browser, so this is much faster than one after another, and t.Parallel would cap them at GOMAXPROCS.
	var wg sync.WaitGroup
	for _, sc := range scenarios {
		wg.Go(func() { t.Run(sc.name, func(t *testing.T) { sc.run(t, env) }) })
	}
	wg.Wait()
}

// browserOpenTutor: "Open tutor" → the provider's login page → the member → the stand-in Talkio page
// with that user and no path; the session cookie is HttpOnly and Lax; a returning user goes straight in.
func browserOpenTutor(t *testing.T, e *browserEnv) {
	b := e.newTab(t)
	b.navigate("home-signed-out", "/", chromedp.WaitVisible(chromedp.ID("sign-in")))
	if got, want := b.text("demo-banner"), "Demo mode — not for production"; got != want {
		t.Errorf("banner %q, want %q", got, want)
	}

	b.step("provider-login", chromedp.Click(chromedp.ID("open-tutor")), chromedp.WaitVisible(chromedp.ID("login-jonas")))
	b.wantLocation(e.url + "/idp/")

	b.step("talkio-dashboard", chromedp.Click(chromedp.ID("login-jonas")), chromedp.WaitVisible(chromedp.ID("user-name")))
	b.wantLocation(e.url + "/talkio/authentication/partner/")
	b.wantTalkio(talkioPage{name: "Jonas Weber", typ: "member", path: "", org: "demo-school", sidebar: "false"})
	talkioID := b.text("user-id")
	// The stand-in app says it is the demo and leads back to the portal.
	if href := b.attr("back-to-portal", "href"); b.text("demo-banner") == "" || href != e.url+"/" {
		t.Errorf("stand-in Talkio page: banner %q, link back to %q, want the banner and %s/", b.text("demo-banner"), href, e.url)
	}

	c := b.sessionCookie()
	if c == nil {
		t.Fatalf("no %s cookie after signing in", auth.SessionCookieName)
	}
	if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
		t.Errorf("session cookie: HttpOnly=%v SameSite=%q Path=%q, want HttpOnly, Lax, /", c.HTTPOnly, c.SameSite, c.Path)
	}

	b.navigate("home-signed-in", "/", chromedp.WaitVisible(chromedp.ID("sign-out")))
	if got := b.text("profile-name"); got != "Jonas Weber" {
		t.Errorf("home shows %q signed in, want Jonas Weber", got)
	}
	if got := b.text("profile-id"); got != talkioID {
		t.Errorf("home shows user id %q, Talkio got %q", got, talkioID)
	}
	// HttpOnly, seen from the page: its scripts cannot read the session cookie.
	if jar := b.eval(`document.cookie`); strings.Contains(jar, auth.SessionCookieName) {
		t.Errorf("document.cookie exposes the session cookie: %q", jar)
	}

	// A returning user goes straight through, with no provider page in between.
	b.step("open-again", chromedp.Click(chromedp.ID("open-tutor")), chromedp.WaitVisible(chromedp.ID("user-name")))
	b.wantTalkio(talkioPage{name: "Jonas Weber", typ: "member", path: "", org: "demo-school", sidebar: "false"})
	if got := b.text("user-id"); got != talkioID {
		t.Errorf("second visit is Talkio user %q, first was %q", got, talkioID)
	}
	b.noConsoleErrors()
}

// browserLMS: the demo's stand-in course (/lms/) launches the tutor through LTI 1.3 in its frame; the
// tool's page there opens the Talkio app in a new tab, signed in as the learner, at the template.
func browserLMS(t *testing.T, e *browserEnv) {
	b := e.newTab(t)
	b.navigate("lms-course", "/lms/", chromedp.WaitVisible(chromedp.ID("course-title")))
	b.step("lms-launch", chromedp.Click(chromedp.ID("link-0-learner")))
	frame, err := browsertest.FrameWith(b.ctx, "tool-frame", "open-tutor")
	if err != nil {
		b.shot("lms-launch-FAILED")
		t.Fatalf("the tool's page did not appear in the course's frame: %v", err)
	}
	b.shot("lms-tool-in-frame")
	opened := chromedp.WaitNewTarget(b.ctx, func(info *target.Info) bool { return info.Type == "page" && info.OpenerID != "" })
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.ID("open-tutor"), chromedp.FromNode(frame))); err != nil {
		t.Fatal(err)
	}
	var id target.ID
	select {
	case id = <-opened:
	case <-b.ctx.Done():
		t.Fatal("the tool's button opened no tab")
	}
	talkio, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id))
	defer cancel()
	if _, err := chromedp.Run(talkio, chromedp.WaitVisible(chromedp.ID("user-name"))); err != nil {
		t.Fatalf("the new tab shows no signed-in Talkio page: %v", err)
	}
	href, err := chromedp.Run(talkio, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(href, e.url+"/talkio/authentication/partner/") || !strings.Contains(href, "path=app%2Fchat%3Ft%3Dbooks-literature") {
		t.Errorf("new tab at %s, want the Talkio login URL of the course link's template", redactToken(href))
	}
}

// browserPseudonymous: a demo of its own with TALKIO_USER_ID_MODE=pseudonymous and TALKIO_SEND_FIELDS=none
// (the demo makes the key); one sign-in, and the home page and the stand-in Talkio page show the same
// pseudonymous id, the keyed hash of the issuer and sub, and Talkio got the neutral name.
func browserPseudonymous(t *testing.T, e *browserEnv) {
	gw := gatewaytest.Start(t, map[string]string{"TALKIO_USER_ID_MODE": "pseudonymous", "TALKIO_SEND_FIELDS": "none"}, nil)
	cfg := gw.Config()
	want := provision.IDRule{Key: cfg.IDKey}.UserID(cfg.OIDCIssuer.String(), "demo-maya")
	pe := *e
	pe.url = gw.URL()
	b := pe.newTab(t)
	b.navigate("home-signed-out", "/", chromedp.WaitVisible(chromedp.ID("privacy")))
	if got := b.text("privacy-id-mode"); !strings.HasPrefix(got, "pseudonymous") {
		t.Errorf("home page id mode %q, want pseudonymous", got)
	}
	b.step("provider-login", chromedp.Click(chromedp.ID("open-tutor")), chromedp.WaitVisible(chromedp.ID("login-maya")))
	b.step("talkio-dashboard", chromedp.Click(chromedp.ID("login-maya")), chromedp.WaitVisible(chromedp.ID("user-name")))
	b.wantLocation(pe.url + "/talkio/authentication/partner/")
	b.wantTalkio(talkioPage{name: provision.NeutralName(want), typ: "member", path: "", org: "demo-school", sidebar: "false"})
	if got := b.text("user-id"); got != want {
		t.Errorf("Talkio got user id %q, want %q", got, want)
	}
	b.navigate("home-signed-in", "/", chromedp.WaitVisible(chromedp.ID("privacy-talkio-id")))
	for id, w := range map[string]string{"privacy-talkio-id": want, "profile-id": want, "privacy-fields": "none"} {
		if got := b.text(id); got != w {
			t.Errorf("home page %s %q, want %q", id, got, w)
		}
	}
	b.noConsoleErrors()
}

// browserDeepLink: the Books & Literature link lands in Talkio at app/chat?t=books-literature.
func browserDeepLink(t *testing.T, e *browserEnv) {
	b := e.newTab(t)
	b.navigate("home", "/", chromedp.WaitVisible(chromedp.ID("open-books")))
	b.step("provider-login", chromedp.Click(chromedp.ID("open-books")), chromedp.WaitVisible(chromedp.ID("login-maya")))
	b.step("talkio-chat", chromedp.Click(chromedp.ID("login-maya")), chromedp.WaitVisible(chromedp.ID("user-name")))
	b.wantLocation(e.url + "/talkio/authentication/partner/")
	b.wantTalkio(talkioPage{name: "Maya Lindqvist", typ: "member", path: "app/chat?t=books-literature", org: "demo-school", sidebar: "false"})
	b.noConsoleErrors()
}

// browserEmbed: the embed page frames the stand-in Talkio page, with the microphone allowed, with and
// without the chat sidebar.
func browserEmbed(t *testing.T, e *browserEnv) {
	b := e.newTab(t)
	b.navigate("home", "/", chromedp.WaitVisible(chromedp.ID("embed-tutor")))
	b.step("provider-login", chromedp.Click(chromedp.ID("embed-tutor")), chromedp.WaitVisible(chromedp.ID("login-jonas")))
	b.step("embedded", chromedp.Click(chromedp.ID("login-jonas")), chromedp.WaitVisible(chromedp.ID("talkio-frame")))
	b.wantLocation(e.url + "/auth/callback?") // the callback answers the embed page itself
	b.wantFrame(talkioPage{name: "Jonas Weber", typ: "member", path: "", org: "demo-school", sidebar: "false"})
	if href := b.attr("open-new-tab", "href"); !strings.HasPrefix(href, "/open") {
		t.Errorf(`"Open in a new tab" goes to %q, want /open (a fresh token)`, href)
	}

	b.step("home", chromedp.Click(chromedp.ID("back-home")), chromedp.WaitVisible(chromedp.ID("embed-tutor-no-sidebar")))
	b.step("embedded-no-sidebar", chromedp.Click(chromedp.ID("embed-tutor-no-sidebar")), chromedp.WaitVisible(chromedp.ID("talkio-frame")))
	b.wantFrame(talkioPage{name: "Jonas Weber", typ: "member", path: "app/chat?t=books-literature", org: "demo-school", sidebar: "true"})
	b.noConsoleErrors()
}

// browserSignOut: signing out ends the session; opening the tutor again asks for sign-in again.
func browserSignOut(t *testing.T, e *browserEnv) {
	b := e.newTab(t)
	b.navigate("home-signed-out", "/", chromedp.WaitVisible(chromedp.ID("sign-in")))
	b.step("provider-login", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("login-jonas")))
	b.step("home-signed-in", chromedp.Click(chromedp.ID("login-jonas")), chromedp.WaitVisible(chromedp.ID("sign-out")))
	b.wantLocation(e.url + "/")
	if b.sessionCookie() == nil {
		t.Fatalf("no %s cookie after signing in", auth.SessionCookieName)
	}

	// The form posts (same-origin by its Fetch metadata); the gateway ends its session and the provider's (with
	// id_token_hint), and comes home.
	b.step("signed-out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in")))
	b.wantLocation(e.url + "/")
	if c := b.sessionCookie(); c != nil {
		t.Errorf("the session cookie outlived signing out (expires %v)", c.Expires)
	}

	b.step("sign-in-again", chromedp.Click(chromedp.ID("open-tutor")), chromedp.WaitVisible(chromedp.ID("login-jonas")))
	b.wantLocation(e.url + "/idp/")
	b.noConsoleErrors()
}

// browserSecondUser: a second person in a fresh browser context, the facilitator, becomes a Talkio user of
// their own with type facilitator, and the first person's session is untouched.
func browserSecondUser(t *testing.T, e *browserEnv) {
	member := e.newTab(t)
	member.prefix = "member-"
	member.navigate("open", "/open", chromedp.WaitVisible(chromedp.ID("login-jonas")))
	member.step("talkio", chromedp.Click(chromedp.ID("login-jonas")), chromedp.WaitVisible(chromedp.ID("user-name")))
	memberID := member.text("user-id")

	// A fresh browser context shares nothing with the member's: the gateway asks who this is.
	fac := member.another("facilitator-")
	fac.navigate("open", "/open", chromedp.WaitVisible(chromedp.ID("login-eleanor")))
	fac.step("talkio", chromedp.Click(chromedp.ID("login-eleanor")), chromedp.WaitVisible(chromedp.ID("user-name")))
	fac.wantTalkio(talkioPage{name: "Eleanor Hughes", typ: "facilitator", path: "", org: "demo-school", sidebar: "false"})
	facID := fac.text("user-id")
	if facID == "" || facID == memberID {
		t.Errorf("facilitator is Talkio user %q, member is %q: want two users", facID, memberID)
	}
	fac.navigate("home", "/", chromedp.WaitVisible(chromedp.ID("sign-out")))
	if got := fac.text("profile-type"); got != "facilitator" {
		t.Errorf("facilitator's home shows role %q", got)
	}

	// The member's own session is untouched by the second sign-in.
	member.navigate("home", "/", chromedp.WaitVisible(chromedp.ID("sign-out")))
	if got, typ := member.text("profile-name"), member.text("profile-type"); got != "Jonas Weber" || typ != "member" {
		t.Errorf("member's home shows %q (%s), want Jonas Weber (member)", got, typ)
	}
	member.noConsoleErrors()
	fac.noConsoleErrors()
}

// browserBadRequest: a link whose path leaves the Talkio app gets the gateway's 400 page, with a request
// id, signed out and signed in, and the browser stays on the gateway.
func browserBadRequest(t *testing.T, e *browserEnv) {
	b := e.newTab(t)
	b.badOpen("bad-path-signed-out")

	// Signed in, the same link is refused too: it never reaches Talkio.
	b.step("home", chromedp.Click(chromedp.ID("error-home")), chromedp.WaitVisible(chromedp.ID("sign-in")))
	b.step("provider-login", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("login-maya")))
	b.step("home-signed-in", chromedp.Click(chromedp.ID("login-maya")), chromedp.WaitVisible(chromedp.ID("sign-out")))
	b.badOpen("bad-path-signed-in")
	b.noConsoleErrors(badPath)
}

// browserErrorPages: the error pages a person can meet: a sign-in cancelled at the provider (with one
// fresh sign-in offered), a page that does not exist, a callback URL opened again.
func browserErrorPages(t *testing.T, e *browserEnv) {
	b := e.newTab(t)
	b.navigate("home", "/", chromedp.WaitVisible(chromedp.ID("sign-in")))
	b.step("provider-login", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("login-cancel")))
	// Cancelling at the provider comes back as an error page that offers one fresh sign-in.
	b.step("cancelled", chromedp.Click(chromedp.ID("login-cancel")), chromedp.WaitVisible(chromedp.ID("error-action")))
	b.wantLocation(e.url + "/auth/callback?")
	b.wantErrorPage("")
	b.step("sign-in-again", chromedp.Click(chromedp.ID("error-action")), chromedp.WaitVisible(chromedp.ID("login-maya")))
	b.step("home-signed-in", chromedp.Click(chromedp.ID("login-maya")), chromedp.WaitVisible(chromedp.ID("sign-out")))

	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(e.url+"/no-such-page"))
	if err != nil {
		t.Fatal(err)
	}
	b.step("not-found", chromedp.WaitVisible(chromedp.ID("error-home")))
	if resp.Status != http.StatusNotFound {
		t.Errorf("/no-such-page: status %d, want 404", resp.Status)
	}
	b.wantErrorPage("404")

	// A callback URL opened again (history, a bookmark) has no login attempt behind it.
	resp, err = chromedp.Run(b.ctx, chromedp.NavigateResponse(e.url+"/auth/callback?code=stale&state=stale"))
	if err != nil {
		t.Fatal(err)
	}
	b.step("stale-callback", chromedp.WaitVisible(chromedp.ID("error-action")))
	if resp.Status != http.StatusBadRequest {
		t.Errorf("stale callback: status %d, want 400", resp.Status)
	}
	b.wantErrorPage("400")
	b.noConsoleErrors("/auth/callback?", "/no-such-page")
}

// startBrowserDemo starts demo mode on a loopback port, waits until sign-in can start, and stops it
// (after the browser, whose cleanup runs first) when the test ends.
func startBrowserDemo(t *testing.T) *gatewaytest.Started {
	t.Helper()
	gw := gatewaytest.Start(t, nil, nil)
	if !strings.Contains(gw.Stdout.String(), "demo mode — open "+gw.URL()) {
		t.Errorf("stdout does not tell where to go: %q", gw.Stdout.String())
	}
	// As an orchestrator would see it, too.
	rctx, rcancel := context.WithTimeout(context.Background(), browsertest.Timeout)
	defer rcancel()
	if err := waitReady(rctx, gw.URL()); err != nil {
		t.Fatalf("gateway not ready: %v\n%s", err, gw.Logs)
	}
	return gw
}

// waitReady polls /readyz, as an orchestrator would, until the gateway has discovered its provider:
// discovery runs in the background, and sign-in answers 503 before it succeeds.
func waitReady(ctx context.Context, base string) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("/readyz never answered 200: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// screenshotDir returns the directory for the screenshots and says where it is when the test fails or
// runs with -v; otherwise it removes it.
func screenshotDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("BROWSER_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { t.Logf("screenshots: %s", dir) })
		return dir
	}
	dir, err := os.MkdirTemp("", "talkio-gateway-browser-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("screenshots: %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

// tab is one browser tab in its own browser context (no cookies shared with any other tab), with the
// screenshots of its steps.
type tab struct {
	t       *testing.T
	browser context.Context
	tab     context.Context // the tab, no deadline: for the screenshot after a failure
	ctx     context.Context // the tab with the subtest's deadline
	base    string
	shots   *album
	prefix  string // screenshot name prefix, for subtests with several tabs

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// album is a subtest's screenshot directory; its tabs number their screenshots in one sequence.
type album struct {
	dir string
	n   int
}

// browserEnv is what the scenarios share: the gateway's URL, the browser, the screenshot directory.
type browserEnv struct {
	url     string
	browser context.Context
	shots   string
}

// newTab opens a tab in a fresh browser context, with a new album for the subtest's screenshots.
func (e *browserEnv) newTab(t *testing.T) *tab {
	t.Helper()
	dir := filepath.Join(e.shots, strings.ReplaceAll(t.Name(), "/", "-"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("screenshots of %s: %s", t.Name(), dir)
		}
	})
	return openTab(t, e.browser, e.url, &album{dir: dir}, "")
}

// another opens a second tab in a fresh browser context of its own (a second person), whose screenshots
// join the same album, named with prefix.
func (b *tab) another(prefix string) *tab {
	b.t.Helper()
	return openTab(b.t, b.browser, b.base, b.shots, prefix)
}

func openTab(t *testing.T, browser context.Context, base string, shots *album, prefix string) *tab {
	t.Helper()
	tabCtx, cancelTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	// Opens the tab; a fixed viewport makes the screenshots comparable from run to run.
	if err := chromedp.Do(tabCtx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tabCtx, browsertest.Timeout)
	t.Cleanup(cancel)
	b := &tab{t: t, browser: browser, tab: tabCtx, ctx: ctx, base: base, shots: shots, prefix: prefix}
	messages := chromedp.Console(tabCtx) // subscribes now; the goroutine ends with the tab
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// step runs the actions, then saves a screenshot named after the step; on failure it saves one too and
// stops the subtest, saying where the browser was.
func (b *tab) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	err := chromedp.Do(b.ctx, actions...)
	if err != nil {
		b.shot(name + "-FAILED")
		b.t.Fatalf("%s: %v (browser at %s)", name, err, b.location())
	}
	b.shot(name)
	b.audit(name) // browser_a11y_test.go
}

// navigate opens path on the gateway and waits for the page to show what the step expects.
func (b *tab) navigate(name, path string, wait ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.step(name, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(b.base + path)}, wait...)...)
}

// shot saves a full-page screenshot as NN-name.png.
func (b *tab) shot(name string) {
	b.t.Helper()
	b.shots.n++
	file := filepath.Join(b.shots.dir, fmt.Sprintf("%02d-%s%s.png", b.shots.n, b.prefix, name))
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.t.Logf("screenshot %s: %v", file, err)
		return
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
}

// location is the tab's URL with any login token redacted, for messages.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return redactToken(loc)
}

var tokenParam = regexp.MustCompile(`([?&]token=)[^&#]*`)

func redactToken(s string) string { return tokenParam.ReplaceAllString(s, "${1}[redacted]") }

func (b *tab) wantLocation(prefix string) {
	b.t.Helper()
	if loc := b.location(); !strings.HasPrefix(loc, prefix) {
		b.t.Errorf("browser at %s, want %s…", loc, prefix)
	}
}

func (b *tab) text(id string, opts ...chromedp.QueryOption) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.ID(id), opts...))
	if err != nil {
		b.t.Fatalf("text of #%s: %v (browser at %s)", id, err, b.location())
	}
	return strings.TrimSpace(s)
}

func (b *tab) attr(id, name string, opts ...chromedp.QueryOption) string {
	b.t.Helper()
	r, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.ID(id), name, opts...))
	if err != nil {
		b.t.Fatalf("attribute %s of #%s: %v", name, id, err)
	}
	if !r.Exists {
		b.t.Errorf("#%s has no %s attribute", id, name)
	}
	return r.Value
}

func (b *tab) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

// sessionCookie returns the gateway's session cookie as the browser holds it, or nil.
func (b *tab) sessionCookie() *network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("read cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == auth.SessionCookieName {
			return c
		}
	}
	return nil
}

// talkioPage is what the stand-in Talkio page shows.
type talkioPage struct{ name, typ, path, org, sidebar string }

// wantTalkio checks the stand-in Talkio page in the tab (opts: FromNode for the framed one).
func (b *tab) wantTalkio(want talkioPage, opts ...chromedp.QueryOption) {
	b.t.Helper()
	got := talkioPage{
		name:    b.text("user-name", opts...),
		typ:     b.text("user-type", opts...),
		path:    b.text("path", opts...),
		org:     b.text("organization", opts...),
		sidebar: b.text("hide-chat-sidebar", opts...),
	}
	if got != want {
		b.t.Errorf("Talkio page shows %+v, want %+v", got, want)
	}
	if id := b.text("user-id", opts...); id == "" {
		b.t.Error("Talkio page shows no user id")
	}
}

// wantFrame checks the embed page's iframe: allowed the microphone, loaded from the stand-in Talkio app,
// and showing want inside.
func (b *tab) wantFrame(want talkioPage) {
	b.t.Helper()
	if allow := b.attr("talkio-frame", "allow"); !strings.Contains(allow, "microphone") {
		b.t.Errorf("iframe allow=%q lacks microphone", allow)
	}
	if src := b.attr("talkio-frame", "src"); !strings.HasPrefix(src, b.base+"/talkio/authentication/partner/?token=") {
		b.t.Errorf("iframe src %s is not the stand-in Talkio login", redactToken(src))
	}
	// The framed page is same-origin in demo mode, so its document is part of the page's DOM tree. Wait
	// until it has loaded before taking the iframe's node: the node holds the document it had then.
	loaded := `(() => {
		const d = document.getElementById("talkio-frame").contentDocument;
		return !!d && d.readyState === "complete" && !!d.getElementById("user-name");
	})()`
	if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](loaded, chromedp.WithPollingTimeout(0))(ctx, t)
		return err
	})); err != nil {
		b.t.Fatalf("the framed Talkio page never showed a user: %v (browser at %s)", err, b.location())
	}
	// The allow attribute only helps if no response header takes the microphone away: ask the browser.
	const mic = `(() => {
		const d = document.getElementById("talkio-frame").contentDocument;
		const p = d.permissionsPolicy || d.featurePolicy;
		return p ? String(p.allowsFeature("microphone")) : "unsupported";
	})()`
	switch got := b.eval(mic); got {
	case "true":
	case "unsupported":
		b.t.Log("this browser cannot report the framed page's permissions policy")
	default:
		b.t.Errorf("the framed page may not use the microphone (allowsFeature: %s)", got)
	}
	frames, err := chromedp.Run(b.ctx, chromedp.Nodes(chromedp.ID("talkio-frame")))
	if err != nil {
		b.t.Fatalf("find the iframe: %v", err)
	}
	b.wantTalkio(want, chromedp.FromNode(frames[0]))
}

// badPath is a link whose path would leave the Talkio app: a scheme-relative URL.
const badPath = "/open?path=//evil.example"

// badOpen opens a link with a path that must never reach Talkio and checks the gateway's 400 page.
func (b *tab) badOpen(name string) {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+badPath))
	if err != nil {
		b.t.Fatalf("open a bad link: %v", err)
	}
	b.step(name, chromedp.WaitVisible(chromedp.ID("request-id")))
	if resp.Status != http.StatusBadRequest {
		b.t.Errorf("status %d, want 400", resp.Status)
	}
	b.wantLocation(b.base + "/open?")
	if got := b.text("error-status"); !strings.Contains(got, "400") {
		b.t.Errorf("error page status %q, want 400", got)
	}
	id := b.text("request-id")
	if hdr, _ := resp.Headers["X-Request-Id"].(string); id == "" || id != hdr {
		b.t.Errorf("page shows request id %q, X-Request-Id is %q", id, hdr)
	}
	if got := b.text("demo-banner"); got == "" {
		b.t.Error("error page lacks the demo banner")
	}
}

// wantErrorPage checks the gateway's error page in the tab: the status (when status is not empty), a
// title, a message, the request id, the banner.
func (b *tab) wantErrorPage(status string) {
	b.t.Helper()
	if got := b.text("error-status"); status != "" && !strings.Contains(got, status) {
		b.t.Errorf("error page status %q, want %s", got, status)
	}
	for _, id := range []string{"error-title", "error-message", "request-id", "demo-banner"} {
		if b.text(id) == "" {
			b.t.Errorf("error page has no #%s text", id)
		}
	}
}

// noConsoleErrors fails on errors in the browser console so far: script errors, CSP violations, failed
// loads of the page's assets. A failed load of a URL containing expectedFailure (a page the test expects
// to be an error page) is not one.
func (b *tab) noConsoleErrors(expectedFailure ...string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
next:
	for _, m := range b.console {
		for _, u := range expectedFailure {
			if m.Source == "network" && strings.Contains(m.URL, u) {
				continue next
			}
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			b.t.Errorf("console %s at %s: %s", m.Type, redactToken(m.URL), redactToken(m.Text))
		}
	}
}
