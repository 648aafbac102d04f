package main

// Server limits.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"talkio-gateway/gateway"
	"talkio-gateway/gateway/gatewaytest"
	"testing"
	"time"
)

// TestServerLimits checks the timeouts and size limits the servers get and watches the two that matter
// against abuse act: a header trickled slowly is cut off by the read-header timeout (shortened for the
// test), and an oversized body gets 413 rather than being read.
func TestServerLimits(t *testing.T) {
	t.Parallel()
	gw := gatewaytest.Start(t, nil, nil)
	if len(gw.Servers()) != 2 {
		t.Errorf("%d servers, want 2 (main and metrics)", len(gw.Servers()))
	}
	for _, srv := range gw.Servers() {
		l := gateway.DefaultLimits
		if srv.ReadHeaderTimeout != l.ReadHeaderTimeout || srv.ReadTimeout != l.ReadTimeout || srv.WriteTimeout != l.WriteTimeout ||
			srv.IdleTimeout != l.IdleTimeout || srv.MaxHeaderBytes != l.MaxHeaderBytes {
			t.Errorf("server limits %v %v %v %v %d, want %+v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout,
				srv.IdleTimeout, srv.MaxHeaderBytes, l)
		}
		if l.ReadHeaderTimeout <= 0 || l.ReadHeaderTimeout > 10*time.Second || l.ReadTimeout <= 0 || l.WriteTimeout <= 0 || l.IdleTimeout <= 0 {
			t.Errorf("limits not set deliberately: %+v", l)
		}
	}

	t.Run("slow header", func(t *testing.T) {
		t.Parallel()
		short := gateway.DefaultLimits
		short.ReadHeaderTimeout = 200 * time.Millisecond
		slow := gatewaytest.Start(t, nil, &short)

		conn, err := net.Dial("tcp", slow.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: gateway\r\n"); err != nil {
			t.Fatal(err)
		}
		// Trickle a header line every 20 ms, never finishing the header, until the server hangs up.
		stop := make(chan struct{})
		trickled := make(chan int)
		go func() {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			n := 0
			defer func() { trickled <- n }()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := fmt.Fprintf(conn, "X-Slow-%d: 1\r\n", n); err != nil {
						return
					}
					n++
				}
			}
		}()
		conn.SetReadDeadline(time.Now().Add(opsTimeout))
		got, err := io.ReadAll(conn)
		close(stop)
		n := <-trickled
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the server kept a trickling connection open for %v (%d header lines)", opsTimeout, n)
		}
		if bytes.Contains(got, []byte(" 200 ")) {
			t.Errorf("the server answered an unfinished header: %q", got)
		}
	})

	t.Run("body limit", func(t *testing.T) {
		b := newOpsBrowser(t)
		form := func(size int) string { return "csrf=x&pad=" + strings.Repeat("a", size) }
		for _, tt := range []struct {
			name string
			body io.Reader
			want []int
		}{
			{"declared too large", strings.NewReader(form(70 << 10)), []int{http.StatusRequestEntityTooLarge}},
			// Chunked: the size shows only while reading, which is cut off.
			// Nothing reads a sign-out's body (no CSRF form field any more), so it is never read past the limit.
			{"chunked too large", io.MultiReader(strings.NewReader(form(70 << 10))), []int{http.StatusRequestEntityTooLarge, http.StatusSeeOther}},
			{"within the limit", strings.NewReader(form(60 << 10)), []int{http.StatusSeeOther}}, // a sign-out
		} {
			r := b.do(t, http.MethodPost, gw.URL()+"/logout", tt.body, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			ok := false
			for _, s := range tt.want {
				ok = ok || r.StatusCode == s
			}
			if !ok {
				t.Errorf("%s: POST /logout: %d, want one of %v", tt.name, r.StatusCode, tt.want)
			}
		}
		big := http.Header{"X-Big": {strings.Repeat("b", 64<<10)}}
		if r := b.do(t, http.MethodGet, gw.URL()+"/healthz", nil, big); r.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("64 KiB header: %d, want 431", r.StatusCode)
		}
	})
}
