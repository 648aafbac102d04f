package main

// Accessibility: schools must meet WCAG 2.1 AA. The browser test audits every page it visits with
// axe-core (the engine behind most accessibility checkers), run inside the page by headless Chromium, and
// fails on any violation, whatever its impact.
//
// axe-core comes from the npm registry: .ci/run installs a pinned version into .ci/node, where this test
// finds it (or at $AXE_CORE, the path of axe.min.js). Without it the audit is skipped, except in CI
// (CI=true), where a missing axe-core is a failure, as a missing browser is.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"talkio-gateway/internal/testutil/browsertest"

	"github.com/chromedp/chromedp"
)

// axeDefaultPath is where .ci/run installs axe-core (npm install --prefix .ci/node axe-core@VERSION).
const axeDefaultPath = ".ci/node/node_modules/axe-core/axe.min.js"

// axeViolation is one failed axe rule on a page, with the elements that fail it.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s — %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n\t%s: %s\n\t\t%s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", " "))
	}
	return b.String()
}

var axe struct {
	once   sync.Once
	source string // axe.min.js, or "" when absent
	where  string
	err    error
}

// axeSource returns axe-core's script, or skips the audit (fails it in CI) when it is not installed.
func axeSource(t *testing.T) (string, bool) {
	t.Helper()
	axe.once.Do(func() {
		axe.where = axeDefaultPath
		if p := os.Getenv("AXE_CORE"); p != "" {
			axe.where = p
		}
		b, err := os.ReadFile(axe.where)
		axe.source, axe.err = string(b), err
	})
	if axe.err == nil {
		return axe.source, true
	}
	msg := fmt.Sprintf("no axe-core for the accessibility audit at %s (%v); install it with: npm install --prefix .ci/node axe-core (or set AXE_CORE)", axe.where, axe.err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Log(msg + "; audit skipped")
	return "", false
}

// axeRun runs every axe rule of the default set (WCAG 2.0/2.1 A and AA, and the best practices, which
// include the landmark and heading rules) on the page's top document. Frames are left out: a framed page
// would need axe injected into it, and the one the gateway frames, the stand-in Talkio app, is audited
// where the browser test visits it directly.
const axeRun = `(async () => {
	const r = await axe.run(document, {iframes: false, resultTypes: ["violations"]});
	return r.violations.map(v => ({
		id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary || ""})),
	}));
})()`

// axeAudit injects axe-core into the tab's page (once per document) and returns its violations.
func axeAudit(ctx context.Context, source string) ([]axeViolation, error) {
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`))
	if err != nil {
		return nil, fmt.Errorf("look for axe: %w", err)
	}
	if !loaded {
		// Evaluated through DevTools, not a <script> element: the pages' Content-Security-Policy, which
		// allows no inline script, does not apply to it.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](source)); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe.run: %w", err)
	}
	return v, nil
}

// audit fails the subtest for every accessibility violation on the tab's current page. step calls it
// after each step, so each page a scenario visits is audited as the person saw it.
func (b *tab) audit(step string) {
	b.t.Helper()
	source, ok := axeSource(b.t)
	if !ok {
		return
	}
	violations, err := axeAudit(b.ctx, source)
	if err != nil {
		b.t.Errorf("%s: accessibility audit: %v (browser at %s)", step, err, b.location())
		return
	}
	for _, v := range violations {
		b.t.Errorf("%s: accessibility violation at %s: %s", step, b.location(), v)
	}
}

// TestA11yAuditFindsViolations proves the audit can fail: a page with the faults the gateway's pages once
// had (content outside landmarks, no level-one heading) and a few more must be reported, rule by rule,
// and the same page fixed must pass.
func TestA11yAuditFindsViolations(t *testing.T) {
	exe := browsertest.Find(t)
	source, ok := axeSource(t)
	if !ok {
		t.Skip("axe-core absent")
	}
	pages := map[string]string{
		"/bad": `<!doctype html><html><head><title>Bad</title></head><body>
<p>Demo mode — not for production</p>
<main><h2>Tutor</h2><img src="/x.png"><a href="/open"></a></main></body></html>`,
		"/good": `<!doctype html><html lang="en"><head><title>Good</title></head><body>
<header><p>Demo mode — not for production</p></header>
<main><h1>Tutor</h1><img src="/x.png" alt="Talkio"><a href="/open">Open tutor</a></main></body></html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(srv.Close)
	browser := browsertest.Start(t, exe)
	ctx, cancel := context.WithTimeout(browser, browsertest.Timeout)
	t.Cleanup(cancel)

	audit := func(path string) []string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		v, err := axeAudit(ctx, source)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range v {
			ids = append(ids, x.ID)
		}
		return ids
	}
	got := audit("/bad")
	for _, want := range []string{"region", "page-has-heading-one", "html-has-lang", "image-alt", "link-name"} {
		if !slices.Contains(got, want) {
			t.Errorf("axe found %v on the bad page, want %s among them", got, want)
		}
	}
	if got := audit("/good"); len(got) != 0 {
		t.Errorf("axe found %v on the good page, want nothing", got)
	}
}
