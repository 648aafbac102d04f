package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"talkio-gateway/gateway/gatewaytest"
)

// TestDemoPseudonymousAdminCommands: the environment the pseudonymous demo prints lets the admin commands
// find a person by their provider id: `users id SUBJECT` prints the id the home page says Talkio got, and
// `users get --subject SUBJECT` finds that Talkio user.
func TestDemoPseudonymousAdminCommands(t *testing.T) {
	t.Parallel()
	gw := gatewaytest.Start(t, map[string]string{"TALKIO_USER_ID_MODE": "pseudonymous"}, nil)
	b := newOpsBrowser(t)
	b.signIn(t, gw.URL(), "maya")
	home := b.get(t, gw.URL()+"/").body
	m := regexp.MustCompile(`<code id="privacy-talkio-id">(p_[a-z2-7]+)</code>`).FindStringSubmatch(home)
	if m == nil {
		t.Fatalf("the home page shows no pseudonymous id:\n%s", home)
	}
	talkioID := m[1]

	vars := map[string]string{}
	for _, line := range strings.Split(gw.Stdout.String(), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "export "); ok {
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				vars[k] = v
			}
		}
	}
	admin := func(args ...string) string {
		t.Helper()
		var out, errs bytes.Buffer
		if err := run(t.Context(), args, func(k string) string { return vars[k] }, &out, &errs); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, errs.String())
		}
		return out.String()
	}
	if got := strings.TrimSpace(admin("users", "id", "demo-maya")); got != talkioID {
		t.Errorf("users id demo-maya: %q, the home page says Talkio got %q", got, talkioID)
	}
	if got := admin("users", "get", "--subject", "demo-maya"); !strings.Contains(got, talkioID) {
		t.Errorf("users get --subject demo-maya does not show %s:\n%s", talkioID, got)
	}
}
