package talkio

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkUserToken measures the client's cost per call against a bare http.Get of the same URL on
// the same local server: the difference is what the client adds (request building, headers, JSON
// decoding, error and retry bookkeeping).
func BenchmarkUserToken(b *testing.B) {
	const body = `{"token":"3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","expiresAt":"2027-02-22T19:35:25.000Z","loginLink":"https://app.example.com/authentication/partner/?token=3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	url := srv.URL + testBase + "/users/user-1/token"

	// The same bare GET through the client's own tuned *http.Client, to separate transport settings
	// from the client's own work.
	b.Run("tuned-transport-Get", func(b *testing.B) {
		hc := newDefaultHTTPClient()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := hc.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	})
	b.Run("http.Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := http.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	})
	b.Run("client", func(b *testing.B) {
		c, err := NewClient(srv.URL, testProvider, testAPIKey, WithOrganization(testOrg))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			tok, err := c.UserToken(ctx, "user-1")
			if err != nil || tok.Token == "" {
				b.Fatalf("UserToken: %v", err)
			}
		}
	})
}
