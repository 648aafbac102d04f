package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzLTIPlatforms: parseLTIPlatforms never panics; a refusal names every problem with its index when
// it is about one registration; an acceptance holds only complete registrations with safe URLs and no
// repeated (issuer, client_id).
func FuzzLTIPlatforms(f *testing.F) {
	f.Add(ltiPlatformsExample)
	f.Add(`[{"issuer":"http://localhost:1","client_id":"c","deployment_ids":["1","2"],"auth_login_url":"http://127.0.0.1/a?x=1","jwks_url":"http://[::1]/j","auth_token_url":"https://t.example/t","organization":"o"}]`)
	f.Add(`[{"issuer":"https://a.example","client_id":"c","deployment_ids":[],"auth_login_url":"http://a.example","jwks_url":"https://u:p@a.example","x":1},null,1,"s"]`)
	f.Add(`[{"issuer":"https://a.example","client_id":"c","deployment_ids":["1"],"auth_login_url":"https://a.example/#f","jwks_url":"https://a.example"},{"issuer":"https://a.example","client_id":"c","deployment_ids":["1","1"," "],"auth_login_url":"https://a.example","jwks_url":"https://a.example"}]`)
	f.Add(`{"issuer":1}`)
	f.Add(`[] []`)
	f.Add(`[{"issuer":"https://a.example","client_id":"c\u0000","deployment_ids":[1],"auth_login_url":null,"jwks_url":"javascript:alert(1)","organization":"../x"}]`)
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := parseLTIPlatforms(s)
		if err != nil {
			for _, e := range splitJoined(err) {
				var a *atError
				if errors.As(e, &a) && !strings.HasPrefix(a.path, "[") {
					t.Fatalf("problem path %q does not start with an index", a.path)
				}
				if e.Error() == "" {
					t.Fatal("empty problem")
				}
			}
			return
		}
		if len(ps) == 0 {
			t.Fatal("accepted no registration")
		}
		seen := map[[2]string]bool{}
		for i, p := range ps {
			if p.Issuer == "" || p.ClientID == "" || len(p.DeploymentIDs) == 0 || p.AuthLoginURL == nil || p.JWKSURL == nil {
				t.Fatalf("[%d] incomplete: %+v", i, p)
			}
			for _, u := range []string{p.Issuer, p.AuthLoginURL.String(), p.JWKSURL.String()} {
				if _, err := parseLTIURL(u); err != nil {
					t.Fatalf("[%d] accepted URL %q that does not re-parse: %v", i, u, err)
				}
			}
			k := [2]string{p.Issuer, p.ClientID}
			if seen[k] {
				t.Fatalf("[%d] repeats %v", i, k)
			}
			seen[k] = true
		}
	})
}

// FuzzUnknownNames: a known name (or a file twin) is never refused, and every refusal points at a
// known variable.
func FuzzUnknownNames(f *testing.F) {
	for _, s := range []string{"ALLOWED_GROUP", "GATEWAY_LISTEN", "TALKIO_API_KEY_FILE", "OIDC_ISSUER_URL", "PATH", "lti_x", "X_PORT_1_TCP", "", "="} {
		f.Add(s, "v")
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		ps := unknownNames([]string{name + "=" + value})
		if Known(name) && len(ps) > 0 {
			t.Fatalf("known %q refused: %q", name, ps)
		}
		for _, p := range ps {
			_, after, ok := strings.Cut(p, "did you mean ")
			nearest, _, _ := strings.Cut(after, "?")
			if !ok || !Known(nearest) {
				t.Fatalf("problem %q names no known variable", p)
			}
		}
	})
}
