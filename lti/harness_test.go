package lti_test

import (
	"crypto/rand"
	"crypto/rsa"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/net/html"

	"talkio-gateway/demo/lms"
	"talkio-gateway/internal/testutil"
	"talkio-gateway/lti"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

// Keys are slow to make; the tests share a few.
var (
	keysOnce sync.Once
	keys     [4]*rsa.PrivateKey
)

func testKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for j := range keys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keys[j] = k
		}
	})
	return keys[i]
}

// swap is an http.Handler whose target is set after its server has a URL.
type swap struct {
	mu sync.Mutex
	h  http.Handler
}

func (s *swap) set(h http.Handler) { s.mu.Lock(); s.h = h; s.mu.Unlock() }
func (s *swap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	h.ServeHTTP(w, r)
}

// logBuffer collects the tool's log lines (safe for concurrent writes).
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type metrics struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *metrics) add(outcome, typ string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n[outcome+"/"+typ]++
}

func (m *metrics) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n = map[string]int{}
}

func (m *metrics) get(k string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[k]
}

// harness is a tool (the lti handler on an httptest server) with the Partner API simulator and one or
// more stand-in platforms.
type harness struct {
	t        *testing.T
	tool     *httptest.Server
	toolURL  string
	sim      *talkiotest.Server
	lms      []*lms.LMS
	lmsURL   []string
	jwksGets []*atomic.Int32 // per platform: how often the tool fetched its key set
	idRule   provision.IDRule
	metrics  *metrics
	client   *http.Client
	logs     *logBuffer
}

type harnessOptions struct {
	platforms int
	storage   bool
	toolHost  string // e.g. "localhost" to put the tool on another origin than the platforms
	templates []lti.Template
	idKey     []byte // pseudonymous ids
	// wrap, when set, wraps the tool's handler (e.g. to play a browser that blocks its cookies)
	wrap func(http.Handler) http.Handler
}

func newHarness(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	if o.platforms == 0 {
		o.platforms = 1
	}
	h := &harness{t: t, logs: &logBuffer{}, idRule: provision.IDRule{Key: o.idKey}, metrics: &metrics{n: map[string]int{}}, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	h.sim = talkiotest.NewServer(talkiotest.Options{Provider: "acme", APIKey: "k", Organizations: []talkiotest.Organization{{Slug: "school"}, {Slug: "college"}}})
	t.Cleanup(h.sim.Close)
	tc, err := talkio.NewClient(h.sim.URL, "acme", "k", talkio.WithOrganization("school"))
	if err != nil {
		t.Fatal(err)
	}
	prov, err := provision.New(provision.Options{Talkio: tc, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := &swap{}
	h.tool = httptest.NewServer(ts)
	t.Cleanup(h.tool.Close)
	h.toolURL = h.tool.URL
	if o.toolHost != "" {
		h.toolURL = strings.Replace(h.toolURL, "127.0.0.1", o.toolHost, 1)
	}
	var platforms []lti.Platform
	for i := 0; i < o.platforms; i++ {
		ls := &swap{}
		srv := httptest.NewServer(ls)
		t.Cleanup(srv.Close)
		l, err := lms.New(lms.Options{BaseURL: srv.URL + "/lms", ToolURL: h.toolURL, Key: testKey(t, i), NoStorage: !o.storage})
		if err != nil {
			t.Fatal(err)
		}
		gets := &atomic.Int32{}
		ls.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/lms/jwks" {
				gets.Add(1)
			}
			l.ServeHTTP(w, r)
		}))
		h.jwksGets = append(h.jwksGets, gets)
		h.lms = append(h.lms, l)
		h.lmsURL = append(h.lmsURL, srv.URL)
		p := l.Platform()
		if i == 1 {
			p.Organization = "college"
		}
		platforms = append(platforms, p)
	}
	pub, _ := url.Parse(h.toolURL)
	app, _ := url.Parse(h.sim.URL)
	if o.templates == nil {
		o.templates = []lti.Template{{Slug: "books-literature", Title: "Books & Literature"}, {Slug: "travel", Title: "Travel"}}
	}
	handler, err := lti.New(lti.Options{
		Platforms: platforms, ToolKeys: []*rsa.PrivateKey{testKey(t, 3)}, Templates: o.templates,
		PublicURL: pub, TalkioAppURL: app, Provisioner: prov, IDRule: h.idRule,
		Logger: slog.New(slog.NewTextHandler(h.logs, nil)), Metrics: h.metrics.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.wrap != nil {
		handler = o.wrap(handler)
	}
	ts.set(handler)
	return h
}

// do sends a request and returns the response with its body read.
func (h *harness) do(req *http.Request) (*http.Response, string) {
	h.t.Helper()
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (h *harness) get(u string) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return h.do(req)
}

// post posts a form to the tool (rewriting a localhost tool URL to the listener) with cookies and headers.
func (h *harness) post(u string, form url.Values, cookies []*http.Cookie, header http.Header) (*http.Response, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return h.do(req)
}

// login runs the tool's login initiation for a user and link of platform i and returns the
// authentication request's query (what the tool sent to the platform) and the cookies it set.
func (h *harness) login(i int, u lms.User, link string) (url.Values, []*http.Cookie) {
	h.t.Helper()
	resp, body := h.get(h.lms[i].LoginURL(u, link))
	var next string
	switch resp.StatusCode {
	case http.StatusFound:
		next = resp.Header.Get("Location")
	case http.StatusOK: // the storage page
		next = attr(h.t, body, "lti-storage", "data-next")
	default:
		h.t.Fatalf("login: status %d, want 302 or 200\n%s", resp.StatusCode, body)
	}
	nu, err := url.Parse(next)
	if err != nil || !strings.HasPrefix(next, h.lms[i].Platform().AuthLoginURL+"?") {
		h.t.Fatalf("login went to %q, want the platform's auth_login_url", next)
	}
	return nu.Query(), resp.Cookies()
}

// launch runs a complete launch: login, the platform's authorization (with tamper), the form post.
func (h *harness) launch(i int, u lms.User, link string, tamper func(map[string]any)) (*http.Response, string) {
	h.t.Helper()
	q, cookies := h.login(i, u, link)
	action, form, err := h.lms[i].Authorize(q, tamper)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.post(action, form, cookies, nil)
}

// attr is attribute name of the element with id.
func attr(t testing.TB, body, id, name string) string {
	t.Helper()
	n := testutil.ByID(t, body, id)
	if n == nil {
		t.Fatalf("no element #%s in\n%s", id, body)
	}
	v, ok := testutil.LookupAttr(n, name)
	if !ok {
		t.Fatalf("#%s has no %s", id, name)
	}
	return v
}

// inputs are the named inputs of the form with id.
func inputs(t testing.TB, body, formID string) url.Values {
	t.Helper()
	f := testutil.FindNode(testutil.ParseHTML(t, body), func(n *html.Node) bool { return n.Data == "form" && testutil.Attr(n, "id") == formID })
	if f == nil {
		t.Fatalf("no form #%s in\n%s", formID, body)
	}
	vals := url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" {
			vals.Add(testutil.Attr(n, "name"), testutil.Attr(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(f)
	return vals
}

// text is the visible text of an element by id.
func text(t testing.TB, body, id string) string {
	t.Helper()
	n := testutil.ByID(t, body, id)
	if n == nil {
		t.Fatalf("no element #%s in\n%s", id, body)
	}
	return testutil.Text(n)
}
