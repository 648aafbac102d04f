package talkiotest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Call is one request the simulator received.
type Call struct {
	Method   string
	Endpoint string // matched template such as "GET /users/{id}/token"; "" when no route matched
	Path     string // decoded path, as in r.URL.Path
	RawPath  string // escaped path, as sent (r.URL.EscapedPath), to check a client's escaping
	RawQuery string
	Body     []byte
	// Header is a copy of the request headers with the values of x-api-key, x-provider, Authorization
	// and Cookie replaced by "[redacted]": presence can be checked, secrets are never kept.
	Header     http.Header
	StatusCode int // status written; 0 while pending, for a dropped connection or a cancelled request
}

var redactedHeaders = []string{"X-Api-Key", "X-Provider", "Authorization", "Cookie"}

func (h *Handler) record(r *http.Request, endpoint string, body []byte) *Call {
	hdr := r.Header.Clone()
	for _, k := range redactedHeaders {
		if _, ok := hdr[k]; ok {
			hdr[k] = []string{"[redacted]"}
		}
	}
	c := &Call{
		Method:   r.Method,
		Endpoint: endpoint,
		Path:     r.URL.Path,
		RawPath:  r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery,
		Body:     slices.Clone(body),
		Header:   hdr,
	}
	h.callsMu.Lock()
	h.calls = append(h.calls, c)
	h.callsMu.Unlock()
	return c
}

// Calls returns a copy of the calls recorded so far, oldest first.
func (h *Handler) Calls() []Call {
	h.callsMu.Lock()
	defer h.callsMu.Unlock()
	out := make([]Call, len(h.calls))
	for i, c := range h.calls {
		out[i] = *c
		out[i].Body = slices.Clone(c.Body)
		out[i].Header = c.Header.Clone()
	}
	return out
}

// ResetCalls forgets the recorded calls.
func (h *Handler) ResetCalls() {
	h.callsMu.Lock()
	defer h.callsMu.Unlock()
	h.calls = nil
}

// CallCount counts recorded calls matching an endpoint template ("GET /users/{id}/token"), a template
// without method ("/users/{id}"), or "*" for every API call.
func (h *Handler) CallCount(endpoint string) int {
	h.callsMu.Lock()
	defer h.callsMu.Unlock()
	n := 0
	for _, c := range h.calls {
		if endpointMatches(endpoint, c.Method, c.Endpoint, isAPIPath(c.RawPath)) {
			n++
		}
	}
	return n
}

func isAPIPath(p string) bool {
	return len(p) >= len(APIPrefix) && p[:len(APIPrefix)] == APIPrefix
}

// CheckPhases compares calls, as "ENDPOINT STATUS" (e.g. "GET /users/{id}/token 200"), with phases: each
// phase is the set of the next len(phase) calls, in any order among themselves (calls that run
// concurrently), while what must come after what is checked by position. It returns "" when they
// match, else what differs. It asserts order and count, never time.
func CheckPhases(calls []Call, phases ...[]string) string {
	var got []string
	for _, c := range calls {
		got = append(got, fmt.Sprintf("%s %d", c.Endpoint, c.StatusCode))
	}
	var want []string
	for _, p := range phases {
		want = append(want, p...)
	}
	if len(got) != len(want) {
		return fmt.Sprintf("Partner API calls %q, want %q in phases %q", got, want, phases)
	}
	var diffs []string
	i := 0
	for _, p := range phases {
		have, w := slices.Clone(got[i:i+len(p)]), slices.Clone(p)
		slices.Sort(have)
		slices.Sort(w)
		if !slices.Equal(have, w) {
			diffs = append(diffs, fmt.Sprintf("calls %d..%d: got %q, want %q", i, i+len(p)-1, have, w))
		}
		i += len(p)
	}
	if diffs == nil {
		return ""
	}
	return fmt.Sprintf("%s (all: %q)", strings.Join(diffs, "; "), got)
}
