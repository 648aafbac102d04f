package auth_test

import (
	"context"
	"errors"
	"log"
	"net/http"
	"time"

	"talkio-gateway/auth"
)

// The gateway's handlers use the package like this (error pages simplified to http.Error).
func Example() {
	ctx := context.Background()
	a, err := auth.New(ctx, auth.Config{
		IssuerURL:    "https://id.school.example",
		ClientID:     "talkio-gateway",
		ClientSecret: "from OIDC_CLIENT_SECRET",
		RedirectURL:  "https://tutor.school.example/auth/callback",
		Claims:       auth.ClaimNames{UserID: "sub", Name: "name", Email: "email", Groups: "groups"},
		SessionKeys:  [][]byte{[]byte("from GATEWAY_SESSION_SECRET, at least 32 bytes")},
		Cookies:      auth.CookiePolicy{Secure: true, TTL: 12 * time.Hour},
	})
	if err != nil {
		log.Fatal(err) // only an invalid configuration fails; an unreachable provider does not
	}
	defer a.Close()

	http.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		returnTo := "/" // validated from ?return_to= by the handler
		u, err := a.BeginLogin(w, r, returnTo)
		if errors.Is(err, auth.ErrProviderUnavailable) {
			http.Error(w, "Sign-in is temporarily unavailable.", http.StatusServiceUnavailable)
			return
		}
		if err != nil {
			http.Error(w, "Sign-in could not start.", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, u, http.StatusFound)
	})
	http.HandleFunc("GET /auth/callback", func(w http.ResponseWriter, r *http.Request) {
		id, returnTo, err := a.FinishLogin(r.Context(), w, r)
		if errors.Is(err, auth.ErrNoLoginAttempt) {
			// One fresh sign-in link, never an automatic redirect to the provider.
			http.Error(w, "Your sign-in attempt expired or cookies were blocked.", http.StatusBadRequest)
			return
		}
		if err != nil {
			http.Error(w, "Sign-in failed.", http.StatusUnauthorized)
			return
		}
		if err := a.SaveSession(w, r, &auth.Session{UserID: id.UserID, Name: id.Name, Email: id.Email, UserType: "member"}); err != nil {
			http.Error(w, "Sign-in failed.", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, returnTo, http.StatusFound)
	})
}
