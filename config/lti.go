package config

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strings"

	"talkio-gateway/talkio/spec"
)

// LTIPlatform is one LMS registration of LTI_PLATFORMS.
type LTIPlatform struct {
	Issuer        string   // the platform's iss, exactly as given
	ClientID      string   // the tool's client id at the platform
	DeploymentIDs []string // at least one; launches from other deployments are refused
	AuthLoginURL  *url.URL // the platform's OIDC authorization endpoint
	JWKSURL       *url.URL // the platform's public keys
	AuthTokenURL  *url.URL // nil when not given (only LTI services need it)
	Organization  string   // Talkio organization slug; TALKIO_ORGANIZATION when the registration names none
}

// LTITemplate is one chat template of LTI_TEMPLATES.
type LTITemplate struct {
	Slug, Title string
}

// ltiPlatformsExample is a valid LTI_PLATFORMS, as Canvas's cloud platform publishes its endpoints.
const ltiPlatformsExample = `[{"issuer":"https://canvas.instructure.com","client_id":"10000000000001","deployment_ids":["1:abc"],` +
	`"auth_login_url":"https://sso.canvaslms.com/api/lti/authorize_redirect","jwks_url":"https://sso.canvaslms.com/api/lti/security/jwks"}]`

// ltiKeys are the keys of one registration, in the order problems name them.
var ltiKeys = []string{"issuer", "client_id", "deployment_ids", "auth_login_url", "jwks_url", "auth_token_url", "organization"}

// parseLTIPlatforms decodes the registrations and names every problem with its index and key, like
// [1].jwks_url (the loader puts the variable's name in front).
func parseLTIPlatforms(s string) ([]LTIPlatform, error) {
	var items []json.RawMessage
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&items); err != nil {
		return nil, fmt.Errorf("must be a JSON array of registrations, like %s (%s)", ltiPlatformsExample, jsonProblem(err))
	}
	if dec.More() {
		return nil, errors.New("holds more than one JSON value; put every registration in one array")
	}
	if len(items) == 0 {
		return nil, errors.New("lists no registration; leave it unset to turn LTI off")
	}
	var errs []error
	out := make([]LTIPlatform, 0, len(items))
	seen := map[[2]string]int{}
	for i, item := range items {
		p, perrs := parseLTIPlatform(i, item)
		errs = append(errs, perrs...)
		if p == nil {
			continue
		}
		if p.Issuer != "" && p.ClientID != "" {
			k := [2]string{p.Issuer, p.ClientID}
			if j, dup := seen[k]; dup {
				errs = append(errs, at(fmt.Sprintf("[%d]", i), "repeats the issuer and client_id of [%d]; each registration must differ in one of them", j))
			}
			seen[k] = i
		}
		out = append(out, *p)
	}
	return out, errors.Join(errs...)
}

func parseLTIPlatform(i int, raw json.RawMessage) (*LTIPlatform, []error) {
	where := fmt.Sprintf("[%d]", i)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, []error{at(where, "must be a JSON object with the keys %s", strings.Join(ltiKeys, ", "))}
	}
	var errs []error
	var unknown []string
	for k := range fields {
		if !contains(ltiKeys, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, at(where, "unknown key %s; the keys are %s", quote(k), strings.Join(ltiKeys, ", ")))
	}
	p := &LTIPlatform{}
	str := func(key string, required bool) string {
		v, ok := fields[key]
		if !ok || string(v) == "null" {
			if required {
				errs = append(errs, at(where+"."+key, "not set"))
			}
			return ""
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			errs = append(errs, at(where+"."+key, "must be a string"))
			return ""
		}
		s = strings.TrimSpace(s)
		if s == "" && required {
			errs = append(errs, at(where+"."+key, "is empty"))
		}
		return s
	}
	urlField := func(key string, required bool) *url.URL {
		s := str(key, required)
		if s == "" {
			return nil
		}
		u, err := parseLTIURL(s)
		if err != nil {
			errs = append(errs, &atError{path: where + "." + key, err: err})
		}
		return u
	}

	if p.Issuer = str("issuer", true); p.Issuer != "" {
		if _, err := parseLTIURL(p.Issuer); err != nil {
			errs = append(errs, &atError{path: where + ".issuer", err: err})
		}
	}
	if p.ClientID = str("client_id", true); p.ClientID != "" {
		if _, err := parseText(p.ClientID, 1024); err != nil {
			errs = append(errs, &atError{path: where + ".client_id", err: err})
		}
	}
	p.DeploymentIDs, errs = parseDeploymentIDs(where+".deployment_ids", fields["deployment_ids"], errs)
	p.AuthLoginURL = urlField("auth_login_url", true)
	p.JWKSURL = urlField("jwks_url", true)
	p.AuthTokenURL = urlField("auth_token_url", false)
	if p.Organization = str("organization", false); p.Organization != "" {
		if _, err := parseSlug(p.Organization); err != nil {
			errs = append(errs, &atError{path: where + ".organization", err: err})
			p.Organization = "" // said once; the served check would repeat it
		}
	}
	return p, errs
}

// parseDeploymentIDs accepts a non-empty array of distinct, non-empty strings.
func parseDeploymentIDs(where string, raw json.RawMessage, errs []error) ([]string, []error) {
	if raw == nil || string(raw) == "null" {
		return nil, append(errs, at(where, "not set; list the deployment ids the platform shows for this tool, like [\"1:abc\"]"))
	}
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, append(errs, at(where, "must be an array of strings, like [\"1:abc\"]"))
	}
	if len(ids) == 0 {
		return nil, append(errs, at(where, "is empty; list at least one deployment id"))
	}
	for j, id := range ids {
		switch {
		case strings.TrimSpace(id) == "":
			errs = append(errs, at(fmt.Sprintf("%s[%d]", where, j), "is empty"))
		case contains(ids[:j], id):
			errs = append(errs, at(fmt.Sprintf("%s[%d]", where, j), "repeats %s", quote(id)))
		default:
			if _, err := parseText(id, 255); err != nil {
				errs = append(errs, &atError{path: fmt.Sprintf("%s[%d]", where, j), err: err})
			}
		}
	}
	return ids, errs
}

// parseLTIURL accepts an absolute https URL (http only for a loopback host), without credentials or
// fragment; a query is kept (some platforms' endpoints carry one).
func parseLTIURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("must be an absolute https URL (got %s)", quote(s))
	case u.User != nil:
		return nil, errors.New("must not contain user:password@")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return nil, fmt.Errorf("must not have a fragment (got %s)", quote(s))
	case u.Scheme != "https" && !isLoopbackHost(u.Hostname()):
		return nil, fmt.Errorf("must be https (http only for localhost) (got %s)", quote(s))
	}
	return u, nil
}

// jsonProblem describes a JSON decoding error without quoting the document.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return "found a JSON " + typ.Value + " where an array was expected"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	return "invalid JSON"
}

func ltiPlatformsString(ps []LTIPlatform) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Issuer + " (" + p.ClientID + ")"
	}
	return strings.Join(out, ", ")
}

// minRSABits is the smallest tool key accepted: what 1EdTech's security framework and NIST ask of RS256.
const minRSABits = 2048

// parseRSAKeys reads one or more concatenated PEM blocks holding RSA private keys (PKCS #1 "RSA PRIVATE
// KEY" or PKCS #8 "PRIVATE KEY"). A problem never shows key material.
func parseRSAKeys(s string) ([]*rsa.PrivateKey, error) {
	const gen = "generate one with: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
	var keys []*rsa.PrivateKey
	var errs []error
	rest := []byte(s)
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		what := fmt.Sprintf("PEM block %d", n)
		key, err := parseRSABlock(block)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			continue
		}
		if bits := key.N.BitLen(); bits < minRSABits {
			errs = append(errs, fmt.Errorf("%s: an RSA key of %d bits; at least %d are needed; %s", what, bits, minRSABits, gen))
			continue
		}
		for j, k := range keys {
			if k.Equal(key) {
				errs = append(errs, fmt.Errorf("%s repeats key %d; each key must be different", what, j+1))
			}
		}
		keys = append(keys, key)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		errs = append(errs, errors.New("holds text that is not a PEM block (check the -----BEGIN/-----END lines and the line breaks)"))
	}
	if n == 0 {
		errs = append(errs, errors.New("holds no PEM block; give the private key in PEM, as -----BEGIN PRIVATE KEY----- …; "+gen))
	}
	return keys, errors.Join(errs...)
}

func parseRSABlock(b *pem.Block) (*rsa.PrivateKey, error) {
	if _, encrypted := b.Headers["Proc-Type"]; encrypted || b.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, errors.New("is encrypted; give the key without a passphrase (protect the file or secret instead)")
	}
	var key any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("is a %s, not a private key (PRIVATE KEY or RSA PRIVATE KEY)", quote(b.Type))
	}
	if err != nil {
		return nil, errors.New("is not a valid private key")
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("is a %T key; LTI signs with RS256, which needs an RSA key", key)
	}
	if rk.Validate() != nil {
		return nil, errors.New("is not a valid RSA private key")
	}
	return rk, nil
}

// parseLTITemplates parses "slug=Title,slug2=Title 2". The first '=' separates the sides, so a title
// may hold '='; commas cannot be expressed.
func parseLTITemplates(s string) ([]LTITemplate, error) {
	var out []LTITemplate
	var errs []error
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		slug, title, ok := strings.Cut(item, "=")
		slug, title = strings.TrimSpace(slug), strings.TrimSpace(title)
		switch {
		case !ok || slug == "" || title == "":
			errs = append(errs, fmt.Errorf("pair %s must be slug=Title, like travel=Travel", quote(item)))
		case checkTemplate(slug) != nil:
			errs = append(errs, fmt.Errorf("template %s: a template name has only lower-case letters, digits, - and _ (at most 100)", quote(slug)))
		case slices.ContainsFunc(out, func(t LTITemplate) bool { return t.Slug == slug }):
			errs = append(errs, fmt.Errorf("template %s is listed twice", quote(slug)))
		default:
			if _, err := parseText(title, 200); err != nil {
				errs = append(errs, fmt.Errorf("title of %s %w", quote(slug), err))
				continue
			}
			out = append(out, LTITemplate{Slug: slug, Title: title})
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("lists no template; write slug=Title,…, like books-literature=Books & Literature,travel=Travel"))
	}
	return out, errors.Join(errs...)
}

// checkTemplate applies the one template-slug rule (the tutor-link rule's, in package talkio).
func checkTemplate(slug string) error {
	_, err := spec.AppPath("", slug)
	return err
}

func ltiTemplatesString(ts []LTITemplate) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Slug + "=" + t.Title
	}
	return strings.Join(out, ",")
}
