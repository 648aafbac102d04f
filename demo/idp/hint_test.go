package idp_test

import (
	"net/http"
	"net/url"
	"testing"

	"talkio-gateway/demo/idp"
)

// With RequireIDTokenHint, end_session refuses a post_logout_redirect_uri without id_token_hint (as
// Ory Hydra does), and still accepts it with the hint, or a sign-out without a redirect.
func TestEndSessionRequiresIDTokenHint(t *testing.T) {
	r := newRP(t, idp.Options{RequireIDTokenHint: true})
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := r.provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	signedIn := r.signIn("eleanor")
	for _, tt := range []struct {
		name       string
		params     url.Values
		wantStatus int
		wantTo     string
	}{
		{"client_id and post_logout_redirect_uri, no hint", url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {logoutURL}}, http.StatusBadRequest, ""},
		{"with the hint", url.Values{"id_token_hint": {signedIn.raw}, "post_logout_redirect_uri": {logoutURL}}, http.StatusFound, logoutURL},
		{"client_id only: the provider's own page", url.Values{"client_id": {clientID}}, http.StatusFound, r.srv.Issuer() + "/logged-out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.hop(t, meta.EndSession+"?"+tt.params.Encode())
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Location") != tt.wantTo {
				t.Errorf("got %d → %q, want %d → %q", resp.StatusCode, resp.Header.Get("Location"), tt.wantStatus, tt.wantTo)
			}
		})
	}
}
