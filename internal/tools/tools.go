//go:build tools

// Package tools pins the modules that packages under construction will use, so that helpers working in
// parallel do not race on go.mod. It is removed once every dependency is imported by real code.
package tools

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/gorilla/securecookie"
	_ "github.com/gorilla/sessions"
	_ "github.com/labstack/echo/v4"
	_ "github.com/labstack/echo/v4/middleware"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/zitadel/oidc/v3/pkg/op"
	_ "golang.org/x/net/html"
	_ "golang.org/x/net/publicsuffix"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/sync/singleflight"
	_ "golang.org/x/text/language"
	_ "golang.org/x/term"
)
