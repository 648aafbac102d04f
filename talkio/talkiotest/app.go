package talkiotest

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

const sessionCookie = "talkio_sim_session"

var appTemplate = template.Must(template.New("app").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Talkio (simulator)</title>
<style>
:root { --ink: #1d2330; --muted: #5b6475; --line: #e3e7ee; --accent: #3b5bdb; --bg: #f6f7fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { background: #fff; border-bottom: 1px solid var(--line); }
.demo-banner { margin: 0; padding: .5rem 1rem; background: #fff4d6; color: #6b4400; border-bottom: 1px solid #f0c35a; font-size: .9rem; font-weight: 600; text-align: center; }
.bar { display: flex; align-items: center; gap: .6rem; padding: .9rem 1.5rem; }
.bar a { color: var(--accent); font-size: .9rem; }
header .logo { width: 1.8rem; height: 1.8rem; border-radius: .5rem; background: var(--accent); color: #fff; display: grid; place-items: center; font-weight: 700; }
header h1 { font-size: 1.05rem; margin: 0; font-weight: 600; }
header .tag { margin-left: auto; margin-right: .5rem; font-size: .75rem; color: var(--muted); border: 1px solid var(--line); border-radius: 999px; padding: .1rem .6rem; }
main { max-width: 40rem; margin: 2.5rem auto; padding: 0 1.25rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: .9rem; padding: 1.5rem 1.75rem; box-shadow: 0 1px 2px rgba(16, 24, 40, .04); }
h2 { margin: 0 0 .25rem; font-size: 1.4rem; }
.lead { margin: 0 0 1.25rem; color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .55rem 1.25rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; font-weight: 500; overflow-wrap: anywhere; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; background: #f1f3f8; padding: .1rem .35rem; border-radius: .3rem; }
.note { color: var(--muted); font-weight: 400; }
.actions { margin-top: 1.5rem; }
a.button { display: inline-block; background: var(--accent); color: #fff; text-decoration: none; padding: .55rem 1rem; border-radius: .5rem; font-weight: 600; }
.error h2 { color: #b42318; }
footer { text-align: center; color: var(--muted); font-size: .8rem; margin: 2rem 0; }
</style>
</head>
<body>
<header>
{{- if .Portal}}
<p class="demo-banner" id="demo-banner">Demo mode — not for production</p>
{{- end}}
<div class="bar"><span class="logo" aria-hidden="true">T</span><h1>Talkio (simulator)</h1><span class="tag">stand-in app</span>
{{- if .Portal}}<a id="back-to-portal" href="{{.Portal}}" target="_top">Back to the portal</a>{{end}}</div>
</header>
<main>
{{- if .User}}
<section class="card">
<h2>Welcome, <span id="user-name">{{.User.UserName}}</span></h2>
<p class="lead">{{.Lead}}</p>
<dl>
<dt>User id</dt><dd><code id="user-id">{{.User.ID}}</code></dd>
<dt>User type</dt><dd id="user-type">{{.User.UserType}}</dd>
<dt>Organization</dt><dd><span id="organization">{{.Org.Slug}}</span>{{if ne .Org.Name .Org.Slug}} <span class="note">({{.Org.Name}})</span>{{end}}</dd>
<dt>Path</dt><dd>{{if .Path}}<code id="path">{{.Path}}</code>{{else}}<span id="path"></span><span class="note">none given: the dashboard</span>{{end}}</dd>
<dt>Hide chat sidebar</dt><dd id="hide-chat-sidebar">{{.HideChatSidebar}}</dd>
</dl>
{{- if .Continue}}
<div class="actions"><a class="button" id="continue" href="{{.Continue}}">Continue</a></div>
{{- end}}
</section>
{{- else}}
<section class="card error">
<h2>{{.Title}}</h2>
<p class="lead">{{.Lead}}</p>
<p>Reason: <code id="reason">{{.Reason}}</code></p>
</section>
{{- end}}
</main>
<footer>This page stands in for the Talkio app in tests and demo mode.</footer>
</body>
</html>
`))

type appView struct {
	Portal              string // Options.PortalURL: demo banner and a link back when set
	Title, Lead, Reason string
	User                *User
	Org                 Organization
	Path                string
	HideChatSidebar     bool
	Continue            string
}

var rejectReasons = map[string]string{
	"missing":    "The link carries no token.",
	"unknown":    "This sign-in link was not issued by this simulator.",
	"expired":    "This sign-in link has expired. Ask for a fresh one.",
	"used":       "This sign-in link has already been used; each link works once.",
	"inactive":   "The account behind this sign-in link is no longer active.",
	"no-session": "You are not signed in here. Open a fresh sign-in link.",
}

// appLogin handles "GET /authentication/partner/?token=T&path=P": a single-use token sign-in.
func (h *Handler) appLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("token")
	view := appView{Portal: h.portal(r), Path: q.Get("path"), HideChatSidebar: q.Get("hide-chat-sidebar") == "true"}
	now := h.Now()

	h.mu.Lock()
	rec, ok := h.tokens[token]
	var u *userRec
	if ok {
		if o := h.orgs[rec.org]; o != nil {
			u = o.byID[rec.userID]
			view.Org = o.Organization
		}
	}
	switch {
	case token == "":
		view.Reason = "missing"
	case !ok:
		view.Reason = "unknown"
	case rec.used:
		view.Reason = "used"
	case !now.Before(rec.expiresAt):
		view.Reason = "expired"
	case u == nil || !u.Active(now):
		view.Reason = "inactive"
	default:
		rec.used = true
		user := cloneUser(u.User)
		view.User = &user
	}
	var sid string
	if view.User != nil {
		sid = randomHex(16)
		h.sessions[sid] = sessionRec{org: rec.org, userID: rec.userID}
	}
	h.mu.Unlock()

	base := h.appBase(r)
	if view.User == nil {
		renderApp(w, http.StatusUnauthorized, view)
		return
	}
	http.SetCookie(w, sessionCookieFor(base, sid))
	view.Title = "Signed in"
	view.Lead = "The sign-in link was accepted. The real app would now open the path below."
	switch {
	case view.Path == "":
		view.Continue = base + "/app/dashboard"
	case appPath.MatchString(view.Path) && !strings.Contains(view.Path, "..") && !strings.Contains(view.Path, "//"):
		view.Continue = base + "/" + view.Path
	}
	renderApp(w, http.StatusOK, view)
}

// appPath is a relative path into the stand-in app that the Continue link may follow.
var appPath = regexp.MustCompile(`^app(/[A-Za-z0-9/_.\-?=&%]*)?$`)

// appPage handles "GET /app/{path}" after a sign-in: it shows who is signed in and the page asked for.
func (h *Handler) appPage(w http.ResponseWriter, r *http.Request) {
	view := appView{Portal: h.portal(r), Path: strings.TrimPrefix(r.URL.Path, "/"), HideChatSidebar: r.URL.Query().Get("hide-chat-sidebar") == "true"}
	if r.URL.RawQuery != "" {
		view.Path += "?" + r.URL.RawQuery
	}
	var user *User
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.mu.Lock()
		if s, ok := h.sessions[c.Value]; ok {
			if o := h.orgs[s.org]; o != nil {
				view.Org = o.Organization
				if u := o.byID[s.userID]; u != nil && u.Active(h.Now()) {
					v := cloneUser(u.User)
					user = &v
				}
			}
		}
		h.mu.Unlock()
	}
	if user == nil {
		view.Reason = "no-session"
		renderApp(w, http.StatusUnauthorized, view)
		return
	}
	view.User, view.Title, view.Lead = user, "App page", "A page of the stand-in app."
	renderApp(w, http.StatusOK, view)
}

// portal is the portal link (and so the demo banner) for this page: none inside a frame, where the page
// that frames it (the gateway's embed page) shows both already.
func (h *Handler) portal(r *http.Request) string {
	if r.Header.Get("Sec-Fetch-Dest") == "iframe" {
		return ""
	}
	return h.opts.PortalURL
}

func sessionCookieFor(base, sid string) *http.Cookie {
	path, secure := "/", false
	if u, err := url.Parse(base); err == nil {
		path, secure = strings.TrimRight(u.Path, "/")+"/", u.Scheme == "https"
	}
	return &http.Cookie{Name: sessionCookie, Value: sid, Path: path, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

func renderApp(w http.ResponseWriter, status int, view appView) {
	if view.User == nil {
		view.Title = "Sign-in link not accepted"
		view.Lead = rejectReasons[view.Reason]
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
	// No frame-ancestors and no X-Frame-Options: the gateway's embed page must be able to frame this.
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
	w.WriteHeader(status)
	_ = appTemplate.Execute(w, view)
}
