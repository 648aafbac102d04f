// Package browsertest starts the headless Chromium of the browser end-to-end tests (the gateway's and
// lti's): one place for finding the browser, its flags and the rule "skip without it, except in CI".
// It is apart from testutil so that only the browser tests' binaries link chromedp.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"talkio-gateway/internal/testutil"

	"github.com/chromedp/chromedp"
)

// Timeout bounds the browser's start, and is what the tests give a tab's work. It is a safety net
// against a hung browser, not a timing assertion: a tab's work takes a few seconds, more on a busy machine.
const Timeout = 60 * time.Second

// Find returns the browser to drive: $CHROMIUM, else chromium or chromium-browser on the PATH. Without
// one it skips the test, except in CI (CI=true), where a missing browser fails it; -short skips too.
func Find(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	names := []string{"chromium", "chromium-browser"}
	if p := os.Getenv("CHROMIUM"); p != "" {
		names = []string{p}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no browser for the end-to-end tests: none of %s found (install chromium, e.g. apt-get install chromium, or set CHROMIUM)", strings.Join(names, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start starts headless Chromium exe with a fresh profile, with the flags every browser test wants and
// then extra, and returns a context that holds it until the test ends. A browser that does not start
// within Timeout fails the test, with what it printed.
func Start(t testing.TB, exe string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	var out testutil.Buffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // containers and CI runners usually cannot give Chromium its sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(&out),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// Registered after t.TempDir, so this runs first: the browser is gone before its profile is removed.
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	sctx, scancel := context.WithTimeout(context.Background(), Timeout)
	defer scancel()
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }() // starts the browser; its life is bound to ctx, not sctx
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v\n%s", exe, err, &out)
		}
	case <-sctx.Done():
		t.Fatalf("start %s: no answer within %v\n%s", exe, Timeout, &out)
	}
	return ctx
}

// FrameWith returns the node of the iframe with frameID once its document has an element with id.
// The frame is cross-origin, so the page's script cannot look into it; the node is taken again until
// its document has the element (a node holds the document the frame had when it was taken).
func FrameWith(ctx context.Context, frameID, id string) (*chromedp.Node, error) {
	for {
		frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.ID(frameID)))
		if err != nil {
			return nil, err
		}
		try, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = chromedp.Do(try, chromedp.WaitVisible(chromedp.ID(id), chromedp.FromNode(frames[0])))
		cancel()
		if err == nil {
			return frames[0], nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}
