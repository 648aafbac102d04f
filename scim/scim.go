// Package scim is the gateway's SCIM 2.0 service provider (RFC 7643, RFC 7644): the partner's identity
// provider (Entra ID, Okta, OneLogin, JumpCloud, Google, a Keycloak extension) pushes joins, changes and
// leaves, and the package turns them into Partner API calls through the provisioning core, so that
// deprovisioning is immediate and billing exact.
//
// The protocol (routing, schema validation, PATCH and filter parsing, discovery endpoints) is
// github.com/elimity-com/scim with github.com/scim2/filter-parser/v2; this package adds what the library
// leaves to its user: authentication, a body limit, the mapping between SCIM attributes and Talkio users,
// and error statuses the library's table does not know (429 and 503 with Retry-After, 502).
//
// The gateway stores nothing of its own: every answer is derived from the Partner API. See docs/scim.md.
package scim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	lib "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"talkio-gateway/provision"
	"talkio-gateway/talkio"
)

// Deactivation modes (SCIM_DEACTIVATE).
const (
	DeactivateDelete  = "delete"  // the Talkio user is deleted at once
	DeactivateSuspend = "suspend" // accountExpiresAt is set to now; sweep deletes later
)

// User id attributes (SCIM_USER_ID_ATTRIBUTE).
const (
	AttributeExternalID = "externalId"
	AttributeUserName   = "userName"
)

// DefaultMaxBodyBytes bounds a request body when Options.MaxBodyBytes is 0. SCIM users are small; the
// largest bodies an identity provider sends are group PATCHes with many members.
const DefaultMaxBodyBytes = 256 << 10

// MaxResults is the largest page a list answers (the Partner API's own largest page).
const MaxResults = talkio.MaxLimit

// Provisioner is what the package needs from the provisioning core (a *provision.Provisioner).
type Provisioner interface {
	Provision(ctx context.Context, id *provision.Identity, via provision.EntryPoint) (*provision.Provisioned, error)
}

// Options configure the SCIM handler.
type Options struct {
	// Tokens are the accepted bearer tokens (SCIM_TOKEN, comma-separated for rotation). At least one.
	Tokens []string
	// Provisioner creates and updates users (access policy, create once, profile sync, send fields).
	Provisioner Provisioner
	// Talkio is the Partner API client of the organization SCIM manages: lookups, lists, deletion and
	// suspension go straight to it.
	Talkio *talkio.Client
	// Organizations are the clients of the other organizations pushed users may live in (those of
	// TALKIO_ORGANIZATION_MAP, from Provisioner.Client): lookups, deletion and suspension try Talkio,
	// then these, in order. Lists show Talkio's organization only.
	Organizations []*talkio.Client
	// IDRule and Issuer turn the value of UserIDAttribute into the Talkio id, exactly as a sign-in
	// through Issuer turns CLAIM_USER_ID into it: a pushed user and the same person signing in are one
	// Talkio user.
	IDRule provision.IDRule
	Issuer string
	// UserIDAttribute is AttributeExternalID (default) or AttributeUserName.
	UserIDAttribute string
	// Deactivate is DeactivateDelete (default) or DeactivateSuspend.
	Deactivate string
	// FacilitatorGroups and AllowedGroups are the provisioner's; the handler reads them only to answer
	// /Groups and to keep a PATCH that says nothing of groups from losing the user's membership.
	FacilitatorGroups, AllowedGroups []string
	// BaseURL, when set, makes Location headers and meta.location absolute, e.g.
	// "https://gateway.example/scim/v2" (RFC 7644 §3.1 asks for the full URI).
	BaseURL string
	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RetryAfter is sent with a 429 or 503 when the Partner API was rate limited or unavailable; 0
	// means 30 s, the longest Retry-After the Talkio client itself honours.
	RetryAfter time.Duration
	// Logger receives one line per request (operation, status, outcome; never a body, a query or a
	// name). Default slog.Default().
	Logger *slog.Logger
	// Metrics counts requests and deprovisioned users; nil counts nothing.
	Metrics Metrics
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// handler is the SCIM service provider. It serves paths beginning with /scim/v2 or /v2, so it can be
// mounted at "/scim/v2/" as it is or behind http.StripPrefix("/scim", …).
type handler struct {
	opts   Options
	tokens [][32]byte
	server lib.Server
	users  *users
}

// New checks the options and builds the handler.
func New(o Options) (http.Handler, error) {
	var problems []string
	if len(o.Tokens) == 0 {
		problems = append(problems, "no token")
	}
	if o.Provisioner == nil {
		problems = append(problems, "Provisioner is nil")
	}
	if o.Talkio == nil {
		problems = append(problems, "Talkio is nil")
	}
	switch o.UserIDAttribute {
	case "":
		o.UserIDAttribute = AttributeExternalID
	case AttributeExternalID, AttributeUserName:
	default:
		problems = append(problems, fmt.Sprintf("UserIDAttribute %q is neither externalId nor userName", o.UserIDAttribute))
	}
	switch o.Deactivate {
	case "":
		o.Deactivate = DeactivateDelete
	case DeactivateDelete, DeactivateSuspend:
	default:
		problems = append(problems, fmt.Sprintf("Deactivate %q is neither delete nor suspend", o.Deactivate))
	}
	h := &handler{}
	for _, t := range o.Tokens {
		if strings.TrimSpace(t) == "" {
			problems = append(problems, "an empty token")
			continue
		}
		h.tokens = append(h.tokens, sha256.Sum256([]byte(t)))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("scim: %s", strings.Join(problems, "; "))
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = nopMetrics{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h.opts = o
	h.users = &users{opts: &h.opts}
	server, err := lib.NewServer(&lib.ServerArgs{
		ServiceProviderConfig: &lib.ServiceProviderConfig{
			AuthenticationSchemes: []lib.AuthenticationScheme{{
				Type:        lib.AuthenticationTypeOauthBearerToken,
				Name:        "OAuth Bearer Token",
				Description: "Authentication with the gateway's SCIM_TOKEN as a bearer token.",
				Primary:     true,
			}},
			MaxResults:       MaxResults,
			SupportFiltering: true,
			SupportPatch:     true,
		},
		ResourceTypes: []lib.ResourceType{
			{
				ID:               optional.NewString("User"),
				Name:             "User",
				Endpoint:         "/Users",
				Description:      optional.NewString("A Talkio user of the partner's organization"),
				Schema:           schema.CoreUserSchema(),
				SchemaExtensions: []lib.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
				Handler:          h.users,
			},
			{
				ID:          optional.NewString("Group"),
				Name:        "Group",
				Endpoint:    "/Groups",
				Description: optional.NewString("A directory group; the gateway keeps no membership"),
				Schema:      schema.CoreGroupSchema(),
				Handler:     &groups{opts: &h.opts},
			},
		},
	}, lib.WithLogger(libLogger{o.Logger}), lib.WithBaseURL(o.BaseURL))
	if err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	h.server = server
	return h, nil
}

func init() {
	// Entra ID sends booleans as the strings "True" and "False" (a known deviation from RFC 7643 that
	// Microsoft documents). The library's only switch for accepting them is this process-wide one; set
	// once here, before any handler exists, so that it never races with a request.
	schema.SetAllowStringValues(true)
}

// ServeHTTP authenticates, bounds the body, lets the library route and validate, and writes the status
// a resource handler decided when the library's table would have turned it into a 500.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.opts.Now()
	if p, ok := strings.CutPrefix(r.URL.Path, "/scim"); ok {
		r = r.Clone(r.Context())
		r.URL.Path, r.URL.RawPath = p, ""
	}
	op := operation(r)
	rw := &responseWriter{ResponseWriter: w}
	defer func() {
		outcome := outcomeOf(rw.status)
		h.opts.Metrics.Request(op, outcome)
		// No body, no query (filters hold emails), no path (it holds the user id in claim mode only,
		// yet a wrong token's request could carry anything).
		h.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "scim request", slog.String("operation", op),
			slog.Int("status", rw.status), slog.String("outcome", outcome),
			slog.Duration("duration", h.opts.Now().Sub(start)))
	}()

	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		writeError(rw, &Error{Status: http.StatusUnauthorized, Detail: "A valid bearer token (the gateway's SCIM_TOKEN) is required."})
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(r.Body, h.opts.MaxBodyBytes+1))
		if err != nil {
			writeError(rw, &Error{Status: http.StatusBadRequest, ScimType: "invalidSyntax", Detail: "The request body could not be read."})
			return
		}
		if int64(len(body)) > h.opts.MaxBodyBytes {
			writeError(rw, &Error{Status: http.StatusRequestEntityTooLarge,
				Detail: fmt.Sprintf("The request body is larger than %d bytes.", h.opts.MaxBodyBytes)})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if (r.Method == http.MethodPost || r.Method == http.MethodPut) && isUsersPath(r.URL.Path) {
			if e := checkUserAttributes(body); e != nil {
				writeError(rw, e)
				return
			}
		}
	}
	slot := &errorSlot{}
	rw.slot = slot
	h.server.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), slotKey{}, slot)))
}

// authorized compares the bearer token with every configured one in constant time (hashes, so the
// lengths leak nothing either) and without stopping at the first match.
func (h *handler) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for _, t := range h.tokens {
		match |= subtle.ConstantTimeCompare(sum[:], t[:])
	}
	return match == 1
}

// operation names a request for metrics and logs, from its method and resource type only.
func operation(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/v2")
	resource, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	switch resource {
	case "ServiceProviderConfig", "ResourceTypes", "Schemas":
		return "discovery"
	case "Users", "Groups":
	default:
		return "unknown"
	}
	prefix := strings.ToLower(resource[:len(resource)-1])
	switch {
	case r.Method == http.MethodPost && rest == "":
		return prefix + "_create"
	case r.Method == http.MethodGet && rest == "":
		return prefix + "_list"
	case rest == "":
		return "unknown"
	}
	switch r.Method {
	case http.MethodGet:
		return prefix + "_get"
	case http.MethodPut:
		return prefix + "_replace"
	case http.MethodPatch:
		return prefix + "_patch"
	case http.MethodDelete:
		return prefix + "_delete"
	}
	return "unknown"
}

func isUsersPath(p string) bool {
	p = strings.TrimPrefix(p, "/v2")
	return p == "/Users" || strings.HasPrefix(p, "/Users/")
}

// outcomeOf is the metrics outcome of a status.
func outcomeOf(status int) string {
	switch {
	case status == 0 || status < 400:
		return "ok"
	case status == http.StatusUnauthorized:
		return "unauthorized"
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status == http.StatusNotFound:
		return "not_found"
	case status == http.StatusConflict:
		return "conflict"
	case status < 500:
		return "bad_request"
	default:
		return "upstream_error"
	}
}

// libLogger routes the library's error lines to slog without the values it passes along (a resource
// the library failed to encode may hold personal data).
type libLogger struct{ l *slog.Logger }

func (l libLogger) Error(args ...any) {
	msg := "scim library error"
	if len(args) > 0 {
		if s, ok := args[0].(string); ok {
			msg = "scim library: " + s
		}
	}
	l.l.Error(msg)
}
