package talkiotest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// Fault changes how the simulator answers the requests of one endpoint.
type Fault struct {
	// Latency delays the answer; a request whose context ends first gets no answer.
	Latency time.Duration
	// Status, when set, answers with this status and a JSON error body instead of handling the request.
	Status int
	// RetryAfter, when set, is sent as the Retry-After header with Status.
	RetryAfter string
	// FailFirst limits the fault to the first N matching requests; later ones are handled normally.
	// 0 means every matching request.
	FailFirst int
	// DropConnection closes the connection without an answer (after Latency). The start of a response
	// header goes out first, so the client sees an unexpected EOF: net/http's Transport silently resends
	// an idempotent request whose reused connection closes before any byte arrives, which would make
	// one client attempt two recorded calls.
	DropConnection bool
	// AfterHandling lets the request take effect first (it is handled as usual, its answer discarded),
	// then Status or DropConnection replace the answer: a reply lost on its way back, as when a create
	// succeeded but the client saw an error.
	AfterHandling bool
}

type faultRule struct {
	pattern string
	f       Fault
	used    int
}

// Inject sets the fault for an endpoint template (see CallCount for the forms; "*" for every API
// request), replacing an earlier fault for the same pattern. A zero Fault removes it. A fault for a named
// endpoint wins over "*".
func (h *Handler) Inject(endpoint string, f Fault) {
	h.faultsMu.Lock()
	defer h.faultsMu.Unlock()
	key := faultKey(endpoint)
	for i, r := range h.faults {
		if faultKey(r.pattern) == key {
			h.faults = append(h.faults[:i], h.faults[i+1:]...)
			break
		}
	}
	if f != (Fault{}) {
		h.faults = append(h.faults, &faultRule{pattern: endpoint, f: f})
	}
}

// ClearFaults removes every injected fault.
func (h *Handler) ClearFaults() {
	h.faultsMu.Lock()
	defer h.faultsMu.Unlock()
	h.faults = nil
}

func faultKey(pattern string) string {
	if strings.TrimSpace(pattern) == endpointAll {
		return endpointAll
	}
	m, p := canonicalEndpoint(pattern)
	return m + " " + p
}

// takeFault picks the fault for this request and counts it against FailFirst.
func (h *Handler) takeFault(method string, m routeMatch) (Fault, bool) {
	h.faultsMu.Lock()
	defer h.faultsMu.Unlock()
	var pick *faultRule
	for _, r := range h.faults {
		if r.f.FailFirst > 0 && r.used >= r.f.FailFirst {
			continue
		}
		if !endpointMatches(r.pattern, method, m.endpoint, m.api) {
			continue
		}
		if pick == nil || faultKey(pick.pattern) == endpointAll {
			pick = r
		}
	}
	if pick == nil {
		return Fault{}, false
	}
	pick.used++
	return pick.f, true
}

func (h *Handler) applyFault(w http.ResponseWriter, r *http.Request, f Fault, handle func(http.ResponseWriter)) {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	failing := f.Status != 0 || f.DropConnection
	if f.AfterHandling && failing {
		handle(httptest.NewRecorder())
	}
	switch {
	case f.DropConnection:
		dropConnection(w)
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		text := http.StatusText(f.Status)
		if text == "" {
			text = "injected fault"
		}
		writeReply(w, errorReply(f.Status, "%s", text))
	default:
		handle(w)
	}
}

// dropConnection closes the client's connection in the middle of the response header. Where hijacking is
// not possible (HTTP/2, a recorder) it aborts the handler, which the server turns into a reset.
func dropConnection(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_, _ = buf.WriteString("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 64\r\n")
	_ = buf.Flush()
	_ = conn.Close()
}
