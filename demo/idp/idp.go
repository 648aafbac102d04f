package idp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is an account of the provider. Its claims are read when a token is issued or userinfo is asked,
// so [Provider.SetUser] between two sign-ins changes what the relying party sees at the next one.
type User struct {
	ID            string // the "sub" claim; may be empty or very long, to test how relying parties refuse it
	Username      string // the login handle, unique; defaults to ID; the key of SetUser and of ?user=
	Name          string
	GivenName     string
	FamilyName    string
	Email         string // optional: no "email" claim when empty (pupils often have none)
	EmailVerified bool
	Phone         string // "phone_number", E.164
	Locale        string // BCP 47, e.g. "sv-SE"
	Groups        []string
	Extra         map[string]any // further claims, e.g. "org" or "subscription_end"; never override the standard ones
	Description   string         // shown on the login page under the name, e.g. "Pupil — member, no email"
}

// Client is a registered relying party. With a Secret it authenticates at the token endpoint (basic or
// post); without one it is a public client and must use PKCE.
type Client struct {
	ID, Secret             string
	RedirectURIs           []string // exact match
	PostLogoutRedirectURIs []string // exact match, for end_session
}

// Options configure a Provider.
type Options struct {
	// Issuer is the full external URL, including any path prefix, e.g. "http://localhost:8080/idp".
	Issuer  string
	Users   []User
	Clients []Client
	// Key signs the tokens; nil generates an RSA 2048 key. Its key id is its JWK thumbprint.
	Key *rsa.PrivateKey
	// IDTokenLifetime defaults to one hour.
	IDTokenLifetime time.Duration
	// ThinIDToken leaves "groups" and the Extra claims out of the ID token, so that a relying party must
	// ask the userinfo endpoint for them, as with Okta's thin ID tokens.
	ThinIDToken bool
	// AllowInsecure permits an http issuer (localhost demos and tests).
	AllowInsecure bool
	// RequireIDTokenHint makes end_session refuse a post_logout_redirect_uri that comes without an
	// id_token_hint, as Ory Hydra and other providers do (RP-Initiated Logout 1.0 §2 lets a provider
	// insist); zitadel's op alone accepts client_id instead. See also SetRequireIDTokenHint.
	RequireIDTokenHint bool
}

// Provider is the embedded OpenID provider. It is safe for concurrent use.
type Provider struct {
	issuer  string
	prefix  string // the issuer's path without a trailing slash; "" at the root
	op      *op.Provider
	store   *storage
	handler http.Handler
	tamper  atomic.Pointer[Tamper]

	requireHint atomic.Bool
}

const defaultIDTokenLifetime = time.Hour

// New builds a Provider. It fails on an invalid issuer, an http issuer without AllowInsecure, or
// duplicate usernames or client ids.
func New(opts Options) (*Provider, error) {
	u, err := url.Parse(opts.Issuer)
	if err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("idp: issuer %q must be an absolute URL without query or fragment", opts.Issuer)
	}
	issuer := strings.TrimSuffix(opts.Issuer, "/")
	key := opts.Key
	if key == nil {
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, fmt.Errorf("idp: generate signing key: %w", err)
		}
	}
	thumb, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("idp: signing key: %w", err)
	}
	lifetime := opts.IDTokenLifetime
	if lifetime <= 0 {
		lifetime = defaultIDTokenLifetime
	}
	p := &Provider{issuer: issuer, prefix: strings.TrimSuffix(u.Path, "/")}
	p.requireHint.Store(opts.RequireIDTokenHint)
	p.store = newStorage(signingKey{id: base64.RawURLEncoding.EncodeToString(thumb), key: key}, opts.ThinIDToken, lifetime, opts.AllowInsecure, p.loginURL)
	for _, c := range opts.Clients {
		if err := p.store.addClient(c); err != nil {
			return nil, err
		}
	}
	for _, usr := range opts.Users {
		if err := p.AddUser(usr); err != nil {
			return nil, err
		}
	}

	// The crypto key encrypts the opaque access tokens; they live only as long as this process.
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, fmt.Errorf("idp: crypto key: %w", err)
	}
	config := &op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: issuer + pathLoggedOut,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedUILocales:       []language.Tag{language.English},
		SupportedClaims:          append(slices.Clone(op.DefaultSupportedClaims), "groups"),
	}
	var opOpts []op.Option
	if opts.AllowInsecure {
		opOpts = append(opOpts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(config, p.store, op.StaticIssuer(issuer), opOpts...)
	if err != nil {
		return nil, fmt.Errorf("idp: %w", err)
	}
	p.handler = p.routes()
	return p, nil
}

// Issuer returns the issuer URL, without a trailing slash.
func (p *Provider) Issuer() string { return p.issuer }

// Handler serves the provider. It expects the full request path, including the issuer's path prefix, so it
// is mounted as is: mux.Handle("/idp/", p.Handler()) for the issuer http://host/idp — no http.StripPrefix.
// Paths outside the prefix answer 404.
func (p *Provider) Handler() http.Handler { return p.handler }

// AddUser adds a user; it fails when the username is taken.
func (p *Provider) AddUser(u User) error { return p.store.putUser(u, false) }

// SetUser adds the user or replaces the one with the same Username.
func (p *Provider) SetUser(u User) { _ = p.store.putUser(u, true) }

// Users returns a copy of the users in the order they were added.
func (p *Provider) Users() []User { return p.store.listUsers() }

// SetAutoLogin makes every authorization request sign in as the user with this username without showing
// the login page, so that an HTTP client following redirects completes the whole flow; "" turns it off.
// For tests; the flow still passes through the login step and the provider's callback.
func (p *Provider) SetAutoLogin(username string) { p.store.setAutoLogin(username) }

// SetRequireIDTokenHint turns Options.RequireIDTokenHint on or off, for tests that share a provider.
func (p *Provider) SetRequireIDTokenHint(require bool) { p.requireHint.Store(require) }

func (p *Provider) loginURL(authRequestID string) string {
	return p.issuer + pathLogin + "?authRequestID=" + url.QueryEscape(authRequestID)
}

// callbackURL is where the login step sends the browser once the request is done; the provider then
// issues the code and redirects to the relying party.
func (p *Provider) callbackURL(authRequestID string) string {
	return p.op.AuthorizationEndpoint().Absolute(p.issuer) + "/callback?id=" + url.QueryEscape(authRequestID)
}

var errUnknownUser = errors.New("idp: unknown user")
