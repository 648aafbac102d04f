package handlers

import (
	"testing"

	"talkio-gateway/internal/testutil"
	"talkio-gateway/provision"
)

// The demo's home page says what Talkio receives: the id mode, the fields sent, the id Talkio got, and
// the neutral name when the name is not sent. A production home page says none of it.
func TestHomePagePrivacy(t *testing.T) {
	t.Parallel()
	key := []byte("a key of thirty-two bytes or more, for the test")
	for _, tc := range []struct {
		name    string
		demo    bool
		privacy Privacy
		user    string // the demo user who signs in
		rule    provision.IDRule
		mode    string // what the page says, "" for no privacy section
		fields  string
		neutral bool // the page shows the neutral name Talkio got
	}{
		{"demo defaults", true, Privacy{}, "jonas", provision.IDRule{}, "claim", "name,email,phone", false},
		{"demo pseudonymous none", true, Privacy{IDMode: "pseudonymous", SendFields: provision.NoFields}, "maya",
			provision.IDRule{Key: key}, "pseudonymous", "none", true},
		{"demo email only", true, Privacy{IDMode: "claim", SendFields: provision.FieldEmail}, "jonas",
			provision.IDRule{}, "claim", "email", true},
		{"production", false, Privacy{IDMode: "pseudonymous", SendFields: provision.NoFields}, "maya",
			provision.IDRule{Key: key}, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{
				options: func(o *Options) {
					o.Demo, o.Privacy, o.IDRule = tc.demo, tc.privacy, tc.rule
				},
				provision: func(o *provision.Options) { o.SendFields = tc.privacy.SendFields },
			})
			b := e.browser(tc.user)
			out := b.get(e.gw.URL + "/").body
			if got := textByID(t, out, "privacy-id-mode"); (got != "") != tc.demo {
				t.Errorf("signed out: id mode %q, demo %v", got, tc.demo)
			}
			b.signIn()
			home := b.get(e.gw.URL + "/").body
			want := tc.rule.UserID(e.idp.Issuer(), "demo-"+tc.user)
			if got := textByID(t, home, "profile-id"); got != want {
				t.Errorf("profile id %q, want %q", got, want)
			}
			if !tc.demo {
				if n := testutil.ByID(t, home, "privacy"); n != nil {
					t.Errorf("a production home page shows the privacy section: %s", testutil.Text(n))
				}
				return
			}
			if got := textByID(t, home, "privacy-id-mode"); len(got) < len(tc.mode) || got[:len(tc.mode)] != tc.mode {
				t.Errorf("id mode %q, want %q first", got, tc.mode)
			}
			neutral := ""
			if tc.neutral {
				neutral = provision.NeutralName(want)
			}
			for id, w := range map[string]string{"privacy-fields": tc.fields, "privacy-talkio-id": want, "privacy-talkio-name": neutral} {
				if got := textByID(t, home, id); got != w {
					t.Errorf("%s %q, want %q", id, got, w)
				}
			}
		})
	}
}

func textByID(t *testing.T, body, id string) string {
	t.Helper()
	return testutil.Text(testutil.ByID(t, body, id))
}
