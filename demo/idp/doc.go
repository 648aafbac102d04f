// Package idp is an embedded OpenID provider for the gateway's demo mode and end-to-end tests. The protocol
// is github.com/zitadel/oidc/v3/pkg/op (an OpenID Certified library); this package adds an in-memory
// storage, a login page that offers the configured users as buttons (no passwords), and a signed-out page.
//
// It serves discovery, the authorization code flow (PKCE S256 enforced when a code_challenge is sent;
// public clients must send one), the token endpoint (client_secret_basic or client_secret_post), userinfo,
// JWKS, introspection, revocation and end_session. end_session follows post_logout_redirect_uri only when
// client_id or id_token_hint names the client and the URI is one of its PostLogoutRedirectURIs (exact
// match; anything else is a 400); without them it shows its own signed-out page. With
// Options.RequireIDTokenHint it refuses a post_logout_redirect_uri without id_token_hint, as Ory Hydra
// does. Refresh tokens and
// provider sessions are not offered: every authorization request shows the login page again.
//
// The library logs refused requests through slog's default logger (it has no other): error types and
// descriptions, client ids, redirect URIs and the state of a refused authorization request — not tokens,
// codes or secrets.
//
// Claims do not depend on the requested scopes: the ID token and userinfo carry sub, name, given_name,
// family_name, preferred_username, locale, phone_number, email and email_verified (only for a user with
// an email), groups, and the user's Extra claims. With Options.ThinIDToken, groups and Extra are only at
// userinfo, as with Okta.
//
// The handler expects full paths, the issuer's prefix included, so it is mounted without StripPrefix:
//
//	p, err := idp.New(idp.Options{
//		Issuer:        "http://localhost:8080/idp",
//		AllowInsecure: true,
//		Users:         idp.DemoUsers(),
//		Clients: []idp.Client{{
//			ID: "gateway", Secret: secret,
//			RedirectURIs:           []string{"http://localhost:8080/auth/callback"},
//			PostLogoutRedirectURIs: []string{"http://localhost:8080/"},
//		}},
//	})
//	if err != nil { … }
//	mux.Handle("/idp/", p.Handler())
//
// The login page is <issuer>/login?authRequestID=…. A program completes a sign-in without parsing HTML by
// adding &user=<username> to that URL (its GET signs in and redirects on through the provider's callback
// to the relying party), or turns on [Provider.SetAutoLogin] so that a client following redirects goes
// straight through; a login_hint naming a user does the same unless prompt=login. &cancel=1 answers
// error=access_denied. In a browser the buttons carry id="login-<username>" and data-user="<username>".
// The package idptest starts a provider on a loopback httptest.Server.
package idp
