package cli

import (
	"net/url"
	"testing"

	"talkio-gateway/talkio"
)

// TestLoginLink: every link comes from the one builder (the docs' shape, on TALKIO_APP_URL); the
// API's loginLink lends only its app origin, and only when no app URL is configured.
func TestLoginLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		appURL  string
		tok     talkio.Token
		path    string
		want    string
		wantErr bool
	}{
		{name: "app url", appURL: "https://app.example/", tok: talkio.Token{Token: "T3"}, path: "app",
			want: "https://app.example/authentication/partner/?token=T3&path=app"},
		{name: "app url wins over loginLink", appURL: "https://app.example",
			tok:  talkio.Token{Token: "T1", LoginLink: "https://elsewhere.example/authentication/partner/?token=T1"},
			want: "https://app.example/authentication/partner/?token=T1"},
		{name: "loginLink origin", tok: talkio.Token{Token: "T1", LoginLink: "https://app.example/authentication/partner/?token=T1&path=evil"},
			path: "app/chat?t=x&y=1", want: "https://app.example/authentication/partner/?token=T1&path=app%2Fchat%3Ft%3Dx%26y%3D1"},
		{name: "loginLink under a prefix", tok: talkio.Token{Token: "T 2", LoginLink: "https://example.com/talkio/authentication/partner/?token=x"},
			want: "https://example.com/talkio/authentication/partner/?token=T+2"},
		{name: "loginLink of another shape", tok: talkio.Token{Token: "T", LoginLink: "https://app.example/login?token=T"},
			want: "https://app.example/authentication/partner/?token=T"},
		{name: "bad loginLink", tok: talkio.Token{Token: "T", LoginLink: "javascript:alert(1)"}, wantErr: true},
		{name: "relative loginLink", tok: talkio.Token{Token: "T", LoginLink: "/authentication/partner/?token=T"}, wantErr: true},
		{name: "loginLink with credentials", tok: talkio.Token{Token: "T", LoginLink: "https://u:p@app.example/"}, wantErr: true},
		{name: "bad app url", appURL: "not a url", tok: talkio.Token{Token: "T"}, wantErr: true},
		{name: "nothing", tok: talkio.Token{Token: "T"}, wantErr: true},
		{name: "no token", appURL: "https://app.example", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loginLink(tt.appURL, &tt.tok, tt.path)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if err == nil {
				if u, _ := url.Parse(got); u.Query().Get("token") != tt.tok.Token || u.Query().Get("path") != tt.path {
					t.Errorf("%q does not carry token %q and path %q", got, tt.tok.Token, tt.path)
				}
			}
		})
	}
}
