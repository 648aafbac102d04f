package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"talkio-gateway/talkio"
	"talkio-gateway/talkio/talkiotest"
)

const (
	testOrg      = "acme-school"
	testOrg2     = "acme-college"
	testProvider = "acme"
	testAPIKey   = "test-api-key-must-never-be-printed"
)

// testNow is the fixed clock shared by the simulator and the CLI, so expiry
// boundaries are exact.
var testNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// harness is one simulator and an Env whose output is captured.
type harness struct {
	t              *testing.T
	srv            *talkiotest.Server
	env            Env
	stdout, stderr bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv := talkiotest.NewServer(talkiotest.Options{
		Provider: testProvider,
		APIKey:   testAPIKey,
		Organizations: []talkiotest.Organization{
			{Slug: testOrg}, {Slug: testOrg2},
		},
		Now: func() time.Time { return testNow },
	})
	t.Cleanup(srv.Close)
	// Tiny retry delays: the retries themselves are under test, not their timing.
	client, err := talkio.NewClient(srv.URL, testProvider, testAPIKey,
		talkio.WithOrganization(testOrg),
		talkio.WithRetryPolicy(talkio.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv}
	h.env = Env{
		Client: client, Organizations: []string{testOrg, testOrg2},
		Stdout: &h.stdout, Stderr: &h.stderr,
		Now: func() time.Time { return testNow },
	}
	return h
}

// run runs the CLI with args and returns the exit code; stdout and stderr
// hold that run's output only. Every run checks the API key stays secret.
func (h *harness) run(args ...string) int {
	h.t.Helper()
	return h.runCtx(context.Background(), args...)
}

func (h *harness) runCtx(ctx context.Context, args ...string) int {
	h.t.Helper()
	h.stdout.Reset()
	h.stderr.Reset()
	code := Run(ctx, h.env, args)
	if strings.Contains(h.stdout.String()+h.stderr.String(), testAPIKey) {
		h.t.Fatalf("%v: the API key was printed", args)
	}
	return code
}

// mustRun runs args and fails the test unless the exit code is want.
func (h *harness) mustRun(want int, args ...string) {
	h.t.Helper()
	if got := h.run(args...); got != want {
		h.t.Fatalf("%v: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", args, got, want, h.stdout.String(), h.stderr.String())
	}
}

func (h *harness) addUser(u talkiotest.User) {
	h.t.Helper()
	h.addUserIn(testOrg, u)
}

func (h *harness) addUserIn(org string, u talkiotest.User) {
	h.t.Helper()
	if err := h.srv.AddUser(org, u); err != nil {
		h.t.Fatal(err)
	}
}

// seedBasic adds two active users and one expired user.
func (h *harness) seedBasic() {
	h.t.Helper()
	past := testNow.Add(-48 * time.Hour)
	future := testNow.Add(720 * time.Hour)
	h.addUser(talkiotest.User{ID: "u1", UserName: "Ada Lovelace", Email: "ada@example.com", AccountExpiresAt: &future})
	h.addUser(talkiotest.User{ID: "u2", UserName: "Grace Hopper", UserType: talkiotest.UserTypeFacilitator, Email: "grace@example.com"})
	h.addUser(talkiotest.User{ID: "x1", UserName: "Gone Person", Email: "gone@example.com", AccountExpiresAt: &past})
}

func TestIsCommand(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"users", "expired", "sweep", "usage", "conversations"} {
		if !IsCommand(name) {
			t.Errorf("IsCommand(%q) = false, want true", name)
		}
	}
	for _, name := range []string{"", "serve", "user", "-h", "list"} {
		if IsCommand(name) {
			t.Errorf("IsCommand(%q) = true, want false", name)
		}
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	Usage(&b)
	for _, want := range []string{
		"users list", "users get", "users delete", "users invite", "users link", "users settings",
		"users offboard", "expired list", "sweep", "usage report", "conversations",
	} {
		if !strings.Contains(b.String(), "talkio-gateway "+want) {
			t.Errorf("Usage lacks %q:\n%s", want, b.String())
		}
	}
}

// TestBadInput runs every subcommand with bad input: each must exit 2, print
// the error and the usage on stderr, nothing on stdout, and call no API.
func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string // in stderr
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"nope"}, `error: unknown command "nope" in "talkio-gateway"; run "talkio-gateway -h" for the list` + "\n"},
		{"users without subcommand", []string{"users"}, "needs a subcommand"},
		{"users unknown subcommand", []string{"users", "frob"}, `error: unknown command "frob" in "talkio-gateway users"; run "talkio-gateway users -h" for the list` + "\n"},
		{"expired unknown subcommand", []string{"expired", "frobnicate", "--json"}, `error: unknown command "frobnicate" in "talkio-gateway expired"`},
		{"users list extra arg", []string{"users", "list", "extra"}, `unexpected argument "extra"`},
		{"users list bad type", []string{"users", "list", "--type", "admin"}, `--type: "admin"`},
		{"users list bad flag", []string{"users", "list", "--bogus"}, "flag provided but not defined: -bogus"},
		{"users list bad org", []string{"users", "list", "--org", "Bad Org"}, "--org"},
		{"users list unknown org", []string{"users", "list", "--org", "other-school"}, "not a configured organization"},
		{"users get missing id", []string{"users", "get"}, "missing argument: ID|EMAIL"},
		{"users get extra arg", []string{"users", "get", "u1", "u2"}, `unexpected argument "u2"`},
		{"users get empty id", []string{"users", "get", ""}, "must not be empty"},
		{"users get bad flag", []string{"users", "get", "u1", "--yes"}, "flag provided but not defined"},
		{"users delete missing id", []string{"users", "delete"}, "missing argument: ID"},
		{"users delete extra arg", []string{"users", "delete", "u1", "u2", "--yes"}, "unexpected argument"},
		{"users delete without yes", []string{"users", "delete", "u1"}, "without --yes"},
		{"users delete bad yes", []string{"users", "delete", "u1", "--yes=perhaps"}, "invalid boolean value"},
		{"users invite missing email", []string{"users", "invite"}, "missing argument: EMAIL"},
		{"users invite bad email", []string{"users", "invite", "not-an-email"}, "not an email address"},
		{"users invite named email", []string{"users", "invite", "Ada <ada@example.com>"}, "not an email address"},
		{"users invite bad expires", []string{"users", "invite", "a@example.com", "--expires", "tomorrow"}, "--expires"},
		{"users invite past expires", []string{"users", "invite", "a@example.com", "--expires", "2020-01-01T00:00:00Z"}, "not in the future"},
		{"users link missing id", []string{"users", "link"}, "missing argument: ID"},
		{"users link evil path", []string{"users", "link", "u1", "--path", "//evil.example"}, "--path"},
		{"users link scheme path", []string{"users", "link", "u1", "--path", "https://evil.example"}, "--path"},
		{"users link dotdot path", []string{"users", "link", "u1", "--path", "app/../../x"}, "--path"},
		{"users link encoded path", []string{"users", "link", "u1", "--path", "%2f%2fevil.example"}, "--path"},
		{"users link both", []string{"users", "link", "u1", "--path", "app", "--template", "x"}, "not both"},
		{"users link bad template", []string{"users", "link", "u1", "--template", "a b"}, "--template"},
		{"users settings missing id", []string{"users", "settings"}, "missing argument: ID"},
		{"users settings set without =", []string{"users", "settings", "u1", "--set", "uiLanguage"}, "want key=value"},
		{"users settings unknown key", []string{"users", "settings", "u1", "--set", "colour=blue"}, `unknown setting "colour"`},
		{"users settings bad number", []string{"users", "settings", "u1", "--set", "readAloudSpeed=fast"}, "positive number"},
		{"users settings negative number", []string{"users", "settings", "u1", "--set", "readAloudSpeed=-1"}, "positive number"},
		{"users settings bad bool", []string{"users", "settings", "u1", "--set", "showLiveFeedback=maybe"}, "true or false"},
		{"users settings empty string", []string{"users", "settings", "u1", "--set", "defaultTutor="}, "must not be empty"},
		{"users settings twice", []string{"users", "settings", "u1", "--set", "defaultTutor=A", "--set", "defaultTutor=B"}, "given twice"},
		{"users offboard missing id", []string{"users", "offboard"}, "missing argument: ID"},
		{"users offboard extra arg", []string{"users", "offboard", "u1", "u2"}, "unexpected argument"},
		{"expired without subcommand", []string{"expired"}, "needs a subcommand"},
		{"expired list extra arg", []string{"expired", "list", "x"}, "unexpected argument"},
		{"expired list bad flag", []string{"expired", "list", "--type", "member"}, "flag provided but not defined"},
		{"expired get missing id", []string{"expired", "get"}, "missing argument"},
		{"sweep extra arg", []string{"sweep", "now"}, `unexpected argument "now"`},
		{"sweep bad grace", []string{"sweep", "--grace", "30d"}, "invalid value"},
		{"sweep negative grace", []string{"sweep", "--grace", "-1h"}, "negative"},
		{"sweep zero max deletes", []string{"sweep", "--max-deletes", "0"}, "at least 1"},
		{"sweep bad max deletes", []string{"sweep", "--max-deletes", "many"}, "invalid value"},
		{"sweep zero concurrency", []string{"sweep", "--concurrency", "0"}, "--concurrency"},
		{"sweep huge concurrency", []string{"sweep", "--concurrency", "1000"}, "--concurrency"},
		{"usage without subcommand", []string{"usage"}, "needs a subcommand"},
		{"usage report no month", []string{"usage", "report"}, "--month is required"},
		{"usage report bad month", []string{"usage", "report", "--month", "2026-13"}, "--month"},
		{"usage report short month", []string{"usage", "report", "--month", "2026-3"}, "--month"},
		{"usage report date", []string{"usage", "report", "--month", "2026-03-01"}, "--month"},
		{"usage report bad timezone", []string{"usage", "report", "--month", "2026-03", "--timezone", "Mars/Olympus"}, "--timezone"},
		{"usage report Local timezone", []string{"usage", "report", "--month", "2026-03", "--timezone", "Local"}, "--timezone"},
		{"usage report bad concurrency", []string{"usage", "report", "--month", "2026-03", "--concurrency", "0"}, "--concurrency"},
		{"usage report extra arg", []string{"usage", "report", "--month", "2026-03", "x"}, "unexpected argument"},
		{"conversations missing id", []string{"conversations"}, "missing argument: ID"},
		{"conversations extra arg", []string{"conversations", "u1", "c1", "c2"}, `unexpected argument "c2"`},
		{"conversations bad template", []string{"conversations", "u1", "--template", "../x"}, "--template"},
		{"conversations template with id", []string{"conversations", "u1", "c1", "--template", "x"}, "cannot be used"},
		{"conversations empty conversation id", []string{"conversations", "u1", ""}, "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.addUser(talkiotest.User{ID: "u1"})
			h.srv.ResetCalls()
			if got := h.run(tt.args...); got != ExitUsage {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", got, ExitUsage, h.stderr.String())
			}
			stderr := h.stderr.String()
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, stderr)
			}
			if strings.Contains(tt.wantErr, "unknown command") {
				// Issue 12 point 5: one line naming the word and the -h hint, not the whole help.
				if stderr != tt.wantErr && strings.Count(stderr, "\n") != 1 {
					t.Errorf("stderr is not one line:\n%s", stderr)
				}
			} else if !strings.HasPrefix(stderr, "error: ") || !strings.Contains(stderr, "usage:") && !strings.Contains(stderr, "Admin commands") {
				t.Errorf("stderr is not an error plus usage:\n%s", stderr)
			}
			if h.stdout.Len() != 0 {
				t.Errorf("stdout not empty:\n%s", h.stdout.String())
			}
			if calls := h.srv.Calls(); len(calls) != 0 {
				t.Errorf("%d API calls made for a usage error, want 0", len(calls))
			}
		})
	}
}

// TestHelp checks -h prints the usage on stdout and exits 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"users", "-h"}, "Subcommands:"},
		{[]string{"users", "help"}, "users list"},
		{[]string{"users", "list", "-h"}, "-type"},
		{[]string{"users", "settings", "--help"}, "readAloudSpeed (number)"},
		{[]string{"sweep", "-h"}, "-max-deletes"},
		{[]string{"usage", "report", "-h"}, "-timezone"},
		{[]string{"conversations", "-h"}, "CONVERSATION_ID"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			h := newHarness(t)
			h.mustRun(ExitOK, tt.args...)
			if !strings.Contains(h.stdout.String(), tt.want) {
				t.Errorf("stdout lacks %q:\n%s", tt.want, h.stdout.String())
			}
		})
	}
}

func TestParseInterleaved(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string // positional args joined by "|"
		json bool
	}{
		{[]string{"u1"}, "u1", false},
		{[]string{"--json", "u1"}, "u1", true},
		{[]string{"u1", "--json"}, "u1", true},
		{[]string{"a", "--json", "b"}, "a|b", true},
		{[]string{"--", "--json"}, "--json", false},
		{[]string{"a", "--", "-b", "--json"}, "a|-b|--json", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		fs := newTestFlagSet()
		var js bool
		fs.BoolVar(&js, "json", false, "")
		pos, err := parseInterleaved(fs, tt.args)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if got := strings.Join(pos, "|"); got != tt.want || js != tt.json {
			t.Errorf("%v: got %q json=%v, want %q json=%v", tt.args, got, js, tt.want, tt.json)
		}
	}
}

// TestAPIErrorReported checks an API failure exits 1 with "error: …" and the
// request id.
func TestAPIErrorReported(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.srv.Inject(talkiotest.EndpointListUsers, talkiotest.Fault{Status: 500})
	h.mustRun(ExitFailure, "users", "list")
	stderr := h.stderr.String()
	if !strings.HasPrefix(stderr, "error: ") || !strings.Contains(stderr, "500") || !strings.Contains(stderr, "request id") {
		t.Errorf("stderr = %q, want an error with status and request id", stderr)
	}
	if h.stdout.Len() != 0 {
		t.Errorf("stdout = %q, want empty", h.stdout.String())
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	e := &talkio.Error{StatusCode: 404, Message: "nope", RequestID: "req-1", Endpoint: "GET /users/{id}"}
	if got := describe(fmt.Errorf("wrapped: %w", e)); strings.Count(got, "req-1") != 1 {
		t.Errorf("describe = %q, want the request id once", got)
	}
	// A message without the id (another formatter) gets it appended.
	if got := describe(fmt.Errorf("x: %w", &idLess{e})); !strings.Contains(got, "(request id req-1)") {
		t.Errorf("describe = %q, want the request id appended", got)
	}
}

// idLess wraps a talkio.Error whose text does not carry the request id.
type idLess struct{ e *talkio.Error }

func (i *idLess) Error() string { return "opaque failure" }
func (i *idLess) Unwrap() error { return i.e }

func TestNoClient(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := Run(context.Background(), Env{Stdout: &out, Stderr: &errb}, []string{"users", "list"})
	if code != ExitFailure || !strings.Contains(errb.String(), "no Talkio client") {
		t.Errorf("code %d, stderr %q", code, errb.String())
	}
}

func TestOtherOrganization(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seedBasic()
	h.addUserIn(testOrg2, talkiotest.User{ID: "college-1", UserName: "Col Lege"})
	h.mustRun(ExitOK, "users", "list", "--org", testOrg2)
	if out := h.stdout.String(); !strings.Contains(out, "college-1") || strings.Contains(out, "u1") {
		t.Errorf("users list --org %s:\n%s", testOrg2, out)
	}
	// Without a configured list any well-formed slug goes through to the API.
	h.env.Organizations = nil
	h.mustRun(ExitFailure, "users", "list", "--org", "unknown-school")
	if !strings.Contains(h.stderr.String(), "404") {
		t.Errorf("stderr = %q, want the API's 404", h.stderr.String())
	}
}

func newTestFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// With TALKIO_ORGANIZATION_MAP and no TALKIO_ORGANIZATION there is no default organization: a command
// without --org says which to choose, and one with it works.
func TestNoDefaultOrganization(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.env.Client = h.env.Client.ForOrganization("")
	h.mustRun(ExitUsage, "users", "list")
	if got := h.stderr.String(); !strings.Contains(got, "--org is required: one of "+testOrg+", "+testOrg2) {
		t.Errorf("stderr %q", got)
	}
	h.mustRun(ExitOK, "users", "list", "--org", testOrg2)
}
