package lti_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"talkio-gateway/internal/testutil/browsertest"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// TestBrowserLaunchInLMSFrame runs launches in headless Chromium the way an LMS does: the course page
// of the stand-in platform on one origin (127.0.0.1) frames the tool on another (localhost); the
// learner clicks the course link, the tool's page appears inside the frame, and its button opens the
// Talkio app in a new tab, signed in. Once with cookies, once with the tool's cookies blocked (the
// server never sees them), where the launch must go through the platform's postMessage storage.
//
// Chromium is found as $CHROMIUM, chromium or chromium-browser; without it the test is skipped,
// except in CI (CI=true). BROWSER_SCREENSHOTS=dir keeps screenshots of the demo LMS there.
func TestBrowserLaunchInLMSFrame(t *testing.T) {
	exe := browsertest.Find(t)
	for _, blocked := range []bool{false, true} {
		name := "cookies"
		if blocked {
			name = "cookies blocked, platform storage"
		}
		t.Run(name, func(t *testing.T) {
			var wrap func(http.Handler) http.Handler
			if blocked {
				wrap = func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						r.Header.Del("Cookie")
						next.ServeHTTP(w, r)
					})
				}
			}
			h := newHarness(t, harnessOptions{storage: true, toolHost: "localhost", wrap: wrap})
			ctx, cancel := startLMSBrowser(t, exe, h, "link-0-learner")
			defer cancel()
			frame, err := browsertest.FrameWith(ctx, "tool-frame", "open-tutor")
			if err != nil {
				t.Fatalf("the tool's page did not appear in the LMS frame: %v (metrics %v)", err, h.metrics.n)
			}
			screenshot(t, ctx, name)
			waits := h.metrics.get("storage_wait/other")
			if blocked && waits != 1 {
				t.Errorf("launch went through the storage page %d times, want 1", waits)
			}
			if !blocked && waits != 0 {
				t.Logf("note: the state cookie did not reach the tool; the platform storage did the work")
			}

			opened := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool { return info.Type == "page" && info.OpenerID != "" })
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("open-tutor"), chromedp.FromNode(frame))); err != nil {
				t.Fatal(err)
			}
			var id target.ID
			select {
			case id = <-opened:
			case <-ctx.Done():
				t.Fatal("the button opened no tab")
			}
			tab, cancelTab := chromedp.NewContext(ctx, chromedp.WithTargetID(id))
			defer cancelTab()
			if _, err := chromedp.Run(tab, chromedp.Poll[bool](`location.href.indexOf("/authentication/partner/") >= 0 && document.readyState === "complete"`)); err != nil {
				t.Fatal(err)
			}
			href, err := chromedp.Run(tab, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			body, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("body")))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(href, h.sim.URL) || !strings.Contains(href, "path=app%2Fchat%3Ft%3Dbooks-literature") {
				t.Errorf("new tab at %s, want the Talkio login URL of the template", href)
			}
			if !strings.Contains(body, "Welcome, Ada Lovelace") || !strings.Contains(body, "sign-in link was accepted") {
				t.Errorf("the Talkio app did not sign Ada in:\n%s", body)
			}
		})
	}
}

// startLMSBrowser starts headless Chromium and opens the stand-in platform's course page, then clicks
// the element with id there; the returned context has the test's deadline. Site isolation is off so
// that the test can reach into the cross-origin frame (as a person clicking in it does); it changes no
// cookie or storage rule.
func startLMSBrowser(t *testing.T, exe string, h *harness, click string) (context.Context, context.CancelFunc) {
	t.Helper()
	ctx := browsertest.Start(t, exe,
		chromedp.Flag("disable-site-isolation-trials", true),
		chromedp.Flag("disable-features", "IsolateOrigins,site-per-process"),
	)
	ctx, cancel := context.WithTimeout(ctx, browsertest.Timeout)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 860),
		chromedp.Navigate(h.lmsURL[0]+"/lms/"),
		chromedp.WaitVisible(chromedp.ID("course-title")),
		chromedp.Click(chromedp.ID(click)),
	)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return ctx, cancel
}

// screenshot keeps a screenshot of the page in $BROWSER_SCREENSHOTS, when set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("BROWSER_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	file := filepath.Join(dir, "lti-demo-lms-"+strings.ReplaceAll(name, " ", "-")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Logf("screenshot: %v", err)
	}
}

// TestBrowserDeepLinking clicks through the teacher's "add content" in the demo LMS: the picker in the
// frame, a chat chosen, the signed answer posted back, the new link in the course.
func TestBrowserDeepLinking(t *testing.T) {
	exe := browsertest.Find(t)
	h := newHarness(t, harnessOptions{storage: true, toolHost: "localhost"})
	ctx, cancel := startLMSBrowser(t, exe, h, "deep-link")
	defer cancel()
	frame, err := browsertest.FrameWith(ctx, "tool-frame", "pick-travel")
	if err != nil {
		t.Fatalf("the picker did not appear in the LMS frame: %v", err)
	}
	screenshot(t, ctx, "deep-linking picker")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pick-travel"), chromedp.FromNode(frame))); err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.FrameWith(ctx, "tool-frame", "lms-message-title"); err != nil {
		t.Fatalf("the platform did not answer the deep-linking response: %v", err)
	}
	links := h.lms[0].Links()
	if last := links[len(links)-1]; len(links) != 3 || last.Custom["talkio_template"] != "travel" {
		t.Fatalf("course links %+v, want a third one for the travel chat", links)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(h.lmsURL[0]+"/lms/"), chromedp.WaitVisible(chromedp.ID("link-2-learner"))); err != nil {
		t.Fatalf("the course page does not show the new link: %v", err)
	}
	screenshot(t, ctx, "course with the added link")
}
