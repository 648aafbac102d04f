package idp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"talkio-gateway/demo/idp"
)

// The provider mounted under /idp on an application's own listener, and a whole sign-in by a program:
// SetAutoLogin lets a client that follows redirects pass the login page.
func Example() {
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux) // the listener exists, so the issuer can name its port
	base := "http://" + srv.Listener.Addr().String()

	p, err := idp.New(idp.Options{
		Issuer:        base + "/idp",
		AllowInsecure: true, // http on localhost
		Users:         idp.DemoUsers(),
		Clients: []idp.Client{{
			ID: "gateway", Secret: "change-me",
			RedirectURIs: []string{base + "/auth/callback"},
		}},
	})
	if err != nil {
		panic(err)
	}
	mux.Handle("/idp/", p.Handler()) // full paths: no http.StripPrefix
	srv.Start()
	defer srv.Close()

	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		panic(err)
	}
	conf := &oauth2.Config{
		ClientID: "gateway", ClientSecret: "change-me", RedirectURL: base + "/auth/callback",
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile"},
	}
	verifier := oauth2.GenerateVerifier()
	mux.HandleFunc("/auth/callback", func(w http.ResponseWriter, r *http.Request) {
		// A real relying party also checks state and nonce here.
		tok, err := conf.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			panic(err)
		}
		idToken, err := provider.Verifier(&oidc.Config{ClientID: "gateway"}).Verify(r.Context(), tok.Extra("id_token").(string))
		if err != nil {
			panic(err)
		}
		var claims struct {
			Name   string   `json:"name"`
			Groups []string `json:"groups"`
		}
		_ = idToken.Claims(&claims)
		fmt.Println(idToken.Subject, claims.Name, claims.Groups)
	})

	p.SetAutoLogin("eleanor")
	resp, err := http.Get(conf.AuthCodeURL("state", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	// Output: demo-eleanor Eleanor Hughes [teachers]
}
