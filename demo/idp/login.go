package idp

import (
	"bytes"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

const (
	pathLogin     = "/login"
	pathLoggedOut = "/logged-out"
)

// routes dispatches on the path below the issuer's prefix: the login step and the signed-out page are
// ours, everything else is the OpenID provider's.
func (p *Provider) routes() http.Handler {
	opHandler := http.StripPrefix(p.prefix, p.op)
	tokenPath := p.op.TokenEndpoint().Relative()
	endSessionPath := p.op.EndSessionEndpoint().Relative()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, p.prefix)
		if !ok || (rest != "" && rest[0] != '/') {
			http.NotFound(w, r)
			return
		}
		switch rest {
		case pathLogin:
			p.handleLogin(w, r)
		case pathLoggedOut:
			p.render(w, http.StatusOK, pageData{Title: "Signed out", Message: "You have been signed out of the demo identity provider. You can close this tab."})
		case endSessionPath:
			if p.requireHint.Load() && r.FormValue("post_logout_redirect_uri") != "" && r.FormValue("id_token_hint") == "" {
				// Ory Hydra's words for the same refusal.
				p.render(w, http.StatusBadRequest, pageData{Title: "Sign-out refused",
					Message: "post_logout_redirect_uri is set but id_token_hint is missing"})
				return
			}
			opHandler.ServeHTTP(w, r)
		case tokenPath:
			if t := p.tamper.Load(); t != nil {
				p.tamperToken(w, r, opHandler, t)
				return
			}
			opHandler.ServeHTTP(w, r)
		default:
			opHandler.ServeHTTP(w, r)
		}
	})
}

// handleLogin handles "GET|POST <issuer>/login?authRequestID=…", where the provider sends the browser to
// authenticate. It signs in:
//   - the user named by the "user" parameter (username or email): the buttons post it, and tests may
//     simply GET the login URL with &user=<username> added;
//   - else the auto-login user (SetAutoLogin), or the login_hint's user unless prompt=login or
//     select_account asks for the page;
//   - "cancel" answers the relying party with error=access_denied.
//
// Otherwise it shows the page with one button per user.
func (p *Provider) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		p.render(w, http.StatusMethodNotAllowed, pageData{Title: "Method not allowed", Message: "Use the sign-in page."})
		return
	}
	if err := r.ParseForm(); err != nil {
		p.render(w, http.StatusBadRequest, pageData{Title: "Bad request", Message: "The sign-in form could not be read."})
		return
	}
	id := r.Form.Get("authRequestID")
	if id == "" {
		p.render(w, http.StatusBadRequest, pageData{Title: "No sign-in in progress", Message: "This page is part of a sign-in. Start again from the application."})
		return
	}
	ar, err := p.store.AuthRequestByID(r.Context(), id)
	if err != nil {
		p.render(w, http.StatusBadRequest, pageData{Title: "Sign-in expired", Message: "This sign-in is unknown or has expired. Start again from the application."})
		return
	}
	req := ar.(*authRequest)
	if r.Form.Has("cancel") {
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("the user cancelled the sign-in"), p.op)
		return
	}
	data := pageData{Title: "Sign in", AuthRequestID: id, ClientID: req.clientID, Users: p.store.listUsers()}
	choice := r.Form.Get("user")
	if choice == "" {
		choice = p.store.getAutoLogin()
	}
	if choice == "" && req.loginHint != "" && !slices.Contains(req.prompt, oidc.PromptLogin) && !slices.Contains(req.prompt, oidc.PromptSelectAccount) {
		if _, ok := p.store.findUser(req.loginHint); ok {
			choice = req.loginHint
		}
	}
	if choice == "" {
		if u, ok := p.store.findUser(req.loginHint); ok {
			data.Hint = u.Username
		}
		p.render(w, http.StatusOK, data)
		return
	}
	switch err := p.store.completeLogin(id, choice); {
	case errors.Is(err, errUnknownUser):
		data.Error = "There is no demo user “" + choice + "”. Pick one of the users below."
		data.Typed = choice
		p.render(w, http.StatusBadRequest, data)
		return
	case err != nil:
		p.render(w, http.StatusBadRequest, pageData{Title: "Sign-in expired", Message: "This sign-in is unknown or has expired. Start again from the application."})
		return
	}
	http.Redirect(w, r, p.callbackURL(id), http.StatusFound)
}

type pageData struct {
	Title         string
	Message       string // a page without the form
	AuthRequestID string
	ClientID      string
	Users         []User
	Hint          string // username to highlight (login_hint)
	Error         string
	Typed         string
}

func (p *Provider) render(w http.ResponseWriter, status int, data pageData) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		slog.Error("idp: render login page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// No form-action: browsers apply it to the redirects after the post, which leave for the relying party.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"initials": initials,
}).Parse(pageHTML))

func initials(name string) string {
	var out []rune
	for _, f := range strings.Fields(name) {
		for _, r := range f {
			out = append(out, r)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · Demo identity provider</title>
<style>
  :root { color-scheme: light; --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --accent: #2f5fd0; --bg: #f4f6fa; }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--ink);
         font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
  .banner { background: #fff4d6; color: #6b4e00; border-bottom: 1px solid #f0d98c; text-align: center;
            padding: .5rem 1rem; font-size: .9rem; font-weight: 600; }
  main { max-width: 30rem; margin: 3rem auto; padding: 0 1rem; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 2rem;
          box-shadow: 0 1px 3px rgba(31,41,51,.06); }
  .brand { display: flex; align-items: center; gap: .6rem; color: var(--muted); font-size: .9rem;
           font-weight: 600; letter-spacing: .02em; text-transform: uppercase; margin: 0 0 1.25rem; }
  .brand .dot { width: .8rem; height: .8rem; border-radius: 50%; background: var(--accent); }
  h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .5rem; }
  p { margin: 0 0 1rem; color: var(--muted); }
  .users { list-style: none; margin: 1.5rem 0; padding: 0; display: grid; grid-template-columns: minmax(0, 1fr); gap: .75rem; }
  .user { width: 100%; display: flex; align-items: center; gap: 1rem; text-align: left; cursor: pointer;
          background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: .85rem 1rem;
          font: inherit; color: inherit; transition: border-color .15s, box-shadow .15s; }
  .user:hover, .user:focus-visible { border-color: var(--accent); box-shadow: 0 0 0 3px rgba(47,95,208,.15); outline: none; }
  .user.hint { border-color: var(--accent); }
  .avatar { flex: none; width: 2.5rem; height: 2.5rem; border-radius: 50%; background: #e4ebfb; color: var(--accent);
            display: grid; place-items: center; font-weight: 700; }
  .who { display: block; font-weight: 600; }
  .what { display: block; color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
  .text { min-width: 0; }
  .other { border-top: 1px solid var(--line); padding-top: 1.25rem; margin-top: .5rem; }
  label { display: block; font-weight: 600; margin-bottom: .35rem; }
  .row { display: flex; gap: .5rem; }
  input[type=text] { flex: 1; min-width: 0; font: inherit; padding: .55rem .75rem; border: 1px solid var(--line); border-radius: 8px; }
  input[type=text]:focus { outline: 2px solid rgba(47,95,208,.35); border-color: var(--accent); }
  .btn { font: inherit; font-weight: 600; padding: .55rem 1rem; border-radius: 8px; cursor: pointer;
         border: 1px solid var(--accent); background: var(--accent); color: #fff; }
  .btn.secondary { background: #fff; color: var(--muted); border-color: var(--line); }
  .actions { margin-top: 1.25rem; text-align: right; }
  .error { background: #fdecec; color: #8a1c1c; border: 1px solid #f5c2c2; border-radius: 8px; padding: .6rem .8rem; margin: 1rem 0; }
  footer { text-align: center; color: var(--muted); font-size: .85rem; margin-top: 1.5rem; }
  @media (max-width: 480px) { main { margin: 1.5rem auto; } .card { padding: 1.25rem; } }
</style>
</head>
<body>
<header><div class="banner" role="note">Demo mode — not for production</div></header>
<main>
  <div class="card">
    <div class="brand"><span class="dot" aria-hidden="true"></span>Demo identity provider</div>
    <h1>{{.Title}}</h1>
    {{- if .Message}}
    <p>{{.Message}}</p>
    {{- else}}
    <p>Choose who you want to be. No password is needed in the demo.</p>
    {{- if .Error}}<div class="error" role="alert">{{.Error}}</div>{{end}}
    <form method="post" action="login">
      <input type="hidden" name="authRequestID" value="{{.AuthRequestID}}">
      <ul class="users">
      {{- range .Users}}
        <li><button type="submit" class="user{{if eq .Username $.Hint}} hint{{end}}" name="user" value="{{.Username}}" id="login-{{.Username}}" data-user="{{.Username}}">
          <span class="avatar" aria-hidden="true">{{initials .Name}}</span>
          <span class="text"><span class="who">Sign in as {{if .Name}}{{.Name}}{{else}}{{.Username}}{{end}}</span>
          <span class="what">{{if .Description}}{{.Description}}{{else}}{{.Username}}{{end}}</span>
          {{if .Email}}<span class="what">{{.Email}}</span>{{end}}</span>
        </button></li>
      {{- end}}
      </ul>
    </form>
    <form method="post" action="login" class="other">
      <input type="hidden" name="authRequestID" value="{{.AuthRequestID}}">
      <label for="username">Or type a username or email</label>
      <div class="row">
        <input type="text" id="username" name="user" value="{{.Typed}}" autocomplete="username" spellcheck="false">
        <button type="submit" class="btn" id="login-submit">Sign in</button>
      </div>
    </form>
    <form method="post" action="login" class="actions">
      <input type="hidden" name="authRequestID" value="{{.AuthRequestID}}">
      <button type="submit" class="btn secondary" name="cancel" value="1" id="login-cancel">Cancel</button>
    </form>
    {{- end}}
  </div>
  <footer>An embedded OpenID provider for trying the gateway out.</footer>
</main>
</body>
</html>
`
