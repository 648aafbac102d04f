package gateway_test

// Issue 11 part B end to end: pseudonymous Talkio ids and the minimal profile through whole gateways,
// against the real OIDC libraries (demo/idp) and the Partner API simulator.

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"talkio-gateway/auth"
	"talkio-gateway/demo/idp"
	"talkio-gateway/demo/idp/idptest"
	"talkio-gateway/gateway/gatewaytest"
	"talkio-gateway/internal/testutil"
	"talkio-gateway/provision"
	"talkio-gateway/talkio/talkiotest"
)

const (
	privProvider = "privacy-partner"
	privOrg      = "privacy-school"
	privClientID = "talkio-gateway"
)

// zoe has every claim the gateway maps, each a value found nowhere else, so that a search of the logs
// for it cannot match by chance.
var zoe = idp.User{
	ID: "sub-zoe-4711-qx", Username: "zoe-login-q7",
	Name: "Zoe Quarrington", GivenName: "Zoe", FamilyName: "Quarrington",
	Email: "zoe.quarrington@school.example", EmailVerified: true,
	Phone: "+4915112345678", Locale: "de-DE", Groups: []string{"pupils-q7x", "class-q7b"},
}

// zoeClaims are the values of zoe's claims that must never reach a log line or a metric.
func zoeClaims() []string {
	return append([]string{zoe.ID, zoe.Username, zoe.Name, zoe.FamilyName, zoe.Email, "zoe.quarrington",
		zoe.Phone, strings.TrimPrefix(zoe.Phone, "+")}, zoe.Groups...)
}

// privacyEnv is a partner's provider, the Partner API simulator and a front proxy (the public URL)
// for gateway replicas in a production configuration.
type privacyEnv struct {
	idp    *idptest.Server
	sim    *talkiotest.Handler
	simURL string
	public string
	target atomic.Pointer[url.URL]
	vars   map[string]string
}

func newPrivacyEnv(t *testing.T) *privacyEnv {
	t.Helper()
	e := &privacyEnv{}
	apiKey, clientSecret := "api-key-"+randText(), "client-secret-"+randText()
	e.sim = talkiotest.NewHandler(talkiotest.Options{Provider: privProvider, APIKey: apiKey,
		Organizations: []talkiotest.Organization{{Slug: privOrg}}})
	simSrv := httptest.NewServer(e.sim)
	t.Cleanup(simSrv.Close)
	e.simURL = simSrv.URL

	front := httptest.NewUnstartedServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(e.target.Load())
		pr.Out.Host = pr.In.Host
	}})
	e.public = "http://" + front.Listener.Addr().String()
	front.Start()
	t.Cleanup(front.Close) // registered before any gateway: the replicas stop first

	e.idp = idptest.NewServer(t, idp.Options{
		Users: []idp.User{zoe},
		Clients: []idp.Client{{ID: privClientID, Secret: clientSecret,
			RedirectURIs: []string{e.public + "/auth/callback"}, PostLogoutRedirectURIs: []string{e.public + "/"}}},
	})
	e.vars = map[string]string{
		"GATEWAY_PUBLIC_URL":     e.public,
		"GATEWAY_SESSION_SECRET": randText() + randText(),
		"OIDC_ISSUER":            e.idp.Issuer(),
		"OIDC_CLIENT_ID":         privClientID,
		"OIDC_CLIENT_SECRET":     clientSecret,
		"TALKIO_API_URL":         e.simURL,
		"TALKIO_APP_URL":         e.simURL,
		"TALKIO_PROVIDER":        privProvider,
		"TALKIO_API_KEY":         apiKey,
		"TALKIO_ORGANIZATION":    privOrg,
	}
	return e
}

// start runs a replica with the environment's variables and the overrides, and sends the front
// proxy's requests to it.
func (e *privacyEnv) start(t *testing.T, override map[string]string) *gatewaytest.Started {
	t.Helper()
	vars := map[string]string{}
	for k, v := range e.vars {
		vars[k] = v
	}
	for k, v := range override {
		vars[k] = v
	}
	gw := gatewaytest.Start(t, vars, nil)
	e.target.Store(&url.URL{Scheme: "http", Host: gw.Addr()})
	return gw
}

func randText() string { return rand.Text() }

// newKey is a fresh TALKIO_USER_ID_KEY: 52 characters, more than the 32 bytes needed.
func newKey() string { return rand.Text() + rand.Text() }

// privBrowser is a cookie jar that signs in as one provider user (demo/idp's ?user=), and records the
// names of the cookies every response set.
type privBrowser struct {
	client *http.Client
	rec    *cookieRecorder
}

type cookieRecorder struct {
	mu    sync.Mutex
	names map[string]bool
}

func (r *cookieRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		for _, c := range resp.Cookies() {
			r.names[req.URL.Host+" "+c.Name] = true
		}
		r.mu.Unlock()
	}
	return resp, err
}

// cookies are the names of the cookies base set so far.
func (b *privBrowser) cookies(base string) []string {
	b.rec.mu.Lock()
	defer b.rec.mu.Unlock()
	var out []string
	for k := range b.rec.names {
		if name, ok := strings.CutPrefix(k, strings.TrimPrefix(base, "http://")+" "); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func newPrivBrowser(t *testing.T, user string) *privBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &cookieRecorder{names: map[string]bool{}}
	c := &http.Client{Jar: jar, Transport: rec, Timeout: testutil.WaitTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			q := req.URL.Query()
			if strings.HasSuffix(req.URL.Path, "/login") && q.Has("authRequestID") && !q.Has("user") {
				q.Set("user", user)
				req.URL.RawQuery = q.Encode()
			}
			return nil
		}}
	return &privBrowser{client: c, rec: rec}
}

// get follows every redirect and returns where it ended and the page.
func (b *privBrowser) get(t *testing.T, target string) (*url.URL, string) {
	t.Helper()
	resp, err := b.client.Get(target)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s ended at %s with %d:\n%s", target, resp.Request.URL, resp.StatusCode, body)
	}
	return resp.Request.URL, string(body)
}

// signIn signs in from the home page and returns the Talkio id the home page shows.
func (b *privBrowser) signIn(t *testing.T, base string) (home string, talkioID string) {
	t.Helper()
	end, body := b.get(t, base+"/login")
	if end.String() != base+"/" || !strings.Contains(body, `id="sign-out"`) {
		t.Fatalf("sign-in ended at %s, not signed in at the home page", end)
	}
	return body, byID(t, body, "profile-id")
}

// openTutor opens the tutor and returns the id the stand-in Talkio app signed in.
func (b *privBrowser) openTutor(t *testing.T, base string) string {
	t.Helper()
	end, body := b.get(t, base+"/open")
	if !strings.HasPrefix(end.Path, "/authentication/partner") && byID(t, body, "user-id") == "" {
		t.Fatalf("/open ended at %s, not in the Talkio app", end)
	}
	return byID(t, body, "user-id")
}

// byID is the text of the element with the id, "" when there is none.
func byID(t *testing.T, body, id string) string {
	t.Helper()
	return testutil.Text(testutil.ByID(t, body, id))
}

// TestPseudonymousIDsEndToEnd: with TALKIO_USER_ID_MODE=pseudonymous the Talkio id is the keyed hash of
// the issuer and sub, computed independently here; it is stable across sign-ins and replicas sharing
// the key, another key gives another id, and neither the sub nor any other claim reaches Talkio
// (TALKIO_SEND_FIELDS=none), a log line or a metric.
func TestPseudonymousIDsEndToEnd(t *testing.T) {
	t.Parallel()
	e := newPrivacyEnv(t)
	key := newKey()
	mode := map[string]string{"TALKIO_USER_ID_MODE": "pseudonymous", "TALKIO_USER_ID_KEY": key, "TALKIO_SEND_FIELDS": "none"}

	want := provision.IDRule{Key: []byte(key)}.UserID(e.idp.Issuer(), zoe.ID)
	if !strings.HasPrefix(want, provision.PseudonymPrefix) || strings.Contains(want, zoe.ID) {
		t.Fatalf("the id rule gives %q for sub %q", want, zoe.ID)
	}

	a := e.start(t, mode)
	var ids []string
	for i := range 2 { // two sign-ins of the same person, in two browsers
		b := newPrivBrowser(t, zoe.Username)
		_, id := b.signIn(t, e.public)
		ids = append(ids, id)
		if got := b.openTutor(t, e.public); got != want {
			t.Errorf("the Talkio app signed in %q, want %q", got, want)
		}
		if i == 0 {
			assertCookiesDocumented(t, b.cookies(e.public))
		}
	}
	b := e.start(t, mode) // a second replica with the same key, the front proxy now sends to it
	_, id := newPrivBrowser(t, zoe.Username).signIn(t, e.public)
	ids = append(ids, id)
	for i, id := range ids {
		if id != want {
			t.Errorf("sign-in %d: Talkio id %q, want %q (HMAC of issuer and sub)", i+1, id, want)
		}
	}

	users := e.sim.Users(privOrg)
	if len(users) != 1 || users[0].ID != want {
		t.Fatalf("simulator users %+v, want one with id %q", users, want)
	}
	u := users[0]
	if u.UserName != provision.NeutralName(want) || u.Email != "" || u.PhoneNumber != "" {
		t.Errorf("Talkio got userName %q, email %q, phone %q; want the neutral name and nothing else", u.UserName, u.Email, u.PhoneNumber)
	}
	assertSimGotNone(t, e.sim, zoeClaims())

	// Another key: another person as far as Talkio can tell.
	other := e.start(t, map[string]string{"TALKIO_USER_ID_MODE": "pseudonymous", "TALKIO_USER_ID_KEY": newKey(), "TALKIO_SEND_FIELDS": "none"})
	_, otherID := newPrivBrowser(t, zoe.Username).signIn(t, e.public)
	if otherID == want || !strings.HasPrefix(otherID, provision.PseudonymPrefix) || strings.Contains(otherID, zoe.ID) {
		t.Errorf("under another key the Talkio id is %q (first key: %q)", otherID, want)
	}
	if n := len(e.sim.Users(privOrg)); n != 2 {
		t.Errorf("simulator holds %d users after a sign-in under another key, want 2", n)
	}

	for name, gw := range map[string]*gatewaytest.Started{"a": a, "b": b, "other": other} {
		assertLogsHoldNone(t, name, gw, zoeClaims())
	}
	assertRequestLogUser(t, a, want)
}

// TestNameOnlyEndToEnd: TALKIO_SEND_FIELDS=name sends the name and nothing else of the profile, in claim
// mode too; the logs still hold no claim but the id (claim mode's Talkio id is the sub itself).
func TestNameOnlyEndToEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode string
		vars map[string]string
	}{
		{"pseudonymous", map[string]string{"TALKIO_USER_ID_MODE": "pseudonymous", "TALKIO_USER_ID_KEY": newKey(), "TALKIO_SEND_FIELDS": "name"}},
		{"claim", map[string]string{"TALKIO_SEND_FIELDS": "name"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			e := newPrivacyEnv(t)
			gw := e.start(t, tc.vars)
			br := newPrivBrowser(t, zoe.Username)
			_, id := br.signIn(t, e.public)
			want := provision.IDRule{Key: []byte(tc.vars["TALKIO_USER_ID_KEY"])}.UserID(e.idp.Issuer(), zoe.ID)
			if id != want {
				t.Errorf("Talkio id %q, want %q", id, want)
			}
			if got := br.openTutor(t, e.public); got != want {
				t.Errorf("the Talkio app signed in %q, want %q", got, want)
			}
			users := e.sim.Users(privOrg)
			if len(users) != 1 || users[0].UserName != zoe.Name || users[0].Email != "" || users[0].PhoneNumber != "" {
				t.Fatalf("simulator users %+v, want %s with the name only", users, want)
			}
			notSent := []string{zoe.Email, "zoe.quarrington", zoe.Phone, strings.TrimPrefix(zoe.Phone, "+")}
			if tc.mode == "pseudonymous" {
				notSent = append(notSent, zoe.ID)
			}
			assertSimGotNone(t, e.sim, notSent)

			claims := zoeClaims()
			if tc.mode == "claim" {
				claims = claims[1:] // the sub is the Talkio id, logged as user_id by design
			}
			assertLogsHoldNone(t, tc.mode, gw, claims)
			assertRequestLogUser(t, gw, want)
		})
	}
}

// assertSimGotNone checks that no Partner API call the simulator received carried any of values, in
// its path, query or body.
func assertSimGotNone(t *testing.T, sim *talkiotest.Handler, values []string) {
	t.Helper()
	calls := sim.Calls()
	if len(calls) == 0 {
		t.Fatal("the simulator received no call")
	}
	for _, c := range calls {
		for _, v := range values {
			if strings.Contains(c.Path, v) || strings.Contains(c.RawPath, v) || strings.Contains(c.RawQuery, v) ||
				bytes.Contains(c.Body, []byte(v)) || bytes.Contains(c.Body, []byte(jsonEscaped(v))) {
				t.Errorf("Talkio got %q in %s %s?%s %s", v, c.Method, c.Path, c.RawQuery, c.Body)
			}
		}
	}
}

// assertLogsHoldNone searches every log line of the gateway and its metrics for each value.
func assertLogsHoldNone(t *testing.T, name string, gw *gatewaytest.Started, values []string) {
	t.Helper()
	logs := gw.Logs.String()
	if !strings.Contains(logs, `"msg":"request"`) {
		t.Fatalf("%s: no request log line", name)
	}
	resp, err := http.Get("http://" + gw.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, v := range values {
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, v) || strings.Contains(line, jsonEscaped(v)) {
				t.Errorf("%s: log line holds claim value %q: %s", name, v, line)
			}
		}
		if strings.Contains(string(metrics), v) {
			t.Errorf("%s: metrics hold claim value %q", name, v)
		}
	}
}

// assertRequestLogUser checks that the request log names the user by the Talkio id: the /open line's
// user_id.
func assertRequestLogUser(t *testing.T, gw *gatewaytest.Started, want string) {
	t.Helper()
	found := false
	for _, line := range strings.Split(gw.Logs.String(), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) != nil || l["msg"] != "request" || l["route"] != "/open" {
			continue
		}
		found = true
		if l["user_id"] != want {
			t.Errorf("request log of /open: user_id %v, want %q", l["user_id"], want)
		}
	}
	if !found {
		t.Errorf("no request log line for /open")
	}
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestDemoPseudonymousMode: `TALKIO_USER_ID_MODE=pseudonymous go run .` starts; the demo makes a fresh
// key (printed with the admin commands' environment, as the demo's other secrets), and its home page says
// which mode and fields are in effect and shows the id Talkio got, which the stand-in app signed in.
func TestDemoPseudonymousMode(t *testing.T) {
	t.Parallel()
	gw := gatewaytest.Start(t, map[string]string{"TALKIO_USER_ID_MODE": "Pseudonymous", "TALKIO_SEND_FIELDS": "none"}, nil)
	cfg := gw.Config()
	if len(cfg.IDKey) < provision.MinIDKeyLength || cfg.IDMode != "pseudonymous" {
		t.Fatalf("demo id mode %q with a %d-byte key", cfg.IDMode, len(cfg.IDKey))
	}
	if again := gatewaytest.Start(t, map[string]string{"TALKIO_USER_ID_MODE": "pseudonymous"}, nil); bytes.Equal(again.Config().IDKey, cfg.IDKey) {
		t.Error("two demo starts made the same id key")
	}
	banner := "    export TALKIO_USER_ID_MODE=pseudonymous TALKIO_USER_ID_KEY=" + string(cfg.IDKey) + " OIDC_ISSUER=" + gw.URL() + "/idp\n"
	if !strings.Contains(gw.Stdout.String(), banner) {
		t.Errorf("stdout lacks %q:\n%s", banner, gw.Stdout)
	}

	b := newPrivBrowser(t, "maya")
	_, signedOut := b.get(t, gw.URL()+"/")
	if got := byID(t, signedOut, "privacy-id-mode"); !strings.HasPrefix(got, "pseudonymous") {
		t.Errorf("signed-out home page: id mode %q", got)
	}
	home, id := b.signIn(t, gw.URL())
	want := provision.IDRule{Key: cfg.IDKey}.UserID(cfg.OIDCIssuer.String(), "demo-maya")
	for what, got := range map[string]string{
		"profile id":    id,
		"id Talkio got": byID(t, home, "privacy-talkio-id"),
		"fields":        byID(t, home, "privacy-fields"),
		"name":          byID(t, home, "privacy-talkio-name"),
	} {
		w := map[string]string{"fields": "none", "name": provision.NeutralName(want)}[what]
		if w == "" {
			w = want
		}
		if got != w {
			t.Errorf("home page %s %q, want %q", what, got, w)
		}
	}
	if got := byID(t, home, "privacy-id-mode"); !strings.HasPrefix(got, "pseudonymous") {
		t.Errorf("home page id mode %q", got)
	}
	if got := b.openTutor(t, gw.URL()); got != want {
		t.Errorf("the stand-in Talkio app signed in %q, want %q", got, want)
	}
}

// A key the operator gives is the one used, and is never printed; claim mode (the default) makes none,
// and the home page says what is sent.
func TestDemoIDKeyGivenOrNot(t *testing.T) {
	t.Parallel()
	key := newKey()
	gw := gatewaytest.Start(t, map[string]string{"TALKIO_USER_ID_MODE": "pseudonymous", "TALKIO_USER_ID_KEY": key}, nil)
	if string(gw.Config().IDKey) != key {
		t.Errorf("the demo did not use the given key")
	}
	if strings.Contains(gw.Stdout.String(), key) || strings.Contains(gw.Logs.String(), key) {
		t.Errorf("the given key was printed or logged")
	}
	if !strings.Contains(gw.Stdout.String(), "export TALKIO_USER_ID_MODE=pseudonymous OIDC_ISSUER=") {
		t.Errorf("stdout lacks the id mode for the admin commands:\n%s", gw.Stdout)
	}

	claim := gatewaytest.Start(t, nil, nil)
	if claim.Config().IDKey != nil || strings.Contains(claim.Stdout.String(), "TALKIO_USER_ID_MODE") {
		t.Errorf("claim mode: key %q, stdout:\n%s", claim.Config().IDKey, claim.Stdout)
	}
	b := newPrivBrowser(t, "eleanor")
	home, id := b.signIn(t, claim.URL())
	for elem, want := range map[string]string{
		"privacy-id-mode":     "claim (the provider’s id as it is)",
		"privacy-fields":      "name,email,phone",
		"privacy-talkio-id":   "demo-eleanor",
		"privacy-talkio-name": "",
	} {
		if got := byID(t, home, elem); got != want {
			t.Errorf("%s %q, want %q", elem, got, want)
		}
	}
	if id != "demo-eleanor" {
		t.Errorf("profile id %q", id)
	}
}

// assertCookiesDocumented checks that the data-flow table of docs/security.md names every cookie the
// gateway set (an attempt cookie by its slot-less prefix), so that the table stays true.
func assertCookiesDocumented(t *testing.T, names []string) {
	t.Helper()
	doc, err := os.ReadFile("../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{auth.SessionCookieName, auth.LogoutHintCookieName, auth.AttemptCookiePrefix + "0"} {
		if !slices.Contains(names, want) {
			t.Errorf("a sign-in set the cookies %v, without %s", names, want)
		}
	}
	for _, name := range names {
		if strings.HasPrefix(name, auth.AttemptCookiePrefix) {
			name = auth.AttemptCookiePrefix
		}
		if !strings.Contains(string(doc), "`"+name) {
			t.Errorf("docs/security.md does not name the cookie %s", name)
		}
	}
}
