package lti

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"talkio-gateway/static"
)

//go:embed templates/*.html templates/lti.js
var templateFS embed.FS

type pages struct {
	set    map[string]*template.Template
	css    string
	script []byte
	style  []byte
	demo   bool
}

type errorPage struct {
	Status         int
	Title, Message string
	RequestID      string
}

type storagePage struct {
	Target, Origin, Key, Value, Next string // put: Value, Next; get: IDToken, State
	IDToken, State                   string
}

type launchPage struct {
	Ticket, Target string
	Minutes        int
}

type pickerPage struct {
	Context   string
	Templates []Template
}

type autopostPage struct {
	Action, Name, Value, Title string
}

type pageData struct {
	CSS  string
	Demo bool
	Page any
}

func newPages(demo bool) (*pages, error) {
	css, err := fs.ReadFile(static.FS, "app.css")
	if err != nil {
		return nil, err
	}
	// The gateway's stylesheet, served by the tool itself so that its pages look the same wherever the
	// handler is mounted.
	sum := sha256.Sum256(css)
	p := &pages{set: map[string]*template.Template{}, demo: demo, style: css,
		css: "/lti/app.css?v=" + hex.EncodeToString(sum[:6])}
	if p.script, err = fs.ReadFile(templateFS, "templates/lti.js"); err != nil {
		return nil, err
	}
	for _, name := range []string{"error", "storage_put", "storage_get", "launch", "picker", "autopost"} {
		tp, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		p.set[name] = tp
	}
	return p, nil
}

// page renders a page of the tool with its own headers: the CSP whose frame-ancestors lets the
// registered platforms frame it (the gateway's other pages keep their own policy).
func (t *tool) page(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := t.pages.set[name].ExecuteTemplate(&buf, "layout", pageData{CSS: t.pages.css, Demo: t.pages.demo, Page: data}); err != nil {
		t.opts.Logger.Error("lti: render page", "page", name, "error", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	csp := t.csp
	if ap, ok := data.(autopostPage); ok {
		// The deep-linking answer posts to the platform's return URL, and nowhere else.
		if u, err := url.Parse(ap.Action); err == nil {
			csp = strings.Replace(csp, t.formAction, t.formAction+" "+u.Scheme+"://"+u.Host, 1)
		}
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Del("X-Frame-Options") // frame-ancestors decides; an outer XFO would forbid the LMS's frame
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail logs err (with the request id, never to the page) and shows an error page.
func (t *tool) fail(w http.ResponseWriter, r *http.Request, status int, title, message string, err error) {
	rid := requestID(w, r)
	if err != nil {
		t.opts.Logger.Error("lti: "+title, "status", status, "request_id", rid, "error", err)
	}
	t.page(w, r, status, "error", errorPage{Status: status, Title: title, Message: message, RequestID: rid})
}

// refused shows a refused launch (400): no session, no Partner API call.
func (t *tool) refused(w http.ResponseWriter, r *http.Request, messageType string, rf *refusal) {
	t.count(OutcomeRefused, messageType)
	rid := requestID(w, r)
	t.opts.Logger.Warn("lti launch refused", "reason", rf.Log, "request_id", rid)
	t.page(w, r, http.StatusBadRequest, "error", errorPage{Status: 400, Title: "Launch refused", Message: rf.Message, RequestID: rid})
}

// handleScript handles "GET /lti/lti.js" (the pages' one script: the CSP allows no inline script) and
// "GET /lti/app.css".
func (t *tool) handleScript(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/lti/app.css" {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Write(t.pages.style)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(t.pages.script)
}
