package idptest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"talkio-gateway/demo/idp"
	"talkio-gateway/demo/idp/idptest"
)

func TestNewServer(t *testing.T) {
	tests := []struct {
		name, issuer, wantPath string
	}{
		{"default prefix", "", "/idp"},
		{"own prefix", "/auth/realms/demo", "/auth/realms/demo"},
		{"root", "/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := idptest.NewServer(t, idp.Options{Issuer: tt.issuer, Users: idp.DemoUsers()})
			if want := srv.URL + tt.wantPath; srv.Issuer() != want {
				t.Fatalf("issuer %q, want %q", srv.Issuer(), want)
			}
			resp, err := srv.Client().Get(srv.Issuer() + "/.well-known/openid-configuration")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("discovery: status %d", resp.StatusCode)
			}
			srv.Close()
			srv.Close() // twice is fine, and the cleanup closes it a third time
			if _, err := srv.Client().Get(srv.Issuer() + "/.well-known/openid-configuration"); err == nil {
				t.Error("server still answers after Close")
			}
		})
	}
}

// fatalTB records Fatalf instead of stopping the test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
}

func TestNewServerFailsTheTest(t *testing.T) {
	tb := &fatalTB{TB: t}
	idptest.NewServer(tb, idp.Options{Users: []idp.User{{ID: "same"}, {ID: "same"}}})
	if !strings.Contains(tb.msg, "duplicate username") {
		t.Errorf("Fatalf message %q, want it to name the duplicate", tb.msg)
	}
}
