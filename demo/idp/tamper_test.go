package idp_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"talkio-gateway/demo/idp"
)

func TestTamper(t *testing.T) {
	r := newRP(t, idp.Options{})
	tests := []struct {
		name       string
		tamper     *idp.Tamper
		wantVerify string // substring of go-oidc's error; "" = verifies
		wantNonce  bool   // the nonce still matches
	}{
		{"off", nil, "", true},
		{"no change, signed again", &idp.Tamper{Claims: func(map[string]any) {}}, "", true},
		{"expired", &idp.Tamper{Claims: func(c map[string]any) {
			c["iat"] = json.Number("1000000000")
			c["exp"] = json.Number("1000000600")
		}}, "expired", true},
		{"wrong audience", &idp.Tamper{Claims: func(c map[string]any) { c["aud"] = "someone-else" }}, "audience", true},
		{"wrong issuer", &idp.Tamper{Claims: func(c map[string]any) { c["iss"] = "https://evil.example" }}, "different provider", true},
		{"bad signature", &idp.Tamper{BadSignature: true}, "signature", true},
		{"wrong nonce", &idp.Tamper{Claims: func(c map[string]any) { c["nonce"] = "not-yours" }}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.srv.SetTamper(tt.tamper)
			defer r.srv.SetTamper(nil)
			a := r.newAttempt()
			q := r.pick(r.loginPage(a), "maya")
			tok, err := r.oauth.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(a.verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := r.provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(context.Background(), raw)
			if tt.wantVerify != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantVerify) {
					t.Fatalf("verify: err %v, want one about %q", err, tt.wantVerify)
				}
				return
			}
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if got := idt.Nonce == a.nonce; got != tt.wantNonce {
				t.Errorf("nonce matches: %v, want %v", got, tt.wantNonce)
			}
			if idt.Subject != "demo-maya" || time.Until(idt.Expiry) <= 0 {
				t.Errorf("sub %q exp %v", idt.Subject, idt.Expiry)
			}
		})
	}

	// An error answer passes through untouched.
	r.srv.SetTamper(&idp.Tamper{BadSignature: true})
	defer r.srv.SetTamper(nil)
	a := r.newAttempt()
	q := r.pick(r.loginPage(a), "maya")
	_, err := r.oauth.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption("wrong-verifier-wrong-verifier-wrong-verifier"))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("exchange with a wrong verifier under tamper: %v, want invalid_grant", err)
	}
}
