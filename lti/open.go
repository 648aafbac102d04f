package lti

import (
	"net/http"
	"time"

	"talkio-gateway/provision"
)

// ticket is what the in-frame page's "Open" button carries, sealed: who, where, until when. It is a
// bearer credential for one open: valid ticketTTL, used once per replica, sent in a POST body (never
// in a URL, so never in history, a Referer or an access log).
type ticket struct {
	UserID  string `json:"u"`
	Org     string `json:"o"`
	Path    string `json:"p"`
	Expires int64  `json:"e"`
	ID      string `json:"j"`
}

// handleOpen handles "POST /lti/open": the in-frame page's button, opened in a new (first-party) tab.
func (t *tool) handleOpen(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var tk ticket
	if err := t.sealer.open("ticket", r.PostFormValue("ticket"), &tk); err != nil {
		t.fail(w, r, http.StatusBadRequest, "This link is not valid", "Open the tutor again from your course.", nil)
		return
	}
	now := t.opts.Now()
	if now.Unix() > tk.Expires {
		t.fail(w, r, http.StatusGone, "This link has expired", "The button is valid for a few minutes only. Open the tutor again from your course.", nil)
		return
	}
	if !t.tickets.use(tk.ID, time.Unix(tk.Expires, 0), now) {
		t.fail(w, r, http.StatusGone, "This link was used already", "Each button opens the tutor once. Open the tutor again from your course.", nil)
		return
	}
	t.redirectToTalkio(w, r, tk.UserID, tk.Org, tk.Path)
}

// redirectToTalkio fetches a fresh login token and redirects to the Talkio app.
func (t *tool) redirectToTalkio(w http.ResponseWriter, r *http.Request, userID, org, path string) bool {
	tok, err := t.opts.Provisioner.Token(r.Context(), org, userID)
	if err != nil {
		t.provisionFailed(w, r, err)
		return false
	}
	noStore(w)
	http.Redirect(w, r, t.login.Build(tok.Token, path, false), http.StatusFound)
	return true
}

// provisionFailed shows a refusal of the provisioning policy (403) or an upstream failure (502/503),
// as the core classifies it (the same classification as the gateway's own pages and metrics).
func (t *tool) provisionFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch o := provision.Classify(err); {
	case o == provision.Expired:
		t.count(OutcomeNotAllowed, msgResourceLink)
		t.fail(w, r, http.StatusForbidden, "Your access has ended", "Your Talkio account has expired. Ask your teacher or school administrator.", err)
	case o.Refused():
		t.count(OutcomeNotAllowed, msgResourceLink)
		t.fail(w, r, http.StatusForbidden, "Access not allowed", "Your account is not allowed to use the Talkio tutor. Ask your teacher or school administrator.", err)
	case o == provision.TalkioBusy:
		t.count(OutcomeUpstream, msgResourceLink)
		t.fail(w, r, http.StatusServiceUnavailable, "Talkio is busy", "The Talkio service did not answer in time. Try again in a minute.", err)
	default:
		t.count(OutcomeUpstream, msgResourceLink)
		t.fail(w, r, http.StatusBadGateway, "Talkio did not answer", "The Talkio service failed. Try again in a minute.", err)
	}
}
