package scim

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"talkio-gateway/internal/testutil"
	"talkio-gateway/provision"
	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

const (
	testOrg      = "demo-school"
	testProvider = "acme-partner"
	testToken    = "scim-token-0123456789abcdef"
	testIssuer   = "https://login.example.com/tenant/v2.0"
)

// env is the SCIM handler in an httptest server, against the Partner API simulator.
type env struct {
	t       testing.TB
	sim     *talkiotest.Server
	srv     *httptest.Server
	logs    *testutil.Buffer
	metrics *countingMetrics
	client  *talkio.Client
	handler http.Handler
	token   string
}

func newEnv(t testing.TB, modify func(*Options, *provision.Options)) *env {
	t.Helper()
	sim := talkiotest.NewServer(talkiotest.Options{Provider: testProvider, APIKey: "k", Organizations: []talkiotest.Organization{{Slug: testOrg}}})
	t.Cleanup(sim.Close)
	c, err := talkio.NewClient(sim.URL, testProvider, "k", talkio.WithOrganization(testOrg),
		talkio.WithRetryPolicy(talkio.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	po := provision.Options{Talkio: c, Logger: logger}
	o := Options{Tokens: []string{testToken}, Talkio: c, Issuer: testIssuer, Logger: logger, Metrics: &countingMetrics{}}
	if modify != nil {
		modify(&o, &po)
	}
	o.FacilitatorGroups, o.AllowedGroups = po.FacilitatorGroups, po.AllowedGroups
	p, err := provision.New(po)
	if err != nil {
		t.Fatal(err)
	}
	if o.Provisioner == nil {
		o.Provisioner = p
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, sim: sim, srv: srv, logs: logs, metrics: o.Metrics.(*countingMetrics), client: c, handler: h, token: testToken}
}

// response is a SCIM answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request to /scim/v2+path with the env's token; body is a JSON string or "".
func (e *env) do(method, path, body string) response {
	e.t.Helper()
	return e.doWith(method, path, body, "Bearer "+e.token)
}

func (e *env) doWith(method, path, body, authorization string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/scim/v2"+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: answer is not JSON: %q", method, path, raw)
		}
	}
	return r
}

// want fails unless the answer has the status (and, for errors, the SCIM error shape).
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %d %s, want %d", r.status, r.raw, status)
	}
	if status >= 400 {
		schemas, _ := r.body["schemas"].([]any)
		if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || r.body["status"] != itoa(status) {
			t.Fatalf("not a SCIM error body: %s", r.raw)
		}
	}
	return r
}

func (r response) scimType() string { s, _ := r.body["scimType"].(string); return s }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// user is the simulator's record of id, failing the test when it has none.
func (e *env) user(id string) talkiotest.User {
	e.t.Helper()
	u, ok := e.sim.User(testOrg, id)
	if !ok {
		e.t.Fatalf("Talkio has no user %q", id)
	}
	return u
}

func (e *env) noUser(id string) {
	e.t.Helper()
	if u, ok := e.sim.User(testOrg, id); ok {
		e.t.Fatalf("Talkio still has user %q: %+v", id, u)
	}
}

// apiCalls counts the Partner API calls made since the last reset.
func (e *env) apiCalls() int { return e.sim.CallCount("*") }

type countingMetrics struct {
	mu            sync.Mutex
	requests      map[string]int
	deprovisioned map[string]int
}

func (m *countingMetrics) Request(op, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.requests == nil {
		m.requests = map[string]int{}
	}
	m.requests[op+" "+outcome]++
}

func (m *countingMetrics) Deprovisioned(mode string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.deprovisioned == nil {
		m.deprovisioned = map[string]int{}
	}
	m.deprovisioned[mode]++
}

func (m *countingMetrics) count(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if strings.Contains(key, " ") {
		return m.requests[key]
	}
	return m.deprovisioned[key]
}
