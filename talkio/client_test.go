package talkio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testProvider = "prov-SECRET-0123456789"
	testAPIKey   = "key-SECRET-abcdefghijklmnop"
	testOrg      = "test-school"
	testBase     = apiBasePath + testOrg
)

// testServer is the fake API of the client tests.
type testServer struct {
	*httptest.Server
	requests atomic.Int64 // every request that reached the server, any path
}

// setup starts a server whose mux is mounted under the organization base path (handlers register
// paths like "GET /users/{id}"); a request to any other path fails the test. Every request must carry
// the credentials and the user agent. The client retries with tiny delays.
func setup(t *testing.T, opts ...Option) (*Client, *http.ServeMux, *testServer) {
	t.Helper()
	mux := http.NewServeMux()
	ts := &testServer{}
	root := http.NewServeMux()
	root.Handle(testBase+"/", http.StripPrefix(testBase, mux))
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request to unexpected path: %s %s", r.Method, r.URL.EscapedPath())
		http.Error(w, "unexpected path", http.StatusTeapot)
	})
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		testHeader(t, r, "X-Provider", testProvider)
		testHeader(t, r, "X-Api-Key", testAPIKey)
		if ua := r.Header.Get("User-Agent"); ua == "" {
			t.Errorf("User-Agent is empty")
		}
		root.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	opts = append([]Option{WithOrganization(testOrg),
		WithRetryPolicy(RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond})}, opts...)
	c, err := NewClient(ts.URL, testProvider, testAPIKey, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, mux, ts
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("method: got %s, want %s", r.Method, want)
	}
}

func testHeader(t *testing.T, r *http.Request, header, want string) {
	t.Helper()
	if got := r.Header.Get(header); got != want {
		t.Errorf("header %s: got %q, want %q", header, got, want)
	}
}

// testQuery compares the whole query string, so unexpected parameters fail too.
func testQuery(t *testing.T, r *http.Request, want url.Values) {
	t.Helper()
	got := r.URL.Query()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("query: got %v, want %v", got, want)
	}
}

// testJSONBody compares the body with want as JSON values, so key order and spacing do not matter.
func testJSONBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	testHeader(t, r, "Content-Type", "application/json")
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	var got, w any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, b)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("body: got %s, want %s", b, want)
	}
}

func testNoBody(t *testing.T, r *http.Request) {
	t.Helper()
	if b, _ := io.ReadAll(r.Body); len(b) != 0 {
		t.Errorf("body: got %q, want none", b)
	}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// testNoSecret fails if s contains a credential.
func testNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{testAPIKey, testProvider} {
		if strings.Contains(s, secret) {
			t.Errorf("%q contains a credential", s)
		}
	}
}

func mustEqual[T any](t *testing.T, name string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %+v, want %+v", name, got, want)
	}
}

func TestNewClient(t *testing.T) {
	tests := []struct {
		name, baseURL, provider, apiKey string
		wantField                       string
	}{
		{"ok", "https://api.example.com", "p", "k", ""},
		{"ok with prefix", "https://api.example.com/prefix/", "p", "k", ""},
		{"not a URL", "http://%zz", "p", "k", "baseURL"},
		{"no scheme", "api.example.com", "p", "k", "baseURL"},
		{"ftp", "ftp://api.example.com", "p", "k", "baseURL"},
		{"no host", "https://", "p", "k", "baseURL"},
		{"user info", "https://u:pw@api.example.com", "p", "k", "baseURL"},
		{"query", "https://api.example.com/?a=b", "p", "k", "baseURL"},
		{"fragment", "https://api.example.com/#x", "p", "k", "baseURL"},
		{"no provider", "https://api.example.com", " ", "k", "provider"},
		{"no api key", "https://api.example.com", "p", "", "apiKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.baseURL, tt.provider, tt.apiKey)
			if tt.wantField == "" {
				if err != nil || c == nil {
					t.Fatalf("NewClient: got %v, want a client", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.wantField {
				t.Fatalf("NewClient: got %v, want a ValidationError on %s", err, tt.wantField)
			}
		})
	}
}

func TestNewClient_defaults(t *testing.T) {
	c, err := NewClient("https://api.example.com/", "p", "k", WithHTTPClient(nil), WithUserAgent(""), WithRetryPolicy(RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "retry", c.retry, DefaultRetryPolicy)
	mustEqual(t, "user agent", c.userAgent, []string{DefaultUserAgent})
	tr, ok := c.client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport: got %T, want *http.Transport", c.client.Transport)
	}
	if tr.MaxIdleConnsPerHost != 100 || tr.IdleConnTimeout != 90*time.Second || tr.TLSHandshakeTimeout == 0 ||
		tr.ResponseHeaderTimeout == 0 || !tr.ForceAttemptHTTP2 || tr.DialContext == nil {
		t.Errorf("transport is not tuned: %+v", tr)
	}
	if got := c.Organization(); got != "" {
		t.Errorf("Organization: got %q, want empty", got)
	}
	// Without an organization, calls fail before sending.
	_, err = c.GetUser(context.Background(), "u1")
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "organization" {
		t.Errorf("GetUser without organization: got %v, want a ValidationError on organization", err)
	}
	hc := &http.Client{}
	c, _ = NewClient("https://api.example.com", "p", "k", WithHTTPClient(hc), WithUserAgent("ua/1"),
		WithRetryPolicy(RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: time.Millisecond}))
	if c.client != hc {
		t.Errorf("WithHTTPClient: client not used")
	}
	mustEqual(t, "user agent", c.userAgent, []string{"ua/1"})
	mustEqual(t, "retry", c.retry, RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: time.Second, MaxRetryAfter: 30 * time.Second})
}

func TestWithTimeout(t *testing.T) {
	hc := &http.Client{Timeout: time.Minute}
	c, err := NewClient("https://api.example.com", "p", "k", WithHTTPClient(hc), WithTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	// The attempt's own deadline replaces http.Client.Timeout, which would clone every request.
	if c.timeout != 3*time.Second || c.client.Timeout != 0 {
		t.Errorf("timeout: got %v with http.Client.Timeout %v, want 3s and 0", c.timeout, c.client.Timeout)
	}
	if hc.Timeout != time.Minute {
		t.Errorf("the caller's http.Client was changed: timeout %v", hc.Timeout)
	}

	// An attempt that takes longer than the timeout fails as unavailable, after the retries.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _ = NewClient(srv.URL, "p", "k", WithOrganization("o"), WithTimeout(50*time.Millisecond),
		WithRetryPolicy(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
	if _, err := c.GetUser(context.Background(), "u1"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("GetUser against a server slower than the timeout: got %v, want ErrUnavailable", err)
	}
}

// The attempt's deadline covers the response body too, not only the headers.
func TestTimeoutCoversBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"id":`)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _ := NewClient(srv.URL, "p", "k", WithOrganization("o"), WithTimeout(50*time.Millisecond),
		WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	done := make(chan error, 1)
	go func() { _, err := c.GetUser(context.Background(), "u1"); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("a body that never ends: got %v, want ErrUnavailable", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the attempt outlived its timeout while reading the body")
	}
}

// The default client has no http.Client.Timeout of its own (the attempt's deadline is the backstop,
// DefaultTimeout), and a given client without one is used as it is.
func TestDefaultTimeout(t *testing.T) {
	c, err := NewClient("https://api.example.com", "p", "k")
	if err != nil {
		t.Fatal(err)
	}
	if c.timeout != DefaultTimeout || c.client.Timeout != 0 {
		t.Errorf("default: attempt timeout %v, http.Client.Timeout %v; want %v and 0", c.timeout, c.client.Timeout, DefaultTimeout)
	}
	hc := &http.Client{}
	if c, _ = NewClient("https://api.example.com", "p", "k", WithHTTPClient(hc)); c.client != hc {
		t.Error("a given client without a Timeout was copied")
	}
}

// rawServer records the request URI of every request and answers with body.
func rawServer(t *testing.T, body string) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var uris []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uris = append(uris, r.RequestURI)
		mu.Unlock()
		writeJSON(w, http.StatusOK, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), uris...)
	}
}

func TestBaseURLPrefixAndForOrganization(t *testing.T) {
	srv, uris := rawServer(t, `{}`)
	c, err := NewClient(srv.URL+"/proxy/talkio/", "p", "k", WithOrganization("one"))
	if err != nil {
		t.Fatal(err)
	}
	other := c.ForOrganization("two schools/ü")
	if c.Organization() != "one" || other.Organization() != "two schools/ü" {
		t.Errorf("Organization: got %q and %q", c.Organization(), other.Organization())
	}
	ctx := context.Background()
	if _, err := c.GetUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "request URIs", uris(), []string{
		"/proxy/talkio/api/partner/v3/organizations/one/users/u1",
		"/proxy/talkio/api/partner/v3/organizations/two%20schools%2F%C3%BC/users/u1",
	})
	if fmt.Sprint(other.creds) != fmt.Sprint(c.creds) || other.client != c.client {
		t.Errorf("ForOrganization does not share credentials and transport")
	}
}

func TestEscapingOfIDs(t *testing.T) {
	ids := []string{"a@b.c", "a/b", "a b", "ü/ñ", "%41", "a?b#c", "a+b&c=d", "a;b,c", "..a", "user-1"}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			c, mux, _ := setup(t)
			var gotID, gotConv, gotURI string
			mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
				gotID, gotURI = r.PathValue("id"), r.RequestURI
				writeJSON(w, http.StatusOK, `{"id":"x"}`)
			})
			mux.HandleFunc("GET /users/{id}/conversations/{cid}", func(w http.ResponseWriter, r *http.Request) {
				gotID, gotConv = r.PathValue("id"), r.PathValue("cid")
				writeJSON(w, http.StatusOK, `{"id":"x"}`)
			})
			ctx := context.Background()
			if _, err := c.GetUser(ctx, id); err != nil {
				t.Fatalf("GetUser: %v", err)
			}
			if gotID != id {
				t.Errorf("server saw id %q, want %q", gotID, id)
			}
			if want := testBase + "/users/" + url.PathEscape(id); gotURI != want {
				t.Errorf("request URI: got %q, want %q", gotURI, want)
			}
			if _, err := c.GetConversation(ctx, id, id+"/c"); err != nil {
				t.Fatalf("GetConversation: %v", err)
			}
			if gotID != id || gotConv != id+"/c" {
				t.Errorf("server saw %q and %q, want %q and %q", gotID, gotConv, id, id+"/c")
			}
		})
	}
}

func TestCallObserver(t *testing.T) {
	var mu sync.Mutex
	var calls []Call
	c, mux, _ := setup(t, WithCallObserver(func(ctx context.Context, call Call) {
		if ctx == nil {
			t.Error("observer got a nil context")
		}
		mu.Lock()
		calls = append(calls, call)
		mu.Unlock()
	}))
	var n atomic.Int64
	mux.HandleFunc("GET /users/{id}/token", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			writeJSON(w, http.StatusServiceUnavailable, `{"message":"busy"}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"token":"t"}`)
	})
	if _, err := c.UserToken(context.Background(), "secret-person@example.com"); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 {
		t.Fatalf("observer calls: got %d, want 2", len(calls))
	}
	for i, call := range calls {
		if call.Endpoint != "GET /users/{id}/token" || call.Method != http.MethodGet || call.Attempt != i+1 || call.Duration <= 0 {
			t.Errorf("call %d: got %+v", i, call)
		}
		if strings.Contains(fmt.Sprint(call), "secret-person") {
			t.Errorf("call %d holds the raw id: %v", i, call)
		}
	}
	if calls[0].StatusCode != 503 || !errors.Is(calls[0].Err, ErrUnavailable) {
		t.Errorf("first call: got status %d err %v, want 503 unavailable", calls[0].StatusCode, calls[0].Err)
	}
	if calls[1].StatusCode != 200 || calls[1].Err != nil {
		t.Errorf("second call: got status %d err %v, want 200 and no error", calls[1].StatusCode, calls[1].Err)
	}
}

// recordSleep replaces the retry wait: it records each wait and returns at once (or, when real is set,
// after really waiting), so retry tests need no timing.
func recordSleep(c *Client, real bool) func() []time.Duration {
	var mu sync.Mutex
	var waits []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		if real {
			return sleepContext(ctx, d)
		}
		return ctx.Err()
	}
	return func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Duration(nil), waits...)
	}
}

// failFirst answers the first n requests with status (and Retry-After, if set), then okBody.
func failFirst(n int64, status int, retryAfter, okBody string) http.HandlerFunc {
	var count atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			writeJSON(w, status, `{"message":"try later"}`)
			return
		}
		writeJSON(w, http.StatusOK, okBody)
	}
}

func TestRetry_transientThenSuccess(t *testing.T) {
	for _, status := range []int{502, 503, 504, 429} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			c, mux, ts := setup(t)
			waits := recordSleep(c, false)
			mux.Handle("GET /users/{id}", failFirst(1, status, "", `{"id":"u1"}`))
			u, err := c.GetUser(context.Background(), "u1")
			if err != nil {
				t.Fatalf("GetUser: %v", err)
			}
			if u.ID != "u1" {
				t.Errorf("id: got %q", u.ID)
			}
			if got := ts.requests.Load(); got != 2 {
				t.Errorf("requests: got %d, want 2", got)
			}
			if w := waits(); len(w) != 1 || w[0] <= 0 || w[0] > time.Millisecond {
				t.Errorf("waits: got %v, want one backoff within (0, 1ms]", w)
			}
		})
	}
}

func TestRetry_methods(t *testing.T) {
	tests := []struct {
		name         string
		call         func(c *Client) error
		pattern      string
		wantRequests int64
	}{
		{"GET", func(c *Client) error { _, err := c.GetSettings(context.Background(), "u1"); return err }, "GET /users/{id}/settings", 3},
		{"PUT", func(c *Client) error {
			_, err := c.UpdateUser(context.Background(), "u1", &UpdateUserRequest{Email: Ptr("a@b.c")})
			return err
		}, "PUT /users/{id}", 3},
		{"DELETE", func(c *Client) error { return c.DeleteUser(context.Background(), "u1") }, "DELETE /users/{id}", 3},
		{"POST create", func(c *Client) error {
			_, err := c.CreateUser(context.Background(), &CreateUserRequest{ID: "u1", UserName: "U", UserType: UserTypeMember})
			return err
		}, "POST /users", 1},
		{"POST invite", func(c *Client) error {
			_, err := c.InviteUser(context.Background(), &InviteUserRequest{Email: "a@b.c"})
			return err
		}, "POST /users/invite", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux, ts := setup(t)
			recordSleep(c, false)
			var bodies []string
			var mu sync.Mutex
			mux.HandleFunc(tt.pattern, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				mu.Unlock()
				writeJSON(w, http.StatusServiceUnavailable, `{"message":"down"}`)
			})
			err := tt.call(c)
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("got %v, want ErrUnavailable", err)
			}
			if got := ts.requests.Load(); got != tt.wantRequests {
				t.Errorf("requests: got %d, want %d", got, tt.wantRequests)
			}
			for i, b := range bodies {
				if b != bodies[0] {
					t.Errorf("body of attempt %d: got %q, want %q (the same as the first)", i+1, b, bodies[0])
				}
			}
		})
	}
}

func TestRetry_retryAfterSeconds(t *testing.T) {
	c, mux, ts := setup(t)
	waits := recordSleep(c, false)
	mux.Handle("GET /users/{id}/token", failFirst(1, http.StatusTooManyRequests, "1", `{"token":"t"}`))
	if _, err := c.UserToken(context.Background(), "u1"); err != nil {
		t.Fatalf("UserToken: %v", err)
	}
	mustEqual(t, "waits", waits(), []time.Duration{time.Second})
	if got := ts.requests.Load(); got != 2 {
		t.Errorf("requests: got %d, want 2", got)
	}
}

func TestRetry_retryAfterCapped(t *testing.T) {
	c, mux, _ := setup(t, WithRetryPolicy(RetryPolicy{MaxRetryAfter: 5 * time.Second}))
	waits := recordSleep(c, false)
	mux.Handle("GET /users/{id}/token", failFirst(1, http.StatusTooManyRequests, "3600", `{"token":"t"}`))
	if _, err := c.UserToken(context.Background(), "u1"); err != nil {
		t.Fatalf("UserToken: %v", err)
	}
	mustEqual(t, "waits", waits(), []time.Duration{5 * time.Second})
}

func TestRetry_givesUpAfterMaxAttempts(t *testing.T) {
	c, mux, ts := setup(t)
	waits := recordSleep(c, false)
	mux.Handle("GET /users/{id}", failFirst(10, http.StatusTooManyRequests, "", `{}`))
	_, err := c.GetUser(context.Background(), "u1")
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("got %v, want ErrRateLimited", err)
	}
	if got := ts.requests.Load(); got != 3 {
		t.Errorf("requests: got %d, want 3", got)
	}
	if w := waits(); len(w) != 2 {
		t.Errorf("waits: got %v, want 2", w)
	}
}

func TestRetry_deadlineRespected(t *testing.T) {
	c, mux, ts := setup(t)
	waits := recordSleep(c, true) // a real wait: if the client waited 30s the test would hang, not pass
	mux.Handle("GET /users/{id}/token", failFirst(10, http.StatusTooManyRequests, "30", `{"token":"t"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.UserToken(ctx, "u1")
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("got %v, want ErrRateLimited (the last error)", err)
	}
	if w := waits(); len(w) != 0 {
		t.Errorf("waits: got %v, want none (the wait would pass the deadline)", w)
	}
	if got := ts.requests.Load(); got != 1 {
		t.Errorf("requests: got %d, want 1", got)
	}
}

func TestRetry_cancelDuringWait(t *testing.T) {
	c, mux, ts := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.sleep = func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up while the client waits
		return sleepContext(ctx, d)
	}
	mux.Handle("GET /users/{id}", failFirst(10, http.StatusServiceUnavailable, "", `{}`))
	_, err := c.GetUser(ctx, "u1")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want the last error (ErrUnavailable)", err)
	}
	if got := ts.requests.Load(); got != 1 {
		t.Errorf("requests: got %d, want 1", got)
	}
}

func TestRetry_connectionError(t *testing.T) {
	c, mux, ts := setup(t)
	recordSleep(c, false)
	var n atomic.Int64
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			// Drop the connection without an answer.
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			_ = conn.Close()
			return
		}
		writeJSON(w, http.StatusOK, `{"id":"u1"}`)
	})
	u, err := c.GetUser(context.Background(), "u1")
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if u.ID != "u1" || ts.requests.Load() != 2 {
		t.Errorf("got user %q after %d requests, want u1 after 2", u.ID, ts.requests.Load())
	}
}

func TestTransportErrorAfterRetries(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there any more
	var attempts atomic.Int64
	c, err := NewClient(srv.URL, testProvider, testAPIKey, WithOrganization(testOrg),
		WithCallObserver(func(context.Context, Call) { attempts.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	recordSleep(c, false)
	_, err = c.GetUser(context.Background(), "person@example.com")
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 0 || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want an *Error with status 0 that is ErrUnavailable", err)
	}
	if attempts.Load() != 3 {
		t.Errorf("attempts: got %d, want 3", attempts.Load())
	}
	if strings.Contains(err.Error(), "person@example.com") {
		t.Errorf("transport error repeats the raw id: %v", err)
	}
	testNoSecret(t, err.Error())
	// POST: one attempt only.
	attempts.Store(0)
	_, err = c.CreateUser(context.Background(), &CreateUserRequest{ID: "u", UserName: "U", UserType: UserTypeMember})
	if !errors.Is(err, ErrUnavailable) || attempts.Load() != 1 {
		t.Errorf("create: got %v after %d attempts, want ErrUnavailable after 1", err, attempts.Load())
	}
}

func TestCanceledContext(t *testing.T) {
	c, mux, ts := setup(t)
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GetUser(ctx, "u1")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Errorf("got %v, want context.Canceled and not ErrUnavailable", err)
	}
	if ts.requests.Load() != 0 {
		t.Errorf("requests: got %d, want 0", ts.requests.Load())
	}
	//lint:ignore SA1012 a nil context must be refused, not panic
	_, err = c.GetUser(nil, "u1")
	if err == nil {
		t.Errorf("nil context: got no error")
	}
}

func TestDeadlineDuringCall(t *testing.T) {
	c, mux, _ := setup(t)
	release := make(chan struct{})
	defer close(release)
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.GetUser(ctx, "u1")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrUnavailable) {
		t.Errorf("got %v, want DeadlineExceeded that is ErrUnavailable", err)
	}
}

func TestBackoff(t *testing.T) {
	c, _ := NewClient("https://x", "p", "k", WithRetryPolicy(RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: 300 * time.Millisecond}))
	c.jitter = func(n int64) int64 { return n - 1 } // the largest jitter
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 300 * time.Millisecond, 10: 300 * time.Millisecond} {
		if got := c.backoff(attempt, 0); got != want {
			t.Errorf("backoff(%d): got %v, want %v", attempt, got, want)
		}
	}
	c.jitter = func(int64) int64 { return 0 } // the smallest jitter: half the delay
	if got := c.backoff(1, 0); got != 50*time.Millisecond {
		t.Errorf("backoff(1) without jitter: got %v, want 50ms", got)
	}
	if got := c.backoff(1, 7*time.Second); got != 7*time.Second {
		t.Errorf("backoff with Retry-After: got %v, want 7s", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"1", time.Second},
		{" 120 ", 2 * time.Minute},
		{"99999999999", 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSleepContext(t *testing.T) {
	if err := sleepContext(context.Background(), time.Microsecond); err != nil {
		t.Errorf("got %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// TestConnectionReuse shows that 100 sequential calls, errors and empty answers included, share one
// TCP connection: bodies are drained and closed.
func TestConnectionReuse(t *testing.T) {
	var newConns atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+testBase+"/users/{id}/token", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"token":"t","expiresAt":"2027-02-22T19:35:25.000Z","loginLink":"https://app/x"}`)
	})
	mux.HandleFunc("GET "+testBase+"/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"message":"no such user","statusCode":404}`+strings.Repeat(" ", 8000))
	})
	mux.HandleFunc("DELETE "+testBase+"/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"deleted":true}`)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, testProvider, testAPIKey, WithOrganization(testOrg))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 100 {
		var err error
		switch i % 3 {
		case 0:
			_, err = c.UserToken(ctx, "u1")
		case 1:
			if _, err = c.GetUser(ctx, "u1"); errors.Is(err, ErrNotFound) {
				err = nil
			}
		case 2:
			err = c.DeleteUser(ctx, "u1")
		}
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := newConns.Load(); got != 1 {
		t.Errorf("TCP connections: got %d, want 1", got)
	}
}

// TestNoSecretInOutput formats every value that might carry a credential or a token, in every verb.
func TestNoSecretInOutput(t *testing.T) {
	c, mux, _ := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		// A server that echoes the headers back must not leak them through the error.
		writeJSON(w, http.StatusUnauthorized, fmt.Sprintf(`{"message":"bad key %s for provider %s"}`,
			r.Header.Get("X-Api-Key"), r.Header.Get("X-Provider")))
	})
	_, apiErr := c.GetUser(context.Background(), "u1")
	if !errors.Is(apiErr, ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", apiErr)
	}
	if !strings.Contains(apiErr.Error(), "[redacted]") {
		t.Errorf("error: got %q, want the echoed credentials redacted", apiErr)
	}
	const secretToken = "tok-SECRET-zyxwvu"
	tok := Token{Token: secretToken, ExpiresAt: time.Now(), LoginLink: "https://app.example/authentication/partner/?token=" + secretToken}
	values := []any{c, *c, tok, &tok, apiErr, Call{Endpoint: "GET /users/{id}", Err: apiErr}}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			s := fmt.Sprintf(verb, v)
			testNoSecret(t, s)
			if strings.Contains(s, secretToken) {
				t.Errorf("%s of %T shows the token: %s", verb, v, s)
			}
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("token", "token", tok, "client", c, "err", apiErr)
	if strings.Contains(buf.String(), secretToken) {
		t.Errorf("slog output shows the token: %s", buf.String())
	}
	testNoSecret(t, buf.String())
	if got := (*Client)(nil).String(); got != "talkio.Client(nil)" {
		t.Errorf("nil client String: got %q", got)
	}
	if got := (Token{}).String(); !strings.Contains(got, `Token: ""`) {
		t.Errorf("empty token String: got %q", got)
	}
}

func TestAddOptions(t *testing.T) {
	mustEqual(t, "nil", addOptions(nil, (*ListUsersOptions)(nil)), url.Values{})
	mustEqual(t, "zero", addOptions(nil, &ListUsersOptions{}), url.Values{})
	mustEqual(t, "set", addOptions(nil, &ListUsersOptions{ListOptions{2, 50}, "member"}),
		url.Values{"page": {"2"}, "limit": {"50"}, "userType": {"member"}})
	mustEqual(t, "required kept", addOptions(url.Values{"x": {"y"}}, DailyStatsOptions{}),
		url.Values{"x": {"y"}, "date": {""}})
	defer func() {
		if recover() == nil {
			t.Errorf("unsupported kind: no panic")
		}
	}()
	addOptions(nil, struct {
		B bool `url:"b"`
		C int  `url:"-"`
		D int
	}{B: true})
}

func TestNewRequest_badTemplate(t *testing.T) {
	c, _ := NewClient("https://x", "p", "k", WithOrganization("o"))
	for _, tmpl := range []string{"/users/{id", "/users/{id}/{more}"} {
		if _, err := c.newRequest(context.Background(), http.MethodGet, tmpl, []string{"a"}, nil, nil); err == nil {
			t.Errorf("template %q: got no error", tmpl)
		}
	}
	if _, err := c.newRequest(context.Background(), http.MethodGet, "/x", nil, nil, func() {}); err == nil {
		t.Errorf("unencodable body: got no error")
	}
	if _, err := c.newRequest(context.Background(), "BAD METHOD", "/x", nil, nil, nil); err != nil {
		t.Fatalf("newRequest: %v", err)
	} else if err := c.do(&request{ctx: context.Background(), method: "BAD METHOD", url: "https://x/"}, nil); err == nil {
		t.Errorf("bad method: got no error")
	}
}

func TestResponseBodyLimits(t *testing.T) {
	defer func(n int64) { maxResponseBody = n }(maxResponseBody)
	maxResponseBody = 1 << 20
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /users/{id}/settings", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"extra":"`)
		chunk := strings.Repeat("x", 1<<20)
		for range maxResponseBody>>20 + 1 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK) // no body at all
	})
	mux.HandleFunc("GET /users/{id}/token", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"token": 42}`)
	})
	ctx := context.Background()
	if _, err := c.GetSettings(ctx, "u1"); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("huge body: got %v, want a size error", err)
	}
	if u, err := c.GetUser(ctx, "u1"); err != nil || u.ID != "" {
		t.Errorf("empty body: got %+v, %v; want an empty user", u, err)
	}
	if _, err := c.UserToken(ctx, "u1"); err == nil || !strings.Contains(err.Error(), "decode response") {
		t.Errorf("bad body: got %v, want a decode error", err)
	}
}

func TestBodyReadErrorIsRetried(t *testing.T) {
	c, mux, ts := setup(t)
	recordSleep(c, false)
	var n atomic.Int64
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			// Promise more than is sent, then drop the connection mid-body.
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"id":`)
			http.NewResponseController(w).Flush()
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		writeJSON(w, http.StatusOK, `{"id":"u1"}`)
	})
	u, err := c.GetUser(context.Background(), "u1")
	if err != nil || u.ID != "u1" {
		t.Fatalf("got %+v, %v; want u1", u, err)
	}
	if ts.requests.Load() != 2 {
		t.Errorf("requests: got %d, want 2", ts.requests.Load())
	}
}
