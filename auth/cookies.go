package auth

import (
	"net/http"
	"time"
)

// CookiePolicy is the one cookie policy of the gateway: the Authenticator applies it to the session and
// attempt cookies, and the web layer reads it back (Authenticator.Cookies) for the cookies it sets itself
// and for a session's lifetime, so it is given once.
type CookiePolicy struct {
	// TTL is the upper bound of a session's lifetime; default 12h.
	TTL time.Duration
	// SameSite is Lax (default), Strict or None; None also sets Partitioned and needs Secure.
	SameSite http.SameSite
	// Secure (the gateway is served over https) sets Secure on every cookie and names each with the
	// __Host- prefix, which browsers accept only with Secure, Path=/ and no Domain: a sibling subdomain
	// cannot plant (toss) a cookie the gateway reads.
	Secure bool
}

// Cookies is the cookie policy in effect, defaults applied.
func (a *Authenticator) Cookies() CookiePolicy { return a.cfg.Cookies }
