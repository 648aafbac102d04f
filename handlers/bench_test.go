package handlers

import (
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// parseTutorLink validates every /open and /embed query. (The login URL's
// benchmark is talkio/spec's BenchmarkLoginURL.)
func BenchmarkParseTutorLink(b *testing.B) {
	for b.Loop() {
		if _, err := parseTutorLink("template=books-literature&hide_chat_sidebar=true"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen is a signed-in GET /open through the whole Echo app, as the
// loadgen drives it (JSON request log, metrics, the session and logout-hint
// cookies, one token call to the simulator over loopback), for allocations
// and a CPU profile of the gateway's own work:
//
//	go test -run '^$' -bench BenchmarkOpen -benchmem -cpuprofile /tmp/open.pprof ./handlers/
func BenchmarkOpen(b *testing.B) {
	e := newEnv(b, envConfig{options: func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
		o.Metrics = NewMetrics()
		o.OpenBurst = math.MaxInt32 // the clock stands still: never refill, never refuse
	}})
	br := e.browser("jonas")
	br.signIn()
	u := mustParseURL(b, e.gw.URL)
	req := httptest.NewRequest(http.MethodGet, "/open?template=books-literature", nil)
	for _, c := range br.client.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.echo.ServeHTTP(rec, req)
		if rec.Code != http.StatusFound {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// observeRequest runs on every request: one cached lookup of the route's series.
func BenchmarkObserveRequest(b *testing.B) {
	m := NewMetrics()
	for b.Loop() {
		m.observeRequest("/open", http.MethodGet, http.StatusFound, time.Millisecond)
	}
}

// The per-user open limiter, taken by every signed-in /open and /embed from
// every connection at once: 200 users, as in the loadgen.
func BenchmarkOpenLimiter(b *testing.B) {
	l := newOpenLimiter(math.MaxInt32, time.Second, openLimiterSize)
	ids := make([]string, 200)
	for i := range ids {
		ids[i] = "user-" + strconv.Itoa(i)
	}
	now := time.Now()
	var next atomic.Uint32
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1))
		for pb.Next() {
			if r, _ := l.take(ids[i%len(ids)], now); r == nil {
				b.Fatal("refused")
			}
			i++
		}
	})
}
