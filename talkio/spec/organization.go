package spec

import "errors"

// MaxOrganizationLen bounds an organization slug; far above any real slug, it keeps a typo or a
// pasted document out of every API path.
const MaxOrganizationLen = 200

// ErrOrganization is the problem of a refused organization slug, written for every place that takes
// one (TALKIO_ORGANIZATION, TALKIO_ORGANIZATION_MAP, the CLI's --org).
var ErrOrganization = errors.New("must be an organization slug of letters, digits, '-', '_' or '.', like partner-example-school")

// CheckOrganization accepts an organization slug: ASCII letters (either case), digits, '-', '_' and
// '.', at most MaxOrganizationLen bytes, and not "." or "..".
//
// Why this rule and not a stricter lower-case one: the slug is Talkio's to choose, not the gateway's;
// the Partner API docs only name it ("/organizations/{organization-slug}") and give
// "partner-example-school" as an example, without a grammar. All the gateway needs is that a slug
// stays one literal path segment of every API URL: the RFC 3986 unreserved characters (less '~')
// never need escaping, and refusing "." and ".." keeps a proxy from resolving the segment away. A
// stricter rule would make the CLI refuse an organization the gateway serves (as it did with
// "School.North").
func CheckOrganization(slug string) error {
	ok := slug != "" && slug != "." && slug != ".." && len(slug) <= MaxOrganizationLen
	for i := 0; i < len(slug) && ok; i++ {
		b := slug[i]
		ok = 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_' || b == '.'
	}
	if !ok {
		return ErrOrganization
	}
	return nil
}
