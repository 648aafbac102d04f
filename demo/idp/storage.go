package idp

// The storage follows the shape of the in-memory storage in github.com/zitadel/oidc/v3
// example/server/storage (Apache License 2.0, Copyright the zitadel/oidc authors), reduced to what this
// provider offers: the authorization code flow, opaque access tokens, userinfo and end_session.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

const (
	authRequestTTL = 30 * time.Minute // an abandoned sign-in is forgotten after this
	accessTokenTTL = 30 * time.Minute
)

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

// authRequest is one authorization request. The storage hands out copies, so the login step's changes
// never race with the provider reading a request.
type authRequest struct {
	id            string
	created       time.Time
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge
	prompt        []string
	loginHint     string

	done     bool
	username string
	subject  string
	authTime time.Time
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

func (a *authRequest) GetAMR() []string {
	if a.done {
		return []string{"user"} // a demo user picked on the login page; no password
	}
	return nil
}

// LogValue keeps the nonce, state and code challenge out of the provider's logs.
func (a *authRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", a.id),
		slog.String("client_id", a.clientID),
		slog.String("redirect_uri", a.redirectURI),
		slog.Any("scopes", a.scopes),
	)
}

type accessToken struct {
	clientID, username, subject string
	expires                     time.Time
}

// client adapts a Client to op.Client.
type client struct {
	Client
	lifetime time.Duration
	devMode  bool
	loginURL func(string) string
}

func (c *client) GetID() string                    { return c.ID }
func (c *client) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.Client.PostLogoutRedirectURIs }
func (c *client) ApplicationType() op.ApplicationType {
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.Secret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string    { return c.loginURL(id) }
func (c *client) AccessTokenType() op.AccessTokenType {
	return op.AccessTokenTypeBearer
}
func (c *client) IDTokenLifetime() time.Duration { return c.lifetime }

// DevMode lets an insecure (localhost) provider accept http redirect URIs for public clients too.
func (c *client) DevMode() bool { return c.devMode }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed keeps any extra scope (e.g. "groups"); claims do not depend on scopes here.
func (c *client) IsScopeAllowed(string) bool { return true }

// IDTokenUserinfoClaimsAssertion puts the profile claims into the ID token even though an access token
// is issued too, as most providers do.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

// storage implements op.Storage in memory.
type storage struct {
	key      signingKey
	thin     bool
	lifetime time.Duration
	insecure bool
	loginURL func(string) string

	mu           sync.Mutex
	users        map[string]*User // by username
	order        []string         // usernames in insertion order, for the login page
	clients      map[string]*client
	authRequests map[string]*authRequest
	codes        map[string]string // code -> auth request id
	tokens       map[string]*accessToken
	autoLogin    string
}

var _ op.Storage = (*storage)(nil)
var _ op.CanSetUserinfoFromRequest = (*storage)(nil)

func newStorage(key signingKey, thin bool, lifetime time.Duration, insecure bool, loginURL func(string) string) *storage {
	return &storage{
		key: key, thin: thin, lifetime: lifetime, insecure: insecure, loginURL: loginURL,
		users:        map[string]*User{},
		clients:      map[string]*client{},
		authRequests: map[string]*authRequest{},
		codes:        map[string]string{},
		tokens:       map[string]*accessToken{},
	}
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func (s *storage) addClient(c Client) error {
	if c.ID == "" {
		return errors.New("idp: client without id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; ok {
		return fmt.Errorf("idp: duplicate client %q", c.ID)
	}
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	s.clients[c.ID] = &client{Client: c, lifetime: s.lifetime, devMode: s.insecure, loginURL: s.loginURL}
	return nil
}

func cloneUser(u User) User {
	u.Groups = slices.Clone(u.Groups)
	if u.Extra != nil {
		extra := make(map[string]any, len(u.Extra))
		for k, v := range u.Extra {
			extra[k] = v
		}
		u.Extra = extra
	}
	return u
}

func (s *storage) putUser(u User, replace bool) error {
	if u.Username == "" {
		u.Username = u.ID
	}
	if u.Username == "" {
		return errors.New("idp: user needs a username or an id")
	}
	u = cloneUser(u)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.Username]; ok {
		if !replace {
			return fmt.Errorf("idp: duplicate username %q", u.Username)
		}
	} else {
		s.order = append(s.order, u.Username)
	}
	s.users[u.Username] = &u
	return nil
}

func (s *storage) listUsers() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.order))
	for _, name := range s.order {
		out = append(out, cloneUser(*s.users[name]))
	}
	return out
}

// findUser looks a user up by username, or else by email (case-insensitive), as typed on the login page
// or sent as login_hint.
func (s *storage) findUser(handle string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.findUserLocked(handle)
}

func (s *storage) findUserLocked(handle string) (User, bool) {
	handle = strings.TrimSpace(handle)
	if handle == "" {
		return User{}, false
	}
	if u, ok := s.users[handle]; ok {
		return cloneUser(*u), true
	}
	for _, name := range s.order {
		u := s.users[name]
		if strings.EqualFold(u.Username, handle) || (u.Email != "" && strings.EqualFold(u.Email, handle)) {
			return cloneUser(*u), true
		}
	}
	return User{}, false
}

func (s *storage) setAutoLogin(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoLogin = username
}

func (s *storage) getAutoLogin() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.autoLogin
}

// completeLogin marks the authorization request as done by the user.
func (s *storage) completeLogin(id, username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.authRequests[id]
	if !ok {
		return errUnknownRequest
	}
	u, ok := s.findUserLocked(username)
	if !ok {
		return errUnknownUser
	}
	req.done = true
	req.username = u.Username
	req.subject = u.ID
	req.authTime = time.Now()
	return nil
}

var errUnknownRequest = errors.New("idp: unknown or expired authorization request")

// CreateAuthRequest implements op.Storage.
func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if slices.Contains(r.Prompt, oidc.PromptNone) {
		// There are no provider sessions, so a sign-in without interaction is impossible.
		return nil, oidc.ErrLoginRequired()
	}
	req := &authRequest{
		id:           randomID(),
		created:      time.Now(),
		clientID:     r.ClientID,
		redirectURI:  r.RedirectURI,
		state:        r.State,
		nonce:        r.Nonce,
		scopes:       slices.Clone(r.Scopes),
		responseType: r.ResponseType,
		responseMode: r.ResponseMode,
		prompt:       slices.Clone(r.Prompt),
		loginHint:    r.LoginHint,
	}
	if r.CodeChallenge != "" {
		// The method is passed through so that an unsupported one is refused, not verified as plain.
		req.codeChallenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(req.created)
	s.authRequests[req.id] = req
	cp := *req
	return &cp, nil
}

// pruneLocked forgets abandoned authorization requests and expired tokens, so a long-running demo does
// not grow.
func (s *storage) pruneLocked(now time.Time) {
	for id, req := range s.authRequests {
		if now.Sub(req.created) > authRequestTTL {
			delete(s.authRequests, id)
			for code, rid := range s.codes {
				if rid == id {
					delete(s.codes, code)
				}
			}
		}
	}
	for id, t := range s.tokens {
		if now.After(t.expires) {
			delete(s.tokens, id)
		}
	}
}

// AuthRequestByID implements op.Storage.
func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.authRequests[id]
	if !ok {
		return nil, errUnknownRequest
	}
	cp := *req
	return &cp, nil
}

// AuthRequestByCode implements op.Storage.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("idp: code invalid or already used")
	}
	return s.AuthRequestByID(ctx, id)
}

// SaveAuthCode implements op.Storage.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest implements op.Storage; after it, the code can no longer be redeemed.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.authRequests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// CreateAccessToken implements op.Storage.
func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	req, ok := r.(*authRequest)
	if !ok {
		return "", time.Time{}, errors.New("idp: only the authorization code flow is supported")
	}
	id := randomID()
	exp := time.Now().Add(accessTokenTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[id] = &accessToken{clientID: req.clientID, username: req.username, subject: req.subject, expires: exp}
	return id, exp, nil
}

// CreateAccessAndRefreshTokens implements op.Storage; refresh tokens are not offered.
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType().WithDescription("refresh tokens are not supported")
}

// TokenRequestByRefreshToken implements op.Storage.
func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

// TerminateSession implements op.Storage: end_session revokes the user's access tokens for the client.
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.clientID == clientID && t.subject == userID {
			delete(s.tokens, id)
		}
	}
	return nil
}

// RevokeToken implements op.Storage.
func (s *storage) RevokeToken(_ context.Context, tokenID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok {
		return nil // unknown tokens are already as good as revoked
	}
	if t.clientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was not issued for this client")
	}
	delete(s.tokens, tokenID)
	return nil
}

// GetRefreshTokenInfo implements op.Storage.
func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// SigningKey implements op.Storage.
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

// SignatureAlgorithms implements op.Storage.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements op.Storage.
func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

// GetClientByClientID implements op.Storage.
func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		// An oidc error, not a plain one, so that end_session answers 400 rather than 500; the other
		// endpoints wrap it in their own error.
		return nil, oidc.ErrInvalidRequest().WithDescription("unknown client_id")
	}
	return c, nil
}

// AuthorizeClientIDSecret implements op.Storage.
func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	c, ok := s.clients[id]
	s.mu.Unlock()
	if !ok || c.Secret == "" || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return errors.New("idp: invalid client credentials")
	}
	return nil
}

// SetUserinfoFromScopes implements op.Storage; the library asks for it to stay empty in favour of
// SetUserinfoFromRequest.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest implements op.CanSetUserinfoFromRequest: the ID token's claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, _ []string) error {
	req, ok := r.(*authRequest)
	if !ok {
		return errors.New("idp: unexpected token request")
	}
	return s.setUserinfo(info, req.username, !s.thin)
}

// SetUserinfoFromToken implements op.Storage: the userinfo endpoint, always with every claim.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expires) {
		return errors.New("idp: access token invalid or expired")
	}
	return s.setUserinfo(info, t.username, true)
}

// setUserinfo fills the claims of a user. Claims do not depend on the requested scopes: a demo and test
// provider is more useful when every claim it has arrives.
func (s *storage) setUserinfo(info *oidc.UserInfo, username string, all bool) error {
	s.mu.Lock()
	up, ok := s.users[username]
	var u User
	if ok {
		u = cloneUser(*up)
	}
	s.mu.Unlock()
	if !ok {
		return errUnknownUser
	}
	info.Subject = u.ID
	info.Name = u.Name
	info.GivenName = u.GivenName
	info.FamilyName = u.FamilyName
	info.PreferredUsername = u.Username
	if u.Locale != "" {
		if tag, err := language.Parse(u.Locale); err == nil {
			info.Locale = oidc.NewLocale(tag)
		}
	}
	if u.Email != "" {
		info.Email = u.Email
		info.EmailVerified = oidc.Bool(u.EmailVerified)
		if !u.EmailVerified {
			// The library omits a false email_verified; a relying party should see it.
			info.AppendClaims("email_verified", false)
		}
	}
	info.PhoneNumber = u.Phone
	if !all {
		return nil
	}
	for k, v := range u.Extra {
		info.AppendClaims(k, v)
	}
	if u.Groups != nil {
		info.AppendClaims("groups", u.Groups)
	}
	return nil
}

// SetIntrospectionFromToken implements op.Storage.
func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expires) || t.clientID != clientID {
		return errors.New("idp: token inactive")
	}
	info := new(oidc.UserInfo)
	if err := s.setUserinfo(info, t.username, true); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.ClientID = t.clientID
	resp.Expiration = oidc.FromTime(t.expires)
	return nil
}

// GetPrivateClaimsFromScopes implements op.Storage; access tokens are opaque, so there are none.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID implements op.Storage; the JWT profile grant is not offered.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("idp: jwt profile not supported")
}

// ValidateJWTProfileScopes implements op.Storage; the JWT profile grant is not offered.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("idp: jwt profile not supported")
}

// Health implements op.Storage.
func (s *storage) Health(context.Context) error { return nil }
