package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// env turns a map into a getenv function.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunHelpListsCommandsAndEveryVariable(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "help"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{arg}, env(nil), &out, io.Discard); err != nil {
			t.Fatalf("run %s: %v", arg, err)
		}
		for _, want := range []string{"serve", "users list", "sweep", "usage report", "GATEWAY_LISTEN", ":8080",
			"OIDC_ISSUER", "NAME_FILE", "GATEWAY_COOKIE_SAMESITE", "TALKIO_ACCOUNT_TTL"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run %s: help lacks %q", arg, want)
			}
		}
	}
}

// An unknown word gets one line naming it and the -h hint: the whole help would bury the mistake.
func TestRunUnknownCommandIsOneLine(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"serve", "frobnicate"}, {"--frobnicate"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, env(nil), &stdout, &stderr)
		var code exitCode
		if !errors.As(err, &code) || code != 2 {
			t.Fatalf("%q: got %v, want exit status 2", args, err)
		}
		got := stderr.String()
		if strings.Count(got, "\n") != 1 || !strings.Contains(got, `"`+args[len(args)-1]) || !strings.Contains(got, "talkio-gateway -h") {
			t.Errorf("%q: stderr %q, want one line naming the word and the -h hint", args, got)
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: stdout %q, want nothing", args, stdout.String())
		}
	}
}

// A busy port stops the start with the variable that changes it; run makes it exit status 1.
func TestRunBusyPortNamesTheVariable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), nil, env(map[string]string{"GATEWAY_LISTEN": ln.Addr().String()}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "GATEWAY_LISTEN") || !strings.Contains(err.Error(), "in use") {
		t.Errorf("got %v, want an error naming GATEWAY_LISTEN", err)
	}
}

// Issue 12 point 5: an unknown admin subcommand is named in one line even without any configuration.
func TestUnknownAdminSubcommandWithoutConfiguration(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"users", "frobnicate"}, env(nil), io.Discard, &stderr)
	var code exitCode
	if !errors.As(err, &code) || code != 2 {
		t.Fatalf("got %v, want exit status 2", err)
	}
	want := `error: unknown command "frobnicate" in "talkio-gateway users"; run "talkio-gateway users -h" for the list` + "\n"
	if stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
}

// A partial configuration never falls back to demo mode: it stops with every missing variable named.
func TestPartialConfigurationStopsNamingEveryMissingVariable(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), nil, env(map[string]string{"OIDC_ISSUER": "https://login.school.example"}), io.Discard, &stderr)
	var code exitCode
	if !errors.As(err, &code) || code != 2 {
		t.Fatalf("got %v, want exit status 2", err)
	}
	for _, name := range []string{"GATEWAY_PUBLIC_URL", "GATEWAY_SESSION_SECRET", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET",
		"TALKIO_API_URL", "TALKIO_APP_URL", "TALKIO_PROVIDER", "TALKIO_API_KEY", "TALKIO_ORGANIZATION"} {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("the error does not name %s:\n%s", name, stderr.String())
		}
	}
}

func TestAdminCommandNeedsTalkioConfiguration(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"users", "list"}, env(nil), io.Discard, &stderr)
	var code exitCode
	if !errors.As(err, &code) || code != 2 {
		t.Fatalf("got %v, want exit status 2", err)
	}
	if !strings.Contains(stderr.String(), "TALKIO_API_KEY") {
		t.Errorf("stderr does not name TALKIO_API_KEY:\n%s", stderr.String())
	}
}
